"""Importing the registry from a town's spreadsheet: validated with the same rules as the page
and the API, all rows or none, existing persons (same ID) updated."""

from __future__ import annotations

import gc
import itertools
import operator
import re
from contextlib import contextmanager
from typing import Any
from collections.abc import Callable, Iterator

from django.db import connection, transaction
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _, gettext_noop

from canpei import hooks
from canpei.accounts.models import User
from canpei.accounts.roles import Perm, Role, has_perm
from canpei.audit.actions import AuditAction
from canpei.audit.services import AuditItem, audit_prepare_changes, audit_record, audit_record_many
from canpei.bulk import CopyInBackground, filter_in, insert_many, next_ids, row_values, uses_copy
from canpei.errors import Forbidden, InvalidInput
from canpei.people import crypto, rules
from canpei.people.models import Person
from canpei.people.services import (
    apply_person_input, clean_person_input, person_snapshot, snapshot_diff,
)
from canpei.regions.models import Region
from canpei.spreadsheets import codes
from canpei.spreadsheets.importing import (
    ImportResult, Progress, RowError, column_label, import_finish, import_start, no_progress,
)
# The message of an import with no rows, named here with this import's other messages.
from canpei.spreadsheets.importing import NO_DATA_ROWS  # noqa: F401
from canpei.spreadsheets.reader import cell_text
from canpei.spreadsheets.registry import ImportSpec

# The names federations use for each column, the canonical one first.
PERSON_COLUMNS: dict[str, tuple[str, ...]] = {  # zh-data
    "name": ("姓名", "名字", "残疾人姓名"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "身份证", "证件号码", "公民身份证号码"),
    "cert_number": ("残疾证号", "残疾人证号", "残疾证号码", "残疾人证号码", "第二代残疾人证号", "残疾证"),
    "category": ("残疾类别", "类别", "残疾类型"),
    "grade": ("残疾等级", "等级", "残疾级别"),
    "town": ("所属镇街", "镇街", "镇(街道)", "乡镇(街道)", "所属镇(街道)", "镇街道", "乡镇", "街道"),
    "village": ("村(社区)", "村居", "所属村居", "社区", "村(居)"),
    "address": ("地址", "住址", "家庭住址", "现住址", "户籍地址"),
    "phone": ("联系电话", "电话", "手机", "手机号码", "联系方式"),
    "education": ("文化程度", "学历"),
    "hardship": ("困难类型", "困难情况", "困难残疾人类型"),
    "employment_form": ("就业形式", "就业情况", "就业状况"),
    "not_working_reason": ("未就业原因",),
    "new_entrant": ("新成长劳动力",),
    "registered_unemployed": ("城镇登记失业", "登记失业"),
    "entrepreneurship_intention": ("创业意愿", "有创业意愿"),
    "status": ("状态", "人员状态"),
}
REQUIRED = ("name", "id_number", "category", "grade", "town")

# Row errors shown to the clerk: Chinese here, translated where they are raised.
ID_TWICE_IN_FILE = gettext_noop("身份证号与第 {row} 行重复")
ID_AS_NUMBER = gettext_noop("身份证号被 Excel 存成了数字，后几位已丢失；请把该列设为文本后重新填写")
CERT_AS_NUMBER = gettext_noop("残疾证号被 Excel 存成了数字，后几位已丢失；请把该列设为文本后重新填写")
REGISTRY_CHANGED = gettext_noop("导入期间名册被他人修改（同一身份证号或残疾证号已登记），未写入任何数据；请重新导入")
# A person of another town: the answer registering them by hand gives (the number is taken),
# never where they are registered (issue 8, item 9).
PERSON_OTHER_TOWN = rules.ID_DUPLICATE
CELL_FORMULA = gettext_noop("单元格含公式，请复制后“粘贴为数值”再导入")

# The words a clerk's file may use for a code, besides the code tables' own labels.

