"""Survey progress (canpei.people.surveys.selectors): per town and year, the active working-age
persons on the registry (due) against those with a survey of that year (surveyed), and the list
of those not surveyed yet."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db.models import Q
from django.utils import timezone

from canpei.people.models import Person
from canpei.people.selectors import working_age_q
from canpei.people.services import person_change_status, person_create
from canpei.people.surveys import selectors as sel
from canpei.people.surveys.services import survey_create
from canpei.regions.models import Region
from tests.conftest import ANHAI, CIZAO, make_id, person_data

PAST_YEAR = 2024


def _person(users: Any, first17: str, name: str, town: str = ANHAI) -> Person:
    return person_create(
        actor=users.city_admin,
        data=person_data(name=name, id_number=make_id(first17), cert_number="", town=town),
    )


def _survey(users: Any, person: Person, year: int) -> None:
    today = timezone.localdate()
    day = today if year == today.year else dt.date(year, 6, 30)
    survey_create(
        actor=users.city_admin, data={"person": person.pk, "year": year, "surveyed_on": day}
    )


@pytest.fixture
def registry(users: Any, person_in: Person, person_out: Person) -> dict[str, Person]:
    """安海镇: persons due and not due for every reason; 磁灶镇: person_out (due)."""
    this_year = timezone.localdate().year
    people = {
        "due_surveyed": person_in,  # man, born 1990
        "due_unsurveyed": _person(users, "35058219950817001", "王五"),  # man, born 1995
        "woman_due": _person(users, f"350582{this_year - 40}0101002", "林秀"),
        # A woman of 56 and a man of 61: past working age (54 / 59 by default).
        "woman_too_old": _person(users, f"350582{this_year - 56}0101002", "陈阿婆"),
        "man_too_old": _person(users, f"350582{this_year - 61}0101001", "黄阿伯"),
        "too_young": _person(users, f"350582{this_year - 14}0101001", "小明"),
        "moved_out": _person(users, "35058219880202001", "郑迁"),
        "deceased": _person(users, "35058219870303001", "吴故"),
        "other_town": person_out,
    }
    _survey(users, people["due_surveyed"], this_year)
    _survey(users, people["woman_due"], this_year - 1)  # last year's only
    _survey(users, people["woman_too_old"], this_year)  # surveyed, but not due
    _survey(users, people["moved_out"], this_year)  # surveyed before moving
    _survey(users, people["other_town"], this_year)
    person_change_status(
        actor=users.city_admin,
        person=people["moved_out"],
        status="moved_out",
        comment="迁往泉州市区",
    )
    person_change_status(
        actor=users.city_admin, person=people["deceased"], status="deceased", comment="病故"
    )
    return people


def _row(rows: list[sel.TownProgress], town: str) -> sel.TownProgress:
    return next(r for r in rows if r.town == town)


def test_due_counts_only_active_working_age_persons_and_surveyed_those_of_the_year(
    users: Any, registry: dict[str, Person]
) -> None:
    year = timezone.localdate().year
    rows = sel.survey_progress(user=users.city_admin, year=year)
    anhai = _row(rows, ANHAI)
    # due: person_in, 王五, 林秀; surveyed this year among them: person_in only.
    assert (anhai.due, anhai.surveyed, anhai.remaining) == (3, 1, 2)
    assert anhai.ratio == round(1 / 3, 4)
    assert anhai.town_name == "安海镇"
    cizao = _row(rows, CIZAO)
    assert (cizao.due, cizao.surveyed, cizao.ratio) == (1, 1, 1.0)


def test_due_follows_the_working_age_rule_of_the_registry(
    users: Any, registry: dict[str, Person]
) -> None:
    """The same persons as canpei.people.selectors.working_age_q picks, active only."""
    today = timezone.localdate()
    for year, on in ((today.year, today), (PAST_YEAR, dt.date(PAST_YEAR, 12, 31))):
        rows = sel.survey_progress(user=users.city_admin, year=year)
        for town in (ANHAI, CIZAO):
            expected = Person.objects.filter(
                Q(town_id=town) & Q(status="active") & working_age_q(on)
            ).count()
            assert _row(rows, town).due == expected, (year, town)


def test_a_past_year_judges_working_age_at_its_end(users: Any, person_in: Person) -> None:
    """A man who turned 60 after 2024 was still due in 2024."""
    aged = _person(users, "35058219650301001", "蔡老")  # 59 on 2024-12-31, 60 on 2025-03-01
    assert sel.reference_date(PAST_YEAR) == dt.date(PAST_YEAR, 12, 31)
    due_then = {p.pk for p in sel.unsurveyed_persons(user=users.city_admin, year=PAST_YEAR)}
    assert aged.pk in due_then
    due_now = {
        p.pk for p in sel.unsurveyed_persons(user=users.city_admin, year=timezone.localdate().year)
    }
    assert aged.pk not in due_now


def test_every_town_is_listed_even_without_persons(users: Any, registry: dict[str, Person]) -> None:
    rows = sel.survey_progress(user=users.city_admin, year=timezone.localdate().year)
    towns = set(Region.objects.filter(level=Region.Level.TOWN).values_list("code", flat=True))
    assert {r.town for r in rows} == towns and len(rows) == len(towns)
    empty = next(r for r in rows if r.town not in (ANHAI, CIZAO))
    assert (empty.due, empty.surveyed, empty.ratio) == (0, 0, 0.0)


def test_town_staff_see_only_their_town(users: Any, registry: dict[str, Person]) -> None:
    year = timezone.localdate().year
    rows = sel.survey_progress(user=users.town_staff, year=year)
    assert [(r.town, r.due, r.surveyed) for r in rows] == [(ANHAI, 3, 1)]
    mirror = sel.survey_progress(user=users.other_town_staff, year=year)
    assert [(r.town, r.due, r.surveyed) for r in mirror] == [(CIZAO, 1, 1)]
    assert not sel.unsurveyed_persons(user=users.town_staff, year=year, town=CIZAO).exists()


@pytest.mark.parametrize("role", ["employment_service", "auditor"])
def test_city_wide_readers_see_the_same_figures_as_city_staff(
    role: str, users: Any, registry: dict[str, Person]
) -> None:
    year = timezone.localdate().year
    mine = sel.survey_progress(user=users.by_role()[role], year=year)
    city = sel.survey_progress(user=users.city_admin, year=year)
    assert [(r.town, r.due, r.surveyed) for r in mine] == [
        (r.town, r.due, r.surveyed) for r in city
    ]


@pytest.mark.parametrize(
    "role", ["institution_staff", "sys_admin", "security_admin", "audit_admin"]
)
def test_roles_that_do_not_browse_persons_count_nobody(
    role: str, users: Any, registry: dict[str, Person]
) -> None:
    year = timezone.localdate().year
    rows = sel.survey_progress(user=users.by_role()[role], year=year)
    assert all((r.due, r.surveyed) == (0, 0) for r in rows)
    assert not sel.unsurveyed_persons(user=users.by_role()[role], year=year).exists()


def test_unsurveyed_lists_exactly_the_due_but_not_surveyed(
    users: Any, registry: dict[str, Person]
) -> None:
    year = timezone.localdate().year
    rows = list(sel.unsurveyed_persons(user=users.city_admin, year=year))
    assert [p.pk for p in rows] == sorted([registry["due_unsurveyed"].pk, registry["woman_due"].pk])
    assert list(sel.unsurveyed_persons(user=users.city_admin, year=year, town=CIZAO)) == []
    mine = sel.unsurveyed_persons(user=users.town_staff, year=year, town=ANHAI)
    assert {p.pk for p in mine} == {registry["due_unsurveyed"].pk, registry["woman_due"].pk}
    # Last year: 林秀 was surveyed then; everyone else due that year was not.
    last = {p.pk for p in sel.unsurveyed_persons(user=users.city_admin, year=year - 1)}
    assert registry["woman_due"].pk not in last
    assert {
        registry["due_surveyed"].pk,
        registry["due_unsurveyed"].pk,
        registry["other_town"].pk,
    } <= last
    # The counts and the list agree.
    for row in sel.survey_progress(user=users.city_admin, year=year):
        listed = sel.unsurveyed_persons(user=users.city_admin, year=year, town=row.town).count()
        assert listed == row.remaining, row.town


def test_progress_orders_by_town_ratio_remaining_and_due(
    users: Any, registry: dict[str, Person]
) -> None:
    year = timezone.localdate().year
    by_town = sel.survey_progress(user=users.city_admin, year=year)
    assert [r.town for r in by_town] == sorted(r.town for r in by_town)
    lowest_first = sel.survey_progress(user=users.city_admin, year=year, order="ratio")
    assert [r.ratio for r in lowest_first] == sorted(r.ratio for r in lowest_first)
    assert lowest_first[-1].town == CIZAO
    highest_first = sel.survey_progress(user=users.city_admin, year=year, order="-ratio")
    assert highest_first[0].town == CIZAO
    assert sel.survey_progress(user=users.city_admin, year=year, order="remaining")[0].town == ANHAI
    assert sel.survey_progress(user=users.city_admin, year=year, order="due")[0].town == ANHAI
    # Ties keep the town order; an unknown order is the town order.
    zeros = [r.town for r in lowest_first if r.due == 0]
    assert zeros == sorted(zeros)
    assert [
        r.town for r in sel.survey_progress(user=users.city_admin, year=year, order="drop table")
    ] == [r.town for r in by_town]


def test_year_and_town_filters_are_parsed_strictly() -> None:
    from canpei.errors import InvalidInput

    assert sel.parse_year("2024") == 2024 and sel.parse_year("", default=2026) == 2026
    for bad in ("24", "2024a", "１２３４", "-2024", "3024"):
        with pytest.raises(InvalidInput) as exc:
            sel.parse_year(bad)
        assert exc.value.errors == [("year", sel.YEAR_FILTER_INVALID)]
    assert sel.parse_town(ANHAI) == ANHAI and sel.parse_town(None) == ""
    for bad in ("3505821010", "x" * 12, "350582101000 OR 1=1"):
        with pytest.raises(InvalidInput) as exc:
            sel.parse_town(bad)
        assert exc.value.errors == [("town", sel.TOWN_FILTER_INVALID)]
