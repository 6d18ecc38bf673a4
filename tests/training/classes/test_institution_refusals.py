"""What an institution is told when a person cannot join its class (issue 8, item 8).

An institution must not learn a person's status (迁出, 死亡, no valid certificate) or that the
person is in another institution's class: it gets one generic refusal, "该人员目前不能报名本班，
请联系镇街专干" (naming the trainee only when they are already on its own roster), while the city
sees the reason. An unregistered number and an inactive person answer alike, to the status code.
Checked in the service, on the class page and through the API, at enrolment and at submission.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from canpei.accounts.models import User
from canpei.errors import Conflict, InvalidInput
from canpei.people.services import person_change_status
from canpei.training import rules
from canpei.training.classes import services
from canpei.training.models import Enrollment, TrainingClass
from tests.conftest import PASSWORD, make_id
from tests.training.fixtures import class_data

GENERIC = "该人员目前不能报名本班，请联系镇街专干"
# Classes filed in time (no late-filing reason, issue 12): they start today.
TODAY = dt.date.today().isoformat()


@pytest.fixture
def other_class(users: Any, other_institution: Any, trainee_factory: Any) -> Any:
    """An approved class of another institution, with its own staff, running over the same dates
    as make_class's classes."""
    today = dt.date.today()
    other_institution.designated_from = today.replace(year=today.year - 2, month=1, day=1)
    other_institution.designated_to = today.replace(month=12, day=31) + dt.timedelta(days=366)
    other_institution.save()
    staff = User(username="base", role="institution_staff", institution=other_institution)
    staff.set_password(PASSWORD)
    staff.save()
    training_class = services.class_create(
        actor=staff, data=class_data(name="另一机构的秘密班", start_date=TODAY)
    )
    return training_class, staff


def approve(training_class: Any, staff: Any, city: Any) -> None:
    services.class_transition(training_class=training_class, actor=staff, action="submit")
    services.class_transition(training_class=training_class, actor=city, action="approve")


def enrol(actor: Any, training_class: Any, person: Any) -> Any:
    return services.enrollment_add(actor=actor, training_class=training_class, person=person)


def refusal(actor: Any, training_class: Any, person: Any) -> tuple[str, str, list[Any]]:
    with pytest.raises((Conflict, InvalidInput)) as refused:
        enrol(actor, training_class, person)
    return type(refused.value).__name__, refused.value.message, refused.value.errors


def moved_out(users: Any, person: Any, status: str = "moved_out") -> Any:
    return person_change_status(
        actor=users.city_admin, person=person, status=status, comment="变更"
    )


# ---- enrolment by ID number ------------------------------------------------------------------


@pytest.mark.parametrize("status, label", [("moved_out", "迁出"), ("deceased", "死亡")])
def test_an_institution_is_not_told_a_persons_status(
    users, make_class, trainee_factory, status, label
):
    training_class = make_class(trainees=0, start_date=TODAY)
    person = moved_out(users, trainee_factory(), status)
    assert refusal(users.institution_staff, training_class, person.id_number) == (
        "Conflict",
        GENERIC,
        [("person", GENERIC)],
    )
    # The city sees why.
    assert refusal(users.city_admin, training_class, person.id_number)[1] == (
        rules.TRAINEE_NOT_ACTIVE.format(person=rules.describe_person(person), status=label)
    )
    assert not Enrollment.objects.filter(training_class=training_class).exists()


def test_an_unregistered_number_answers_as_an_inactive_person_does(
    users, make_class, trainee_factory
):
    training_class = make_class(trainees=0, start_date=TODAY)
    # Outside working age as well: no second message may name the person or their age.
    inactive = moved_out(users, trainee_factory(birth="19500101"))
    unknown = make_id("35058219700101999")
    assert (
        refusal(users.institution_staff, training_class, unknown)
        == refusal(users.institution_staff, training_class, inactive.id_number)
        == ("Conflict", GENERIC, [("person", GENERIC)])
    )
    # The city is told the number is not on the registry.
    assert refusal(users.city_admin, training_class, unknown) == (
        "InvalidInput",
        "输入有误，请检查标出的字段",
        [("person", rules.PERSON_NOT_FOUND)],
    )


def test_an_institution_is_not_told_of_a_missing_certificate(users, make_class, trainee_factory):
    training_class = make_class(trainees=0, start_date=TODAY)
    person = trainee_factory(cert_number="")
    assert refusal(users.institution_staff, training_class, person.id_number)[1:] == (
        GENERIC,
        [("person", GENERIC)],
    )
    assert refusal(users.city_admin, training_class, person.id_number)[1] == (
        rules.TRAINEE_NO_CERTIFICATE.format(person=rules.describe_person(person))
    )


def test_an_institution_is_not_told_of_another_institutions_class(
    users, make_class, trainee_factory, other_class
):
    theirs, staff = other_class
    person = trainee_factory()
    enrol(staff, theirs, person.id_number)
    approve(theirs, staff, users.city_admin)
    ours = make_class(trainees=0, start_date=TODAY)
    kind, message, errors = refusal(users.institution_staff, ours, person.id_number)
    assert (kind, message, errors) == ("Conflict", GENERIC, [("person", GENERIC)])
    assert theirs.code not in message and "秘密班" not in message
    assert refusal(users.city_admin, ours, person.id_number)[1] == rules.OVERLAPPING_CLASS.format(
        person=rules.describe_person(person), other=f"{theirs.code} 另一机构的秘密班"
    )


