"""The roster: enrolment by ID number, what an institution may name, withdrawal, the register,
results and certificates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from canpei.audit.models import AuditEntry
from canpei.errors import Conflict, InvalidInput
from canpei.people.services import person_lookup
from canpei.training import rules
from canpei.training.classes import services
from canpei.training.models import Attendance, ClassSession, Enrollment


def test_an_institution_enrols_by_full_id_number(users, make_class, trainee_factory):
    training_class = make_class(trainees=0)
    person = trainee_factory()
    enrollment = services.enrollment_add(
        actor=users.institution_staff,
        training_class=training_class,
        person=person.id_number.lower(),
    )
    assert enrollment.person == person and enrollment.status == "enrolled"
    assert AuditEntry.objects.filter(
        action="enrollment.create", object_id=str(enrollment.pk)
    ).exists()


def test_an_institution_may_name_a_person_by_id_only_after_looking_them_up(
    users, make_class, trainee_factory
):
    training_class = make_class(trainees=0)
    person = trainee_factory()
    with pytest.raises(InvalidInput) as refused:
        services.enrollment_add(
            actor=users.institution_staff, training_class=training_class, person=person.pk
        )
    assert refused.value.errors == [("person", rules.PERSON_NOT_FOUND)]
    assert not Enrollment.objects.filter(training_class=training_class).exists()
    person_lookup(actor=users.institution_staff, id_number=person.id_number)
    services.enrollment_add(
        actor=users.institution_staff, training_class=training_class, person=person.pk
    )
    assert Enrollment.objects.filter(training_class=training_class, person=person).exists()


def test_an_unknown_or_malformed_id_number_is_named(users, make_class):
    training_class = make_class(trainees=0)
    with pytest.raises(InvalidInput) as refused:
        services.enrollment_add(
            actor=users.institution_staff,
            training_class=training_class,
            person="350582199003070010",
        )
    assert refused.value.errors[0][0] == "person"


def test_the_same_person_twice_is_refused(users, make_class, trainee_factory):
    person = trainee_factory()
    training_class = make_class(persons=[person])
    with pytest.raises(Conflict) as refused:
        services.enrollment_add(
            actor=users.institution_staff, training_class=training_class, person=person.id_number
        )
    assert refused.value.message == rules.ALREADY_ENROLLED.format(
        person=rules.describe_person(person)
    )


def test_the_roster_closes_once_submitted(users, make_class, trainee_factory):
    training_class = make_class("submitted")
    with pytest.raises(Conflict) as refused:
        services.enrollment_add(
            actor=users.institution_staff,
            training_class=training_class,
            person=trainee_factory().id_number,
        )
    assert refused.value.message == rules.ROSTER_CLOSED.format(state="已申请")


def test_withdrawal_needs_a_reason_and_frees_the_place(users, make_class, trainee_factory):
    training_class = make_class("running", trainees=1, capacity=1)
    enrollment = training_class.enrollments.get()
    with pytest.raises(InvalidInput) as refused:
        services.enrollment_update(
            actor=users.institution_staff, enrollment=enrollment, data={"status": "withdrawn"}
        )
    assert refused.value.errors == [("withdraw_reason", rules.WITHDRAW_REASON_REQUIRED)]
    services.enrollment_update(
        actor=users.institution_staff,
        enrollment=enrollment,
        data={"status": "withdrawn", "withdraw_reason": "外出务工"},
    )
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.withdraw_reason) == ("withdrawn", "外出务工")
    assert enrollment.withdrawn_on == dt.date.today()


def test_the_register_sums_each_trainees_hours(users, make_class):
    training_class = make_class("running", trainees=2)
    first, second = training_class.enrollments.order_by("id")
    day = training_class.start_date
    services.session_record(
        actor=users.institution_staff,
        training_class=training_class,
        date=day,
        hours="4",
        topic="理论",
        attendance={first.pk: "4", second.pk: "0"},
    )
    services.session_record(
        actor=users.institution_staff,
        training_class=training_class,
        date=day + dt.timedelta(days=1),
        hours="4",
        topic="实操",
        attendance={first.pk: "3.5", str(second.pk): "4"},
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.attended_hours, second.attended_hours) == (Decimal("7.5"), Decimal("4"))
    # Recording a session again corrects it rather than adding to it.
    services.session_record(
        actor=users.institution_staff,
        training_class=training_class,
        date=day,
        hours="4",
        topic="理论",
        attendance={first.pk: "2", second.pk: "4"},
    )
    first.refresh_from_db()
    assert first.attended_hours == Decimal("5.5")
    assert ClassSession.objects.filter(training_class=training_class).count() == 2
    assert Attendance.objects.filter(session__training_class=training_class).count() == 4
    # Once there is a register, totals come from it.
    with pytest.raises(Conflict) as refused:
        services.enrollment_update(
            actor=users.institution_staff, enrollment=first, data={"attended_hours": "40"}
        )
    assert refused.value.message == rules.ATTENDANCE_FROM_REGISTER


def test_the_register_refuses_bad_hours_and_dates_and_writes_nothing(users, make_class):
    training_class = make_class("running", trainees=1)
    enrollment = training_class.enrollments.get()
    with pytest.raises(InvalidInput) as refused:
        services.session_record(
            actor=users.institution_staff,
            training_class=training_class,
            date=training_class.end_date + dt.timedelta(days=1),
            hours="4",
            attendance={enrollment.pk: "5", 999999: "1"},
        )
    fields = dict(refused.value.errors)
    assert fields["date"] == rules.SESSION_DATE_OUTSIDE.format(
        start=training_class.start_date.isoformat(), end=training_class.end_date.isoformat()
    )
    assert fields[f"attendance.{enrollment.pk}"] == rules.ATTENDANCE_EXCEEDS_SESSION.format(
        hours="4.0"
    )
    assert fields["attendance.999999"] == rules.PERSON_NOT_FOUND
    assert not ClassSession.objects.exists()


def test_the_register_is_closed_before_the_class_runs(users, make_class):
    training_class = make_class("approved", trainees=1)
    with pytest.raises(Conflict) as refused:
        services.session_record(
            actor=users.institution_staff,
            training_class=training_class,
            date=training_class.start_date,
            hours="4",
            attendance={},
        )
    assert refused.value.message == rules.ATTENDANCE_CLOSED.format(state="已批准")


def test_certificates_are_recorded_for_completed_trainees_after_completion(users, make_class):
    training_class = make_class("completed", trainees=1)
    enrollment = training_class.enrollments.get()
    assert enrollment.status == "completed"
    issued = dt.date.today().isoformat()
    services.enrollment_update(
        actor=users.institution_staff,
        enrollment=enrollment,
        data={
            "appraisal_result": "passed",
            "certificate": {
                "type": "special_ability",
                "level": "special",
                "number": "ZX2026001",
                "date": issued,
                "issuer": "泉州市职业技能鉴定中心",
            },
        },
    )
    enrollment.refresh_from_db()
    assert (
        enrollment.certificate_type,
        enrollment.certificate_number,
        enrollment.certificate_date.isoformat(),
    ) == ("special_ability", "ZX2026001", issued)


def test_a_certificate_needs_its_number_date_and_issuer(users, make_class):
    training_class = make_class("completed", trainees=1)
    enrollment = training_class.enrollments.get()
    with pytest.raises(InvalidInput) as refused:
        services.enrollment_update(
            actor=users.institution_staff,
            enrollment=enrollment,
            data={"certificate_type": "training"},
        )
    assert {f for f, _m in refused.value.errors} == {
        "certificate_number",
        "certificate_date",
        "certificate_issuer",
    }


def test_no_certificate_while_the_class_runs(users, make_class):
    training_class = make_class("running", trainees=1)
    enrollment = training_class.enrollments.get()
    with pytest.raises(Conflict) as refused:
        services.enrollment_update(
            actor=users.institution_staff, enrollment=enrollment, data={"certificate_number": "X1"}
        )
    assert refused.value.message == rules.CERTIFICATE_CLOSED


def test_town_staff_cannot_write_the_roster(users, make_class):
    from canpei.errors import Forbidden

    training_class = make_class("running", trainees=1)
    with pytest.raises(Forbidden):
        services.enrollment_update(
            actor=users.town_staff,
            enrollment=training_class.enrollments.get(),
            data={"result": "优"},
        )


def record_inspection(users: Any, training_class: Any, **data: Any) -> Any:
    return services.inspection_record(
        actor=users.city_admin, training_class=training_class, data={"present": 1, **data}
    )


def test_an_inspection_counts_the_roster_itself(users, make_class):
    training_class = make_class("running", trainees=3)
    inspection = record_inspection(
        users, training_class, present=1, findings="仅到 1 人", rectification_required=True
    )
    assert (inspection.on_roster, inspection.present) == (3, 1)
    with pytest.raises(InvalidInput) as refused:
        record_inspection(users, training_class, present=4)
    assert refused.value.errors == [("present", rules.PRESENT_INVALID.format(count=3))]
    services.inspection_rectified(
        actor=users.city_admin,
        inspection=inspection,
        note="已补签到并约谈",
        rectified_on=dt.date.today(),
    )
    inspection.refresh_from_db()
    assert inspection.rectified_on == dt.date.today()


def test_only_a_running_class_is_inspected_and_only_by_the_city(users, make_class):
    from canpei.errors import Forbidden

    with pytest.raises(Conflict):
        record_inspection(users, make_class("approved", trainees=1))
    with pytest.raises(Forbidden):
        services.inspection_record(
            actor=users.institution_staff,
            training_class=make_class("running", trainees=1),
            data={"present": 1},
        )


def test_a_trainee_who_moves_town_is_followed_by_the_new_towns_staff(
    users, make_class, trainee_factory
):
    from canpei.people.services import person_update
    from canpei.training.classes import selectors
    from tests.training.conftest import CIZAO

    person = trainee_factory()
    training_class = make_class("running", persons=[person])
    assert selectors.class_list(user=users.town_staff).filter(pk=training_class.pk).exists()
    person_update(actor=users.city_admin, person=person, data={"town": CIZAO})
    assert Enrollment.objects.get(person=person).town_id == CIZAO
    assert not selectors.class_list(user=users.town_staff).filter(pk=training_class.pk).exists()
    assert selectors.class_list(user=users.other_town_staff).filter(pk=training_class.pk).exists()


def test_an_import_that_moves_a_trainee_moves_their_enrolments(users, make_class, trainee_factory):
    from canpei.people.imports import persons_import
    from tests.training.conftest import CIZAO

    person = trainee_factory()
    make_class("running", persons=[person])
    sheet = (
        "姓名,身份证号,残疾证号,残疾类别,残疾等级,所属镇街\n"
        f"{person.name},{person.id_number},{person.cert_number},4,2,{CIZAO}\n"
    ).encode()
    result = persons_import(actor=users.city_admin, data=sheet, filename="moved.csv")
    assert result.ok, result.errors
    assert Enrollment.objects.get(person=person).town_id == CIZAO
