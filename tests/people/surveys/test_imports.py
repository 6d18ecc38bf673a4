"""Importing a town's survey ledger: one row per person and year, all rows or none."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from canpei.audit.models import AuditEntry
from canpei.people import rules
from canpei.people.models import Survey
from canpei.people.surveys.imports import (
    NAME_MISMATCH,
    PERSON_NOT_FOUND,
    SURVEY_TWICE_IN_FILE,
    surveys_import,
)
from canpei.people.surveys.services import SURVEYED_ON_INVALID, SURVEYED_ON_OUTSIDE_YEAR
from canpei.spreadsheets.reader import CELL_FORMULA, EXCEL_EPOCH, FILE_NOT_SPREADSHEET
from tests.conftest import make_id
from tests.spreadsheets.files import PDF, an_id, csv_text, db_counts, xlsx

pytestmark = pytest.mark.django_db

HEADER = [
    "身份证号",
    "姓名",
    "调查年度",
    "调查日期",
    "就业形式",
    "未就业原因",
    "有培训需求",
    "需求培训类型",
    "需求技能",
    "期望培训方式",
]
DAY = dt.date(2025, 6, 30)
SERIAL = (DAY - EXCEL_EPOCH).days  # 45838


def row(person, surveyed_on=SERIAL, **overrides):
    values = {
        "id_number": person.id_number,
        "name": person.name,
        "year": 2025,
        "surveyed_on": surveyed_on,
        "employment_form": "",
        "not_working_reason": "无就业技能",
        "training_need": "是",
        "wanted_types": "就业技能",
        "wanted_skills": "电子商务、计算机",
        "preferred_mode": "集中",
    }
    values.update(overrides)
    return list(values.values())


def errors_of(result):
    return [(e.row, e.column, e.value, e.message) for e in result.errors]


def rejected(actor, rows, **kwargs):
    before = db_counts()
    result = surveys_import(actor=actor, data=xlsx([HEADER] + rows, **kwargs), filename="调查.xlsx")
    assert not result.ok
    assert db_counts() == before
    return errors_of(result)


@pytest.mark.parametrize(
    "surveyed_on",
    [
        SERIAL,
        float(SERIAL),
        DAY,
        dt.datetime(2025, 6, 30, 15, 20),
        "2025/6/30",
        "2025年6月30日",
        str(SERIAL),
    ],
)
def test_it_reads_the_survey_date_from_serials_date_cells_and_text(person_in, users, surveyed_on):
    result = surveys_import(
        actor=users.town_staff,
        data=xlsx([HEADER, row(person_in, surveyed_on)]),
        filename="调查.xlsx",
    )
    assert errors_of(result) == [] and result.created == 1
    survey = Survey.objects.get()
    assert (survey.person_id, survey.year, survey.surveyed_on) == (person_in.pk, 2025, DAY)
    assert (
        survey.not_working_reason,
        survey.training_need,
        survey.wanted_types,
        survey.preferred_mode,
    ) == ("4", True, ["employment_skills"], "centralized")
    assert sorted(survey.wanted_skills.values_list("code", flat=True)) == ["computer", "ecommerce"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_it_reads_a_csv_survey_ledger(person_in, users, encoding):
    text = csv_text([["2025 年安海镇需求调查"], HEADER, row(person_in, surveyed_on=str(SERIAL))])
    result = surveys_import(actor=users.city_admin, data=text.encode(encoding), filename="调查.csv")
    assert errors_of(result) == [] and result.created == 1


def test_the_year_comes_from_the_date_when_the_ledger_has_no_year_column(person_in, users):
    header = [h for h in HEADER if h != "调查年度"]
    values = row(person_in)
    del values[2]
    result = surveys_import(
        actor=users.city_admin, data=xlsx([header, values]), filename="调查.xlsx"
    )
    assert result.ok and Survey.objects.get().year == 2025


def test_importing_the_same_survey_file_twice_changes_nothing(person_in, users):
    data = xlsx([HEADER, row(person_in)])
    assert surveys_import(actor=users.town_staff, data=data, filename="调查.xlsx").created == 1
    survey_state = list(Survey.objects.values())
    audit_count = AuditEntry.objects.count()
    second = surveys_import(actor=users.town_staff, data=data, filename="调查.xlsx")
    assert (second.ok, second.created, second.updated, second.unchanged) == (True, 0, 0, 1)
    assert list(Survey.objects.values()) == survey_state
    assert list(
        AuditEntry.objects.filter(pk__gt=0).order_by("pk").values_list("action", flat=True)
    )[audit_count:] == ["import.surveys"]


def test_an_existing_survey_of_the_same_year_is_updated(person_in, users):
    surveys_import(actor=users.town_staff, data=xlsx([HEADER, row(person_in)]), filename="a.xlsx")
    changed = row(
        person_in,
        employment_form="按比例就业",
        not_working_reason="",
        training_need="否",
        wanted_types="",
        wanted_skills="",
        preferred_mode="",
    )
    result = surveys_import(actor=users.town_staff, data=xlsx([HEADER, changed]), filename="b.xlsx")
    assert (result.ok, result.created, result.updated) == (True, 0, 1)
    survey = Survey.objects.get()
    assert (survey.employment_form, survey.training_need, list(survey.wanted_skills.all())) == (
        "1",
        False,
        [],
    )
    person_in.refresh_from_db()
    assert person_in.employment_form == "1"  # the registry follows the latest survey
    entry = AuditEntry.objects.get(action="survey.update")
    assert entry.changes["diff"]["wanted_skills"] == [["computer", "ecommerce"], []]


def test_survey_audit_entries_carry_no_id_number(person_in, users):
    surveys_import(actor=users.town_staff, data=xlsx([HEADER, row(person_in)]), filename="a.xlsx")
    dumped = json.dumps(
        [(e.summary, e.changes) for e in AuditEntry.objects.all()], ensure_ascii=False
    )
    assert person_in.id_number not in dumped


def test_it_rejects_an_impossible_survey_date(person_in, users):
    assert rejected(users.city_admin, [row(person_in, surveyed_on="2025-02-30")]) == [
        (2, "调查日期", "2025-02-30", SURVEYED_ON_INVALID)
    ]


def test_it_rejects_a_date_outside_the_survey_year(person_in, users):
    assert rejected(users.city_admin, [row(person_in, surveyed_on="2024-12-31")]) == [
        (2, "调查日期", "2024-12-31", SURVEYED_ON_OUTSIDE_YEAR)
    ]


def test_it_rejects_a_person_not_on_the_registry_and_one_outside_the_town(
    person_in, person_out, users
):
    stranger = make_id("35058219770101001")
    rows = [
        row(person_in),
        row(person_out),
        row(person_in, id_number=stranger, name="王五", year=2024, surveyed_on="2024-05-01"),
    ]
    assert rejected(users.town_staff, rows) == [
        (3, "身份证号", person_out.id_number_masked, PERSON_NOT_FOUND),
        (4, "身份证号", rules.mask_id_number(stranger), PERSON_NOT_FOUND),
    ]


def test_it_rejects_a_bad_checksum(person_in, users):
    bad = an_id(1)[:17] + ("1" if an_id(1)[17] != "1" else "2")
    assert rejected(users.city_admin, [row(person_in, id_number=bad)]) == [
        (2, "身份证号", rules.mask_id_number(bad), rules.ID_CHECKSUM)
    ]


def test_it_rejects_the_same_person_and_year_twice(person_in, users):
    assert rejected(
        users.city_admin, [row(person_in), row(person_in, surveyed_on="2025-07-01")]
    ) == [(3, "调查年度", "2025", SURVEY_TWICE_IN_FILE.format(row=2))]


def test_it_rejects_a_name_that_does_not_match_the_registry(person_in, users):
    assert rejected(users.city_admin, [row(person_in, name="张三丰")]) == [
        (2, "姓名", "张三丰", NAME_MISMATCH.format(name="张三"))
    ]


def test_it_rejects_a_formula(person_in, users):
    assert rejected(users.city_admin, [row(person_in)], formulas={(1, 3): "=TODAY()"}) == [
        (2, "调查日期", "", CELL_FORMULA)
    ]


def test_it_rejects_a_file_that_is_not_a_spreadsheet(person_in, users):
    before = db_counts()
    result = surveys_import(actor=users.city_admin, data=PDF, filename="调查.pdf")
    assert errors_of(result) == [(0, "", "", FILE_NOT_SPREADSHEET)]
    assert db_counts() == before
