"""Working age (就业年龄段): men 16–59 and women 16–54 inclusive by default, configurable.

The rule is computed twice — in Python (rules.working_age_on, Person.working_age) and as a
database filter (selectors.working_age_q, person_list(working_age=...)) — and the two must agree
on every boundary, 29 February births included.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from canpei.people.models import Person
from canpei.people.rules import (
    Gender,
    age_on,
    latest_birth_for_age,
    working_age_birth_range,
    working_age_on,
)
from canpei.people.selectors import PersonFilters, person_list, working_age_q
from canpei.people.services import person_create
from tests.conftest import CIZAO, make_id, person_data

MALE, FEMALE = Gender.MALE, Gender.FEMALE
ON = dt.date(2024, 6, 15)


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` earlier (28 February for a 29 February without one)."""
    return latest_birth_for_age(day, years)


_sequence = iter(range(10_000))


def register(users: Any, birth: dt.date, gender: str, town: str | None = None) -> Person:
    """Register through the service: birth date and gender come from the ID number."""
    seq = next(_sequence) % 500 * 2 + (1 if gender == MALE else 0)
    number = make_id(f"350582{birth:%Y%m%d}{seq:03d}")
    overrides: dict[str, Any] = {"id_number": number, "cert_number": ""}
    if town:
        overrides["town"] = town
    person = person_create(actor=users.city_admin, data=person_data(**overrides))
    assert (person.birth_date, person.gender) == (birth, gender)
    return person


def in_working_age_in_db(person: Person, on: dt.date) -> bool:
    return Person.objects.filter(working_age_q(on), pk=person.pk).exists()


BOUNDARIES = [
    # gender, birth, on, expected: what a federation clerk would say
    pytest.param(MALE, dt.date(2008, 6, 16), ON, False, id="man-day-before-16th-birthday"),
    pytest.param(MALE, dt.date(2008, 6, 15), ON, True, id="man-16th-birthday"),
    pytest.param(MALE, dt.date(1964, 6, 16), ON, True, id="man-day-before-60th-birthday"),
    pytest.param(MALE, dt.date(1964, 6, 15), ON, False, id="man-60th-birthday"),
    pytest.param(FEMALE, dt.date(2008, 6, 16), ON, False, id="woman-day-before-16th-birthday"),
    pytest.param(FEMALE, dt.date(2008, 6, 15), ON, True, id="woman-16th-birthday"),
    pytest.param(FEMALE, dt.date(1969, 6, 16), ON, True, id="woman-day-before-55th-birthday"),
    pytest.param(FEMALE, dt.date(1969, 6, 15), ON, False, id="woman-55th-birthday"),
    pytest.param(FEMALE, dt.date(1964, 6, 16), ON, False, id="woman-of-59-is-out"),
    # Born on 29 February.
    pytest.param(MALE, dt.date(2008, 2, 29), dt.date(2024, 2, 28), False, id="feb29-day-before-16"),
    pytest.param(MALE, dt.date(2008, 2, 29), dt.date(2024, 2, 29), True, id="feb29-16th-birthday"),
    pytest.param(
        MALE, dt.date(1964, 2, 29), dt.date(2024, 2, 28), True, id="feb29-man-day-before-60"
    ),
    pytest.param(
        MALE, dt.date(1964, 2, 29), dt.date(2024, 2, 29), False, id="feb29-man-60th-birthday"
    ),
    # 55 falls in a common year: the birthday counts from 1 March.
    pytest.param(
        FEMALE, dt.date(1968, 2, 29), dt.date(2023, 2, 28), True, id="feb29-woman-54-on-feb28"
    ),
    pytest.param(
        FEMALE, dt.date(1968, 2, 29), dt.date(2023, 3, 1), False, id="feb29-woman-55-on-mar1"
    ),
    # Checked on 29 February, against births in a common year.
    pytest.param(FEMALE, dt.date(1969, 2, 28), dt.date(2024, 2, 29), False, id="on-feb29-woman-55"),
    pytest.param(FEMALE, dt.date(1969, 3, 1), dt.date(2024, 2, 29), True, id="on-feb29-woman-54"),
    pytest.param(MALE, dt.date(2008, 3, 1), dt.date(2024, 2, 29), False, id="on-feb29-boy-15"),
]


@pytest.mark.parametrize("gender, birth, on, expected", BOUNDARIES)
def test_the_python_rule_puts_the_boundaries_where_the_law_does(gender, birth, on, expected):
    assert working_age_on(birth=birth, gender=gender, on=on) is expected


