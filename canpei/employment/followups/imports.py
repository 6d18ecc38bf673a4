"""Importing a follow-up sheet (就业跟踪表, `canpei import followups`): the towns and the
employment service centre keep their phone rounds in Excel.

A row names its follow-up as the enrolment and certificate sheets name a trainee: the person's
full ID number (and, if the column is there, the name, which must match), the class code (or
the individual application's number) and the months (3 or 6). The follow-up must exist: it is
scheduled only for a completion that is final, so a row for a person who never completed is an
error. Each row is checked by the same rules as the page and the API
(services.clean_followup_input) and then written through services.followup_record, all in one
transaction: any bad row, and nothing is written.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from canpei.accounts.models import User
from canpei.accounts.roles import Perm, has_perm
from canpei.audit.actions import AuditAction
from canpei.audit.services import audit_record
from canpei.employment.followups import services
from canpei.employment.models import FollowUp, FollowUpMethod
from canpei.employment.selectors import followups_visible_to
from canpei.errors import Forbidden, ServiceError
from canpei.errors import lazy_message as _
from canpei.people import crypto
from canpei.people import rules as person_rules
from canpei.people.rules import EmploymentForm, NotWorkingReason
from canpei.spreadsheets import codes
from canpei.spreadsheets.importing import (
    ImportResult, Progress, RowError, no_progress, open_for_import,
)
from canpei.spreadsheets.reader import CELL_FORMULA, DATE_INVALID, cell_date, cell_text
from canpei.spreadsheets.registry import ImportSpec
from canpei.training.classes.imports import TRAINEE_COLUMNS


SOURCE_REQUIRED = _("请填写班级编号或个人申请编号")
MONTHS_REQUIRED = _("请填写跟踪节点（月）")
FOLLOWUP_NOT_FOUND = _("未找到该人员在该培训下应做的就业跟踪（须已结业且结业已审核）")
NAME_MISMATCH = _("姓名与残疾人名册不一致")
ROW_TWICE_IN_FILE = _("与第 {row} 行是同一次跟踪")
BOOL_INVALID = _("只能填写是或否")

# The headers a clerk's file may use.
COLUMNS: dict[str, tuple[str, ...]] = {  # zh-data
    **TRAINEE_COLUMNS,
    "class_code": ("班级编号", "培训班编号", "班级代码", "开班编号"),
    "application": ("个人申请编号", "申请编号"),
    "months": ("跟踪节点（月）", "跟踪节点", "跟踪月数", "结业后月数"),
    "date": ("跟踪日期", "回访日期"),
    "method": ("跟踪方式", "回访方式"),
    "employed": ("已就业", "是否就业", "就业情况"),
    "employment_form": ("就业形式",),
    "employer": ("就业单位", "工作单位"),
    "position": ("岗位", "工作岗位"),
    "contract_signed": ("签订劳动合同", "劳动合同"),
    "social_insurance": ("缴纳社会保险", "社会保险", "社保"),
    "monthly_income": ("月收入（元）", "月收入", "月工资"),
    "business_started": ("已自主创业", "自主创业"),
    "not_working_reason": ("未就业原因",),
    "note": ("备注",),
}
REQUIRED = ("id_number", "months", "date", "method", "employed")

# The words a clerk may write for a method, besides its labels.
METHOD_CODES = codes.code_lookup(FollowUpMethod.choices, ("phone", "电话"), ("visit", "走访"),  # zh-data
                                 ("visit", "上门"), ("employer", "单位"))
FORM_CODES = codes.code_lookup(EmploymentForm.choices)
REASON_CODES = codes.code_lookup(NotWorkingReason.choices)
BOOL_FIELDS = ("employed", *services.OPTIONAL_BOOLEANS)


class _Rollback(Exception):
    pass


def _row_data(opened: Any, cells: list[Any], errors: list[tuple[str, str]]) -> dict[str, Any]:
    """The record's fields from a row's cells, codes translated; bad cells named in `errors`."""
    def cell(name: str) -> Any:
        index = opened.columns.get(name)
        return cells[index] if index is not None and index < len(cells) else None

    data: dict[str, Any] = {}
    for name in services.RECORD_FIELDS:
        if name not in opened.columns:
            continue
        raw = cell(name)
        value = cell_text(raw)
        if name == "date":
            try:
                data[name] = cell_date(raw)
            except ValueError:
                errors.append((name, DATE_INVALID))
        elif name in BOOL_FIELDS:
            found = codes.to_bool(value) if value else ""
            if isinstance(found, bool) or found == "":
                data[name] = found
            else:
                errors.append((name, str(BOOL_INVALID)))
        elif name == "method":
            data[name] = codes.to_code(value, METHOD_CODES) if value else ""
        elif name == "employment_form":
            data[name] = codes.to_code(value, FORM_CODES) if value else ""
        elif name == "not_working_reason":
            data[name] = codes.to_code(value, REASON_CODES) if value else ""
        else:
            data[name] = value
    return data


def followups_import(*, actor: User, data: bytes, filename: str = "", dry_run: bool = False,
                     progress: Progress = no_progress) -> ImportResult:
    if not has_perm(actor, Perm.FOLLOWUP_RECORD):
        raise Forbidden()
    result = ImportResult(kind="followups", dry_run=dry_run)
    opened = open_for_import(result, data=data, filename=filename, columns=COLUMNS,
                             required=REQUIRED)
    if opened is None:
        return result
    allowed = services.followup_months()

    def error(number: int, name: str, value: str, message: str) -> None:
        # In the language active now: the result is stored (JSON) and written to the report.
        result.errors.append(RowError(number, opened.column_of(name), value, str(message)))

    # Pass 1: identify each row's follow-up.
    parsed: list[tuple[int, list[Any], str, str, str, str, int]] = []
    for number, cells in opened.rows:
        def cell(name: str, cells: list[Any] = cells) -> str:
            index = opened.columns.get(name)
            return cell_text(cells[index]) if index is not None and index < len(cells) else ""

        bad = False
        for col in opened.formulas.get(number, ()):
            result.errors.append(RowError(number, str(opened.header_row[col]), "", CELL_FORMULA))
            bad = True
        id_number = person_rules.normalize_id_number(cell("id_number"))
        message = person_rules.id_number_error(id_number)
        if message:
            shown = person_rules.mask_id_number(id_number) if len(id_number) >= 10 else id_number
            error(number, "id_number", shown, message)
            bad = True
        code = re.sub(r"\s+", "", cell("class_code")).upper()
        application = cell("application")
        if not code and not application:
            error(number, "class_code", "", SOURCE_REQUIRED)
            bad = True
        # A clerk may write "3个月" or "3月".
        raw_months = cell("months").removesuffix("个月").removesuffix("月").strip()  # zh-data
        months = int(raw_months) if raw_months.isdigit() else 0
        if not raw_months:
            error(number, "months", "", MONTHS_REQUIRED)
            bad = True
        elif months not in allowed:
            error(number, "months", cell("months"), services.MONTHS_INVALID.format(
                months="、".join(str(m) for m in allowed)))
            bad = True
        if not bad:
            parsed.append((number, cells, id_number, re.sub(r"\s+", "", cell("name")), code,
                           application, months))

    hashes = sorted({crypto.lookup_hash(p[2]) for p in parsed})
    candidates: dict[tuple[str, str, str, int], FollowUp] = {}
    for start in range(0, len(hashes), 1000):
        for f in (followups_visible_to(actor)
                  .filter(person__id_hash__in=hashes[start:start + 1000])
                  .select_related("person", "enrollment__training_class")):
            source = (f.enrollment.training_class.code if f.enrollment is not None else "",
                      str(f.application_id or ""))
            candidates[(f.person.id_hash, *source, f.months)] = f

    rows: list[tuple[int, list[Any], FollowUp, dict[str, Any]]] = []
    seen: dict[int, int] = {}
    for number, cells, id_number, name, code, application, months in parsed:
        key_hash = crypto.lookup_hash(id_number)
        followup = (candidates.get((key_hash, code, "", months)) if code
                    else candidates.get((key_hash, "", application, months)))
        if followup is None:
            error(number, "class_code" if code else "application",
                  code or application, FOLLOWUP_NOT_FOUND)
            continue
        if name and name != followup.person.name.replace(" ", ""):
            error(number, "name", name, NAME_MISMATCH)
            continue
        if followup.pk in seen:
            error(number, "id_number", followup.person.id_number_masked,
                  ROW_TWICE_IN_FILE.format(row=seen[followup.pk]))
            continue
        seen[followup.pk] = number
        cell_errors: list[tuple[str, str]] = []
        record = _row_data(opened, cells, cell_errors)
        try:
            services.clean_followup_input(record, followup=followup,
                                          today=timezone.localdate())
        except ServiceError as exc:
            cell_errors += [(field, str(message)) for field, message in exc.errors]
        if cell_errors:
            result.errors.extend(opened.refusals(number, cells, cell_errors))
            continue
        rows.append((number, cells, followup, record))
    total = result.total
    progress(total // 2, total)

    # Pass 2: write every row or none.
    try:
        with transaction.atomic():
            for number, cells, followup, record in rows:
                before = services.followup_snapshot(followup)
                first = followup.date is None
                try:
                    saved = services.followup_record(actor=actor, followup=followup, data=record)
                except ServiceError as exc:
                    result.errors.extend(opened.refusals(number, cells, [
                        (field, str(message))
                        for field, message in exc.errors or [("id_number", exc.message)]]))
                    continue
                if first:
                    result.created += 1
                elif services.followup_snapshot(saved) != before:
                    result.updated += 1
                else:
                    result.unchanged += 1
            if result.errors or dry_run:
                raise _Rollback()
            audit_record(actor=actor, action=AuditAction.IMPORT_FOLLOWUPS,  # zh-data: audit words
                         summary=f"导入就业跟踪：{result.summary()}",
                         changes={"file": filename[:100], "created": result.created,
                                  "updated": result.updated, "unchanged": result.unchanged})
    except _Rollback:
        pass
    if result.errors:
        result.errors.sort(key=lambda e: e.row)
        result.created = result.updated = result.unchanged = 0
    progress(total, total)
    return result


FOLLOWUP_IMPORT_HELP = (
    _("就业跟踪：身份证号、班级编号（或个人申请编号）、跟踪节点（月）、跟踪日期、跟踪方式、已就业，可选姓名、就业形式、就业单位、岗位、签订劳动合同、缴纳社会保险、月收入（元）、已自主创业、未就业原因、备注；只能登记已结业（结业已审核）学员的跟踪。"),  # noqa: E501
)

# The template's filled-in example row: a clerk's Chinese file.
EXAMPLE = {  # zh-data
    "id_number": "350582199003071019", "name": "张三", "class_code": "PX2026-00001", "application": "",
    "months": "3", "date": "2026-10-08", "method": "电话回访", "employed": "是",
    "employment_form": "灵活就业（社区、居家就业）", "employer": "晋江市某电子商务有限公司", "position": "客服",
    "contract_signed": "是", "social_insurance": "是", "monthly_income": "3200", "business_started": "否",
    "not_working_reason": "", "note": "",
}


def _template_choices() -> dict[str, list[str]]:
    """The drop-downs of the follow-up template: the labels the importer reads back."""
    yes_no = ["是", "否"]  # zh-data: the words the importer reads back
    return {"method": [str(label) for _c, label in FollowUpMethod.choices],
            "months": [str(m) for m in settings.FOLLOWUP_MONTHS],
            "employment_form": [str(label) for _c, label in EmploymentForm.choices],
            "not_working_reason": [str(label) for _c, label in NotWorkingReason.choices],
            **{name: yes_no for name in BOOL_FIELDS}}


# Registered by EmploymentConfig.ready().
IMPORTS = (
    ImportSpec(kind="followups", label=gettext_noop("就业跟踪"), permissions=(Perm.FOLLOWUP_RECORD,),
               columns=COLUMNS, run=followups_import, help=FOLLOWUP_IMPORT_HELP,
               required=REQUIRED, choices=_template_choices, example=EXAMPLE),
)
