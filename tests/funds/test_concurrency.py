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


def test_concurrent_settlements_never_pay_beyond_the_budget(
    users: Any, make_class: Callable[..., Any]
) -> None:
    """Four classes of 2,000.00 settled at once against a budget of 4,000.00: the year's budget
    entries are locked before the remaining money is read, so two are paid and two are refused
    with the figures, never four paid from a remaining read before the others wrote."""
    from decimal import Decimal

    from canpei.funds.models import Budget

    classes = [make_class("audited", trainees=2) for _ in range(4)]
    year = classes[0].year
    Budget.objects.filter(year=year).delete()
    funds.budget_create(
        actor=users.city_admin, data={"year": year, "source": "security_fund", "amount": "4000"}
    )
    queue = list(classes)

    def settle() -> str:
        training_class = queue.pop()
        services.class_transition(
            training_class=training_class, actor=users.city_admin, action="settle"
        )
        return "ok"

    outcomes = all_at_once(settle, threads=len(classes))
    assert sorted(outcomes) == ["conflict", "conflict", "ok", "ok"], outcomes
    paid = [d.amount for d in Disbursement.objects.filter(year=year)]
    assert paid == [Decimal("2000.00")] * 2


def test_concurrent_application_payments_never_pay_beyond_the_budget(
    users: Any, trainee_factory: Callable[..., Any]
) -> None:
    """Four approved and completed applications of 1,000.00 paid at once against a budget of
    2,000.00: two are paid, two refused, never more than the budget."""
    import datetime as dt
    from decimal import Decimal

    from canpei.funds.models import Budget
    from canpei.training.applications.services import application_create, application_transition
    from tests.funds.test_application_payments import standard
    from tests.training.applications.test_applications import PROOF, app_data

    year = dt.date.today().year
    Budget.objects.filter(year=year).delete()
    funds.budget_create(
        actor=users.city_admin, data={"year": year, "source": "security_fund", "amount": "2000"}
    )
    standard(users, "1000.00", dt.date(year, 1, 1))
    queue = []
    for _ in range(4):
        application = application_create(actor=users.town_staff, data=app_data(trainee_factory()))
        application_transition(application=application, actor=users.city_admin, action="approve")
        application_transition(
            application=application, actor=users.town_staff, action="complete", data=PROOF
        )
        queue.append(application.pk)

    def pay() -> str:
        funds.disbursement_create(
            actor=users.city_admin, data={"purpose": "application", "application": queue.pop()}
        )
        return "ok"

    outcomes = all_at_once(pay, threads=4)
    assert sorted(outcomes) == ["conflict", "conflict", "ok", "ok"], outcomes
    paid = [d.amount for d in Disbursement.objects.filter(year=year)]
    assert paid == [Decimal("1000.00")] * 2
