"""The completion-audit checklist (issue 12 item 2): each check passes and fails with its
figures, over the service, the API and the class page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from canpei.errors import Forbidden
from canpei.training.classes import checks, services

TODAY = dt.date.today()


def by_key(found: list[Any]) -> dict[str, Any]:
    return {c.key: c for c in found}


def test_a_completed_class_passes_every_check_with_its_figures(users, make_class):
    completed = make_class("completed", trainees=2)
    found = by_key(checks.class_checks(user=users.city_admin, training_class=completed))
    assert list(found) == [
        "end_date",
        "hours",
        "inspections",
        "rectifications",
        "results",
        "designation",
        "alerts",
    ]
    assert found["alerts"].passed and found["alerts"].detail == "待处理 0 条，已确认 0 条"
    assert found["end_date"].passed
    assert found["hours"].passed
    assert found["hours"].detail == "计划课时 40，考勤登记 40.0（须达到 40）"
    assert found["hours"].figures == {"planned": 40, "registered": "40.0", "required": "40"}
    assert found["results"].detail == "结业 2 人，未登记成绩 0 人"
    assert found["rectifications"].passed and found["designation"].passed
    assert not found["inspections"].passed
    assert found["inspections"].detail == "尚无过程检查（每次实到须达到在册的 80%）"


def test_a_running_class_fails_the_checks_it_has_not_met(users, make_class):
    running = make_class("running", trainees=5, end_date=(TODAY + dt.timedelta(days=3)).isoformat())
    services.inspection_record(
        actor=users.city_admin,
        training_class=running,
        data={
            "date": (TODAY - dt.timedelta(days=2)).isoformat(),
            "inspector_name": "王检查",
            "present": "3",
            "rectification_required": True,
        },
    )
    services.inspection_record(
        actor=users.city_admin,
        training_class=running,
        data={"date": TODAY.isoformat(), "inspector_name": "王检查", "present": "4"},
    )
    found = by_key(checks.class_checks(user=users.city_admin, training_class=running))
    assert not found["end_date"].passed
    assert not found["hours"].passed
    assert found["hours"].figures["registered"] == "0"
    # 3 of 5 is below 80 %, 4 of 5 reaches it: one inspection short fails the check.
    inspections = found["inspections"]
    assert not inspections.passed
    assert inspections.figures["inspections"] == [
        {"date": (TODAY - dt.timedelta(days=2)).isoformat(), "present": 3, "on_roster": 5},
        {"date": TODAY.isoformat(), "present": 4, "on_roster": 5},
    ]
    assert not found["rectifications"].passed
    assert found["rectifications"].detail == "未完成整改 1 项"


def test_town_staff_do_not_see_the_class_wide_checklist(users, make_class):
    completed = make_class("completed", trainees=1)
    with pytest.raises(Forbidden) as refused:
        checks.class_checks(user=users.town_staff, training_class=completed)
    assert refused.value.message == checks.NOT_WHOLE_CLASS


def test_the_api_lists_every_check(users, make_class, api):
    completed = make_class("completed", trainees=1)
    response = api(users.city_admin).get(f"/classes/{completed.pk}/checks")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["class"] == completed.pk and body["passed"] is False
    assert [(c["key"], c["passed"]) for c in body["checks"]] == [
        ("end_date", True),
        ("hours", True),
        ("inspections", False),
        ("rectifications", True),
        ("results", True),
        ("designation", True),
        ("alerts", True),
    ]
    assert api(users.town_staff).get(f"/classes/{completed.pk}/checks").status_code == 403
    assert api(users.city_admin).get("/classes/999999/checks").status_code == 404


def test_the_class_page_shows_the_checklist_before_the_audit_buttons(users, make_class, client):
    completed = make_class("completed", trainees=1)
    client.force_login(users.city_admin)
    html = client.get(f"/classes/{completed.pk}").content.decode()
    assert "结业审核清单" in html
    assert "计划课时 40，考勤登记 40.0（须达到 40）" in html
    assert html.index("结业审核清单") < html.index("结业审核通过</button>")
    draft = make_class("draft", trainees=1)
    assert "结业审核清单" not in client.get(f"/classes/{draft.pk}").content.decode()
