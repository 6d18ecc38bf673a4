"""Ledgers (台账) of the registry, written as a stream through the caller's scope."""

from __future__ import annotations

from typing import IO, Any
from collections.abc import Iterator, Mapping

from canpei.accounts.models import User
from canpei.accounts.roles import Perm
from canpei.audit.actions import AuditAction
from canpei.codes import ACCESSIBILITY_NEEDS, TrainingMode, TrainingType, labels_of
from canpei.errors import InvalidInput
from canpei.people import crypto, rules
from canpei.people.selectors import PersonFilters, person_list
from canpei.regions.models import Region
from canpei.spreadsheets.registry import ExportSpec, Ledger, ledger_write, numbers_released

PERSON_HEADERS = ["序号", "姓名", "身份证号", "残疾证号", "性别", "出生日期", "残疾类别", "残疾等级",
                  "所属镇街", "地址", "联系电话", "文化程度", "困难类型", "就业形式", "未就业原因",
                  "新成长劳动力", "城镇登记失业", "有创业意愿", "状态"]
PERSON_WIDTHS = [7, 10, 21, 23, 5, 11, 10, 8, 10, 24, 13, 10, 14, 16, 12, 8, 8, 8, 8]

_LABELS = {
    "gender": labels_of(rules.Gender), "category": labels_of(rules.Category),
    "grade": labels_of(rules.Grade), "education": labels_of(rules.Education),
    "employment_form": labels_of(rules.EmploymentForm),
    "not_working_reason": labels_of(rules.NotWorkingReason),
    "status": labels_of(rules.PersonStatus),
}
_COLUMNS = ("name", "id_number_enc", "cert_number_enc", "gender", "birth_date", "category", "grade",
            "town_id", "address", "phone", "education", "hardship_dibao", "hardship_tekun",
            "hardship_poverty_monitoring", "employment_form", "not_working_reason", "new_entrant",
            "registered_unemployed", "entrepreneurship_intention", "status")


def _person_rows(actor: User, filters: PersonFilters, reveal: bool) -> Iterator[list[Any]]:
    towns = dict(Region.objects.values_list("code", "name"))
    qs = person_list(user=actor, filters=filters).values_list(*_COLUMNS)
    for index, row in enumerate(qs.iterator(chunk_size=2000), start=1):
        (name, id_enc, cert_enc, gender, birth, category, grade, town, address, phone, education,
         dibao, tekun, monitoring, form, reason, new_entrant, unemployed, intention, status) = row
        id_number = crypto.decrypt(id_enc)
        cert = crypto.decrypt(cert_enc) if cert_enc else ""
        if not reveal:
            id_number = rules.mask_id_number(id_number)
            cert = rules.mask_cert_number(cert) if cert else ""
        hardship = "、".join(label for flag, label in rules.HARDSHIP_FLAGS.items()
                            if {"dibao": dibao, "tekun": tekun, "poverty_monitoring": monitoring}[flag])
        yield [index, name, id_number, cert, _LABELS["gender"].get(gender, ""), birth,
               _LABELS["category"].get(category, ""), _LABELS["grade"].get(grade, ""),
               towns.get(town, town), address, phone, _LABELS["education"].get(education, ""),
               hardship, _LABELS["employment_form"].get(form, "未就业"),
               _LABELS["not_working_reason"].get(reason, ""), new_entrant, unemployed, intention,
               _LABELS["status"].get(status, "")]


def persons_export(*, actor: User, filters: PersonFilters, out: str | IO[Any],
                   fmt: str = "xlsx", purpose: str | None = None) -> int:
    """Write the persons the actor may see, filtered; numbers masked unless asked for with a
    `purpose` by a role that may reveal them (registry.numbers_released)."""
    def build() -> Ledger:
        reveal = numbers_released(actor, purpose)
        return Ledger(title="残疾人实名制台账", headers=PERSON_HEADERS, widths=PERSON_WIDTHS,
                      rows=_person_rows(actor, filters, reveal), action=AuditAction.EXPORT_PERSONS,
                      object_type="people.person", summary="导出人员台账", full_numbers=reveal,
                      purpose=purpose or "",
                      filters={k: v for k, v in vars(filters).items() if v not in ("", None)})

    return ledger_write(actor=actor, permission=Perm.PERSON_EXPORT, ledger=build, out=out, fmt=fmt)


