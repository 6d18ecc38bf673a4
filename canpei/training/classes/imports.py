"""Importing the training spreadsheets institutions keep: a class's roster and attendance sheet
(花名册/考勤表, `canpei import enrollments`) and the certificates its trainees earned
(`canpei import certificates`).

Unlike the registry imports, these rows are few (a class has tens of trainees) and every one is
bound by the class's lifecycle rules, so each row goes through the same service the pages and the
API call (enrollment_add, session_record, enrollment_update), all inside one transaction. A row
the service refuses becomes a row error; at the end, any error (or a dry run) rolls the whole
transaction back, so the database holds every row of the file or none.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from collections.abc import Callable, Sequence

from django.db import transaction

from canpei.accounts.models import User
from canpei.accounts.roles import Perm, Role, has_perm
from canpei.audit.actions import AuditAction
from canpei.audit.services import audit_record
from canpei.codes import TrainingLevel
from canpei.errors import Conflict, Forbidden, ServiceError
from canpei.errors import Message as _
from canpei.people import crypto
from canpei.people import rules as person_rules
from canpei.people.models import Person
from canpei.people.selectors import persons_visible_to
from canpei.spreadsheets import codes
from canpei.spreadsheets.importing import (
    ImportResult, OpenedSheet, Progress, RowError, column_label, no_progress, open_for_import,
)
from canpei.spreadsheets.reader import (
    CELL_FORMULA, DATE_INVALID, EXCEL_EPOCH, cell_date, cell_text,
)
from canpei.spreadsheets.registry import ImportSpec
from canpei.training import rules
from canpei.training.classes import selectors
from canpei.training.models import (
    AppraisalResult, CertificateType, Enrollment, EnrollmentStatus, TrainingClass,
)
from canpei.training.classes.selectors import classes_visible_to, enrollments_visible_to
from canpei.training.classes.services.roster import (
    enrollment_add, enrollment_snapshot, enrollment_update, session_record,
)

# ---- messages (tests assert against these) -------------------------------------------------------

CLASS_CODE_REQUIRED = _("请填写班级编号")
CLASS_NOT_FOUND = _("未找到该班级编号对应的培训班")
PERSON_NOT_FOUND = _("未在残疾人名册中找到该身份证号")
NAME_REQUIRED = _("请填写姓名")
NAME_MISMATCH = _("姓名与残疾人名册不一致（名册为 {name}）")
# To an institution, for a person not yet on the row's class: an unregistered number, an inactive
# person and a name that differs answer alike, and the registry's name is not shown (issue 8).
PERSON_NOT_MATCHED = _("未在残疾人名册中找到身份证号与姓名相符的人员")
ROW_TWICE_IN_FILE = _("与第 {row} 行是同一班级的同一学员")
NOT_ON_ROSTER = _("该学员不在本班花名册中")
WITHDRAW_NOT_ON_ROSTER = _("该学员不在本班花名册中，不能登记退学")
WITHDRAWN_NO_ATTENDANCE = _("学员已退学，不能登记考勤")
STATUS_LABEL_INVALID = _("状态须为在训、退学、结业或未结业")
SESSION_HOURS_UNKNOWN = _("无法确定 {date} 的本次课时，请在表头的日期后注明，如「{date}（4学时）」")
DATE_COLUMN_TWICE = _("考勤日期列重复：{date}")
DATE_COLUMN_INVALID = _("表头的考勤日期无效：{value}")
CERTIFICATE_NUMBER_TWICE_IN_FILE = _("证书编号与第 {row} 行重复")

# ---- columns, as federations and institutions write them -----------------------------------------

# Header synonyms a clerk's sheet may use, and the words the code lookups accept: data.
# A trainee, as this sheet and the employment follow-up sheet name one.
TRAINEE_COLUMNS: dict[str, tuple[str, ...]] = {  # zh-data
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "身份证", "证件号码"),
    "name": ("姓名", "学员姓名"),
}
_IDENTITY_COLUMNS: dict[str, tuple[str, ...]] = {  # zh-data
    "class_code": ("班级编号", "班级代码", "培训班编号", "培训班代码", "班级号", "开班编号"),
    **TRAINEE_COLUMNS,
}
ENROLLMENT_COLUMNS: dict[str, tuple[str, ...]] = {  # zh-data
    **_IDENTITY_COLUMNS,
    "attended_hours": ("出勤学时", "出勤课时", "实际出勤学时", "累计出勤学时", "出勤学时合计",
                       "合计学时", "出勤时数"),
    "status": ("状态", "学员状态", "在训状态"),
    "withdraw_reason": ("退学原因", "退训原因"),
}
CERTIFICATE_COLUMNS: dict[str, tuple[str, ...]] = {  # zh-data
    **_IDENTITY_COLUMNS,
    "certificate_type": ("证书类型", "证书种类", "证书名称"),
    "certificate_level": ("证书等级", "技能等级", "职业资格等级", "等级"),
    "certificate_number": ("证书编号", "证书号", "证书号码"),
    "certificate_date": ("发证日期", "发证时间", "取证日期", "证书日期"),
    "certificate_issuer": ("发证机构", "发证单位", "发证部门"),
    "appraisal_result": ("鉴定结果", "鉴定成绩", "考核结果"),
}
IDENTITY = ("class_code", "id_number", "name")
CERTIFICATE_REQUIRED = (*IDENTITY, "certificate_type", "certificate_number", "certificate_date",
                        "certificate_issuer")

STATUS_CODES = codes.code_lookup(EnrollmentStatus.choices, ("enrolled", "在读"),  # zh-data
                                 ("withdrawn", "退训"), ("withdrawn", "中途退学"),
                                 ("completed", "已结业"), ("failed", "不合格"))
CERTIFICATE_TYPE_CODES = codes.code_lookup(  # zh-data
    CertificateType.choices, ("vocational_qualification", "职业资格证"),
    ("skill_level", "技能等级证书"), ("special_ability", "专项能力证书"),
    ("training", "培训合格证书"), ("training", "结业证书"))
# The national skill levels are also written as 五级 (初级工) … 二级 (技师).
LEVEL_CODES = codes.code_lookup(TrainingLevel.choices, ("special", "专项"), ("junior", "五级"),  # zh-data
                                ("junior", "初级工"), ("intermediate", "四级"),
                                ("intermediate", "中级工"), ("senior", "三级"), ("senior", "高级工"),
                                ("technician", "二级"))
APPRAISAL_CODES = codes.code_lookup(AppraisalResult.choices, ("passed", "合格"),  # zh-data
                                    ("passed", "通过"), ("failed", "不合格"),
                                    ("failed", "未通过"), ("absent", "缺席"))


class _Rollback(Exception):
    """Raised at the end of a rejected or dry-run import to undo everything the services wrote."""


@dataclass
class _Row:
    number: int
    cells: list[Any]
    training_class: TrainingClass
    person: Person
    enrollment: Enrollment | None
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _SessionColumn:
    """A header holding a session date (2026-03-02, an Excel date, 2026-03-02 上午（4学时）): the
    cells below it are the hours each trainee attended that session."""

    index: int
    label: str
    date: dt.date
    topic: str
    hours: Decimal | None


class _Importer:
    """What both imports share: the file, its rows identified (class, person, enrolment), and the
    translation of service refusals into row errors."""

    def __init__(self, *, kind: str, actor: User, data: bytes, filename: str, dry_run: bool,
                 progress: Progress, columns: dict[str, tuple[str, ...]],
                 required: Sequence[str]) -> None:
        self.kind, self.actor, self.filename, self.progress = kind, actor, filename, progress
        self.columns_spec = columns
        self.result = ImportResult(kind=kind, dry_run=dry_run)
        self.opened: OpenedSheet | None = open_for_import(
            self.result, data=data, filename=filename, columns=columns, required=required)
        self.formulas: dict[int, set[int]] = {}
        if self.opened is not None:
            for row_no, col in self.opened.sheet.formula_cells:
                self.formulas.setdefault(row_no, set()).add(col)
        # Row numbers whose enrolment the import created, and those it changed in any way.
        self.created_rows: set[int] = set()
        self.changed: set[int] = set()

    @classmethod
    def start(cls, kind: str, *, actor: User, data: bytes, filename: str, dry_run: bool,
              progress: Progress) -> _Importer:
        """The import of `kind` by `actor` with its sheet opened (`opened` is None when the file
        could not be read, and the result says why). Only who edits rosters imports them."""
        if not has_perm(actor, Perm.ROSTER_EDIT):
            raise Forbidden()
        columns, required = _SHEETS[kind]
        return cls(kind=kind, actor=actor, data=data, filename=filename, dry_run=dry_run,
                   progress=progress, columns=columns, required=required)

    # -- cells and errors

    def label(self, name: str) -> str:
        assert self.opened is not None
        return self.opened.label.get(name) or self.columns_spec.get(name, (name,))[0]

    def cell(self, cells: list[Any], name: str) -> Any:
        assert self.opened is not None
        index = self.opened.columns.get(name)
        return cells[index] if index is not None and index < len(cells) else None

    def error(self, row: int, column: str, value: Any, message: str) -> None:
        self.result.errors.append(RowError(row, column, "" if value is None else str(value), message))

    def service_error(self, row: _Row, exc: ServiceError, fields: dict[str, str],
                      fallback: str = "", whole_row: bool = False) -> None:
        """A service's refusal as row errors, each under the column its field came from (or, for
        a refusal about the row as a whole, under none)."""
        seen: set[tuple[str, str]] = set()
        for name, message in exc.errors or [("", exc.message)]:
            column_name = fields.get(name, name)
            if column_name in self.columns_spec and not whole_row:
                # A column the file lacks is named as the import knows it (退学原因).
                column = self.label(column_name)
                value = cell_text(self.cell(row.cells, column_name))
            else:
                column, value = fallback, ""
            if name == "id_number" or column_name == "id_number":
                value = row.person.id_number_masked
            if (column, message) not in seen:
                seen.add((column, message))
                self.error(row.number, column, value, message)

    # -- rows

    def identify(self) -> list[_Row]:
        """Each row's class (in the actor's scope), person (on the registry, by full ID number)
        and existing enrolment; rows that cannot be identified, or repeat one, are errors."""
        assert self.opened is not None
        parsed: list[tuple[int, list[Any], str, str, str]] = []
        for number, cells in self.opened.rows:
            bad = False
            for col in sorted(self.formulas.get(number, ())):
                self.error(number, column_label(self.opened.header_row, col), "", CELL_FORMULA)
                bad = True
            code = re.sub(r"\s+", "", cell_text(self.cell(cells, "class_code"))).upper()
            id_number = person_rules.normalize_id_number(cell_text(self.cell(cells, "id_number")))
            name = re.sub(r"\s+", "", cell_text(self.cell(cells, "name")))
            if not code:
                self.error(number, self.label("class_code"), "", CLASS_CODE_REQUIRED)
                bad = True
            message = person_rules.id_number_error(id_number)
            if message:
                shown = (person_rules.mask_id_number(id_number) if len(id_number) >= 10
                         else id_number)
                self.error(number, self.label("id_number"), shown, message)
                bad = True
            if not name:
                self.error(number, self.label("name"), "", NAME_REQUIRED)
                bad = True
            if not bad:
                parsed.append((number, cells, code, id_number, name))

        classes = {c.code: c for c in classes_visible_to(self.actor)
                   .filter(code__in={code for _n, _c, code, _i, _m in parsed})
                   .select_related("institution")}
        hashes = {crypto.lookup_hash(i) for _n, _c, _code, i, _m in parsed}
        persons: dict[str, Person] = {}
        hash_list = sorted(hashes)
        for start in range(0, len(hash_list), 1000):
            for person in _persons_base(self.actor).filter(id_hash__in=hash_list[start:start + 1000]):
                persons[person.id_hash] = person
        if hashes and getattr(self.actor, "role", None) == Role.INSTITUTION_STAFF:
            # An institution cannot browse the registry: a sheet of ID numbers is a batch of
            # lookups (whether each is a registered disabled person), and is audited as
            # persons/lookup is, whether or not the import is then written.
            with transaction.atomic():
                audit_record(actor=self.actor, action=AuditAction.PERSON_LOOKUP,  # zh-data
                             summary=f"导入时按身份证号查找 {len(hashes)} 人，找到 {len(persons)} 人",
                             changes={"file": self.filename[:100], "searched": len(hashes),
                                      "found": sorted(p.pk for p in persons.values())})
        enrollments = {(e.training_class_id, e.person_id): e for e in enrollments_visible_to(
            self.actor).filter(training_class__in=[c.pk for c in classes.values()],
                               person__in=[p.pk for p in persons.values()])}

        rows: list[_Row] = []
        seen: dict[tuple[int, int], int] = {}
        for number, cells, code, id_number, name in parsed:
            training_class = classes.get(code)
            if training_class is None:
                # Out of scope reads as absent, as everywhere else.
                self.error(number, self.label("class_code"), code, CLASS_NOT_FOUND)
                continue
            person = persons.get(crypto.lookup_hash(id_number))
            if (person is not None and rules.hides_reasons(self.actor)
                    and (training_class.pk, person.pk) not in enrollments
                    and (person.status != person_rules.PersonStatus.ACTIVE
                         or name != person.name.replace(" ", ""))):
                # A sheet of numbers is not a way round persons/lookup: only a number and name
                # that both match an active person find them.
                self.error(number, self.label("id_number"),
                           person_rules.mask_id_number(id_number), PERSON_NOT_MATCHED)
                continue
            if person is None and rules.hides_reasons(self.actor):
                self.error(number, self.label("id_number"),
                           person_rules.mask_id_number(id_number), PERSON_NOT_MATCHED)
                continue
            if person is None:
                self.error(number, self.label("id_number"),
                           person_rules.mask_id_number(id_number), PERSON_NOT_FOUND)
                continue
            if name != person.name.replace(" ", ""):
                self.error(number, self.label("name"), name, NAME_MISMATCH.format(name=person.name))
                continue
            key = (training_class.pk, person.pk)
            if key in seen:
                self.error(number, self.label("id_number"), person.id_number_masked,
                           ROW_TWICE_IN_FILE.format(row=seen[key]))
                continue
            seen[key] = number
            rows.append(_Row(number, cells, training_class, person, enrollments.get(key)))
        return rows

    # -- the transaction

    def run(self, write: Callable[[list[_Row]], None], rows: list[_Row]) -> ImportResult:
        """Apply `write` in one transaction, kept only when no row failed and this is no dry run."""
        result = self.result
        try:
            with transaction.atomic():
                write(rows)
                if not result.errors and not result.dry_run:
                    audit_record(actor=self.actor, action=AuditAction(f"import.{self.kind}"),  # zh-data
                                 summary=f"导入{_KIND_TITLES[self.kind]}：{result.summary()}",
                                 changes={"file": self.filename[:100], "created": result.created,
                                          "updated": result.updated,
                                          "unchanged": result.unchanged})
                else:
                    raise _Rollback()
        except _Rollback:
            pass
        if result.errors:
            result.errors.sort(key=lambda e: e.row)
            result.created = result.updated = result.unchanged = 0
        return result


# How the audit summary names each kind (a record, kept in Chinese).
_KIND_TITLES = {"enrollments": "花名册/考勤", "certificates": "证书"}  # zh-data
# Each kind's columns and those a sheet cannot do without.
_SHEETS: dict[str, tuple[dict[str, tuple[str, ...]], Sequence[str]]] = {
    "enrollments": (ENROLLMENT_COLUMNS, IDENTITY),
    "certificates": (CERTIFICATE_COLUMNS, CERTIFICATE_REQUIRED),
}


def _persons_base(actor: User) -> Any:
    # The same reach as an exact lookup by full ID number (people.services.person_lookup): town
    # staff within their town, the institution and the city by the number itself.
    if actor.role == Role.TOWN_STAFF:
        return persons_visible_to(actor)
    return Person.objects.all()


def _decimal(value: Any) -> Decimal | None:
    """Hours in a cell: None when blank; raises ValueError when not a number of hours."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError
    text = cell_text(value)
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        raise ValueError from None
    if not number.is_finite() or number < 0 or number != round(number, 1):
        raise ValueError
    return number.quantize(Decimal("0.1"))


