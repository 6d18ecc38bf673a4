"""The class lifecycle and class codes under concurrency (QUALITY.md, Reliability: 20 concurrent
identical approvals / settlements take effect exactly once; issue 4: codes without clashes).

Twenty threads, each with its own database connection, released together by a barrier. Only
PostgreSQL runs them truly at once: SQLite serialises every writer, so there the row locks
under test are never contended.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from canpei.audit.models import AuditEntry
from canpei.audit.services import audit_verify
from canpei.training.classes import services
from canpei.training.models import ClassEvent, TrainingClass
from tests.concurrency import THREADS, all_at_once
from tests.training.conftest import class_data

POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")

pytestmark = [
    pytest.mark.skipif(
        not POSTGRES, reason="SQLite serialises all writers; row locks need PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def history(training_class: TrainingClass) -> list[tuple[str, str, str]]:
    return list(
        ClassEvent.objects.filter(training_class=training_class)
        .order_by("id")
        .values_list("action", "from_state", "to_state")
    )


def audit_actions(training_class: TrainingClass) -> list[str]:
    return list(
        AuditEntry.objects.filter(
            object_type="training.trainingclass", object_id=str(training_class.pk)
        )
        .order_by("id")
        .values_list("action", flat=True)
    )


@pytest.mark.parametrize(
    "action,start,target", [("approve", "submitted", "approved"), ("settle", "audited", "settled")]
)
def test_twenty_identical_concurrent_steps_take_effect_exactly_once(
    action: str, start: str, target: str, users: Any, make_class: Callable[..., Any]
) -> None:
    training_class = make_class(start, trainees=2)
    steps_before = history(training_class)
    audit_before = audit_actions(training_class)

    def step() -> str:
        services.class_transition(
            training_class=training_class, actor=users.city_admin, action=action, comment="并发测试"
        )
        return "ok"

    outcomes = all_at_once(step)

    assert sorted(outcomes) == ["conflict"] * (THREADS - 1) + ["ok"], outcomes
    assert TrainingClass.objects.get(pk=training_class.pk).state == target
    assert history(training_class) == steps_before + [(action, start, target)]
    assert audit_actions(training_class) == audit_before + [f"class.{action}"]
    assert audit_verify().ok
    assert connection.vendor == "postgresql"


def test_twenty_concurrent_creations_get_twenty_consecutive_codes(
    users: Any, designated: Any
) -> None:
    def create() -> str:
        return services.class_create(actor=users.institution_staff, data=class_data()).code

    outcomes = all_at_once(create)

    year = TrainingClass.objects.values_list("start_date", flat=True)[0].year
    assert sorted(outcomes) == [f"PX{year}-{n:05d}" for n in range(1, THREADS + 1)], outcomes
    assert TrainingClass.objects.count() == THREADS
    assert AuditEntry.objects.filter(action="class.create").count() == THREADS
    assert audit_verify().ok


def test_twenty_lookups_at_once_spend_the_allowance_exactly(users, settings):
    """The lookup count is a locked database row, not a per-process counter: of twenty lookups
    by one user at once (as from twenty gunicorn workers), exactly CANPEI_LOOKUP_RATE pass, and
    the window is audited as throttled once."""
    from django.utils import timezone

    from canpei.errors import Throttled
    from canpei.training.lookup_limit import lookup_count
    from canpei.training.models import LookupWindow

    settings.LOOKUP_RATE = 7
    actor = users.institution_staff
    now = timezone.now()  # one window for all, even if the run straddles a minute

    def look() -> str:
        try:
            lookup_count(actor, now=now)
        except Throttled:
            return "throttled"
        return "counted"

    outcomes = all_at_once(look)
    assert sorted(outcomes) == ["counted"] * 7 + ["throttled"] * 13
    window = LookupWindow.objects.get(user=actor)
    assert (window.lookups, window.refused) == (7, 13)
    assert AuditEntry.objects.filter(action="person.lookup_throttled").count() == 1
    assert audit_verify().ok
