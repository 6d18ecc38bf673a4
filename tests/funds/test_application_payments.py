"""An individual application's payment: only once approved and completed, at the standard of its
kind in force on its planned start (or its submission day), typed where no standard applies,
in the year of that day; each refusal with the message a clerk reads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from canpei.errors import InvalidInput
from canpei.funds import services
from canpei.funds.models import Disbursement, DisbursementLine
from canpei.training.applications.services import application_create, application_transition
from canpei.training.models import Application
from tests.training.applications.test_applications import PROOF, app_data

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


def errors_of(exc: pytest.ExceptionInfo[Any]) -> dict[str, str]:
    return dict(exc.value.errors)


@pytest.fixture
def approved(users: Any, trainee_factory: Callable[..., Any]) -> Callable[..., Application]:
    """An approved application of an 安海镇 person, completed unless told, and a budget."""
    for year in (TODAY.year - 1, TODAY.year):
        services.budget_create(
            actor=users.city_admin,
            data={"year": year, "source": "security_fund", "amount": "100000.00"},
        )

    def make(*, complete: bool = True, **data: Any) -> Application:
        application = application_create(
            actor=users.town_staff, data=app_data(trainee_factory(), **data)
        )
        application_transition(application=application, actor=users.city_admin, action="approve")
        if complete:
            application_transition(
                application=application, actor=users.town_staff, action="complete", data=PROOF
            )
        application.refresh_from_db()
        return application

    return make


def standard(users: Any, amount: str, start: dt.date, end: dt.date | None = None) -> Any:
    return services.standard_create(
        actor=users.city_admin,
        data={
            "purpose": "application",
            "application_kind": "self_directed",
            "amount": amount,
            "effective_from": start.isoformat(),
            "effective_to": end.isoformat() if end else "",
        },
    )


def pay(users: Any, application: Application, **data: Any) -> Disbursement:
    return services.disbursement_create(
        actor=users.city_admin,
        data={"purpose": "application", "application": str(application.pk), **data},
    )


def test_an_application_is_paid_at_the_standard_in_force_on_its_planned_start(
    users: Any, approved: Callable[..., Application]
) -> None:
    standard(users, "800.00", TODAY - dt.timedelta(days=400), TODAY - dt.timedelta(days=1))
    current = standard(users, "1200.00", TODAY)
    application = approved()
    paid = pay(users, application)
    assert (paid.purpose, paid.application_id, paid.year, paid.amount) == (
        "application",
        application.pk,
        TODAY.year,
        Decimal("1200.00"),
    )
    line = DisbursementLine.objects.get(disbursement=paid)
    assert (line.person_id, line.town_id, line.standard_id, line.amount) == (
        application.person_id,
        application.person.town_id,
        current.pk,
        Decimal("1200.00"),
    )


def test_a_standard_of_another_kind_does_not_apply(
    users: Any, approved: Callable[..., Application]
) -> None:
    standard(users, "800.00", TODAY - dt.timedelta(days=10), TODAY)
    application = approved()
    services.standard_create(
        actor=users.city_admin,
        data={
            "purpose": "application",
            "application_kind": "appraisal",
            "amount": "99.00",
            "effective_from": TODAY.isoformat(),
        },
    )
    assert pay(users, application).amount == Decimal("800.00")


def test_a_standard_ending_the_day_before_does_not_apply_and_the_amount_is_typed(
    users: Any, approved: Callable[..., Application]
) -> None:
    standard(users, "800.00", TODAY - dt.timedelta(days=10), TODAY - dt.timedelta(days=1))
    application = approved()
    with pytest.raises(InvalidInput) as exc:
        pay(users, application)
    assert errors_of(exc) == {"amount": "请填写金额"}
    paid = pay(users, application, amount="1499.99")
    assert paid.amount == Decimal("1499.99")
    line = DisbursementLine.objects.get(disbursement=paid)
    assert (line.standard_id, line.amount) == (None, Decimal("1499.99"))


def test_a_typed_amount_is_refused_where_a_standard_applies(
    users: Any, approved: Callable[..., Application]
) -> None:
    standard(users, "800.00", TODAY)
    application = approved()
    with pytest.raises(InvalidInput) as exc:
        pay(users, application, amount="800.00")
    assert errors_of(exc) == {"amount": "已有补贴标准，金额按标准计算，不能填写"}
    assert not Disbursement.objects.exists()


def test_an_application_not_completed_is_not_paid(
    users: Any, approved: Callable[..., Application]
) -> None:
    application = approved(complete=False)
    with pytest.raises(InvalidInput) as exc:
        pay(users, application, amount="100.00")
    assert errors_of(exc) == {
        "application": f"个人申请 #{application.pk} 尚未批准并完成（当前状态：已批准），不能拨付"
    }
    assert not Disbursement.objects.exists()


def test_an_application_is_paid_from_its_own_years_budget(
    users: Any, approved: Callable[..., Application]
) -> None:
    application = approved()
    with pytest.raises(InvalidInput) as exc:
        pay(users, application, amount="100.00", year=str(TODAY.year - 1))
    assert errors_of(exc) == {
        "year": f"个人申请 #{application.pk}属于 {TODAY.year} 年，不能使用 {TODAY.year - 1} 年的预算"
    }
    assert pay(users, application, amount="100.00", year=str(TODAY.year)).year == TODAY.year


def test_without_a_planned_start_the_submission_day_decides(
    users: Any, approved: Callable[..., Application]
) -> None:
    application = approved(planned_start="", planned_end="")
    assert application.planned_start is None
    assert services.application_day(application) == TODAY
    standard(users, "600.00", TODAY)
    assert pay(users, application).amount == Decimal("600.00")