@pytest.mark.parametrize("gender, birth, on, expected", BOUNDARIES)
def test_the_database_filter_agrees_with_the_python_rule_on_the_boundaries(
    users, gender, birth, on, expected
):
    person = register(users, birth, gender)
    assert person.working_age_on(on) is expected
    assert in_working_age_in_db(person, on) is expected


def test_the_database_filter_agrees_with_the_python_rule_around_29_february(users):
    births = [
        dt.date(year, 2, 25) + dt.timedelta(days=d)
        for year in (1963, 1964, 1968, 1969, 2007, 2008)
        for d in range(8)
    ]
    persons = [register(users, birth, gender) for birth in births for gender in (MALE, FEMALE)]
    days = [dt.date(year, 2, 26) + dt.timedelta(days=d) for year in (2023, 2024) for d in range(5)]
    for on in days:
        in_db = set(Person.objects.filter(working_age_q(on)).values_list("pk", flat=True))
        in_python = {p.pk for p in persons if p.working_age_on(on)}
        assert in_db == in_python, on
        assert in_python, on  # the window straddles boundaries: some in, some out


@given(
    st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)),
    st.dates(dt.date(1950, 1, 1), dt.date(2100, 12, 31)),
    st.sampled_from([MALE, FEMALE]),
    st.integers(14, 20),
    st.integers(50, 70),
)
def test_the_birth_range_the_database_filters_on_matches_the_python_rule(
    birth, on, gender, low, high
):
    spans = {"male": (low, high), "female": (low, high)}
    with override_settings(WORKING_AGE=spans):
        after, until = working_age_birth_range(gender, on)
        assert (after < birth <= until) == working_age_on(birth=birth, gender=gender, on=on)


@given(
    st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)),
    st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)),
)
def test_age_goes_up_by_one_on_the_birthday_only(birth, on):
    if on < birth:
        return
    age = age_on(birth, on)
    assert age >= 0
    assert age_on(birth, on + dt.timedelta(days=1)) - age in (0, 1)


def test_person_list_filters_on_working_age_today(users):
    today = timezone.localdate()
    inside = [
        register(users, years_before(today, 16), MALE),
        register(users, years_before(today, 60) + dt.timedelta(days=1), MALE),
        register(users, years_before(today, 16), FEMALE),
        register(users, years_before(today, 55) + dt.timedelta(days=1), FEMALE),
    ]
    outside = [
        register(users, years_before(today, 16) + dt.timedelta(days=1), MALE),
        register(users, years_before(today, 60), MALE),
        register(users, years_before(today, 55), FEMALE),
        register(users, years_before(today, 16) + dt.timedelta(days=1), FEMALE),
    ]
    working = person_list(user=users.city_admin, filters=PersonFilters(working_age=True))
    not_working = person_list(user=users.city_admin, filters=PersonFilters(working_age=False))
    assert [p.pk for p in working] == [p.pk for p in inside]
    assert [p.pk for p in not_working] == [p.pk for p in outside]
    assert all(p.working_age for p in inside) and not any(p.working_age for p in outside)


def test_person_list_filters_working_age_within_the_callers_town(users):
    today = timezone.localdate()
    mine = register(users, years_before(today, 30), MALE)
    register(users, years_before(today, 30), FEMALE, town=CIZAO)
    working = person_list(user=users.town_staff, filters=PersonFilters(working_age=True))
    assert [p.pk for p in working] == [mine.pk]


def test_the_working_age_setting_changes_both_rules(users, settings):
    today = timezone.localdate()
    man_of_61 = register(users, years_before(today, 61), MALE)
    woman_of_56 = register(users, years_before(today, 56), FEMALE)
    man_of_30 = register(users, years_before(today, 30), MALE)

    def working() -> set[int]:
        return {
            p.pk
            for p in person_list(user=users.city_admin, filters=PersonFilters(working_age=True))
        }

    assert working() == {man_of_30.pk}
    assert not man_of_61.working_age and not woman_of_56.working_age

    # Retirement ages raised (men 63, women 58): they are of working age again.
    settings.WORKING_AGE = {"male": (16, 62), "female": (16, 57)}
    assert working() == {man_of_30.pk, man_of_61.pk, woman_of_56.pk}
    assert man_of_61.working_age and woman_of_56.working_age

    # A later minimum age takes the young man out.
    settings.WORKING_AGE = {"male": (31, 62), "female": (16, 57)}
    assert working() == {man_of_61.pk, woman_of_56.pk}
    assert not man_of_30.working_age