# ---- the roster and attendance sheet ---------------------------------------------------------------

# How a clerk writes a date and its hours in a column header (data, not a message).
_HEADER_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(.*)$")  # zh-data
_HEADER_HOURS_BRACKETED = re.compile(r"[（(]\s*(\d+(?:\.\d+)?)\s*(?:学时|课时|小时|h)?\s*[）)]",  # zh-data
                                     re.IGNORECASE)
_HEADER_HOURS_UNIT = re.compile(r"(\d+(?:\.\d+)?)\s*(?:学时|课时|小时)")  # zh-data
# Excel serials of 2000-01-01 .. 2100-12-31: a header number in this range is a date whose cell
# lost its format.
_SERIAL_RANGE = (36526, 73415)


def _session_columns(importer: _Importer) -> list[_SessionColumn]:
    assert importer.opened is not None
    taken = set(importer.opened.columns.values())
    found: list[_SessionColumn] = []
    seen: dict[tuple[dt.date, str], str] = {}
    for index, raw in enumerate(importer.opened.header_row):
        if index in taken or raw is None or raw == "":
            continue
        label = column_label(importer.opened.header_row, index)
        day: dt.date | None = None
        topic, hours = "", None
        if isinstance(raw, dt.datetime):
            day = raw.date()
        elif isinstance(raw, dt.date):
            day = raw
        elif isinstance(raw, (int, float)) and not isinstance(raw, bool):
            if _SERIAL_RANGE[0] <= raw <= _SERIAL_RANGE[1] and float(raw).is_integer():
                day = EXCEL_EPOCH + dt.timedelta(days=int(raw))
        else:
            text = unicodedata.normalize("NFKC", str(raw)).strip()
            match = _HEADER_DATE.match(text)
            if match is None:
                continue  # a column the import does not read (序号, 备注 …)
            try:
                day = dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            except ValueError:
                importer.error(0, label, "", DATE_COLUMN_INVALID.format(value=label))
                continue
            rest = match.group(4)
            declared = (_HEADER_HOURS_BRACKETED.search(rest) or _HEADER_HOURS_UNIT.search(rest))
            if declared is not None:
                hours = Decimal(declared.group(1))
                rest = rest[:declared.start()] + rest[declared.end():]
            topic = re.sub(r"\s+", " ", rest).strip(" -_:：·")
        if day is None:
            continue
        key = (day, topic)
        if key in seen:
            importer.error(0, label, "", DATE_COLUMN_TWICE.format(
                date=day.isoformat() + (f" {topic}" if topic else "")))
            continue
        seen[key] = label
        found.append(_SessionColumn(index, label, day, topic, hours))
    return found


