"""Creating and editing classes: validation of every field, who may set the institution, the
cycle the national system derives from the dates."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from canpei.errors import Conflict, InvalidInput
from canpei.training import rules
from canpei.training.classes import services
from canpei.training.models import TrainingClass
from canpei.training.rules import class_cycle
from tests.training.conftest import class_data


@pytest.mark.parametrize(
    "start,end,cycle",
    [
        ("2026-01-31", "2026-02-28", "short"),
        ("2026-03-01", "2026-04-01", "short"),
        ("2026-03-01", "2026-04-02", "medium"),
        ("2026-03-01", "2026-09-01", "medium"),
        ("2026-03-01", "2026-09-02", "long"),
        ("2026-11-01", "2027-03-01", "medium"),
    ],
)
def test_the_cycle_follows_the_national_count(start, end, cycle):
    assert class_cycle(dt.date.fromisoformat(start), dt.date.fromisoformat(end)) == cycle


@given(
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 1, 1)),
    st.integers(min_value=0, max_value=1000),
)
def test_the_cycle_never_shortens_as_a_class_grows(start, days):
    order = ["short", "medium", "long"]
    end = start + dt.timedelta(days=days)
    longer = end + dt.timedelta(days=1)
    assert order.index(class_cycle(start, end)) <= order.index(class_cycle(start, longer))


def test_every_bad_field_is_named_at_once(users, designated):
    with pytest.raises(InvalidInput) as refused:
        services.class_create(
            actor=users.institution_staff,
            data=class_data(
                name="",
                training_type="cooking",
                mode="online",
                level="master",
                hours=0,
                capacity="many",
                start_date="2026-02-30",
                subsidy_standard="-1",
                state="running",
            ),
        )
    assert dict(refused.value.errors) == {
        "name": rules.NAME_REQUIRED,
        "training_type": rules.TYPE_INVALID,
        "mode": rules.MODE_INVALID,
        "level": rules.LEVEL_INVALID,
        "hours": rules.HOURS_INVALID,
        "capacity": rules.CAPACITY_INVALID,
        "start_date": rules.DATE_INVALID,
        "subsidy_standard": rules.SUBSIDY_INVALID,
        "state": rules.STATE_FIELD,
    }
    assert not TrainingClass.objects.exists()


def test_end_before_start_is_refused(users, designated):
    with pytest.raises(InvalidInput) as refused:
        services.class_create(
            actor=users.institution_staff,
            data=class_data(start_date="2026-05-01", end_date="2026-04-30"),
        )
    assert refused.value.errors == [("end_date", rules.DATES_ORDER)]


def test_an_institution_opens_classes_only_for_itself(users, designated, other_institution):
    with pytest.raises(InvalidInput) as refused:
        services.class_create(
            actor=users.institution_staff, data=class_data(institution=other_institution.pk)
        )
    assert refused.value.errors == [("institution", rules.INSTITUTION_FIXED)]
    created = services.class_create(actor=users.institution_staff, data=class_data())
    assert created.institution == designated and created.state == "draft"


def test_the_city_names_the_institution(users, designated):
    with pytest.raises(InvalidInput) as refused:
        services.class_create(actor=users.city_admin, data=class_data())
    assert refused.value.errors == [("institution", rules.INSTITUTION_REQUIRED)]
    created = services.class_create(
        actor=users.city_admin, data=class_data(institution=designated.pk)
    )
    assert created.institution == designated


def test_teachers_must_be_the_institutions_active_ones(users, designated, other_institution):
    from canpei.institutions.models import Teacher

    ours = Teacher.objects.create(institution=designated, name="许秀英")
    theirs = Teacher.objects.create(institution=other_institution, name="王老师")
    with pytest.raises(InvalidInput) as refused:
        services.class_create(
            actor=users.institution_staff, data=class_data(teachers=[ours.pk, theirs.pk])
        )
    assert refused.value.errors == [("teachers", rules.TEACHERS_INVALID)]
    created = services.class_create(
        actor=users.institution_staff, data=class_data(teachers=[ours.pk])
    )
    assert list(created.teachers.all()) == [ours]


def test_a_submitted_class_is_not_edited_but_its_filing_number_may_be(users, make_class):
    training_class = make_class("submitted", appraisal=True)
    with pytest.raises(Conflict) as refused:
        services.class_update(
            actor=users.institution_staff, training_class=training_class, data={"capacity": 10}
        )
    assert refused.value.message == rules.NOT_EDITABLE_STATE.format(state="已申请")
    updated = services.class_update(
        actor=users.institution_staff,
        training_class=training_class,
        data={"filing_number": "BA-2026-07"},
    )
    assert updated.filing_number == "BA-2026-07"


def test_a_filing_number_belongs_to_an_appraisal_class(users, designated):
    with pytest.raises(InvalidInput) as refused:
        services.class_create(actor=users.institution_staff, data=class_data(filing_number="BA-1"))
    assert refused.value.errors == [("filing_number", rules.FILING_WITHOUT_APPRAISAL)]
