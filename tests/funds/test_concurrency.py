"""Twenty concurrent settlements of one class, and twenty concurrent retries with one
Idempotency-Key, leave one payment (PostgreSQL; SQLite serialises every writer)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings

from canpei.funds import services as funds
from canpei.funds.models import Disbursement
from canpei.training.classes import services
from tests.concurrency import THREADS, all_at_once

POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")

pytestmark = [
    pytest.mark.skipif(
        not POSTGRES, reason="SQLite serialises all writers; row locks need PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_twenty_concurrent_settlements_pay_once(users: Any, make_class: Callable[..., Any]) -> None:
    training_class = make_class("audited", trainees=2)

    def settle() -> str:
        services.class_transition(
            training_class=training_class, actor=users.city_admin, action="settle"
        )
        return "ok"

    outcomes = all_at_once(settle)
    assert sorted(outcomes) == ["conflict"] * (THREADS - 1) + ["ok"], outcomes
    assert Disbursement.objects.filter(training_class=training_class).count() == 1


def test_twenty_retries_with_one_key_pay_once(users: Any, make_class: Callable[..., Any]) -> None:
    training_class = make_class("audited", trainees=2)
    body = {"purpose": "class", "class": training_class.pk}

    def pay() -> Any:
        def work() -> tuple[int, dict[str, Any]]:
            paid = funds.disbursement_create(actor=users.city_admin, data=body)
            return 201, {"id": paid.pk}

        return funds.idempotent(actor=users.city_admin, key="retry-1", request=body, work=work)

    outcomes = all_at_once(pay)
    paid = Disbursement.objects.get(training_class=training_class)
    assert all(o in ((201, {"id": paid.pk}), "conflict") for o in outcomes), outcomes
    assert Disbursement.objects.count() == 1