def enrollments_import(*, actor: User, data: bytes, filename: str = "", dry_run: bool = False,
                       progress: Progress = no_progress) -> ImportResult:
    """A roster/attendance sheet: persons not yet on a draft or returned class's roster are
    enrolled; hours per dated session go into the register (session_record), a total into the
    trainee's attended hours where the class keeps no register; a status (退学 with its reason,
    结业, 未结业) is recorded. Rows already as the database has them change nothing."""
    importer = _Importer.start("enrollments", actor=actor, data=data, filename=filename,
                               dry_run=dry_run, progress=progress)
    if importer.opened is None:
        return importer.result
    sessions = _session_columns(importer)
    rows = importer.identify()
    total = len(importer.opened.rows)
    progress(total // 4, total)
    for row in rows:
        _parse_enrollment_row(importer, row, sessions)
    return importer.run(lambda good: _write_enrollments(importer, good, sessions), rows)


def _parse_enrollment_row(importer: _Importer, row: _Row, sessions: list[_SessionColumn]) -> None:
    values = row.values
    status_raw = cell_text(importer.cell(row.cells, "status"))
    if status_raw:
        status = codes.to_code(status_raw, STATUS_CODES)
        if status not in EnrollmentStatus.values:
            importer.error(row.number, importer.label("status"), status_raw, STATUS_LABEL_INVALID)
            values["bad"] = True
        else:
            values["status"] = status
    values["withdraw_reason"] = cell_text(importer.cell(row.cells, "withdraw_reason"))
    try:
        values["attended_hours"] = _decimal(importer.cell(row.cells, "attended_hours"))
    except ValueError:
        importer.error(row.number, importer.label("attended_hours"),
                       cell_text(importer.cell(row.cells, "attended_hours")),
                       rules.HOURS_VALUE_INVALID)
        values["bad"] = True
    hours: dict[_SessionColumn, Decimal] = {}
    for column in sessions:
        raw = row.cells[column.index] if column.index < len(row.cells) else None
        try:
            amount = _decimal(raw)
        except ValueError:
            importer.error(row.number, column.label, cell_text(raw), rules.HOURS_VALUE_INVALID)
            values["bad"] = True
            continue
        if amount is not None:
            hours[column] = amount
    values["sessions"] = hours


def _write_enrollments(importer: _Importer, rows: list[_Row], sessions: list[_SessionColumn]) -> None:
    by_class: dict[int, list[_Row]] = {}
    for row in rows:
        if not row.values.get("bad"):
            by_class.setdefault(row.training_class.pk, []).append(row)
    done = len(rows) // 4
    total = len(importer.result.rows)
    for class_rows in by_class.values():
        _enrol(importer, class_rows)
        _register(importer, class_rows, sessions)
        _totals_and_status(importer, class_rows)
        done += len(class_rows)
        importer.progress(min(done, total), total)
    result = importer.result
    result.updated = len(importer.changed - importer.created_rows)
    result.unchanged = result.total - result.created - result.updated


_ROSTER_FIELDS = {"person": "id_number", "capacity": "id_number", "roster": "id_number"}


def _enrol(importer: _Importer, rows: list[_Row]) -> None:
    for row in rows:
        enrollment = row.enrollment
        wanted = row.values.get("status")
        if enrollment is not None and (enrollment.status != EnrollmentStatus.WITHDRAWN
                                       or wanted not in (None, EnrollmentStatus.ENROLLED)
                                       or row.training_class.state not in rules.ROSTER_OPEN_STATES):
            continue
        if enrollment is None and wanted == EnrollmentStatus.WITHDRAWN:
            importer.error(row.number, importer.label("status"),
                           cell_text(importer.cell(row.cells, "status")), WITHDRAW_NOT_ON_ROSTER)
            row.values["bad"] = True
            continue
        try:
            row.enrollment = enrollment_add(actor=importer.actor, training_class=row.training_class,
                                            person=row.person.id_number)
        except ServiceError as exc:
            importer.service_error(row, exc, _ROSTER_FIELDS)
            row.values["bad"] = True
            continue
        if enrollment is None:
            importer.result.created += 1
            importer.created_rows.add(row.number)
        importer.changed.add(row.number)


def _register(importer: _Importer, rows: list[_Row], sessions: list[_SessionColumn]) -> None:
    """One session_record per dated column this class's rows fill in, only where a value differs
    from the register (so a second import of the same sheet records nothing)."""
    live = [r for r in rows if not r.values.get("bad") and r.enrollment is not None]
    if not live or not any(r.values["sessions"] for r in live):
        return
    training_class = live[0].training_class
    actor = importer.actor
    stored = {(s.date, s.topic): s for s in
              selectors.sessions(user=actor, training_class=training_class)}
    register = selectors.register(user=actor, training_class=training_class)
    roster = {e.pk: e for e in selectors.roster(user=actor, training_class=training_class)}
    for column in sessions:
        given = [(r, r.values["sessions"][column]) for r in live if column in r.values["sessions"]]
        if not given:
            continue
        session = stored.get((column.date, column.topic))
        current = {pk: register.get((session.pk, pk), Decimal("0")) if session else Decimal("0")
                   for pk, e in roster.items() if e.status != EnrollmentStatus.WITHDRAWN}
        attendance = dict(current)
        differing: list[_Row] = []
        for row, amount in given:
            assert row.enrollment is not None
            pk = row.enrollment.pk
            had = (register.get((session.pk, pk), Decimal("0")) if session else None)
            if had is not None and had == amount:
                continue
            if roster.get(pk) is not None and roster[pk].status == EnrollmentStatus.WITHDRAWN:
                importer.error(row.number, column.label, str(amount), WITHDRAWN_NO_ATTENDANCE)
                continue
            attendance[pk] = amount
            differing.append(row)
        hours = column.hours if column.hours is not None else (session.hours if session else None)
        if session is not None and not differing:
            if hours == session.hours:
                continue
            differing = [r for r, _a in given]  # only the session's hours are corrected
        if hours is None:
            hours = max(amount for _r, amount in given)
            if hours <= 0:
                for row, _amount in given:
                    importer.error(row.number, column.label, "", SESSION_HOURS_UNKNOWN.format(
                        date=column.date.isoformat()))
                continue
        by_pk = {r.enrollment.pk: r for r, _a in given if r.enrollment is not None}
        try:
            session_record(actor=actor, training_class=training_class, date=column.date,
                           hours=hours, topic=column.topic, attendance=attendance)
        except ServiceError as exc:
            for name, message in exc.errors or [("", exc.message)]:
                pk_text = name.removeprefix("attendance.")
                if name.startswith("attendance.") and pk_text.isdigit() and int(pk_text) in by_pk:
                    row = by_pk[int(pk_text)]
                    importer.error(row.number, column.label,
                                   str(row.values["sessions"][column]), message)
                else:
                    # The session as a whole (its date, its hours, the class's state): every row
                    # that filled the column is told.
                    for row, amount in given:
                        importer.error(row.number, column.label, str(amount), message)
            for row in differing:
                row.values["bad"] = True
            continue
        importer.changed.update(r.number for r in differing)


def _totals_and_status(importer: _Importer, rows: list[_Row]) -> None:
    for row in rows:
        if row.values.get("bad") or row.enrollment is None:
            continue
        row.enrollment.refresh_from_db()
        enrollment = row.enrollment
        hours = row.values.get("attended_hours")
        if hours is not None and hours != enrollment.attended_hours:
            try:
                enrollment_update(actor=importer.actor, enrollment=enrollment,
                                  data={"attended_hours": hours})
            except ServiceError as exc:
                importer.service_error(row, exc, {})
                continue
            importer.changed.add(row.number)
        status = row.values.get("status")
        if status and status != enrollment.status:
            data = {"status": status}
            if status == EnrollmentStatus.WITHDRAWN:
                data["withdraw_reason"] = row.values.get("withdraw_reason", "")
            try:
                enrollment_update(actor=importer.actor, enrollment=enrollment, data=data)
            except ServiceError as exc:
                importer.service_error(row, exc, {})
                continue
            importer.changed.add(row.number)


# ---- certificates ---------------------------------------------------------------------------------

def certificates_import(*, actor: User, data: bytes, filename: str = "", dry_run: bool = False,
                        progress: Progress = no_progress) -> ImportResult:
    """Certificates of trainees who completed a class declared complete (or later), through
    enrollment_update's certificate rules."""
    importer = _Importer.start("certificates", actor=actor, data=data, filename=filename,
                               dry_run=dry_run, progress=progress)
    if importer.opened is None:
        return importer.result
    rows = importer.identify()
    numbers: dict[tuple[str, str], int] = {}
    for row in rows:
        _parse_certificate_row(importer, row, numbers)
    total = len(importer.opened.rows)
    progress(total // 4, total)

    def write(good: list[_Row]) -> None:
        for done, row in enumerate(good, start=1):
            if row.values.get("bad"):
                continue
            if row.enrollment is None:
                importer.error(row.number, importer.label("id_number"),
                               row.person.id_number_masked, NOT_ON_ROSTER)
                continue
            before = enrollment_snapshot(row.enrollment)
            try:
                saved = enrollment_update(actor=actor, enrollment=row.enrollment,
                                          data=row.values["data"])
            except ServiceError as exc:
                # A Conflict is the class's state or the trainee's, not one cell's fault.
                importer.service_error(row, exc, {}, whole_row=isinstance(exc, Conflict))
                continue
            if enrollment_snapshot(saved) != before:
                importer.result.updated += 1
            else:
                importer.result.unchanged += 1
            if done % 50 == 0:
                progress(total // 4 + done * 3 // 4, total)
        progress(total, total)

    return importer.run(write, rows)


def _parse_certificate_row(importer: _Importer, row: _Row,
                           numbers: dict[tuple[str, str], int]) -> None:
    data: dict[str, Any] = {}
    for name, table in (("certificate_type", CERTIFICATE_TYPE_CODES),
                        ("certificate_level", LEVEL_CODES), ("appraisal_result", APPRAISAL_CODES)):
        assert importer.opened is not None
        if name in importer.opened.columns:
            value = cell_text(importer.cell(row.cells, name))
            data[name] = codes.to_code(value, table) if value else ""
    data["certificate_number"] = cell_text(importer.cell(row.cells, "certificate_number"))
    data["certificate_issuer"] = cell_text(importer.cell(row.cells, "certificate_issuer"))
    raw_date = importer.cell(row.cells, "certificate_date")
    try:
        data["certificate_date"] = cell_date(raw_date)
    except ValueError:
        importer.error(row.number, importer.label("certificate_date"), cell_text(raw_date),
                       DATE_INVALID)
        row.values["bad"] = True
    number = data["certificate_number"]
    if number:
        key = (str(data.get("certificate_type", "")), number)
        if key in numbers:
            importer.error(row.number, importer.label("certificate_number"), number,
                           CERTIFICATE_NUMBER_TWICE_IN_FILE.format(row=numbers[key]))
            row.values["bad"] = True
        else:
            numbers[key] = row.number
    row.values["data"] = data


# The upload page's help on the two training sheets, shown once when either may be run.
TRAINING_IMPORT_HELP = (
    _("培训班花名册/考勤：班级编号、身份证号、姓名，可选出勤学时、状态、退学原因，以及以日期为表头的考勤列（如 2026-03-02（4学时）），每格为该学员当次出勤学时。"),  # noqa: E501
    _("培训证书：班级编号、身份证号、姓名、证书类型、证书等级、证书编号、发证日期、发证机构，可选鉴定结果；班级结业申报后、学员已结业才能登记。"),
    _("与系统中相同的行不会重复写入；同一文件导入两次，第二次不会有变化。"),
)
# Registered by TrainingConfig.ready(). Institutions keep their own classes' rosters and
# certificates (ROSTER_EDIT) without being registry importers (IMPORT_RUN).
# The template's example row: values the import itself accepts.
_EXAMPLE_IDENTITY = {"class_code": "PX2026-00001", "id_number": "350582199003071019", "name": "张三"}  # zh-data
ENROLLMENT_EXAMPLE = {**_EXAMPLE_IDENTITY, "attended_hours": "36", "status": "在训", "withdraw_reason": ""}  # zh-data
CERTIFICATE_EXAMPLE = {  # zh-data
    **_EXAMPLE_IDENTITY, "certificate_type": "职业技能等级证书", "certificate_level": "初级",
    "certificate_number": "S000035058200123", "certificate_date": "2026-06-30",
    "certificate_issuer": "晋江市人力资源和社会保障局", "appraisal_result": "鉴定合格"}


def _labels(choices: Sequence[tuple[Any, Any]]) -> list[str]:
    return [str(label) for _code, label in choices]


def _enrollment_choices() -> dict[str, list[str]]:
    return {"status": _labels(EnrollmentStatus.choices)}


def _certificate_choices() -> dict[str, list[str]]:
    return {"certificate_type": _labels(CertificateType.choices),
            "certificate_level": _labels(TrainingLevel.choices),
            "appraisal_result": _labels(AppraisalResult.choices)}


IMPORTS = (
    ImportSpec(kind="enrollments", label=_("培训班花名册/考勤"), permissions=(Perm.ROSTER_EDIT,),
               columns=ENROLLMENT_COLUMNS, run=enrollments_import, help=TRAINING_IMPORT_HELP,
               required=IDENTITY, choices=_enrollment_choices, example=ENROLLMENT_EXAMPLE),
    ImportSpec(kind="certificates", label=_("培训证书"), permissions=(Perm.ROSTER_EDIT,),
               columns=CERTIFICATE_COLUMNS, run=certificates_import, help=TRAINING_IMPORT_HELP,
               required=CERTIFICATE_REQUIRED, choices=_certificate_choices,
               example=CERTIFICATE_EXAMPLE),
)

__all__ = ["CERTIFICATE_COLUMNS", "ENROLLMENT_COLUMNS", "IMPORTS", "certificates_import",
           "enrollments_import"]
