"""Importing the registry from a town's spreadsheet: validated with the same rules as the page
and the API, all rows or none, existing persons (same ID) updated."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from canpei.accounts.roles import Perm, Role, has_perm
from canpei.audit.services import audit_record, audit_record_many
from canpei.errors import Forbidden, InvalidInput
from canpei.people import crypto, rules
from canpei.people.models import Person
from canpei.people.services import (
    apply_person_input, clean_person_input, person_snapshot, snapshot_diff,
)
from canpei.regions.models import Region
from canpei.spreadsheets import codes
from canpei.spreadsheets.importing import ImportResult, Progress, RowError, column_label, no_progress
from canpei.spreadsheets.reader import (
    Sheet, SpreadsheetError, cell_text, data_rows, find_header, read_sheet,
)

# The names federations use for each column, the canonical one first.
PERSON_COLUMNS: dict[str, tuple[str, ...]] = {
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

ID_TWICE_IN_FILE = "身份证号与第 {row} 行重复"
ID_AS_NUMBER = "身份证号被 Excel 存成了数字，后几位已丢失；请把该列设为文本后重新填写"
PERSON_OTHER_TOWN = "该人员已在其他镇街登记，不能由本镇街导入"
CELL_FORMULA = "单元格含公式，请复制后“粘贴为数值”再导入"
NO_DATA_ROWS = "表头下没有数据行"

CATEGORY_CODES = codes.code_lookup(rules.Category.choices)
GRADE_CODES = codes.code_lookup(rules.Grade.choices)
EDUCATION_CODES = codes.code_lookup(rules.Education.choices, ("senior_high", "高中"),
                                    ("senior_high", "中专"), ("bachelor", "本科"),
                                    ("bachelor", "研究生"), ("none", "文盲"))
FORM_CODES = codes.code_lookup(rules.EmploymentForm.choices, ("3", "个体就业"), ("3", "自主创业"),
                               ("7", "灵活就业"))
REASON_CODES = codes.code_lookup(rules.NotWorkingReason.choices)
STATUS_CODES = codes.code_lookup(rules.PersonStatus.choices, ("revoked", "注销"))
HARDSHIP_CODES = codes.code_lookup(list(rules.HARDSHIP_FLAGS.items()),
                                   ("poverty_monitoring", "建档立卡"),
                                   ("poverty_monitoring", "防返贫监测"))


def _town_lookup() -> tuple[dict[str, Region], dict[str, str]]:
    towns = {r.code: r for r in Region.objects.filter(level=Region.Level.TOWN)}
    names: dict[str, str] = {}
    for region in towns.values():
        names[region.name] = region.code
        # 安海 for 安海镇, 青阳 for 青阳街道
        for suffix in ("街道", "镇", "乡"):
            if region.name.endswith(suffix):
                names.setdefault(region.name.removesuffix(suffix), region.code)
    return towns, names


def _row_data(cells: list[Any], columns: dict[str, int], town_names: dict[str, str]) -> dict[str, Any]:
    def text(field: str) -> str:
        index = columns[field]
        return cell_text(cells[index]) if index < len(cells) else ""

    data: dict[str, Any] = {}
    for field in columns:
        value = text(field)
        if field == "category":
            value = codes.to_code(value, CATEGORY_CODES)
        elif field == "grade":
            value = codes.to_code(value, GRADE_CODES)
        elif field == "town":
            value = town_names.get(value, value)
        elif field == "education":
            value = codes.to_code(value, EDUCATION_CODES) if value else ""
        elif field == "employment_form":
            value = codes.to_code(value, FORM_CODES) if value and value not in ("未就业", "无") else ""
        elif field == "not_working_reason":
            value = codes.to_code(value, REASON_CODES) if value else ""
        elif field == "status":
            value = codes.to_code(value, STATUS_CODES) if value else rules.PersonStatus.ACTIVE
        elif field == "hardship":
            data[field] = [codes.to_code(v, HARDSHIP_CODES) for v in codes.to_list(value)
                           if v not in ("无", "否")]
            continue
        elif field in ("new_entrant", "registered_unemployed", "entrepreneurship_intention"):
            data[field] = codes.to_bool(value)
            continue
        data[field] = value
    return data


def persons_import(*, actor: Any, data: bytes, filename: str = "", dry_run: bool = False,
                   progress: Progress = no_progress) -> ImportResult:
    """Validate every row, then write all of them in one transaction, or none."""
    if not has_perm(actor, Perm.PERSON_CREATE):
        raise Forbidden()
    result = ImportResult(kind="persons", dry_run=dry_run)
    try:
        sheet: Sheet = read_sheet(data, filename=filename)
        header = find_header(sheet, PERSON_COLUMNS, REQUIRED)
    except SpreadsheetError as exc:
        result.errors.append(RowError(0, "", "", str(exc)))
        return result
    header_row = sheet.rows[header.row_index]
    result.header = list(header_row)
    rows = list(data_rows(sheet, header))
    result.rows = rows
    result.total = len(rows)
    if not rows:
        result.errors.append(RowError(0, "", "", NO_DATA_ROWS))
        return result
    towns, town_names = _town_lookup()
    columns = header.columns
    label = {field: column_label(header_row, index) for field, index in columns.items()}
    today = timezone.localdate()

    # Pass 1: read every row, normalise its ID and find duplicates inside the file.
    parsed: list[tuple[int, dict[str, Any], str]] = []
    first_row_of: dict[str, int] = {}
    id_col = columns["id_number"]
    formulas: dict[int, list[int]] = {}
    for row_no, col in sorted(sheet.formula_cells):
        formulas.setdefault(row_no, []).append(col)
    for number, cells in rows:
        for col in formulas.get(number, ()):
            result.errors.append(RowError(number, column_label(header_row, col),
                                          cell_text(cells[col]) if col < len(cells) else "",
                                          CELL_FORMULA))
        raw_id = cells[id_col] if id_col < len(cells) else ""
        if isinstance(raw_id, float) and raw_id >= 1e15:
            result.errors.append(RowError(number, label["id_number"], cell_text(raw_id), ID_AS_NUMBER))
            continue
        row = _row_data(cells, columns, town_names)
        number_norm = rules.normalize_id_number(row.get("id_number", ""))
        if number_norm in first_row_of and number_norm:
            result.errors.append(RowError(number, label["id_number"], rules.mask_id_number(number_norm),
                                          ID_TWICE_IN_FILE.format(row=first_row_of[number_norm])))
            continue
        first_row_of[number_norm] = number
        parsed.append((number, row, number_norm))
    progress(0, len(rows))

    # Pass 2: who is already on the registry, in batches of hashes (one query per thousand rows).
    hashes = {crypto.lookup_hash(n): n for _r, _d, n in parsed if n and rules.id_number_error(n) is None}
    existing: dict[str, Person] = {}
    hash_list = list(hashes)
    for start in range(0, len(hash_list), 1000):
        for person in Person.objects.filter(id_hash__in=hash_list[start:start + 1000]):
            existing[person.id_hash] = person
    own_town = actor.town_id if actor.role == Role.TOWN_STAFF else None

    # Pass 3: validate each row with the registry's own rules.
    to_create: list[Person] = []
    to_update: list[tuple[Person, dict[str, Any]]] = []
    for done, (number, row, number_norm) in enumerate(parsed, start=1):
        current = existing.get(crypto.lookup_hash(number_norm)) if number_norm else None
        if current is not None and own_town and current.town_id != own_town:
            result.errors.append(RowError(number, label["id_number"], rules.mask_id_number(number_norm),
                                          PERSON_OTHER_TOWN))
            continue
        try:
            before = person_snapshot(current) if current is not None else None
            cleaned = clean_person_input(row, actor=actor, current=current, today=today, towns=towns)
        except InvalidInput as exc:
            for field, message in exc.errors:
                value = str(row.get(field, ""))
                if field in ("id_number", "cert_number"):
                    value = rules.mask_id_number(value) if len(value) >= 10 else value
                result.errors.append(RowError(number, label.get(field, field), value, message))
            continue
        if current is None:
            person = Person()
            apply_person_input(person, cleaned)
            to_create.append(person)
        else:
            apply_person_input(current, cleaned)
            diff = snapshot_diff(before or {}, person_snapshot(current))
            if diff:
                to_update.append((current, diff))
            else:
                result.unchanged += 1
        if done % 2000 == 0:
            progress(done, len(rows))
    if result.errors:
        result.errors.sort(key=lambda e: e.row)
        return result
    result.created = len(to_create)
    result.updated = len(to_update)
    if dry_run:
        progress(len(rows), len(rows))
        return result
    _write(actor=actor, to_create=to_create, to_update=to_update, result=result, filename=filename)
    progress(len(rows), len(rows))
    return result


UPDATE_FIELDS = [
    "name", "name_pinyin", "name_initials", "id_number_enc", "id_hash", "id_tail",
    "cert_number_enc", "cert_hash", "gender", "birth_date", "category", "grade", "town",
    "village", "address", "phone", "education", "hardship_dibao", "hardship_tekun",
    "hardship_poverty_monitoring", "employment_form", "not_working_reason", "new_entrant",
    "registered_unemployed", "entrepreneurship_intention", "status", "updated_at",
]


def _write(*, actor: Any, to_create: list[Person], to_update: list[tuple[Person, dict[str, Any]]],
           result: ImportResult, filename: str) -> None:
    now = timezone.now()
    with transaction.atomic():
        # Lock the rows being updated: a clerk editing one of them meanwhile waits for the import.
        ids = [p.pk for p, _d in to_update]
        for start in range(0, len(ids), 1000):
            list(Person.objects.select_for_update().filter(pk__in=ids[start:start + 1000])
                 .values_list("pk", flat=True))
        for person in to_create:
            person.created_at = person.updated_at = now
        created = Person.objects.bulk_create(to_create, batch_size=2000)
        for person, _diff in to_update:
            person.updated_at = now
        Person.objects.bulk_update([p for p, _d in to_update], UPDATE_FIELDS, batch_size=1000)
        if not created or created[0].pk is None:
            # SQLite before 3.35 and some backends do not return keys; fetch them by hash.
            by_hash = dict(Person.objects.filter(id_hash__in=[p.id_hash for p in to_create])
                           .values_list("id_hash", "pk"))
            for person in created:
                person.pk = by_hash[person.id_hash]
        entries = [dict(action="person.create", object_type="people.person", object_id=p.pk,
                        summary=f"导入登记人员 #{p.pk}", changes={"after": person_snapshot(p)})
                   for p in created]
        entries += [dict(action="person.update", object_type="people.person", object_id=p.pk,
                         summary=f"导入修改人员 #{p.pk}", changes={"diff": diff})
                    for p, diff in to_update]
        audit_record_many(actor=actor, entries=entries)
        audit_record(actor=actor, action="import.persons", summary=f"导入人员：{result.summary()}",
                     changes={"file": filename[:100], "created": result.created,
                              "updated": result.updated, "unchanged": result.unchanged})
