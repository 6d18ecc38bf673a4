"""Building the records the alert rules read, directly (the rules flag what came in by other ways
than the services' checks: imports, data corrected afterwards)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import Users

YEAR = 2026


def day(month: int, d: int, year: int = YEAR) -> dt.date:
    return dt.date(year, month, d)


@dataclass
class World:
    users: Users
    institution: Any
    other_institution: Any
    person: Callable[..., Any]
    new_class: Callable[..., Any]
    enroll: Callable[..., Any]


@pytest.fixture
def world(
    users: Users, institution: Any, other_institution: Any, trainee_factory: Callable[..., Any]
) -> World:
    from canpei.training.models import Enrollment, TrainingClass

    for inst in (institution, other_institution):
        inst.designated_from, inst.designated_to = day(1, 1, 2025), day(12, 31, 2027)
        inst.save()
    codes = itertools.count(1)
    march_2, march_20 = day(3, 2), day(3, 20)

    def new_class(
        *,
        institution: Any = institution,
        start: dt.date = march_2,
        end: dt.date = march_20,
        state: str = "running",
        **fields: Any,
    ) -> Any:
        serial = next(codes)
        values: dict[str, Any] = {
            "code": f"T{YEAR}-{serial:04d}",
            "name": f"电子商务培训班{serial}",
            "institution": institution,
            "training_type": "employment_skills",
            "mode": "centralized",
            "occupation": "电子商务师",
            "level": "junior",
            "start_date": start,
            "end_date": end,
            "hours": 40,
            "capacity": 30,
            "state": state,
        }
        values.update(fields)
        return TrainingClass.objects.create(**values)

    def enroll(
        training_class: Any, person: Any, *, status: str = "enrolled", attended: str = "0"
    ) -> Any:
        return Enrollment.objects.create(
            training_class=training_class,
            person=person,
            town_id=person.town_id,
            status=status,
            attended_hours=Decimal(attended),
        )

    return World(
        users=users,
        institution=institution,
        other_institution=other_institution,
        person=trainee_factory,
        new_class=new_class,
        enroll=enroll,
    )


def overlapping(world: World) -> tuple[Any, Any]:
    """王五 on the rosters of two classes of different institutions that share 2026-03-20."""
    p = world.person(name="王五")
    a = world.new_class(start=day(3, 2), end=day(3, 20))
    b = world.new_class(institution=world.other_institution, start=day(3, 20), end=day(4, 5))
    world.enroll(a, p)
    world.enroll(b, p)
    return a, b


def found(rule: str, year: int = YEAR) -> list[str]:
    """The sentences `rule` finds in `year`, in order."""
    from canpei.supervision.rules import RULES

    return sorted(f.summary for f in RULES[rule].find(year))
