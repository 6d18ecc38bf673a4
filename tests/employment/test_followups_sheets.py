"""The follow-up sheet in and out: `canpei import followups` (all rows or none) and
`canpei export followups` (ID numbers masked); `canpei followups schedule`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from canpei.audit.models import AuditEntry
from canpei.cli import main
from canpei.employment.followups.exports import HEADERS
from canpei.employment.followups.imports import followups_import
from canpei.employment.models import FollowUp
from canpei.people.models import Person
from tests.spreadsheets.files import read_back, xlsx

TODAY = dt.date.today()
HEADER = [
    "姓名",
    "身份证号",
    "班级编号",
    "个人申请编号",
    "跟踪节点（月）",
    "跟踪日期",
    "跟踪方式",
    "已就业",
    "就业形式",
    "就业单位",
    "月收入（元）",
    "未就业原因",
]


def row(person: Any, code: str = "", application: Any = "", **overrides: Any) -> list[Any]:
    values = {
        "name": person.name,
        "id_number": person.id_number,
        "code": code,
        "application": application,
        "months": 3,
        "date": TODAY.isoformat(),
        "method": "电话回访",
        "employed": "是",
        "form": "灵活就业",
        "employer": "某公司",
        "income": "2500",
        "reason": "",
    }
    values.update(overrides)
    return list(values.values())


def test_a_good_sheet_records_every_row(
    users: Any, audited_class: Any, make_completed_application: Any
) -> None:
    enrollments = list(audited_class.enrollments.order_by("pk").select_related("person"))
    application = make_completed_application()
    sheet = xlsx(
        [
            HEADER,
            row(enrollments[0].person, code=audited_class.code),
            row(
                enrollments[1].person,
                code=audited_class.code,
                months="6个月",
                employed="否",
                form="",
                employer="",
                income="",
                reason="无就业技能",
            ),
            row(application.person, application=application.pk, method="走访", form="3"),
        ]
    )
    result = followups_import(actor=users.town_staff, data=sheet, filename="跟踪.xlsx")
    assert result.ok, [str(e) for e in result.errors]
    assert (result.created, result.updated) == (3, 0)
    first = FollowUp.objects.get(enrollment=enrollments[0], months=3)
    assert (first.date, first.method, first.employed, first.employment_form) == (
        TODAY,
        "phone",
        True,
        "7",
    )
    second = FollowUp.objects.get(enrollment=enrollments[1], months=6)
    assert (second.employed, second.not_working_reason) == (False, "4")
    assert FollowUp.objects.get(application=application, months=3).method == "visit"
    assert Person.objects.get(pk=application.person_id).employment_form == "3"
    assert AuditEntry.objects.filter(action="import.followups").count() == 1
    again = followups_import(actor=users.town_staff, data=sheet, filename="跟踪.xlsx")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_one_bad_row_and_nothing_is_written(
    users: Any, audited_class: Any, make_class: Any
) -> None:
    enrollments = list(audited_class.enrollments.order_by("pk").select_related("person"))
    not_final = make_class("completed", trainees=1)
    stranger = not_final.enrollments.select_related("person").first()
    sheet = xlsx(
        [
            HEADER,
            row(enrollments[0].person, code=audited_class.code),
            row(
                enrollments[1].person,
                code=audited_class.code,
                date=(TODAY + dt.timedelta(days=1)).isoformat(),
            ),
            row(enrollments[1].person, code=audited_class.code, months=6, income="-1"),
            row(stranger.person, code=not_final.code),
        ]
    )
    result = followups_import(actor=users.town_staff, data=sheet, filename="跟踪.xlsx")
    assert not result.ok
    messages = {(e.row, e.column, e.message) for e in result.errors}
    assert (3, "跟踪日期", "跟踪日期不能晚于今天") in messages
    assert (4, "月收入（元）", "月收入（元）须为 0 至 200000 元，最多两位小数") in messages
    assert (
        5,
        "班级编号",
        "未找到该人员在该培训下应做的就业跟踪（须已结业且结业已审核）",
    ) in messages
    assert not FollowUp.objects.filter(date__isnull=False).exists()
    assert not AuditEntry.objects.filter(
        action__in=["followup.record", "import.followups", "person.employment"]
    ).exists()
    assert Person.objects.get(pk=enrollments[0].person_id).employment_form == ""


def test_another_towns_rows_are_not_found(users: Any, audited_class: Any) -> None:
    enrollment = audited_class.enrollments.select_related("person").first()
    sheet = xlsx([HEADER, row(enrollment.person, code=audited_class.code)])
    result = followups_import(actor=users.other_town_staff, data=sheet, filename="x.xlsx")
    assert not result.ok and not FollowUp.objects.filter(date__isnull=False).exists()


def test_the_export_masks_id_numbers(users: Any, audited_class: Any, tmp_path: Any) -> None:
    out = tmp_path / "followups.xlsx"
    assert main(["export", "followups", "--out", str(out), "--as", "city"]) == 0
    rows = read_back(out.read_bytes())
    header_at = next(i for i, r in enumerate(rows) if r[:3] == HEADERS[:3])
    data = [r for r in rows[header_at + 1 :] if r and str(r[0]).removesuffix(".0").isdigit()]
    assert len(data) == 4
    numbers = {str(r[2]) for r in data}
    persons = [e.person for e in audited_class.enrollments.select_related("person")]
    assert numbers == {p.id_number_masked for p in persons}
    assert not any(p.id_number in str(rows) for p in persons)
    entry = AuditEntry.objects.get(action="export.followups")
    assert entry.changes["full_numbers"] is False and entry.changes["rows"] == 4


def test_the_export_page_and_its_scope(users: Any, audited_class: Any, login: Any) -> None:
    response = login(users.other_town_staff).get("/followups/export?format=csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert audited_class.code not in text
    response = login(users.town_staff).get("/followups/export?format=csv&status=overdue")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.count(audited_class.code) == 2
    assert login(users.institution_staff).get("/followups/export").status_code == 404


def test_the_schedule_command_backfills(audited_class: Any, capsys: Any) -> None:
    FollowUp.objects.filter(months=6).delete()
    assert main(["followups", "schedule"]) == 0
    assert "已排定就业跟踪 2 条" in capsys.readouterr().out
    assert main(["followups", "schedule"]) == 0
    assert "已排定就业跟踪 0 条" in capsys.readouterr().out
    assert FollowUp.objects.count() == 4


def test_full_numbers_only_with_a_purpose_by_a_role_that_may_reveal(
    users: Any, audited_class: Any, tmp_path: Any, capsys: Any
) -> None:
    out = tmp_path / "full.csv"
    persons = [e.person for e in audited_class.enrollments.select_related("person")]
    argv = ["export", "followups", "--out", str(out), "--full-numbers"]
    assert main([*argv, "--purpose", "核对就业跟踪", "--as", "city"]) == 0
    text = out.read_text(encoding="utf-8-sig")
    assert all(p.id_number in text for p in persons)
    entry = AuditEntry.objects.get(action="export.followups")
    assert entry.changes["full_numbers"] is True
    assert main([*argv, "--as", "city"]) == 1  # no purpose
    assert main([*argv, "--purpose", "核对", "--as", "employment"]) == 1
    assert AuditEntry.objects.filter(action="export.followups").count() == 1
