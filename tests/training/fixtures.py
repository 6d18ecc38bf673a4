"""Fixtures of the training tests: a designated institution, classes in any state, trainees."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from decimal import ROUND_CEILING, Decimal
from typing import Any

import pytest

from tests.conftest import ANHAI, CIZAO, Users, make_id, person_data


@pytest.fixture
def designated(institution: Any) -> Any:
    """The users' institution, designated from the first of January two years back (the
    oldest classes the tests make start 680 days ago) to the end of next year."""
    today = dt.date.today()
    institution.state = "designated"
    institution.designated_from = today.replace(year=today.year - 2, month=1, day=1)
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


# The reason the fixture gives for a class submitted or approved after its start date.
LATE_FILING_REASON = "开班后补报：测试"


def session_plan(hours: int, days: int) -> list[Decimal]:
    """The hours of each session that together register `hours` over at most `days` days."""
    per_day = max(Decimal("8"), (Decimal(hours) / days).quantize(Decimal("1"), ROUND_CEILING))
    plan: list[Decimal] = []
    left = Decimal(hours)
    while left > 0:
        plan.append(min(per_day, left))
        left -= plan[-1]
    return plan


def register_hours(actor: Any, training_class: Any, attended: str | dict[int, str] | None) -> None:
    """Register the class's planned hours, a session a day from its start date, each trainee
    attending `attended` hours in all (every hour unless told; or per enrolment id) and getting
    a result, as an institution does before it declares completion."""
    from canpei.training.classes import services

    last = min(training_class.end_date, dt.date.today())
    days = (last - training_class.start_date).days + 1
    roster = list(training_class.enrollments.exclude(status="withdrawn").order_by("pk"))
    given = attended if isinstance(attended, dict) else {e.pk: attended for e in roster}
    left = {e.pk: Decimal(given.get(e.pk) or training_class.hours) for e in roster}
    for index, hours in enumerate(session_plan(training_class.hours, days)):
        attendance = {}
        for pk in left:
            attendance[pk] = str(min(hours, left[pk]))
            left[pk] -= min(hours, left[pk])
        services.session_record(
            actor=actor,
            training_class=training_class,
            date=training_class.start_date + dt.timedelta(days=index),
            hours=str(hours),
            attendance=attendance,
        )
    for enrollment in roster:
        services.enrollment_update(actor=actor, enrollment=enrollment, data={"result": "合格"})


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
        if "complete" in path[state] and "end_date" not in data:
            # Completion is declared once the end date is reached (issue 12): a class walked
            # past it ends today unless told otherwise.
            data["end_date"] = dt.date.today().isoformat()
        training_class = services.class_create(actor=actor, data=class_data(**data))
        for person in (
            persons if persons is not None else [trainee_factory() for _ in range(trainees)]
        ):
            services.enrollment_add(
                actor=actor, training_class=training_class, person=person.id_number
            )
        for action in path[state]:
            if action == "complete":
                register_hours(actor, training_class, attended)
            who = (
                users.city_admin
                if action in ("approve", "return", "pass_audit", "fail_audit", "settle")
                else actor
            )
            comment = "测试" if action in ("return", "fail_audit", "cancel") else ""
            if action in ("submit", "approve") and training_class.start_date < dt.date.today():
                comment = LATE_FILING_REASON
            services.class_transition(
                training_class=training_class, actor=who, action=action, comment=comment
            )
        training_class.refresh_from_db()
        return training_class

    return make


__all__ = ["ANHAI", "CIZAO", "class_data"]
