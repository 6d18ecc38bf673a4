"""/api/v1/followups: list, detail, POST (record the follow-up of a completion), PATCH
(record or correct); field-named errors, scope as 404, read-only roles refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from canpei.audit.models import AuditEntry
from canpei.employment.models import FollowUp
from canpei.people.models import Person
from tests.employment.fixtures import good_record

TODAY = dt.date.today()


def fields(response: Any) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


@pytest.fixture
def followup(audited_class: Any) -> FollowUp:
    return FollowUp.objects.get(enrollment=audited_class.enrollments.order_by("pk")[0], months=3)


def test_list_and_detail_show_the_contract_fields(users: Any, api: Any, followup: FollowUp) -> None:
    response = api(users.town_staff).get("/followups", status="overdue")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    row = next(r for r in body["results"] if r["id"] == followup.pk)
    for key in (
        "id",
        "person",
        "enrollment",
        "application",
        "due_on",
        "date",
        "method",
        "employed",
        "employment_form",
        "employer",
        "position",
        "contract_signed",
        "social_insurance",
        "monthly_income",
        "business_started",
        "not_working_reason",
        "months",
    ):
        assert key in row
    assert row["enrollment"] == followup.enrollment_id and row["application"] is None
    assert row["due_on"] == followup.due_on.isoformat() and row["date"] is None
    assert "*" in row["id_number"]
    detail = api(users.employment_service).get(f"/followups/{followup.pk}")
    assert detail.status_code == 200 and detail.json()["months"] == 3


def test_bad_filters_are_named(users: Any, api: Any) -> None:
    response = api(users.city_admin).get("/followups", status="late", months="4")
    assert response.status_code == 422
    assert set(fields(response)) == {"status", "months"}


def test_patch_records_and_updates_the_person(users: Any, api: Any, followup: FollowUp) -> None:
    response = api(users.town_staff).patch(f"/followups/{followup.pk}", good_record())
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["date"], body["employed"], body["employment_form"]) == (
        TODAY.isoformat(),
        True,
        "7",
    )
    assert body["monthly_income"] == "3200.50"
    assert Person.objects.get(pk=followup.person_id).employment_form == "7"
    correction = api(users.employment_service).patch(
        f"/followups/{followup.pk}", {"monthly_income": "4000"}
    )
    assert correction.status_code == 200
    assert correction.json()["monthly_income"] == "4000.00"
    assert AuditEntry.objects.get(action="followup.update").changes["diff"]["monthly_income"] == [
        "3200.50",
        "4000.00",
    ]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"date": (TODAY + dt.timedelta(days=1)).isoformat()}, "date", "跟踪日期不能晚于今天"),
        ({"monthly_income": -1}, "monthly_income", "月收入（元）须为 0 至 200000 元，最多两位小数"),
        (
            {"monthly_income": 1e9},
            "monthly_income",
            "月收入（元）须为 0 至 200000 元，最多两位小数",
        ),
        ({"employment_form": "9"}, "employment_form", "就业形式须为国家标准代码 1 至 7"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_nothing_is_stored(
    users: Any, api: Any, followup: FollowUp, overrides: dict[str, Any], field: str, message: str
) -> None:
    response = api(users.town_staff).patch(f"/followups/{followup.pk}", good_record(**overrides))
    assert response.status_code == 422
    assert fields(response) == {field: message}
    assert FollowUp.objects.get(pk=followup.pk).date is None
    assert not AuditEntry.objects.filter(action__startswith="followup.").exists()


def test_an_unknown_field_is_refused(users: Any, api: Any, followup: FollowUp) -> None:
    response = api(users.town_staff).patch(f"/followups/{followup.pk}", {"salary": 1})
    assert response.status_code == 422


def test_post_records_the_follow_up_of_a_completion(
    users: Any, api: Any, followup: FollowUp
) -> None:
    response = api(users.employment_service).post(
        "/followups", {"enrollment": followup.enrollment_id, "months": 3, **good_record()}
    )
    assert response.status_code == 201, response.json()
    assert response.json()["id"] == followup.pk
    again = api(users.employment_service).post(
        "/followups", {"enrollment": followup.enrollment_id, "months": 3, **good_record()}
    )
    assert again.status_code == 409


def test_post_for_someone_who_never_completed_is_refused_on_the_field(
    users: Any, api: Any, make_class: Any
) -> None:
    enrollment = make_class("completed", trainees=1).enrollments.first()
    response = api(users.town_staff).post(
        "/followups", {"enrollment": enrollment.pk, "months": 3, **good_record()}
    )
    assert response.status_code == 422
    assert fields(response) == {
        "enrollment": "该学员未结业或培训班尚未通过结业审核，不能登记就业跟踪"
    }
    response = api(users.town_staff).post(
        "/followups", {"application": 123456, "months": 6, **good_record()}
    )
    assert fields(response) == {"application": "该个人申请尚未完成，不能登记就业跟踪"}
    assert not FollowUp.objects.exists()


def test_scope(users: Any, api: Any, followup: FollowUp) -> None:
    path = f"/followups/{followup.pk}"
    assert api(users.other_town_staff).get(path).status_code == 404
    assert api(users.other_town_staff).patch(path, good_record()).status_code == 404
    assert api(users.other_town_staff).get("/followups").json()["count"] == 0
    assert api(users.institution_staff).get(path).status_code == 404
    assert api(users.institution_staff).get("/followups").status_code == 403
    for officer in ("sys_admin", "security_admin", "audit_admin"):
        assert api(getattr(users, officer)).get(path).status_code == 404
    assert api(users.auditor).get(path).status_code == 200
    assert api(users.auditor).patch(path, good_record()).status_code == 403
    assert (
        api(users.auditor)
        .post("/followups", {"enrollment": followup.enrollment_id, "months": 3, **good_record()})
        .status_code
        == 403
    )
    assert FollowUp.objects.get(pk=followup.pk).date is None