CATEGORY_CODES = codes.code_lookup(  # zh-data
    rules.Category.choices, ("1", "视残"), ("2", "听残"),
                                   ("3", "言残"), ("4", "肢残"), ("5", "智残"), ("6", "精残"),
                                   ("7", "多残"))
GRADE_CODES = codes.code_lookup(rules.Grade.choices)
EDUCATION_CODES = codes.code_lookup(  # zh-data
    rules.Education.choices, ("senior_high", "高中"),
                                    ("senior_high", "中专"), ("bachelor", "本科"),
                                    ("bachelor", "研究生"), ("none", "文盲"))
FORM_CODES = codes.code_lookup(  # zh-data
    rules.EmploymentForm.choices, ("3", "个体就业"), ("3", "自主创业"),
                               ("7", "灵活就业"))
REASON_CODES = codes.code_lookup(rules.NotWorkingReason.choices)
STATUS_CODES = codes.code_lookup(  # zh-data
    rules.PersonStatus.choices, ("revoked", "注销"))
HARDSHIP_CODES = codes.code_lookup(  # zh-data
    list(rules.HARDSHIP_FLAGS.items()),
                                   ("poverty_monitoring", "建档立卡"),
                                   ("poverty_monitoring", "防返贫监测"))


# Excel shows an 18-digit number as 3.50582E+17; saved as CSV, that text is all that is left.
_SCIENTIFIC = re.compile(r"^[0-9](\.[0-9]+)?E\+?[0-9]+$", re.IGNORECASE)


def _town_lookup() -> tuple[dict[str, Region], dict[str, str]]:
    towns = {r.code: r for r in Region.objects.filter(level=Region.Level.TOWN)}
    names: dict[str, str] = {}
    for region in towns.values():
        names[region.name] = region.code
        # 安海 for 安海镇, 青阳 for 青阳街道
        for suffix in ("街道", "镇", "乡"):  # zh-data
            if region.name.endswith(suffix):
                names.setdefault(region.name.removesuffix(suffix), region.code)
    return towns, names


def _village_lookup() -> tuple[dict[str, Region], dict[tuple[str, str], str]]:
    """Villages by code, and their codes by (town code, name): ledgers name the village."""
    villages = {r.code: r for r in Region.objects.filter(level=Region.Level.VILLAGE)}
    names: dict[tuple[str, str], str] = {}
    for region in villages.values():
        if region.parent_id:
            names[(region.parent_id, region.name)] = region.code
            for suffix in ("村委会", "居委会", "社区", "村"):  # zh-data
                if region.name.endswith(suffix) and len(region.name) > len(suffix) + 1:
                    names.setdefault((region.parent_id, region.name.removesuffix(suffix)), region.code)
    return villages, names


def _is_lost_number(raw: Any) -> bool:
    """An ID or certificate number that Excel stored as a number (only 15 digits survive)."""
    if isinstance(raw, float) and not isinstance(raw, bool) and raw >= 1e15:
        return True
    # The pattern needs an E: most numbers have none and skip the match (twice a row).
    return isinstance(raw, str) and ("E" in raw or "e" in raw) and bool(_SCIENTIFIC.match(raw.strip()))


# How a row is read, column by column: the code table of a coded column, or a special case.
_PLAIN, _TOWN, _STATUS, _HARDSHIP, _BOOL, _FORM = range(6)
_ALWAYS_CODED = {"category": CATEGORY_CODES, "grade": GRADE_CODES}
_CODED_IF_GIVEN = {"education": EDUCATION_CODES, "not_working_reason": REASON_CODES}
_SPECIAL = {"town": _TOWN, "status": _STATUS, "hardship": _HARDSHIP, "employment_form": _FORM,
            "new_entrant": _BOOL, "registered_unemployed": _BOOL, "entrepreneurship_intention": _BOOL}
_ABSENT = object()  # a blank status: the row says nothing about it


