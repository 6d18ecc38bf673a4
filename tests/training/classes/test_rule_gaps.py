"""Class rules that mutation testing found unguarded (issue 18, gaps 1 to 5): each test here
fails on the broken rule that revealed it. The refusals are compared with the literal Chinese
text a user reads, not with the helper that builds it."""

from __future__ import annotations

import datetime as dt

import pytest

from canpei.errors import Conflict, Forbidden, InvalidInput
from canpei.training import rules
from canpei.training.classes import services
from canpei.training.models import ClassEvent, Enrollment
from canpei.training.rules import class_cycle

# ---- 1. every step that undoes work needs a reason ----------------------------------------------


@pytest.mark.parametrize(
    "state,action,actor,message",
    [
        ("submitted", "return", "city_admin", "「退回」须填写原因"),
        ("completed", "fail_audit", "city_admin", "「结业审核不通过」须填写原因"),
        ("approved", "cancel", "institution_staff", "「取消」须填写原因"),
        ("draft", "cancel", "city_admin", "「取消」须填写原因"),
    ],
)
def test_return_fail_audit_and_cancel_each_refuse_a_missing_reason(
    users, make_class, state, action, actor, message
):
    training_class = make_class(state)
    events = ClassEvent.objects.count()
    for comment in ("", "   "):
        with pytest.raises(InvalidInput) as refused:
            services.class_transition(
                training_class=training_class,
                actor=getattr(users, actor),
                action=action,
                comment=comment,
            )
        assert refused.value.errors == [("comment", message)]
    training_class.refresh_from_db()
    assert training_class.state == state
    assert ClassEvent.objects.count() == events


def test_a_failed_audit_with_its_reason_goes_back_to_the_institution(users, make_class):
    training_class = make_class("completed")
    services.class_transition(
        training_class=training_class,
        actor=users.city_admin,
        action="fail_audit",
        comment="考勤表缺签字",
    )
    training_class.refresh_from_db()
    assert training_class.state == "audit_failed"
    event = ClassEvent.objects.filter(training_class=training_class).latest("id")
    assert (event.action, event.comment) == ("fail_audit", "考勤表缺签字")


# ---- 2. a submitted class already binds its trainees --------------------------------------------


def test_a_submitted_class_binds_its_trainees_against_an_overlapping_class(
    users, make_class, trainee_factory
):
    person = trainee_factory(name="林小燕")
    first = make_class("submitted", persons=[person], name="第一班")
    with pytest.raises(Conflict) as refused:
        make_class(persons=[person], name="第二班")
    assert refused.value.message == (
        f"林小燕（{person.id_tail}） 已在 {first.code} 第一班 培训，时间重叠"
    )


@pytest.mark.parametrize("state", ["draft", "returned", "cancelled"])
def test_a_class_not_yet_submitted_or_cancelled_binds_nobody(
    users, make_class, trainee_factory, state
):
    person = trainee_factory()
    make_class(state, persons=[person], name="第一班")
    second = make_class("submitted", persons=[person], name="第二班")
    assert second.state == "submitted"


# ---- 3. withdrawal after a failed audit, certificates on a settled class ------------------------


def test_a_trainee_still_enrolled_after_a_failed_audit_can_be_withdrawn(users, make_class):
    training_class = make_class("audit_failed", trainees=1)
    enrollment = training_class.enrollments.get()
    # Completion decides every trainee still enrolled; one put back (as a correction of the
    # roster the audit asked for would leave it) is withdrawn while the class is corrected.
    Enrollment.objects.filter(pk=enrollment.pk).update(status="enrolled")
    services.enrollment_update(
        actor=users.institution_staff,
        enrollment=enrollment,
        data={"status": "withdrawn", "withdraw_reason": "外出务工"},
    )
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.withdraw_reason) == ("withdrawn", "外出务工")


def test_a_trainee_enrolled_in_a_completed_class_cannot_be_withdrawn(users, make_class):
    training_class = make_class("completed", trainees=1)
    enrollment = training_class.enrollments.get()
    Enrollment.objects.filter(pk=enrollment.pk).update(status="enrolled")
    with pytest.raises(Conflict) as refused:
        services.enrollment_update(
            actor=users.institution_staff,
            enrollment=enrollment,
            data={"status": "withdrawn", "withdraw_reason": "外出务工"},
        )
    assert refused.value.message == "学员当前状态为「在训」，不能退学"