def test_an_institution_is_still_told_of_its_own_overlapping_class(
    users, make_class, trainee_factory
):
    person = trainee_factory()
    first = make_class("approved", persons=[person], name="第一班")
    second = make_class(trainees=0, name="第二班", start_date=TODAY)
    assert refusal(users.institution_staff, second, person.id_number)[1] == (
        rules.OVERLAPPING_CLASS.format(
            person=rules.describe_person(person), other=f"{first.code} 第一班"
        )
    )


def test_an_eligible_person_is_enrolled_as_before(users, make_class, trainee_factory):
    training_class = make_class(trainees=0, start_date=TODAY)
    person = trainee_factory()
    assert enrol(users.institution_staff, training_class, person.id_number).person == person


# ---- submission of a roster --------------------------------------------------------------------


def test_submission_names_the_trainee_but_not_their_status(users, make_class, trainee_factory):
    person = trainee_factory()
    training_class = make_class(persons=[person], start_date=TODAY)
    moved_out(users, person)
    with pytest.raises(Conflict) as refused:
        services.class_transition(
            training_class=training_class, actor=users.institution_staff, action="submit"
        )
    expected = rules.TRAINEE_NOT_ELIGIBLE.format(person=rules.describe_person(person))
    assert expected == f"学员 {rules.describe_person(person)} 目前不能报名本班，请联系镇街专干"
    assert refused.value.message == expected
    assert refused.value.errors == [("roster", expected)]


def test_submission_does_not_name_another_institutions_class(
    users, make_class, trainee_factory, other_class
):
    person = trainee_factory()
    ours = make_class(persons=[person], start_date=TODAY)
    theirs, staff = other_class
    enrol(staff, theirs, person.id_number)
    approve(theirs, staff, users.city_admin)
    with pytest.raises(Conflict) as refused:
        services.class_transition(
            training_class=ours, actor=users.institution_staff, action="submit"
        )
    assert refused.value.errors == [
        ("roster", rules.TRAINEE_NOT_ELIGIBLE.format(person=rules.describe_person(person)))
    ]
    assert theirs.code not in str(refused.value.errors)


def test_the_city_approving_sees_the_reasons(users, make_class, trainee_factory, other_class):
    person = trainee_factory()
    ours = make_class("submitted", persons=[person], start_date=TODAY)
    theirs, staff = other_class
    # The other class was approved with the same person meanwhile (as a class approved before
    # this rule held would be): written directly, since the services refuse to make the clash.
    Enrollment.objects.create(training_class=theirs, person=person, town_id=person.town_id)
    TrainingClass.objects.filter(pk=theirs.pk).update(state="approved")
    with pytest.raises(Conflict) as refused:
        services.class_transition(training_class=ours, actor=users.city_admin, action="approve")
    assert refused.value.message == rules.OVERLAPPING_CLASS.format(
        person=rules.describe_person(person), other=f"{theirs.code} 另一机构的秘密班"
    )


# ---- the page and the API --------------------------------------------------------------------


def test_the_enrol_page_gives_an_institution_the_generic_refusal(
    users, make_class, trainee_factory, login
):
    training_class = make_class(trainees=0, start_date=TODAY)
    person = moved_out(users, trainee_factory())
    for number in (person.id_number, make_id("35058219700101999")):
        response = login(users.institution_staff).post(
            f"/classes/{training_class.pk}/enroll", {"enroll-person": number}
        )
        page = response.content.decode()
        assert response.status_code == 409
        assert GENERIC in page and "迁出" not in page and person.name not in page
    city = login(users.city_admin).post(
        f"/classes/{training_class.pk}/enroll", {"enroll-person": person.id_number}
    )
    assert city.status_code == 409 and "迁出" in city.content.decode()


def test_the_api_gives_an_institution_the_generic_refusal(
    users, make_class, trainee_factory, other_class, api
):
    theirs, staff = other_class
    busy = trainee_factory()
    enrol(staff, theirs, busy.id_number)
    approve(theirs, staff, users.city_admin)
    gone = moved_out(users, trainee_factory())
    ours = make_class(trainees=0, start_date=TODAY)
    for person in (busy, gone):
        response = api(users.institution_staff).post(
            f"/classes/{ours.pk}/enrollments", {"person": person.id_number}
        )
        assert response.status_code == 409
        assert response.json() == {
            "detail": GENERIC,
            "errors": [{"field": "person", "message": GENERIC}],
        }
    city = api(users.city_admin).post(f"/classes/{ours.pk}/enrollments", {"person": busy.id_number})
    assert city.status_code == 409 and theirs.code in json.dumps(city.json(), ensure_ascii=False)


def test_the_submit_button_gives_an_institution_the_generic_refusal(
    users, make_class, trainee_factory, login
):
    person = trainee_factory()
    training_class = make_class(persons=[person], start_date=TODAY)
    moved_out(users, person)
    response = login(users.institution_staff).post(
        f"/classes/{training_class.pk}/transitions", {"action": "submit", "comment": ""}
    )
    page = response.content.decode()
    assert response.status_code == 409
    assert "目前不能报名本班，请联系镇街专干" in page and "迁出" not in page