def _column_value(field: str, value: str, town_names: dict[str, str]) -> Any:
    """What a row's data holds for a cell of `field`, already read as text."""
    table = _ALWAYS_CODED.get(field)
    if table is not None:
        return codes.to_code(value, table)
    table = _CODED_IF_GIVEN.get(field)
    if table is not None:
        return codes.to_code(value, table) if value else ""
    kind = _SPECIAL.get(field, _PLAIN)
    if kind == _PLAIN:
        return value
    if kind == _TOWN:
        return town_names.get(value, value)
    if kind == _FORM:
        return codes.to_code(value, FORM_CODES) if value and value not in ("未就业", "无") else ""  # zh-data
    if kind == _STATUS:
        # A blank status leaves the registry's as it is (a new person is 在册): a ledger
        # without it must not bring the deceased back.
        return codes.to_code(value, STATUS_CODES) if value else _ABSENT
    if kind == _HARDSHIP:
        return [codes.to_code(v, HARDSHIP_CODES) for v in codes.to_list(value) if v not in ("无", "否")]  # zh-data
    return codes.to_bool(value)


def _row_reader(columns: dict[str, int], town_names: dict[str, str],
                village_names: dict[tuple[str, str], str] | None = None, *,
                default_town: str | None = None) -> Callable[[list[Any]], dict[str, Any]]:
    """A function turning a row's cells into the data clean_person_input takes; every row of a
    file without a town column is of `default_town` when one is given.

    Every column but the names, numbers, addresses and phones repeats a handful of values down
    the file (category, grade, town, …): each distinct cell is read once per import, not once
    a row.
    """
    plain = [(field, index) for field, index in columns.items()
             if field not in _ALWAYS_CODED and field not in _CODED_IF_GIVEN and field not in _SPECIAL]
    coded: list[tuple[str, int, dict[str, Any]]] = [
        (field, index, {}) for field, index in columns.items() if (field, index) not in plain]

    def read(cells: list[Any]) -> dict[str, Any]:
        data: dict[str, Any] = {"town": default_town} if default_town else {}
        length = len(cells)
        for field, index in plain:
            data[field] = cell_text(cells[index]) if index < length else ""
        for field, index, seen in coded:
            raw = cells[index] if index < length else None
            if type(raw) is str:  # only text: 1, 1.0 and True are one key but differ as text
                value = seen.get(raw, seen)
                if value is seen:
                    value = seen[raw] = _column_value(field, cell_text(raw), town_names)
            else:
                value = _column_value(field, cell_text(raw), town_names)
            if value is _ABSENT:
                continue
            # A list of its own each row: the caller may change it.
            data[field] = list(value) if type(value) is list else value
        if village_names and data.get("village") and data.get("town"):
            data["village"] = village_names.get((data["town"], data["village"]), data["village"])
        return data

    return read


def _shown(field: str, value: str) -> str:
    """A cell as the error list shows it: numbers masked, as everywhere outside the reveal."""
    if field in ("id_number", "cert_number") and len(value) >= 10:
        return rules.mask_id_number(value[:18]) + value[18:]
    return value


def _new_person() -> Person:
    """A blank unsaved Person, cloned from one built once.

    Model.__init__ sets thirty defaults one by one (~30 µs); for 100,000 rows that is seconds.
    The clone has the same defaults and its own state; `_write` stamps the times.
    """
    person = Person.__new__(Person)
    person.__dict__.update(_BLANK_PERSON.__dict__)
    person._state = ModelState()
    return person


@contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """The cyclic garbage collector paused: an import makes millions of objects that live until
    its end, and the collector, triggered by their number, would go through all of them again
    and again (most of a second per 30,000 rows). Reference counting frees as usual meanwhile;
    cycles are collected once it is back on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def persons_import(*, actor: User, data: bytes, filename: str = "", dry_run: bool = False,
                   progress: Progress = no_progress) -> ImportResult:
    """Validate every row, then write all of them in one transaction, or none."""
    if not has_perm(actor, Perm.PERSON_CREATE):
        raise Forbidden()
    with _without_cyclic_gc():
        return _persons_import(actor=actor, data=data, filename=filename, dry_run=dry_run,
                               progress=progress)


def _persons_import(*, actor: User, data: bytes, filename: str, dry_run: bool,
                    progress: Progress) -> ImportResult:
    # Town staff have one town: their file may leave the town column out (a town it does name
    # must still be theirs, which clean_person_input checks).
    own_town = actor.town_id if actor.role == Role.TOWN_STAFF else None
    required = tuple(f for f in REQUIRED if f != "town") if own_town else REQUIRED
    result, opened = import_start("persons", data=data, filename=filename, dry_run=dry_run,
                                  columns=PERSON_COLUMNS, required=required)
    if opened is None:
        return result
    header_row, rows = opened.header_row, opened.rows
    towns, town_names = _town_lookup()
    # Every village, not only when the file has the column: an updated person keeps theirs,
    # and it is checked again against the town.
    villages, village_names = _village_lookup()
    columns, label = opened.columns, opened.label
    today = timezone.localdate()

    # The rows are read from the file a chunk at a time and go through three passes, so that
    # on PostgreSQL the first new persons are on their way to the database (see _Stream) while
    # the later rows are still read. What is kept across chunks is bounded: the rows themselves
    # are not, new persons streamed are not, and once a row has failed nothing is kept for the
    # write (the file will be rejected), only the first errors of each column.
    first_row_of: dict[str, int] = {}
    id_col = columns["id_number"]
    cert_col = columns.get("cert_number")
    formulas = opened.formulas
    read_row = _row_reader(columns, town_names, village_names,
                           default_town=own_town if "town" not in columns else None)
    stream = _Stream.start() if not dry_run else None
    to_create: list[Pending] = []
    to_update: list[tuple[Person, dict[str, Any]]] = []
    created = updated = 0
    estimate = rows.estimate
    progress(0, estimate)
    row_iter = iter(rows)
    try:
        while True:
            chunk = list(itertools.islice(row_iter, _CHUNK))
            if not chunk:
                break
            result.total += len(chunk)
            # Pass 1: read the rows, normalise their IDs and find duplicates inside the file.
            parsed: list[tuple[int, dict[str, Any], str, str, list[Any]]] = []
            for number, cells in chunk:
                for col in formulas.get(number, ()):
                    result.errors.append(RowError(number, column_label(header_row, col),
                                                  cell_text(cells[col]) if col < len(cells) else "",
                                                  gettext(CELL_FORMULA)))
                raw_id = cells[id_col] if id_col < len(cells) else ""
                if _is_lost_number(raw_id):
                    result.errors.append(RowError(number, label["id_number"], cell_text(raw_id),
                                                  gettext(ID_AS_NUMBER)))
                    continue
                if cert_col is not None and cert_col < len(cells) and _is_lost_number(cells[cert_col]):
                    result.errors.append(RowError(number, label["cert_number"], cell_text(cells[cert_col]),
                                                  gettext(CERT_AS_NUMBER)))
                    continue
                row = read_row(cells)
                number_norm = rules.normalize_id_number(row.get("id_number", ""))
                if number_norm in first_row_of and number_norm:
                    result.errors.append(RowError(number, label["id_number"], rules.mask_id_number(number_norm),
                                                  gettext(ID_TWICE_IN_FILE).format(row=first_row_of[number_norm])))
                    continue
                first_row_of[number_norm] = number
                # The hash finds the person on the registry; the rules check the number in pass 3.
                parsed.append((number, row, number_norm, crypto.lookup_hash(number_norm)
                               if len(number_norm) == 18 else "", cells))

            # Pass 2: which of them are already on the registry.
            existing = {person.id_hash: person for person in
                        filter_in(Person.objects.all(), "id_hash", [h for _r, _d, _n, h, _c in parsed if h])}
            if stream is not None and not result.errors:
                stream.reserve(sum(1 for _r, _d, _n, h, _c in parsed if h not in existing))

            # Pass 3: validate each row with the registry's own rules.
            for number, row, number_norm, id_hash, cells in parsed:
                current = existing.get(id_hash) if id_hash else None
                if current is not None and own_town and current.town_id != own_town:
                    result.errors.append(RowError(number, label["id_number"], rules.mask_id_number(number_norm),
                                                  gettext(PERSON_OTHER_TOWN)))
                    continue
                try:
                    before = person_snapshot(current) if current is not None else None
                    cleaned = clean_person_input(row, actor=actor, current=current, today=today, towns=towns,
                                                 villages=villages)
                except InvalidInput as exc:
                    result.errors.extend(opened.refusals(number, cells, exc.errors, shown=_shown))
                    continue
                if current is None:
                    created += 1
                    if result.errors or dry_run:
                        continue  # rejected, or not to be written: nothing to keep
                    person = _new_person()
                    apply_person_input(person, cleaned, id_hash=id_hash)
                    pair = (cleaned.id_number or "", cleaned.cert_number or "")
                    if stream is not None:
                        stream.add(person, pair)  # on its way to the database; not kept here
                    else:
                        to_create.append(_pending(person, pair))
                else:
                    apply_person_input(current, cleaned, id_hash=id_hash)
                    diff = snapshot_diff(before or {}, person_snapshot(current))
                    if diff:
                        updated += 1
                        if not result.errors and not dry_run:
                            to_update.append((current, diff))
                    else:
                        result.unchanged += 1
            if result.errors:
                to_create, to_update = [], []
            progress(min(result.total, estimate), estimate)

        def write() -> None:
            if stream is not None and stream.started:
                stream.commit(lambda: _write_rest(actor=actor, entries=stream.entries if stream else [],
                                                  to_update=to_update, result=result, filename=filename,
                                                  created=stream.created if stream else []))
            else:
                _write(actor=actor, to_create=to_create, to_update=to_update, result=result,
                       filename=filename)

        return import_finish(result, created=created, updated=updated, write=write,
                             changed_meanwhile=gettext(REGISTRY_CHANGED), progress=progress)
    finally:
        if stream is not None:
            stream.abort()  # a no-op once committed


class _Stream:
    """New persons COPYed from a background thread while the following rows are checked
    (PostgreSQL only).

    Their keys come from the sequence ahead of each chunk, so their audit entries, encoded here
    meanwhile, can name them. The background transaction commits only after every row has
    passed; a rejected file, an error or a killed process leaves nothing. Inside a caller's
    transaction (tests, a service composing the import) the import writes at the end, in that
    transaction; so it does when no row is new.
    """

    def __init__(self) -> None:
        self._ids: Iterator[int] = iter(())
        self._now = timezone.now()
        self._columns, self._values = row_values(Person)
        self._copy: CopyInBackground | None = None
        self.entries: list[AuditItem] = []
        self._audited: list[dict[str, Any]] = []
        # The keys of the new persons, told to hooks.persons_added in the COPY's transaction.
        self.created: list[int] = []

    @classmethod
    def start(cls) -> _Stream | None:
        if not uses_copy() or connection.in_atomic_block:
            return None
        return cls()

    @property
    def started(self) -> bool:
        return self._copy is not None

    def reserve(self, count: int) -> None:
        """Keys for the next `count` new persons (those of the chunk about to be checked)."""
        self._ids = iter(next_ids(Person, count))

    def add(self, person: Person, numbers: tuple[str, str]) -> None:
        if self._copy is None:
            self._copy = CopyInBackground(Person, self._columns)
        person.pk = next(self._ids)
        self.created.append(person.pk)
        person.created_at = person.updated_at = self._now
        self._copy.write(self._values(person))
        self._audited.append({"id": person.pk, "after": person_snapshot(
            person, id_number=numbers[0], cert_number=numbers[1], comparable=False)})
        if len(self._audited) >= AUDIT_BATCH:
            self._audit_batch()

    def _audit_batch(self) -> None:
        # Encoded here, while the database is busy with the rows, instead of at the end.
        self.entries.append(_audit_entry(AuditAction.PERSON_CREATE, "导入登记人员", self._audited))  # zh-data
        self._audited = []

    def commit(self, then: Callable[[], None]) -> None:
        assert self._copy is not None
        if self._audited:
            self._audit_batch()
        self._copy.commit(then)

    def abort(self) -> None:
        if self._copy is not None:
            self._copy.abort()


# Persons an audit entry of an import: each entry lists every one of them with what was
# written (the masked snapshot of a new person, the masked diff of an updated one). An entry a
# person cost the database more than storing the persons themselves.
AUDIT_BATCH = 100


def _audit_entry(action: AuditAction, verb: str, persons: list[dict[str, Any]]) -> AuditItem:
    first, last = persons[0]["id"], persons[-1]["id"]
    span = f"#{first}" if len(persons) == 1 else f"#{first} … #{last}"
    # Person snapshots and their diffs: string keys and plain values, encoded without the walk
    # that checks an arbitrary entry.
    return AuditItem(action=action, object_type="people.person",  # zh-data
                object_id=first if len(persons) == 1 else "",
                summary=f"{verb} {len(persons)} 人（{span}）",
                changes=audit_prepare_changes({"persons": persons}, plain=True))


def _write_rest(*, actor: User, entries: list[AuditItem],
                to_update: list[tuple[Person, dict[str, Any]]], result: ImportResult,
                filename: str, created: list[int] | None = None) -> None:
    """After the new persons (in their transaction): the updates and every audit entry; the
    new persons `created` (streamed, not yet told to hooks.persons_added) are told first."""
    if created:
        hooks.persons_added(created)
    now = timezone.now()
    ids = [p.pk for p, _d in to_update]
    for start in range(0, len(ids), 1000):
        list(Person.objects.select_for_update().filter(pk__in=ids[start:start + 1000])
             .values_list("pk", flat=True))
    for person, _diff in to_update:
        person.updated_at = now
    Person.objects.bulk_update([p for p, _d in to_update], UPDATE_FIELDS, batch_size=1000)
    hooks.person_moved({p.pk: p.town_id for p, diff in to_update if "town" in diff})
    # New persons have no survey or training yet: only the updated ones can change a figure.
    hooks.outcomes_changed(ids)
    updated = [{"id": p.pk, "diff": diff} for p, diff in to_update]
    entries = entries + [  # zh-data
        _audit_entry(AuditAction.PERSON_UPDATE, "导入修改人员", updated[start:start + AUDIT_BATCH])
        for start in range(0, len(updated), AUDIT_BATCH)]
    audit_record_many(actor=actor, entries=entries)
    audit_record(actor=actor, action=AuditAction.IMPORT_PERSONS, summary=f"导入人员：{result.summary()}",  # zh-data
                 changes={"file": filename[:100], "created": result.created,
                          "updated": result.updated, "unchanged": result.unchanged})


_BLANK_PERSON = Person()
# Rows a chunk: one query finds which of them are on the registry.
_CHUNK = 2000

UPDATE_FIELDS = [
    "name", "name_pinyin", "name_initials", "id_number_enc", "id_hash", "id_tail",
    "cert_number_enc", "cert_hash", "gender", "birth_date", "category", "grade", "town",
    "village", "address", "phone", "education", "hardship_dibao", "hardship_tekun",
    "hardship_poverty_monitoring", "employment_form", "not_working_reason", "new_entrant",
    "registered_unemployed", "entrepreneurship_intention", "status", "updated_at",
]


# A new person waiting for the write where it is not streamed (SQLite; inside a caller's
# transaction): its field values as a tuple, with its plain ID and certificate numbers, about
# half the memory of the model instance; rebuilt a batch at a time when written.
_ATTNAMES = [f.attname for f in Person._meta.concrete_fields]
_person_values = operator.attrgetter(*_ATTNAMES)
Pending = tuple[tuple[Any, ...], tuple[str, str]]


def _pending(person: Person, numbers: tuple[str, str]) -> Pending:
    return _person_values(person), numbers


def _rebuilt(values: tuple[Any, ...]) -> Person:
    person = _new_person()
    person.__dict__.update(zip(_ATTNAMES, values))
    return person


def _write(*, actor: User, to_create: list[Pending], to_update: list[tuple[Person, dict[str, Any]]],
           result: ImportResult, filename: str) -> None:
    """Write everything in one transaction, the new persons a batch at a time, each batch
    audited as it is written (the snapshots from the plain numbers kept with them, so that
    nothing needs decrypting, and no batch outlives its write)."""
    now = timezone.now()
    with transaction.atomic():
        for start in range(0, len(to_create), _CHUNK):
            pending = to_create[start:start + _CHUNK]
            batch = [_rebuilt(values) for values, _numbers in pending]
            for person in batch:
                person.created_at = person.updated_at = now
            insert_many(Person, batch)
            if batch and batch[0].pk is None:
                # SQLite before 3.35 and some backends do not return keys; fetch them by hash.
                by_hash = dict(Person.objects.filter(id_hash__in=[p.id_hash for p in batch])
                               .values_list("id_hash", "pk"))
                for person in batch:
                    person.pk = by_hash[person.id_hash]
            hooks.persons_added(p.pk for p in batch)
            created = [{"id": p.pk, "after": person_snapshot(p, id_number=numbers[0], cert_number=numbers[1],
                                                             comparable=False)}
                       for p, (_values, numbers) in zip(batch, pending)]
            # Audited with their batch (the same chain, in the same transaction): the entries
            # of every new person are never held at once.
            audit_record_many(actor=actor, entries=[  # zh-data
                _audit_entry(AuditAction.PERSON_CREATE, "导入登记人员", created[at:at + AUDIT_BATCH])
                for at in range(0, len(created), AUDIT_BATCH)])
        _write_rest(actor=actor, entries=[], to_update=to_update, result=result, filename=filename)


# Registered by PeopleConfig.ready(); the surveys' spec is in people/surveys/imports.py.
REGISTRY_UPDATE_HELP = _("名册中已有的人员（同一身份证号）会被更新；同一文件导入两次，第二次不会有变化。")
# The template file's drop-downs and example row: what the importer reads back, in Chinese.
YES_NO = ("是", "否")  # zh-data
NOT_EMPLOYED = "未就业"  # zh-data
PERSON_EXAMPLE = {  # zh-data
    "name": "张三", "id_number": "350582199003071019", "cert_number": "35058219900307101944",
    "category": "肢体残疾", "grade": "四级", "town": "安海镇", "village": "", "address": "安海镇某村 12 号",
    "phone": "13800000000", "education": "初中", "hardship": "低保", "employment_form": "灵活就业（社区、居家就业）",
    "not_working_reason": "", "new_entrant": "否", "registered_unemployed": "否",
    "entrepreneurship_intention": "是", "status": "在册",
}


def _template_choices() -> dict[str, list[str]]:
    """The drop-downs of the persons template: the labels the importer reads back."""
    towns = Region.objects.filter(level=Region.Level.TOWN).order_by("code").values_list("name", flat=True)
    return {"category": [str(label) for _c, label in rules.Category.choices],
            "grade": [str(label) for _c, label in rules.Grade.choices],
            "town": list(towns), "education": [str(label) for _c, label in rules.Education.choices],
            "employment_form": [str(label) for _c, label in rules.EmploymentForm.choices] + [NOT_EMPLOYED],
            "not_working_reason": [str(label) for _c, label in rules.NotWorkingReason.choices],
            "status": [str(label) for _c, label in rules.PersonStatus.choices],
            "new_entrant": list(YES_NO), "registered_unemployed": list(YES_NO),
            "entrepreneurship_intention": list(YES_NO)}


# The label is translated where the upload page shows it; the template file keeps it.
IMPORTS = (  # zh-msgid
    ImportSpec(kind="persons", label="人员名册", permissions=(Perm.IMPORT_RUN, Perm.PERSON_CREATE),
               columns=PERSON_COLUMNS, run=persons_import, help=(REGISTRY_UPDATE_HELP,),
               required=REQUIRED, choices=_template_choices, example=PERSON_EXAMPLE),
)
