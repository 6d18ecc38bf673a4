"""Lifecycle integrity (issue 12): the register records no day still to come, completion waits
for the end date and the planned hours, a class filed after its start date says why, and the
audit waits for open rectifications and missing results. Each rule on both sides of its line."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import override_settings

from canpei.errors import Conflict, InvalidInput
from canpei.training import rules
from canpei.training.classes import services
from canpei.training.models import ClassEvent
from tests.training.fixtures import LATE_FILING_REASON, register_hours

TODAY = dt.date.today()


def step(training_class: Any, actor: Any, action: str, comment: str = "") -> Any:
    return services.class_transition(
        training_class=training_class, actor=actor, action=action, comment=comment
    )


def day(offset: int) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


def session(users: Any, training_class: Any, date: dt.date, hours: str = "8") -> Any:
    return services.session_record(
        actor=users.institution_staff,
        training_class=training_class,
        date=date,
        hours=hours,
        attendance={e.pk: hours for e in training_class.enrollments.all()},
    )


# ---- the two defects the issue reports --------------------------------------------------------


def test_defect_completion_on_the_first_day_with_32_of_40_hours_and_future_attendance(
    users, make_class
):
    """Dates today → today + 4, 40 hours: attendance for days still to come is refused, and so is
    completion on the first day with 32 hours registered."""
    running = make_class("running", start_date=day(0), end_date=day(4))
    session(users, running, TODAY)
    for offset in range(1, 4):
        with pytest.raises(InvalidInput) as refused:
            session(users, running, TODAY + dt.timedelta(days=offset))
        assert dict(refused.value.errors)["date"] == rules.SESSION_DATE_FUTURE.format(
            date=day(offset)
        )
    with pytest.raises(Conflict) as conflict:
        step(running, users.institution_staff, "complete")
    assert dict(conflict.value.errors)["end_date"] == rules.COMPLETION_BEFORE_END.format(
        date=day(4)
    )
    running.refresh_from_db()
    assert running.state == "running"


def test_defect_a_class_dated_entirely_in_the_past_is_not_filed_without_a_word(users, make_class):
    draft = make_class("draft", start_date=day(-60), end_date=day(-50))
    with pytest.raises(Conflict) as refused:
        step(draft, users.institution_staff, "submit")
    assert refused.value.message == rules.LATE_FILING_REASON_REQUIRED.format(
        date=day(-60), action="提交开班申请"
    )
    assert dict(refused.value.errors) == {"late_filing_reason": refused.value.message}
    draft.refresh_from_db()
    assert (draft.state, draft.late_filing_reason) == ("draft", "")
    assert not ClassEvent.objects.filter(training_class=draft).exists()


# ---- late filing: submit and approve ----------------------------------------------------------


def test_a_class_starting_today_is_submitted_and_approved_without_a_reason(users, make_class):
    draft = make_class("draft", start_date=day(0), end_date=day(4))
    step(draft, users.institution_staff, "submit")
    approved = step(draft, users.city_admin, "approve")
    assert (approved.state, approved.late_filing_reason) == ("approved", "")


def test_a_class_started_yesterday_is_filed_with_its_reason_kept_on_the_class_and_in_history(
    users, make_class
):
    draft = make_class("draft", start_date=day(-1), end_date=day(4))
    submitted = step(draft, users.institution_staff, "submit", "系统故障，延迟备案")
    assert submitted.late_filing_reason == "系统故障，延迟备案"
    event = ClassEvent.objects.get(training_class=draft, action="submit")
    assert event.comment == "系统故障，延迟备案"
    # The city approves on the reason already given.
    approved = step(draft, users.city_admin, "approve")
    assert (approved.state, approved.late_filing_reason) == ("approved", "系统故障，延迟备案")


def test_approval_after_the_start_date_of_a_class_submitted_in_time_needs_a_reason(
    users, make_class
):
    draft = make_class("draft", start_date=day(0), end_date=day(4))
    step(draft, users.institution_staff, "submit")
    draft.start_date = TODAY - dt.timedelta(days=1)
    draft.save(update_fields=["start_date"])
    with pytest.raises(Conflict) as refused:
        step(draft, users.city_admin, "approve")
    assert refused.value.message == rules.LATE_FILING_REASON_REQUIRED.format(
        date=day(-1), action="批准开班"
    )
    approved = step(draft, users.city_admin, "approve", "市残联同意补报")
    assert approved.late_filing_reason == "市残联同意补报"


# ---- the register: no future date, none outside the class dates ---------------------------------


def test_the_register_takes_today_and_refuses_tomorrow_and_the_day_after_the_end(users, make_class):
    running = make_class("running", start_date=day(-3), end_date=day(0))
    assert session(users, running, TODAY).date == TODAY
    with pytest.raises(InvalidInput) as refused:
        session(users, running, TODAY + dt.timedelta(days=1))
    assert dict(refused.value.errors)["date"] == rules.SESSION_DATE_OUTSIDE.format(
        start=day(-3), end=day(0)
    )
    later = make_class("running", start_date=day(-3), end_date=day(3))
    with pytest.raises(InvalidInput) as refused:
        session(users, later, TODAY + dt.timedelta(days=1))
    assert dict(refused.value.errors)["date"] == rules.SESSION_DATE_FUTURE.format(date=day(1))


# ---- completion: end date and hours -----------------------------------------------------------


def test_completion_waits_for_the_end_date(users, make_class):
    before_end = make_class("running", start_date=day(-10), end_date=day(1))
    register_hours(users.institution_staff, before_end, None)
    with pytest.raises(Conflict) as refused:
        step(before_end, users.institution_staff, "complete")
    assert refused.value.message == rules.COMPLETION_BEFORE_END.format(date=day(1))
    on_end = make_class("running", start_date=day(-10), end_date=day(0))
    register_hours(users.institution_staff, on_end, None)
    assert step(on_end, users.institution_staff, "complete").state == "completed"


def test_completion_needs_every_planned_hour_registered(users, make_class):
    short = make_class("running", start_date=day(-10), end_date=day(0))
    for offset in range(-10, -6):
        session(users, short, TODAY + dt.timedelta(days=offset), "8")
    session(users, short, TODAY - dt.timedelta(days=6), "7.5")
    with pytest.raises(Conflict) as refused:
        step(short, users.institution_staff, "complete")
    assert dict(refused.value.errors)["hours"] == "考勤登记课时 39.5，不足计划课时 40，不能结业申报"
    session(users, short, TODAY - dt.timedelta(days=6), "8")
    assert step(short, users.institution_staff, "complete").state == "completed"


def test_completion_on_the_first_day_with_32_of_40_hours_names_both_rules(users, make_class):
    running = make_class("running", start_date=day(0), end_date=day(4))
    session(users, running, TODAY, "24")
    with pytest.raises(Conflict) as refused:
        step(running, users.institution_staff, "complete")
    assert dict(refused.value.errors) == {
        "end_date": rules.COMPLETION_BEFORE_END.format(date=day(4)),
        "hours": "考勤登记课时 24.0，不足计划课时 40，不能结业申报",
    }


@override_settings(CLASS_HOURS_REQUIRED=0.95)
def test_the_hours_tolerance_is_a_setting(users, make_class):
    running = make_class("running", start_date=day(-10), end_date=day(0))
    for offset, hours in ((-10, "8"), (-9, "8"), (-8, "8"), (-7, "8"), (-6, "5.9")):
        session(users, running, TODAY + dt.timedelta(days=offset), hours)
    with pytest.raises(Conflict) as refused:
        step(running, users.institution_staff, "complete")
    assert refused.value.message == "考勤登记课时 37.9，不足计划课时 40的 95.0%，不能结业申报"
    session(users, running, TODAY - dt.timedelta(days=6), "6")
    assert step(running, users.institution_staff, "complete").state == "completed"


# ---- the completion audit: rectifications and results -------------------------------------------


def _inspected(users: Any, make_class: Any, *, rectified: bool | None) -> Any:
    running = make_class("running", start_date=day(-10), end_date=day(0))
    inspection = services.inspection_record(
        actor=users.city_admin,
        training_class=running,
        data={
            "date": day(-5),
            "inspector_name": "王检查",
            "present": "2",
            "rectification_required": rectified is not None,
        },
    )
    if rectified:
        services.inspection_rectified(
            actor=users.city_admin, inspection=inspection, note="已整改", rectified_on=day(-4)
        )
    register_hours(users.institution_staff, running, None)
    return step(running, users.institution_staff, "complete")


def test_the_audit_waits_for_an_open_rectification(users, make_class):
    completed = _inspected(users, make_class, rectified=False)
    with pytest.raises(Conflict) as refused:
        step(completed, users.city_admin, "pass_audit")
    assert refused.value.errors == [
        ("rectification", rules.AUDIT_RECTIFICATION_OPEN.format(date=day(-5)))
    ]
    done = _inspected(users, make_class, rectified=True)
    assert step(done, users.city_admin, "pass_audit").state == "audited"


def test_the_audit_waits_for_every_completed_trainees_result(users, make_class):
    completed = make_class("completed", trainees=2)
    first, second = completed.enrollments.order_by("pk")
    services.enrollment_update(
        actor=users.institution_staff, enrollment=second, data={"result": ""}
    )
    with pytest.raises(Conflict) as refused:
        step(completed, users.city_admin, "pass_audit")
    assert refused.value.errors == [
        ("result", rules.AUDIT_RESULT_MISSING.format(person=rules.describe_person(second.person)))
    ]
    services.enrollment_update(
        actor=users.institution_staff, enrollment=second, data={"result": "良好"}
    )
    assert step(completed, users.city_admin, "pass_audit").state == "audited"
    assert first.person_id != second.person_id


def test_the_fixture_files_late_with_its_reason(make_class):
    walked = make_class("approved")
    assert walked.late_filing_reason == LATE_FILING_REASON