@pytest.mark.parametrize("state", ["audit_failed", "audited", "settled"])
def test_certificates_are_entered_on_an_audited_or_settled_class(users, make_class, state):
    training_class = make_class(state, trainees=1)
    enrollment = training_class.enrollments.get()
    issued = dt.date.today().isoformat()
    services.enrollment_update(
        actor=users.institution_staff,
        enrollment=enrollment,
        data={
            "certificate": {
                "type": "training",
                "number": "PX2026-0001",
                "date": issued,
                "issuer": "晋江市残疾人联合会",
            }
        },
    )
    enrollment.refresh_from_db()
    assert (enrollment.certificate_number, enrollment.certificate_date.isoformat()) == (
        "PX2026-0001",
        issued,
    )


@pytest.mark.parametrize("state", ["approved", "running"])
def test_no_certificate_before_completion_is_declared(users, make_class, state):
    training_class = make_class(state, trainees=1)
    enrollment = training_class.enrollments.get()
    with pytest.raises(Conflict) as refused:
        services.enrollment_update(
            actor=users.institution_staff, enrollment=enrollment, data={"certificate_number": "X1"}
        )
    assert refused.value.message == "班级结业申报后才能登记证书"


# ---- 4. the cycle of a class that crosses the year end ------------------------------------------


@pytest.mark.parametrize(
    "start,end,cycle",
    [
        ("2025-12-15", "2026-01-15", "short"),
        ("2025-12-15", "2026-01-16", "medium"),
        ("2025-12-31", "2026-01-31", "short"),
        ("2025-12-31", "2026-06-30", "medium"),
        ("2025-12-31", "2026-07-01", "long"),
        ("2026-07-31", "2027-01-31", "medium"),
        ("2026-07-31", "2027-02-01", "long"),
        ("2026-08-31", "2027-02-28", "medium"),
        ("2026-08-31", "2027-03-01", "long"),
        ("2027-08-31", "2028-02-29", "medium"),
    ],
)
def test_the_cycle_of_a_class_across_the_year_end(start, end, cycle):
    assert class_cycle(dt.date.fromisoformat(start), dt.date.fromisoformat(end)) == cycle


# ---- 5. the refusals read as written -------------------------------------------------------------


def test_the_state_and_role_refusals_read_as_written(users, make_class):
    training_class = make_class("settled")
    with pytest.raises(Conflict) as refused:
        services.class_transition(
            training_class=training_class, actor=users.city_admin, action="cancel", comment="原因"
        )
    assert refused.value.message == "班级当前状态为「已结算」，不能执行「取消」"
    assert refused.value.errors == [("action", "班级当前状态为「已结算」，不能执行「取消」")]
    submitted = make_class("submitted")
    with pytest.raises(Forbidden) as forbidden:
        services.class_transition(
            training_class=submitted, actor=users.institution_staff, action="approve"
        )
    assert forbidden.value.message == "「批准开班」须由市残联执行"
    with pytest.raises(Forbidden) as forbidden:
        services.class_transition(training_class=submitted, actor=users.town_staff, action="cancel")
    assert forbidden.value.message == "「取消」须由市残联或培训机构执行"
    with pytest.raises(InvalidInput) as invalid:
        services.class_transition(training_class=submitted, actor=users.city_admin, action="undo")
    assert invalid.value.errors == [
        (
            "action",
            "操作须为 submit、approve、return、start、complete、pass_audit、fail_audit、settle 或 cancel",
        )
    ]


# ---- the overlap rule's helpers (the demo's checks use them) -------------------------------------

D = dt.date


@pytest.mark.parametrize(
    "a,b,overlap",
    [
        ((D(2026, 3, 1), D(2026, 3, 31)), (D(2026, 3, 31), D(2026, 4, 30)), True),
        ((D(2026, 3, 31), D(2026, 4, 30)), (D(2026, 3, 1), D(2026, 3, 31)), True),
        ((D(2026, 3, 1), D(2026, 3, 30)), (D(2026, 3, 31), D(2026, 4, 30)), False),
        ((D(2026, 4, 1), D(2026, 4, 30)), (D(2026, 3, 1), D(2026, 3, 31)), False),
        ((D(2026, 3, 1), D(2026, 5, 31)), (D(2026, 4, 1), D(2026, 4, 2)), True),
    ],
)
def test_two_date_spans_overlap_when_they_share_a_day(a, b, overlap):
    assert rules.dates_overlap(*a, *b) is overlap


@pytest.mark.parametrize(
    "modes,exempt",
    [
        (("remote", "centralized"), True),
        (("centralized", "remote"), True),
        (("remote", "remote"), True),
        (("centralized", "self_directed"), False),
        (("centralized", "centralized"), False),
    ],
)
def test_remote_study_is_exempt_from_the_overlap_rule(modes, exempt):
    assert rules.overlap_exempt(*modes) is exempt
