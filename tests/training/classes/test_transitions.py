"""The class lifecycle: each step, its rules and refusals, history and audit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from canpei.audit.models import AuditEntry
from canpei.errors import Conflict, Forbidden, InvalidInput
from canpei.training import rules
from canpei.training.classes import services
from canpei.training.models import ClassEvent, EnrollmentStatus
from tests.training.conftest import CIZAO
from tests.training.fixtures import register_hours


def step(training_class: Any, actor: Any, action: str, comment: str = "") -> Any:
    return services.class_transition(
        training_class=training_class, actor=actor, action=action, comment=comment
    )


def test_a_class_walks_from_draft_to_settled_with_a_history_row_per_step(users, make_class):
    training_class = make_class("settled")
    assert training_class.state == "settled"
    events = list(ClassEvent.objects.filter(training_class=training_class).order_by("at", "id"))
    assert [(e.action, e.from_state, e.to_state) for e in events] == [
        ("submit", "draft", "submitted"),
        ("approve", "submitted", "approved"),
        ("start", "approved", "running"),
        ("complete", "running", "completed"),
        ("pass_audit", "completed", "audited"),
        ("settle", "audited", "settled"),
    ]
    assert events[1].actor == users.city_admin
    actions = list(
        AuditEntry.objects.filter(
            object_type="training.trainingclass", object_id=str(training_class.pk)
        )
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "class.create",
        "class.submit",
        "class.approve",
        "class.start",
        "class.complete",
        "class.pass_audit",
        "class.settle",
    ]


def test_class_codes_are_issued_in_sequence_per_start_year(make_class):
    first, second = make_class(), make_class()
    year = first.start_date.year
    assert first.code == f"PX{year}-00001"
    assert second.code == f"PX{year}-00002"


@pytest.mark.parametrize(
    "state,action",
    [
        ("draft", "approve"),
        ("returned", "start"),
        ("completed", "settle"),
        ("running", "cancel"),
        ("settled", "cancel"),
        ("submitted", "complete"),
        ("audited", "fail_audit"),
    ],
)
def test_an_out_of_state_action_is_refused_and_changes_nothing(users, make_class, state, action):
    training_class = make_class(state)
    actor = (
        users.city_admin
        if action in ("approve", "settle", "fail_audit")
        else users.institution_staff
    )
    events = ClassEvent.objects.count()
    with pytest.raises(Conflict) as refused:
        step(training_class, actor, action, comment="原因")
    assert refused.value.message == rules.transition_refusal(state, action)
    training_class.refresh_from_db()
    assert training_class.state == state
    assert ClassEvent.objects.count() == events


def test_town_staff_cannot_approve(users, make_class, trainee_factory):
    training_class = make_class("submitted")
    with pytest.raises(Forbidden) as refused:
        step(training_class, users.town_staff, "approve")
    assert refused.value.message == rules.role_refusal("approve")
    training_class.refresh_from_db()
    assert training_class.state == "submitted"


def test_the_institution_cannot_approve_its_own_class(users, make_class):
    training_class = make_class("submitted")
    with pytest.raises(Forbidden):
        step(training_class, users.institution_staff, "approve")


def test_return_and_fail_audit_and_cancel_need_a_reason(users, make_class):
    training_class = make_class("submitted")
    with pytest.raises(InvalidInput) as refused:
        step(training_class, users.city_admin, "return")
    assert refused.value.errors == [("comment", rules.COMMENT_REQUIRED.format(action="退回"))]


def test_a_returned_class_can_be_corrected_and_submitted_again(users, make_class):
    training_class = make_class("returned")
    services.class_update(
        actor=users.institution_staff, training_class=training_class, data={"capacity": 25}
    )
    assert step(training_class, users.institution_staff, "submit").state == "submitted"


def test_submission_needs_a_roster(users, make_class):
    training_class = make_class(trainees=0, start_date=dt.date.today().isoformat())
    with pytest.raises(Conflict) as refused:
        step(training_class, users.institution_staff, "submit")
    assert refused.value.message == rules.ROSTER_EMPTY


def test_submission_needs_a_designation_valid_on_the_class_dates(users, make_class, designated):
    training_class = make_class(start_date=dt.date.today().isoformat())
    designated.designated_to = training_class.end_date - dt.timedelta(days=1)
    designated.save()
    with pytest.raises(Conflict) as refused:
        step(training_class, users.institution_staff, "submit")
    assert refused.value.message == rules.DESIGNATION_NOT_VALID.format(
        institution=designated.name,
        start=training_class.start_date.isoformat(),
        end=training_class.end_date.isoformat(),
    )


def test_it_rejects_a_trainee_outside_working_age(users, make_class, trainee_factory):
    old = trainee_factory(birth="19500101")
    with pytest.raises(Conflict) as refused:
        make_class(persons=[old])
    assert refused.value.message == rules.TRAINEE_NOT_WORKING_AGE.format(
        person=old.id_number_masked, date=(dt.date.today() - dt.timedelta(days=10)).isoformat()
    )


def test_it_rejects_a_trainee_without_a_certificate(users, make_class, trainee_factory):
    person = trainee_factory(cert_number="")
    with pytest.raises(Conflict) as refused:
        make_class(persons=[person])
    # The institution is not told why (tests/training/classes/test_institution_refusals.py) ...
    assert refused.value.message == rules.NOT_ENROLLABLE
    # ... the city is.
    training_class = make_class(trainees=0)
    with pytest.raises(Conflict) as refused:
        services.enrollment_add(
            actor=users.city_admin, training_class=training_class, person=person.id_number
        )
    assert refused.value.message == rules.TRAINEE_NO_CERTIFICATE.format(
        person=rules.describe_person(person)
    )


def test_a_trainee_who_moved_out_after_enrolment_stops_the_submission(
    users, make_class, trainee_factory
):
    from canpei.people.services import person_change_status

    person = trainee_factory()
    training_class = make_class(persons=[person], start_date=dt.date.today().isoformat())
    person_change_status(actor=users.city_admin, person=person, status="moved_out", comment="迁出")
    with pytest.raises(Conflict) as refused:
        step(training_class, users.institution_staff, "submit")
    # The institution learns that the trainee cannot take part, not the status.
    assert refused.value.message == rules.TRAINEE_NOT_ELIGIBLE.format(
        person=rules.describe_person(person)
    )
    assert rules.TRAINEE_NOT_ACTIVE.format(person=rules.describe_person(person), status="迁出") == (
        f"学员 {rules.describe_person(person)} 的状态为「迁出」，不能参加培训"
    )


def test_a_person_cannot_be_in_two_overlapping_classes(users, make_class, trainee_factory):
    person = trainee_factory()
    first = make_class("approved", persons=[person], name="第一班")
    with pytest.raises(Conflict) as refused:
        make_class(persons=[person], name="第二班")
    assert refused.value.message == rules.OVERLAPPING_CLASS.format(
        person=rules.describe_person(person), other=f"{first.code} 第一班"
    )


def test_a_remote_class_may_overlap(users, make_class, trainee_factory):
    person = trainee_factory()
    make_class("approved", persons=[person])
    remote = make_class("approved", persons=[person], mode="remote")
    assert remote.state == "approved"


def test_capacity_is_checked_when_enrolling(users, make_class, trainee_factory):
    training_class = make_class(capacity=1, trainees=1)
    person = trainee_factory()
    with pytest.raises(Conflict) as refused:
        services.enrollment_add(
            actor=users.institution_staff, training_class=training_class, person=person.id_number
        )
    assert refused.value.message == rules.CAPACITY_EXCEEDED.format(count=2, capacity=1)


def test_an_appraisal_class_needs_its_filing_number_before_it_runs(users, make_class):
    training_class = make_class("approved", appraisal=True)
    with pytest.raises(Conflict) as refused:
        step(training_class, users.institution_staff, "start")
    assert refused.value.message == rules.FILING_NUMBER_REQUIRED
    services.class_update(
        actor=users.institution_staff,
        training_class=training_class,
        data={"filing_number": "BA2026-001"},
    )
    assert step(training_class, users.institution_staff, "start").state == "running"


def test_completion_refuses_a_trainee_marked_complete_below_the_attendance_threshold(
    users, make_class
):
    training_class = make_class("running", trainees=1, end_date=dt.date.today().isoformat())
    enrollment = training_class.enrollments.get()
    register_hours(users.institution_staff, training_class, "31.5")
    services.enrollment_update(
        actor=users.institution_staff, enrollment=enrollment, data={"status": "completed"}
    )
    with pytest.raises(Conflict) as refused:
        step(training_class, users.institution_staff, "complete")
    assert refused.value.message == rules.ATTENDANCE_TOO_LOW.format(
        person=rules.describe_person(enrollment.person), attended="31.5", hours=40, percent=80
    )


def test_completion_decides_the_undecided_by_attendance(users, make_class):
    training_class = make_class("running", trainees=2, end_date=dt.date.today().isoformat())
    low, enough = training_class.enrollments.order_by("id")
    register_hours(users.institution_staff, training_class, {low.pk: "31.9", enough.pk: "32"})
    step(training_class, users.institution_staff, "complete")
    low.refresh_from_db()
    enough.refresh_from_db()
    assert (low.status, enough.status) == (EnrollmentStatus.FAILED, EnrollmentStatus.COMPLETED)


def test_a_failed_audit_goes_back_to_the_institution_to_correct(users, make_class):
    training_class = make_class("audit_failed")
    assert step(training_class, users.institution_staff, "complete").state == "completed"
    assert step(training_class, users.city_admin, "pass_audit").state == "audited"


def test_settlement_hooks_run_inside_the_step_and_can_refuse_it(users, make_class):
    training_class = make_class("audited")
    seen = []

    def refuse(*, training_class: Any, actor: Any) -> None:
        seen.append(training_class.state)
        raise Conflict("已支付")

    services.SETTLEMENT_HOOKS.append(refuse)
    try:
        with pytest.raises(Conflict):
            step(training_class, users.city_admin, "settle")
    finally:
        services.SETTLEMENT_HOOKS.remove(refuse)
    training_class.refresh_from_db()
    assert seen == ["settled"] and training_class.state == "audited"
    assert not ClassEvent.objects.filter(training_class=training_class, action="settle").exists()


def test_an_institution_cannot_touch_another_institutions_class(
    users, make_class, other_institution
):
    from canpei.accounts.models import User
    from canpei.errors import NotFound

    other = User.objects.create(
        username="other-school", role="institution_staff", institution=other_institution
    )
    training_class = make_class()
    with pytest.raises(NotFound):
        step(training_class, other, "cancel", comment="不办了")
    with pytest.raises(NotFound):
        services.class_update(actor=other, training_class=training_class, data={"capacity": 5})


def test_town_staff_see_classes_with_their_towns_trainees_only(users, make_class, trainee_factory):
    from canpei.training.classes import selectors

    ours = make_class(persons=[trainee_factory()])
    theirs = make_class(persons=[trainee_factory(town=CIZAO)])
    visible = set(selectors.class_list(user=users.town_staff).values_list("pk", flat=True))
    assert ours.pk in visible and theirs.pk not in visible


def test_a_class_does_not_start_before_its_start_date(users, make_class):
    start = dt.date.today() + dt.timedelta(days=3)
    training_class = make_class(
        "approved",
        start_date=start.isoformat(),
        end_date=(start + dt.timedelta(days=20)).isoformat(),
    )
    with pytest.raises(Conflict) as refused:
        step(training_class, users.institution_staff, "start")
    assert refused.value.message == rules.NOT_STARTED_YET.format(date=start.isoformat())
    training_class.refresh_from_db()
    assert training_class.state == "approved"


def test_start_is_not_offered_before_the_start_date(users, make_class):
    start = dt.date.today() + dt.timedelta(days=3)
    early = make_class(
        "approved",
        start_date=start.isoformat(),
        end_date=(start + dt.timedelta(days=20)).isoformat(),
    )
    assert services.class_actions_available(early, users.institution_staff) == ["cancel"]
    due = make_class("approved")
    assert services.class_actions_available(due, users.institution_staff) == ["start", "cancel"]
