"""The matching summary (canpei.reports.summaries.matching) gives exactly what the live
computation gives: after every write of a seeded random sequence made through the real services
(surveys created and edited across years, persons moved, deceased and back), the needs and cells
equal the records, and the matching report read from the summary equals the live one for the
city and a town, for the years around the surveys."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

import pytest

from canpei.errors import ServiceError
from canpei.reports.matching import matching_report
from canpei.reports.models import MatchDemandCell, MatchNeed
from canpei.reports.summaries import rebuild_all
from canpei.reports.summaries.matching import is_built, matching_differences, rebuild_matching
from tests.conftest import ANHAI, CIZAO
from tests.reports.person_writes import flip_status, move_between_towns

YEAR = dt.date.today().year
SKILLS = ["ecommerce", "blind_massage", "computer", "cooking"]
TYPES = ["employment_skills", "skill_upgrade", "entrepreneurship", "rural_practical"]
MODES = ["", "centralized", "remote", "self_directed"]


def shape(rows: list[Any]) -> list[Any]:
    return [
        (
            r.town,
            r.skill,
            r.demand,
            r.places,
            r.unmet,
            r.by_type,
            r.by_mode,
            [c.pk for c in r.classes],
        )
        for r in rows
    ]


def agree(users: Any) -> None:
    assert matching_differences() == []
    for user in (users.city_admin, users.town_staff):
        for year in range(YEAR - 3, YEAR + 2):
            kept = matching_report(user=user, year=year)
            assert shape(kept) == shape(matching_report(user=user, year=year, live=True))


def needs(rng: random.Random) -> dict[str, Any]:
    if rng.random() < 0.25:
        return {"training_need": False}
    return {
        "training_need": True,
        "wanted_skills": rng.sample(SKILLS, rng.choice([1, 1, 2, 3])),
        "wanted_types": rng.sample(TYPES, rng.choice([0, 1, 2])),
        "preferred_mode": rng.choice(MODES),
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_summary_follows_random_writes(
    users: Any, seed: int, trainee_factory: Callable[..., Any], make_class: Callable[..., Any]
) -> None:
    from canpei.people.surveys.services import survey_create, survey_update

    rng = random.Random(seed)
    rebuild_matching()  # built on an empty registry: from here on the writes keep it
    assert is_built()
    persons = [trainee_factory(town=rng.choice([ANHAI, CIZAO])) for _ in range(8)]
    make_class("draft", trainees=0, skill="ecommerce", capacity=5)
    surveys: dict[tuple[int, int], Any] = {}

    def survey_in(person: Any, year: int) -> None:
        key = (person.pk, year)
        if key in surveys:
            surveys[key] = survey_update(
                actor=users.city_admin, survey=surveys[key], data=needs(rng)
            )
        else:
            surveys[key] = survey_create(
                actor=users.city_admin,
                data={
                    "person": person.pk,
                    "year": year,
                    "surveyed_on": dt.date(year, 5, 1) if year < YEAR else dt.date.today(),
                    **needs(rng),
                },
            )

    def surveyed(person: Any) -> None:
        survey_in(person, rng.choice([YEAR - 2, YEAR - 1, YEAR]))

    def move(person: Any) -> None:
        move_between_towns(users, person)

    def status(person: Any) -> None:
        flip_status(users, person)

    for person in persons:
        surveyed(person)
    agree(users)
    done = 0
    for _ in range(14):
        step = rng.choice([surveyed, surveyed, surveyed, move, status])
        try:
            step(rng.choice(persons))
            done += 1
        except ServiceError:
            pass  # a refused write changed nothing: still agree
        agree(users)
    assert done >= 8
    assert MatchNeed.objects.exists()


def test_a_rebuild_gives_what_the_writes_kept(
    users: Any, trainee_factory: Callable[..., Any]
) -> None:
    from canpei.people.surveys.services import survey_create

    rebuild_all()
    for n, person in enumerate(trainee_factory(town=ANHAI) for _ in range(3)):
        for year in (YEAR - 1, YEAR):
            survey_create(
                actor=users.city_admin,
                data={
                    "person": person.pk,
                    "year": year,
                    "surveyed_on": dt.date(year, 5, 1) if year < YEAR else dt.date.today(),
                    "training_need": True,
                    "wanted_skills": SKILLS[: n + 1],
                    "preferred_mode": "remote",
                },
            )

    def cells() -> list[Any]:
        return sorted(
            MatchDemandCell.objects.exclude(n=0).values_list(
                "town", "skill__code", "mode", "from_year", "to_year", "n"
            )
        )

    kept = cells()
    assert (ANHAI, "ecommerce", "remote", YEAR - 1, YEAR - 1, 3) in kept
    assert (ANHAI, "computer", "remote", YEAR, 9999, 1) in kept
    assert rebuild_matching() == 12  # 1 + 2 + 3 wanted skills, in each of two years
    assert cells() == kept
    assert matching_differences() == []


def test_unbuilt_the_summary_is_left_alone_and_the_page_is_live(
    users: Any, trainee_factory: Callable[..., Any]
) -> None:
    from canpei.people.surveys.services import survey_create

    person = trainee_factory(town=ANHAI)
    survey_create(
        actor=users.city_admin,
        data={
            "person": person.pk,
            "surveyed_on": dt.date.today(),
            "training_need": True,
            "wanted_skills": ["ecommerce"],
        },
    )
    assert not is_built()
    assert not MatchNeed.objects.exists()
    rows = matching_report(user=users.town_staff, year=YEAR)
    assert [(r.town, r.skill, r.demand) for r in rows] == [(ANHAI, "ecommerce", 1)]
    assert matching_differences() == []


def test_a_write_past_the_services_is_named_by_the_check(
    users: Any, trainee_factory: Callable[..., Any]
) -> None:
    from canpei.people.models import Skill, Survey

    rebuild_matching()
    person = trainee_factory(town=CIZAO)
    survey = Survey.objects.create(
        person=person, year=YEAR, training_need=True, surveyed_on=dt.date.today()
    )
    survey.wanted_skills.set([Skill.objects.get(code="cooking")])
    problems = matching_differences()
    assert f"person {person.pk}: needs differ from the records" in problems
    assert any(
        p.startswith(f"town {CIZAO} skill ") and p.endswith("no cell, counted 1") for p in problems
    )
    rebuild_matching()
    assert matching_differences() == []


def test_the_command_rebuilds_the_matching_summary_alone(
    capsys: Any, trainee_factory: Callable[..., Any]
) -> None:
    from canpei import cli
    from canpei.people.models import Skill, Survey
    from canpei.reports.models import TargetTally

    person = trainee_factory(town=ANHAI)
    survey = Survey.objects.create(
        person=person, year=YEAR, training_need=True, surveyed_on=dt.date.today()
    )
    survey.wanted_skills.set([Skill.objects.get(code="cooking")])
    assert cli.main(["summaries", "rebuild", "--only", "matching"]) == 0
    assert capsys.readouterr().out == "matching: 1\n"
    assert is_built() and MatchNeed.objects.get().person_id == person.pk
    assert not TargetTally.objects.exists()  # the other summaries were left alone
    assert cli.main(["summaries", "rebuild", "--only", "nothing"]) == 2
    assert "没有名为 nothing 的汇总表" in capsys.readouterr().err


@pytest.mark.django_db(transaction=True)
def test_the_command_vacuums_the_rebuilt_summaries_on_postgresql() -> None:
    """Outside a transaction (as the operator runs it) the rebuild is followed by VACUUM ANALYZE
    of every summary table, so their covering indexes serve reads at once (visibility map)."""
    from django.db import connection

    from canpei import cli

    if connection.vendor != "postgresql":
        pytest.skip("VACUUM is PostgreSQL's")
    tables = [
        "reports_matchneed",
        "reports_targetstanding",
        "funds_townyearpaid",
        "employment_openfollowupcell",
    ]

    def vacuumed() -> dict[str, int]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT relname, vacuum_count + autovacuum_count FROM pg_stat_user_tables "
                "WHERE relname = ANY(%s)",
                [tables],
            )
            return dict(cursor.fetchall())

    before = vacuumed()
    assert cli.main(["summaries", "rebuild", "--only", "matching"]) == 0
    after = vacuumed()
    assert sorted(after) == sorted(tables)
    assert all(after[t] == before[t] + 1 for t in tables), (before, after)