SURVEY_HEADERS = ["序号", "姓名", "身份证号", "所属镇街", "调查年度", "调查日期", "就业形式", "未就业原因",
                  "就业单位", "有就业意愿", "新成长劳动力", "城镇登记失业", "有创业意愿", "有培训需求",
                  "需求培训类型", "需求技能", "期望培训方式", "无障碍需求", "调查人"]
SURVEY_WIDTHS = [7, 10, 21, 10, 8, 11, 16, 12, 20, 8, 8, 8, 8, 8, 22, 22, 10, 16, 8]


def _survey_rows(actor: User, year: int | None, town: str, reveal: bool) -> Iterator[list[Any]]:
    from canpei.people.surveys.selectors import survey_list

    towns = dict(Region.objects.values_list("code", "name"))
    types = labels_of(TrainingType)
    modes = labels_of(TrainingMode)
    qs = survey_list(user=actor, year=year, town=town)
    for index, s in enumerate(qs.iterator(chunk_size=2000), start=1):
        number = s.person.id_number if reveal else s.person.id_number_masked
        yield [index, s.person.name, number, towns.get(s.person.town_id, ""), s.year, s.surveyed_on,
               _LABELS["employment_form"].get(s.employment_form, "未就业"),
               _LABELS["not_working_reason"].get(s.not_working_reason, ""), s.employer,
               s.wants_work, s.new_entrant, s.registered_unemployed, s.entrepreneurship_intention,
               s.training_need, "、".join(types.get(t, t) for t in s.wanted_types),
               "、".join(k.name for k in s.wanted_skills.all()), modes.get(s.preferred_mode, ""),
               "、".join(ACCESSIBILITY_NEEDS.get(n, n) for n in s.accessibility_needs), s.surveyor]


def surveys_export(*, actor: User, out: str | IO[Any], fmt: str = "xlsx", year: int | None = None,
                   town: str = "", purpose: str | None = None) -> int:
    def build() -> Ledger:
        reveal = numbers_released(actor, purpose)
        title = f"{year}年度残疾人就业培训需求调查台账" if year else "残疾人就业培训需求调查台账"
        return Ledger(title=title, headers=SURVEY_HEADERS, widths=SURVEY_WIDTHS,
                      rows=_survey_rows(actor, year, town, reveal), action=AuditAction.EXPORT_SURVEYS,
                      object_type="people.survey", summary="导出需求调查台账", full_numbers=reveal,
                      purpose=purpose or "",
                      filters={"year": year, "town": town})

    return ledger_write(actor=actor, permission=Perm.PERSON_EXPORT, ledger=build, out=out, fmt=fmt)


SURVEY_YEAR_INVALID = "年度须为四位数字"


def _persons_run(*, actor: User, out: str | IO[Any], fmt: str, year: int | None = None,
                 town: str = "", params: Mapping[str, Any] | None = None,
                 purpose: str | None = None) -> int:
    filters = PersonFilters.from_params(params if params is not None else {"town": town})
    return persons_export(actor=actor, filters=filters, out=out, fmt=fmt, purpose=purpose)


def _surveys_run(*, actor: User, out: str | IO[Any], fmt: str, year: int | None = None,
                 town: str = "", params: Mapping[str, Any] | None = None,
                 purpose: str | None = None) -> int:
    from canpei.people.surveys.selectors import parse_town, parse_year

    if params is not None:
        year, town = parse_year(params.get("year")), params.get("town", "")
    if year is not None and not 1900 <= year <= 2100:
        raise InvalidInput([("year", SURVEY_YEAR_INVALID)])
    return surveys_export(actor=actor, out=out, fmt=fmt, year=year, town=parse_town(town),
                          purpose=purpose)


# The registry's ledgers need PERSON_EXPORT (registered by PeopleConfig.ready()).
EXPORTS = (
    ExportSpec(kind="persons", label="人员名册", permission=Perm.PERSON_EXPORT,
               list_url="/persons", headers=PERSON_HEADERS, run=_persons_run),
    ExportSpec(kind="surveys", label="需求调查", permission=Perm.PERSON_EXPORT,
               list_url="/surveys", headers=SURVEY_HEADERS, run=_surveys_run),
)
