"""Money's rules, each on both sides of its boundary, with the messages a clerk reads; nothing is
stored when refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from canpei.errors import Conflict, Forbidden, InvalidInput
from canpei.funds import rules, services
from canpei.funds.models import Budget, Disbursement, DisbursementLine, Donation, SubsidyStandard
from canpei.training.models import EnrollmentStatus

pytestmark = pytest.mark.django_db


def errors_of(exc: pytest.ExceptionInfo[Any]) -> dict[str, str]:
    return dict(exc.value.errors)


def budget(users: Any, year: int, amount: str, source: str = "security_fund") -> Any:
    return services.budget_create(
        actor=users.city_admin, data={"year": year, "source": source, "amount": amount}
    )


def walk(training_class: Any, users: Any, *actions: str) -> Any:
    from canpei.training.classes import services as class_services

    for action in actions:
        who = users.city_admin if action in ("pass_audit", "settle") else users.institution_staff
        if action == "complete":
            for e in training_class.enrollments.exclude(status="withdrawn"):
                class_services.enrollment_update(
                    actor=users.institution_staff,
                    enrollment=e,
                    data={"attended_hours": str(training_class.hours)},
                )
        class_services.class_transition(training_class=training_class, actor=who, action=action)
    training_class.refresh_from_db()
    return training_class


def test_settling_pays_the_completers_at_the_standard_line_by_line(
    users: Any, make_class: Callable[..., Any]
) -> None:
    training_class = make_class("settled", trainees=3)
    payment = Disbursement.objects.get(training_class=training_class)
    assert payment.amount == Decimal("3000.00")
    assert payment.source == "security_fund" and payment.year == training_class.year
    lines = list(payment.lines.values_list("amount", flat=True))
    assert lines == [Decimal("1000.00")] * 3


def test_settle_is_refused_without_a_standard_and_nothing_changes(
    users: Any, make_class: Callable[..., Any]
) -> None:
    training_class = make_class("audited", trainees=2)
    SubsidyStandard.objects.all().delete()
    with pytest.raises(Conflict) as exc:
        walk(training_class, users, "settle")
    assert "的补贴标准，请先新增补贴标准" in exc.value.message
    assert exc.value.message.startswith(
        f"没有适用于培训班 {training_class.code}（就业技能培训·初级"
    )
    training_class.refresh_from_db()
    assert training_class.state == "audited"
    assert not Disbursement.objects.exists()


def test_settle_over_budget_is_refused_with_the_figures(
    users: Any, make_class: Callable[..., Any]
) -> None:
    training_class = make_class("audited", trainees=2)
    Budget.objects.filter(year=training_class.year).delete()
    budget(users, training_class.year, "1999.99")
    with pytest.raises(Conflict) as exc:
        walk(training_class, users, "settle")
    assert exc.value.message == (
        f"超出预算：{training_class.year} 年残疾人就业保障金预算 1999.99 元，已拨付 0.00 元，"
        "剩余 1999.99 元，本次拨付 2000.00 元"
    )
    assert not Disbursement.objects.exists()
    budget(users, training_class.year, "0.01")  # exactly enough now
    walk(training_class, users, "settle")
    assert Disbursement.objects.get().amount == Decimal("2000.00")


def test_a_class_is_paid_once(users: Any, make_class: Callable[..., Any]) -> None:
    training_class = make_class("settled", trainees=1)
    with pytest.raises(Conflict) as exc:
        services.disbursement_create(
            actor=users.city_admin, data={"purpose": "class", "class": training_class.pk}
        )
    first = Disbursement.objects.get()
    assert (
        exc.value.message
        == f"培训班 {training_class.code}已拨付（拨付单 #{first.pk}），不能重复拨付"
    )
    assert exc.value.errors[0][0] == "class"
    assert Disbursement.objects.count() == 1


def test_class_payment_refusals_name_the_field(users: Any, make_class: Callable[..., Any]) -> None:
    running = make_class("running", trainees=1)
    with pytest.raises(InvalidInput) as exc:
        services.disbursement_create(
            actor=users.city_admin, data={"purpose": "class", "class": running.pk}
        )
    assert errors_of(exc) == {
        "class": f"培训班 {running.code} 尚未通过结业审核（当前状态：开班中），不能拨付"
    }
    audited = make_class("audited", trainees=2)
    withdrawn = audited.enrollments.order_by("pk").first()
    withdrawn.status = EnrollmentStatus.WITHDRAWN
    withdrawn.save()
    with pytest.raises(InvalidInput) as exc:
        services.disbursement_create(
            actor=users.city_admin,
            data={
                "purpose": "class",
                "class": audited.pk,
                "trainees": [withdrawn.person_id],
                "year": audited.year + 1,
                "amount": "5",
            },
        )
    found = errors_of(exc)
    assert found["trainees"].endswith("已退学，不能拨付")
    assert found["year"] == (
        f"培训班 {audited.code}属于 {audited.year} 年，不能使用 {audited.year + 1} 年的预算"
    )
    assert found["amount"] == rules.AMOUNT_COMPUTED
    assert not Disbursement.objects.exists()
    # The trainee who completed, alone: paid.
    other = audited.enrollments.exclude(pk=withdrawn.pk).get()
    paid = services.disbursement_create(
        actor=users.city_admin,
        data={"purpose": "class", "class": audited.pk, "trainees": [other.person_id]},
    )
    assert paid.amount == Decimal("1000.00")


@pytest.mark.parametrize(
    "amount,ok",
    [
        ("-1", False),
        ("0", False),
        ("0.01", True),
        ("12.345", False),
        ("1000000000", True),
        ("1000000000.01", False),
        ("1e5", False),
        ("abc", False),
    ],
)
def test_budget_amounts(users: Any, amount: str, ok: bool) -> None:
    data = {"year": 2026, "source": "security_fund", "amount": amount}
    if ok:
        assert services.budget_create(actor=users.city_admin, data=data).amount == Decimal(amount)
        return
    with pytest.raises(InvalidInput) as exc:
        services.budget_create(actor=users.city_admin, data=data)
    assert errors_of(exc) == {"amount": "金额须为 0.01 至 1000000000.00 元，最多两位小数"}
    assert not Budget.objects.exists()


def test_budget_adjustment_needs_a_note_and_cannot_go_below_paid(users: Any) -> None:
    budget(users, 2026, "100.00")
    with pytest.raises(InvalidInput) as exc:
        services.budget_create(
            actor=users.city_admin,
            data={"year": 2026, "source": "security_fund", "kind": "adjustment", "amount": "-101"},
        )
    assert errors_of(exc) == {"note": rules.NOTE_REQUIRED}
    with pytest.raises(InvalidInput) as exc:
        services.budget_create(
            actor=users.city_admin,
            data={
                "year": 2026,
                "source": "security_fund",
                "kind": "adjustment",
                "amount": "-100.01",
                "note": "调减",
            },
        )
    assert errors_of(exc) == {
        "amount": "调整后 2026 年残疾人就业保障金预算为 -0.01 元，低于已拨付的 0.00 元"
    }
    services.budget_create(
        actor=users.city_admin,
        data={
            "year": 2026,
            "source": "security_fund",
            "kind": "adjustment",
            "amount": "-100.00",
            "note": "调减",
        },
    )
    assert services.budget_totals(2026, "security_fund") == (Decimal("0.00"), Decimal("0"))


def test_overlapping_standards_are_refused(users: Any) -> None:
    base = {
        "purpose": "class",
        "training_type": "skill_upgrade",
        "level": "senior",
        "amount": "900",
    }
    first = services.standard_create(
        actor=users.city_admin,
        data={**base, "effective_from": "2025-01-01", "effective_to": "2025-12-31"},
    )
    with pytest.raises(InvalidInput) as exc:
        services.standard_create(
            actor=users.city_admin, data={**base, "effective_from": "2025-12-31"}
        )
    assert errors_of(exc) == {
        "effective_from": f"与已有标准 #{first.pk}（2025-01-01 至 2025-12-31）的有效期重叠"
    }
    services.standard_create(actor=users.city_admin, data={**base, "effective_from": "2026-01-01"})
    # Another key (any level) may overlap.
    services.standard_create(
        actor=users.city_admin, data={**base, "level": "", "effective_from": "2025-06-01"}
    )
    assert SubsidyStandard.objects.filter(training_type="skill_upgrade").count() == 3


def test_standard_fields_are_checked(users: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        services.standard_create(
            actor=users.city_admin,
            data={
                "purpose": "award",
                "training_type": "skill_upgrade",
                "amount": "100000.01",
                "effective_from": "2026-02-01",
                "effective_to": "2026-01-31",
            },
        )
    assert errors_of(exc) == {
        "training_type": "竞赛奖励标准不填此项",
        "award_grade": rules.GRADE_REQUIRED,
        "amount": "金额须为 0.01 至 100000.00 元，最多两位小数",
        "effective_to": rules.TO_BEFORE_FROM,
    }
    assert not SubsidyStandard.objects.exists()


def test_the_most_specific_standard_in_force_on_the_start_date_applies(
    users: Any, make_class: Callable[..., Any]
) -> None:
    training_class = make_class("audited", trainees=1)
    start = training_class.start_date
    services.standard_create(
        actor=users.city_admin,
        data={
            "purpose": "class",
            "training_type": "employment_skills",
            "level": "junior",
            "amount": "1500",
            "effective_from": start.isoformat(),
        },
    )
    services.standard_create(
        actor=users.city_admin,
        data={
            "purpose": "class",
            "training_type": "employment_skills",
            "level": "junior",
            "mode": "centralized",
            "amount": "1700",
            "effective_from": (start + dt.timedelta(days=1)).isoformat(),
        },
    )
    # The one of the day after the start is not in force on the start date.
    standard = services.class_standard(training_class)
    assert standard is not None and standard.amount == Decimal("1500.00")


def test_donation_needs_a_donor_and_joins_the_budget(users: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        services.donation_create(
            actor=users.city_admin,
            data={"amount": "100.5", "date": "2026-01-02", "receipt_number": "R1"},
        )
    assert errors_of(exc) == {"donor": "请填写捐赠人"}
    assert not Donation.objects.exists() and not Budget.objects.exists()
    services.donation_create(
        actor=users.city_admin,
        data={"donor": "爱心企业", "amount": "100.5", "date": "2026-01-02", "receipt_number": "R1"},
    )
    assert services.budget_totals(2026, "donation")[0] == Decimal("100.50")
    with pytest.raises(InvalidInput) as exc:
        services.donation_create(
            actor=users.city_admin,
            data={"donor": "又一", "amount": "1", "date": "2026-01-02", "receipt_number": "R1"},
        )
    assert errors_of(exc) == {"receipt_number": "收据编号 R1 已登记"}


def test_only_the_city_writes_money(users: Any) -> None:
    for user in (users.auditor, users.town_staff, users.institution_staff, users.sys_admin):
        with pytest.raises(Forbidden):
            services.budget_create(
                actor=user, data={"year": 2026, "source": "budget", "amount": "1"}
            )
    assert not Budget.objects.exists()


def test_reversal_is_a_negative_entry_and_the_purpose_may_be_paid_again(
    users: Any, make_class: Callable[..., Any]
) -> None:
    training_class = make_class("settled", trainees=2)
    first = Disbursement.objects.get()
    with pytest.raises(InvalidInput) as exc:
        services.disbursement_reverse(actor=users.city_admin, disbursement_id=first.pk, reason="")
    assert errors_of(exc) == {"reason": rules.REASON_REQUIRED}
    reversal = services.disbursement_reverse(
        actor=users.city_admin, disbursement_id=first.pk, reason="人数有误"
    )
    assert reversal.amount == Decimal("-2000.00") and reversal.reverses_id == first.pk
    assert sum(DisbursementLine.objects.values_list("amount", flat=True)) == 0
    with pytest.raises(Conflict):
        services.disbursement_reverse(
            actor=users.city_admin, disbursement_id=first.pk, reason="再次"
        )
    again = services.disbursement_create(
        actor=users.city_admin, data={"purpose": "class", "class": training_class.pk}
    )
    assert again.amount == Decimal("2000.00")
    assert services.budget_totals(training_class.year, "security_fund")[1] == Decimal("2000.00")
