"""The towns an alert is about (AlertTown): what the town filter and town staff's scope read,
kept by the job and by every move, always equal to the current towns of the alert's persons."""

from __future__ import annotations

import random
from typing import Any

import pytest

from canpei.people.models import Person
from canpei.people.services import person_update
from canpei.supervision.compute import recompute
from canpei.supervision.models import Alert, AlertTown
from tests.conftest import ANHAI, CIZAO
from tests.supervision.conftest import World, day

pytestmark = pytest.mark.django_db


def _overlap(world: World, name: str, town: str) -> Any:
    person = world.person(name=name, town=town)
    a = world.new_class(start=day(3, 2), end=day(3, 20))
    b = world.new_class(
        institution=world.other_institution,
        start=day(3, 10),
        end=day(4, 5),
        occupation="中式面点师",
    )
    world.enroll(a, person)
    world.enroll(b, person)
    return person


def _kept() -> set[tuple[int, str]]:
    return set(AlertTown.objects.values_list("alert_id", "town"))


def _live() -> set[tuple[int, str]]:
    return set(Alert.persons.through.objects.values_list("alert_id", "person__town_id"))


def test_the_job_writes_each_alerts_towns(world: World) -> None:
    _overlap(world, "王五", ANHAI)
    _overlap(world, "赵六", CIZAO)
    recompute(2026)
    assert sorted(town for _alert, town in _kept()) == [ANHAI, CIZAO]
    assert _kept() == _live()


def test_a_moved_person_takes_their_alerts_to_the_new_town(
    world: World, api: Any, login: Any
) -> None:
    person = _overlap(world, "王五", ANHAI)
    recompute(2026)
    anhai, cizao = world.users.town_staff, world.users.other_town_staff
    assert api(anhai).get("/alerts").json()["count"] == 1
    assert api(cizao).get("/alerts").json()["count"] == 0
    assert "王五" in login(anhai).get("/alerts").content.decode()

    person_update(actor=world.users.city_admin, person=person, data={"town": CIZAO})

    assert api(anhai).get("/alerts").json()["count"] == 0
    assert api(cizao).get("/alerts").json()["count"] == 1
    assert "王五" not in login(anhai).get("/alerts").content.decode()
    assert "王五" in login(cizao).get("/alerts").content.decode()
    city = api(world.users.city_admin)
    assert city.get("/alerts", town=CIZAO).json()["count"] == 1
    assert city.get("/alerts", town=ANHAI).json()["count"] == 0


def test_the_towns_stay_equal_to_the_persons_towns_after_random_moves(world: World) -> None:
    rng = random.Random(12)
    persons = [
        _overlap(world, name, rng.choice([ANHAI, CIZAO]))
        for name in ("甲一", "乙二", "丙三", "丁四")
    ]
    recompute(2026)
    assert len(_kept()) == 4
    for step in range(12):
        person = Person.objects.get(pk=rng.choice(persons).pk)
        town = CIZAO if person.town_id == ANHAI else ANHAI
        person_update(actor=world.users.city_admin, person=person, data={"town": town})
        if step % 4 == 3:
            recompute(2026)  # the job finds nothing new: the towns it keeps must not drift
        assert _kept() == _live(), f"after move {step}"
