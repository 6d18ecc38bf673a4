"""Fixtures of the training tests: a designated institution, classes in any state, trainees."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import ANHAI, CIZAO, Users, make_id, person_data


@pytest.fixture
def designated(institution: Any) -> Any:
    """The users' institution, designated for the years around today."""
    today = dt.date.today()
    institution.state = "designated"
    institution.designated_from = today.replace(month=1, day=1) - dt.timedelta(days=366)
    institution.designated_to = today.replace(month=12, day=31) + dt.timedelta(days=366)
    institution.save()
    return institution


def class_data(**overrides: Any) -> dict[str, Any]:
    today = dt.date.today()
    data: dict[str, Any] = {
        "name": "电子商务培训班",
        "training_type": "employment_skills",
        "mode": "centralized",
        "occupation": "电子商务师",
        "level": "junior",
        "start_date": (today - dt.timedelta(days=10)).isoformat(),
        "end_date": (today + dt.timedelta(days=20)).isoformat(),
        "hours": 40,
        "capacity": 30,
        "venue": "晋江市职业技术学校 3 号楼",
        "subsidy_standard": "1200",
    }
    data.update(overrides)
    return data


@pytest.fixture
def trainee_factory(users: Users) -> Callable[..., Any]:
    """Persons on the registry, each with a valid certificate and of working age unless told."""
    from canpei.people.services import person_create

    # Sequence numbers from 101 for each test: person_in holds 001, and within one test no two
    # trainees share an ID number (up to 899 of them).
    serials = itertools.count(101)

    def make(town: str = ANHAI, birth: str = "19900307", **overrides: Any) -> Any:
        serial = next(serials)
        if serial > 999:
            raise AssertionError("trainee_factory makes at most 899 trainees per test")
        number = make_id(f"350582{birth}{serial:03d}")
        data = person_data(
            id_number=number,
            cert_number=number + "42",
            town=town,
            name=overrides.pop(
                "name",
                "学员"
                + "甲乙丙丁戊己庚辛壬癸"[serial % 10]
                + "一二三四五六七八九十"[serial // 10 % 10],
            ),
        )
        data.update(overrides)
        return person_create(actor=users.city_admin, data=data)

    return make


@pytest.fixture
def make_class(
    users: Users, designated: Any, trainee_factory: Callable[..., Any], funded: None
) -> Callable[..., Any]:
    """A class of the users' institution, walked through the lifecycle to `state` by the roles
    that take each step, with `trainees` persons on its roster (or the given persons). Settling
    pays the class (standards and budgets from `funded`)."""
    from canpei.training.classes import services

    path = {
        "draft": [],
        "submitted": ["submit"],
        "returned": ["submit", "return"],
        "approved": ["submit", "approve"],
        "running": ["submit", "approve", "start"],
        "completed": ["submit", "approve", "start", "complete"],
        "audit_failed": ["submit", "approve", "start", "complete", "fail_audit"],
        "audited": ["submit", "approve", "start", "complete", "pass_audit"],
        "settled": ["submit", "approve", "start", "complete", "pass_audit", "settle"],
        "cancelled": ["cancel"],
    }

    def make(
        state: str = "draft",
        *,
        trainees: int = 2,
        persons: list[Any] | None = None,
        attended: str | None = None,
        **data: Any,
    ) -> Any:
        actor = users.institution_staff
        training_class = services.class_create(actor=actor, data=class_data(**data))
        for person in (
            persons if persons is not None else [trainee_factory() for _ in range(trainees)]
        ):
            services.enrollment_add(
                actor=actor, training_class=training_class, person=person.id_number
            )
        for action in path[state]:
            if action == "complete":
                hours = attended if attended is not None else str(training_class.hours)
                for enrollment in training_class.enrollments.all():
                    services.enrollment_update(
                        actor=actor, enrollment=enrollment, data={"attended_hours": hours}
                    )
            who = (
                users.city_admin
                if action in ("approve", "return", "pass_audit", "fail_audit", "settle")
                else actor
            )
            services.class_transition(
                training_class=training_class,
                actor=who,
                action=action,
                comment="测试" if action in ("return", "fail_audit", "cancel") else "",
            )
        training_class.refresh_from_db()
        return training_class

    return make


__all__ = ["ANHAI", "CIZAO", "class_data"]
