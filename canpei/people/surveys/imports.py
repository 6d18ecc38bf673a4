"""Importing a town's survey ledger: one row per person and year, all rows or none."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from canpei import hooks
from canpei.accounts.models import User
from canpei.accounts.roles import Perm, has_perm
from canpei.audit.actions import AuditAction
from canpei.audit.services import AuditItem, audit_record, audit_record_many
from canpei.codes import ACCESSIBILITY_NEEDS, TrainingMode, TrainingType
from canpei.errors import Forbidden, InvalidInput
from canpei.people import crypto, rules
from canpei.people.imports import FORM_CODES, NOT_EMPLOYED, REASON_CODES, REGISTRY_UPDATE_HELP
from canpei.people.models import Person, Survey
from canpei.people.surveys.services import (
    SURVEY_BOOLEANS, clean_survey_input, refresh_persons_from_latest, skills_by_code,
    survey_snapshot,
)
from canpei.people.selectors import persons_visible_to
from canpei.spreadsheets import codes
from canpei.spreadsheets.importing import (
    ImportResult, Progress, RowError, column_label, import_finish, import_start, no_progress,
)
from canpei.spreadsheets.reader import cell_text
from canpei.spreadsheets.registry import ImportSpec

# The names federations use for each column, the canonical one first.
SURVEY_COLUMNS: dict[str, tuple[str, ...]] = {  # zh-data
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "身份证", "证件号码"),
    "name": ("姓名",),
    "year": ("调查年度", "年度"),
    "surveyed_on": ("调查日期", "调查时间"),
    "employment_form": ("就业形式", "就业情况"),
    "not_working_reason": ("未就业原因",),
    "employer": ("就业单位", "工作单位", "单位名称"),
    "wants_work": ("就业意愿", "有就业意愿", "是否有就业意愿"),
    "new_entrant": ("新成长劳动力",),
    "registered_unemployed": ("城镇登记失业", "登记失业"),
    "entrepreneurship_intention": ("创业意愿", "有创业意愿"),
    "training_need": ("培训需求", "有培训需求", "是否有培训需求"),
    "wanted_types": ("需求培训类型", "培训类型", "需求类型"),
    "wanted_skills": ("需求技能", "培训技能", "意向技能", "需求培训项目", "培训项目"),
    "preferred_mode": ("期望培训方式", "培训方式"),
    "accessibility_needs": ("无障碍需求", "辅助需求"),
    "surveyor": ("调查人", "调查员"),
}
REQUIRED = ("id_number", "surveyed_on")

# Row errors shown to the clerk: Chinese here, translated where they are raised.
PERSON_NOT_FOUND = gettext_noop("未在本镇街名册中找到该身份证号")
SURVEY_TWICE_IN_FILE = gettext_noop("与第 {row} 行是同一人员同一年度")
NAME_MISMATCH = gettext_noop("姓名与名册不一致（名册为 {name}）")
CELL_FORMULA = gettext_noop("单元格含公式，请复制后“粘贴为数值”再导入")
REGISTRY_CHANGED = gettext_noop("导入期间调查记录被他人修改（同一人员同一年度已有调查），未写入任何数据；请重新导入")

# The words a clerk's file may use for a code, besides the code tables' own labels.

TYPE_CODES = codes.code_lookup(  # zh-data
    TrainingType.choices, ("employment_skills", "就业技能"),
                               ("skill_upgrade", "岗位技能提升"), ("entrepreneurship", "创业"),
                               ("rural_practical", "农村实用技术"))
MODE_CODES = codes.code_lookup(  # zh-data
    TrainingMode.choices, ("centralized", "集中"),
                               ("self_directed", "分散"), ("remote", "远程"))
NEED_CODES = codes.code_lookup(  # zh-data
    list(ACCESSIBILITY_NEEDS.items()), ("sign_language", "手语"),
                               ("screen_reader", "读屏"), ("screen_reader", "盲文"),
                               ("accessible_venue", "无障碍"))


def _skill_codes() -> dict[str, str]:
    table: dict[str, str] = {}
    for skill in skills_by_code().values():
        table.update(codes.code_lookup([(skill.code, skill.name)]))
        for part in skill.name.split("/"):
            table.update(codes.code_lookup([(skill.code, part)]))
    return table


def _row_data(cells: list[Any], columns: dict[str, int], skill_table: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for field, index in columns.items():
        raw = cells[index] if index < len(cells) else ""
        if field == "surveyed_on":
            # A date cell with a time (calamine gives a datetime) is that day; text and serials
            # are the survey rules' to read.
            data[field] = raw.date() if isinstance(raw, dt.datetime) else raw
            continue
        value = cell_text(raw)
        if field == "employment_form":
            value = codes.to_code(value, FORM_CODES) if value and value not in ("未就业", "无") else ""  # zh-data
        elif field == "not_working_reason":
            value = codes.to_code(value, REASON_CODES) if value else ""
        elif field == "preferred_mode":
            value = codes.to_code(value, MODE_CODES) if value else ""
        elif field in ("wanted_types", "wanted_skills", "accessibility_needs"):
            table = {"wanted_types": TYPE_CODES, "wanted_skills": skill_table,
                     "accessibility_needs": NEED_CODES}[field]
            data[field] = [codes.to_code(v, table) for v in codes.to_list(value) if v not in ("无", "否")]  # zh-data
            continue
        elif field in SURVEY_BOOLEANS:
            data[field] = codes.to_bool(value)
            continue
        data[field] = value
    return data


def surveys_import(*, actor: User, data: bytes, filename: str = "", dry_run: bool = False,
                   progress: Progress = no_progress) -> ImportResult:
    if not has_perm(actor, Perm.SURVEY_EDIT):
        raise Forbidden()
    result, opened = import_start("surveys", data=data, filename=filename, dry_run=dry_run,
                                  columns=SURVEY_COLUMNS, required=REQUIRED)
    if opened is None:
        return result
    header_row, rows = opened.header_row, opened.rows
    columns, label, formulas = opened.columns, opened.label, opened.formulas
    skill_table = _skill_codes()
    skills = skills_by_code()
    today = timezone.localdate()
    visible = persons_visible_to(actor)

    # The rows are read a chunk at a time; across chunks only what the write needs is kept
    # (nothing once a row has failed) and which person and year each row was.
    seen: dict[tuple[int, int], int] = {}
    creates: list[tuple[Survey, list[Any]]] = []
    updates: list[tuple[Survey, list[Any] | None, dict[str, Any]]] = []
    created = updated = 0
    estimate = rows.estimate
    row_iter = iter(rows)
    while True:
        chunk = list(itertools.islice(row_iter, _CHUNK))
        if not chunk:
            break
        result.total += len(chunk)
        parsed: list[tuple[int, dict[str, Any], str, list[Any]]] = []
        for number, cells in chunk:
            for col in formulas.get(number, ()):
                result.errors.append(RowError(number, column_label(header_row, col), "",
                                              gettext(CELL_FORMULA)))
            row = _row_data(cells, columns, skill_table)
            id_number = rules.normalize_id_number(str(row.pop("id_number", "")))
            message = rules.id_number_error(id_number, today=today)
            if message:
                shown = rules.mask_id_number(id_number) if len(id_number) >= 10 else id_number
                result.errors.append(RowError(number, label["id_number"], shown, message))
                continue
            parsed.append((number, row, id_number, cells))

        hashes = list({crypto.lookup_hash(n) for _r, _d, n, _c in parsed})
        persons: dict[str, Person] = {}
        for start in range(0, len(hashes), 1000):
            for person in visible.filter(id_hash__in=hashes[start:start + 1000]):
                persons[person.id_hash] = person
        existing: dict[tuple[int, int], Survey] = {}
        person_ids = [p.pk for p in persons.values()]
        for start in range(0, len(person_ids), 1000):
            for survey in (Survey.objects.filter(person_id__in=person_ids[start:start + 1000])
                           .prefetch_related("wanted_skills")):
                existing[(survey.person_id, survey.year)] = survey

        for number, row, id_number, cells in parsed:
            found = persons.get(crypto.lookup_hash(id_number))
            if found is None:
                result.errors.append(RowError(number, label["id_number"], rules.mask_id_number(id_number),
                                              gettext(PERSON_NOT_FOUND)))
                continue
            person = found
            name = row.pop("name", None)
            if name and name.replace(" ", "") != person.name.replace(" ", ""):
                result.errors.append(RowError(number, label["name"], name,
                                              gettext(NAME_MISMATCH).format(name=person.name)))
                continue
            try:
                if "year" not in row or row["year"] in ("", None):
                    row.pop("year", None)
                    year_probe = clean_survey_input({"surveyed_on": row["surveyed_on"]}, actor=actor,
                                                    current=None, today=today, skills=skills, person=person)
                    row["year"] = year_probe["year"]
                key = (person.pk, int(row["year"])) if str(row["year"]).strip().isdigit() else None
                current = existing.get(key) if key else None
                values = clean_survey_input(row, actor=actor, current=current, today=today,
                                            skills=skills, person=person)
            except InvalidInput as exc:
                result.errors.extend(opened.refusals(number, cells, exc.errors))
                continue
            key = (person.pk, values.get("year", current.year if current else 0))
            if key in seen:
                result.errors.append(RowError(number, label.get("year", label["surveyed_on"]), str(key[1]),
                                              gettext(SURVEY_TWICE_IN_FILE).format(row=seen[key])))
                continue
            seen[key] = number
            skill_objs = values.pop("wanted_skills", None)
            values.pop("person", None)
            if current is None:
                created += 1
                if not result.errors and not dry_run:
                    # By key, not the person object: the chunk's persons are not kept.
                    creates.append((Survey(person_id=person.pk, **values), skill_objs or []))
            else:
                # The skills come from the prefetch: a query per row would make a re-import slow.
                had_skills = sorted(k.code for k in current.wanted_skills.all())
                before = survey_snapshot(current, had_skills)
                for field, value in values.items():
                    setattr(current, field, value)
                after = survey_snapshot(current, sorted(k.code for k in skill_objs)
                                        if skill_objs is not None else had_skills)
                diff = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
                if diff:
                    updated += 1
                    if not result.errors and not dry_run:
                        updates.append((current, skill_objs, diff))
                else:
                    result.unchanged += 1
        if result.errors:
            creates, updates = [], []
        progress(min(result.total, estimate), estimate)
    return import_finish(result, created=created, updated=updated, progress=progress,
                         changed_meanwhile=gettext(REGISTRY_CHANGED),
                         write=lambda: _write(actor, creates, updates, result, filename))


# Rows a chunk: one query finds their persons, one their surveys.
_CHUNK = 2000


SURVEY_UPDATE_FIELDS = ["year", "employment_form", "not_working_reason", "employer", "wants_work",
                        "new_entrant", "registered_unemployed", "entrepreneurship_intention",
                        "training_need", "wanted_types", "preferred_mode", "accessibility_needs",
                        "surveyor", "surveyed_on", "updated_at"]


def _write(actor: User, creates: list[tuple[Survey, list[Any]]],
           updates: list[tuple[Survey, list[Any] | None, dict[str, Any]]],
           result: ImportResult, filename: str) -> None:
    now = timezone.now()
    with transaction.atomic():
        person_ids = sorted({s.person_id for s, _k in creates} | {s.person_id for s, _k, _d in updates})
        for start in range(0, len(person_ids), 1000):
            list(Person.objects.select_for_update().filter(pk__in=person_ids[start:start + 1000])
                 .values_list("pk", flat=True))
        for new, _skills in creates:
            new.created_at = new.updated_at = now
        Survey.objects.bulk_create([s for s, _k in creates], batch_size=2000)
        for changed_survey, _changed_skills, _diff in updates:
            changed_survey.updated_at = now
        Survey.objects.bulk_update([s for s, _k, _d in updates], SURVEY_UPDATE_FIELDS, batch_size=1000)
        through = Survey.wanted_skills.through
        links = [through(survey_id=s.pk, skill_id=k.pk) for s, skills in creates for k in skills]
        changed = [(s, skills) for s, skills, _d in updates if skills is not None]
        through.objects.filter(survey_id__in=[s.pk for s, _k in changed]).delete()
        links += [through(survey_id=s.pk, skill_id=k.pk) for s, skills in changed for k in skills or []]
        through.objects.bulk_create(links, batch_size=2000)
        entries = [AuditItem(action=AuditAction.SURVEY_CREATE, object_type="people.survey", object_id=s.pk,  # zh-data
                        summary=f"导入人员 #{s.person_id} {s.year} 年调查",
                        changes={"after": survey_snapshot(s, sorted(k.code for k in skills))})
                   for s, skills in creates]
        entries += [AuditItem(action=AuditAction.SURVEY_UPDATE, object_type="people.survey", object_id=s.pk,  # zh-data
                         summary=f"导入修改调查 #{s.pk}", changes={"diff": diff})
                    for s, _k, diff in updates]
        audit_record_many(actor=actor, entries=entries)
        refresh_persons_from_latest(actor, person_ids)
        hooks.outcomes_changed(person_ids)
        audit_record(actor=actor, action=AuditAction.IMPORT_SURVEYS, summary=f"导入调查：{result.summary()}",  # zh-data
                     changes={"file": filename[:100], "created": result.created,
                              "updated": result.updated, "unchanged": result.unchanged})


# The template file's example row and drop-downs: what the importer reads back, in Chinese.
SURVEY_EXAMPLE = {  # zh-data
    "id_number": "350582199003071019", "name": "张三", "year": "2026", "surveyed_on": "2026-03-15",
    "employment_form": "", "not_working_reason": "无就业技能", "employer": "", "wants_work": "是",
    "new_entrant": "否", "registered_unemployed": "是", "entrepreneurship_intention": "否",
    "training_need": "是", "wanted_types": "就业技能培训", "wanted_skills": "电子商务、面点制作",
    "preferred_mode": "集中办班", "accessibility_needs": "无障碍场地", "surveyor": "林专干",
}


def _template_choices() -> dict[str, list[str]]:
    """The drop-downs of the survey template (multi-valued columns have none: 、 separates)."""
    yes_no = ["是", "否"]  # zh-data
    return {"employment_form": [str(label) for _c, label in rules.EmploymentForm.choices] + [NOT_EMPLOYED],
            "not_working_reason": [str(label) for _c, label in rules.NotWorkingReason.choices],
            "preferred_mode": [str(label) for _c, label in TrainingMode.choices],
            **{name: yes_no for name in SURVEY_BOOLEANS}}


# The label is translated where the upload page shows it; the template file keeps it.
IMPORTS = (  # zh-msgid
    ImportSpec(kind="surveys", label="需求调查", permissions=(Perm.IMPORT_RUN, Perm.SURVEY_EDIT),
               columns=SURVEY_COLUMNS, run=surveys_import, help=(REGISTRY_UPDATE_HELP,),
               required=REQUIRED, choices=_template_choices, example=SURVEY_EXAMPLE),
)
