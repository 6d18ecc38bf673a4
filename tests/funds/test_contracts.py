"""Procurement contracts (政府购买服务) and their instalments: the contract's fields, each refusal
with the message a clerk reads; an instalment's year within the contract's term and its amount
within what the contract has left, both sides of each boundary."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from canpei.errors import Conflict, InvalidInput
from canpei.funds import services
from canpei.funds.models import Contract, Disbursement

pytestmark = pytest.mark.django_db


def errors_of(exc: pytest.ExceptionInfo[Any]) -> dict[str, str]:
    return dict(exc.value.errors)


def contract_data(of: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "institution": str(of.pk),
        "number": "HT-2025-01",
        "amount": "5000.00",
        "start_date": "2025-03-01",
        "end_date": "2026-02-28",
    }
    data.update(overrides)
    return data


@pytest.fixture
def contract(users: Any, institution: Any) -> Contract:
    for year in (2025, 2026):
        services.budget_create(
            actor=users.city_admin,
            data={"year": year, "source": "security_fund", "amount": "100000.00"},
        )
    return services.contract_create(actor=users.city_admin, data=contract_data(institution))


def pay(users: Any, contract: Contract, **data: Any) -> Disbursement:
    return services.disbursement_create(
        actor=users.city_admin,
        data={"purpose": "contract", "contract": str(contract.pk), "instalment": "1", **data},
    )


def test_a_contract_is_recorded_with_its_figures(users: Any, institution: Any) -> None:
    made = services.contract_create(
        actor=users.city_admin, data=contract_data(institution, note="第一批")
    )
    stored = Contract.objects.get()
    assert (stored.pk, stored.institution_id, stored.number, stored.amount) == (
        made.pk,
        institution.pk,
        "HT-2025-01",
        Decimal("5000.00"),
    )
    assert (stored.start_date.isoformat(), stored.end_date.isoformat(), stored.note) == (
        "2025-03-01",
        "2026-02-28",
        "第一批",
    )


def test_a_contract_may_start_and_end_on_one_day(users: Any, institution: Any) -> None:
    made = services.contract_create(
        actor=users.city_admin,
        data=contract_data(institution, start_date="2025-03-01", end_date="2025-03-01"),
    )
    assert made.start_date == made.end_date


def test_the_contract_fields_are_checked_at_once(users: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        services.contract_create(
            actor=users.city_admin,
            data={
                "amount": "0",
                "start_date": "2025-03-02",
                "end_date": "2025-03-01",
                "classes": "x",
            },
        )
    assert errors_of(exc) == {
        "institution": "请选择承接机构",
        "number": "请填写合同编号",
        "amount": "金额须为 0.01 至 1000000000.00 元，最多两位小数",
        "end_date": "结束日期不能早于开始日期",
        "classes": "涵盖培训班须为培训班编号的列表",
    }
    assert not Contract.objects.exists()


@pytest.mark.parametrize("raw", ["abc", "999999", "1234567890123"])
def test_an_unknown_institution_is_named(users: Any, institution: Any, raw: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        services.contract_create(
            actor=users.city_admin, data=contract_data(institution, institution=raw)
        )
    assert errors_of(exc) == {"institution": "承接机构不存在"}


def test_a_contract_number_is_taken_once_and_has_at_most_50_characters(
    users: Any, institution: Any
) -> None:
    services.contract_create(actor=users.city_admin, data=contract_data(institution))
    with pytest.raises(InvalidInput) as exc:
        services.contract_create(actor=users.city_admin, data=contract_data(institution))
    assert errors_of(exc) == {"number": "合同编号 HT-2025-01 已登记"}
    with pytest.raises(InvalidInput) as exc:
        services.contract_create(
            actor=users.city_admin, data=contract_data(institution, number="H" * 51)
        )
    assert errors_of(exc) == {"number": "合同编号不能超过 50 个字符"}
    services.contract_create(
        actor=users.city_admin, data=contract_data(institution, number="H" * 50)
    )
    assert Contract.objects.count() == 2


def test_the_classes_covered_must_exist_and_be_the_institutions(
    users: Any, institution: Any, make_class: Any
) -> None:
    own = make_class("draft", trainees=0)
    with pytest.raises(InvalidInput) as exc:
        services.contract_create(
            actor=users.city_admin, data=contract_data(institution, classes=f"{own.pk}，999999")
        )
    assert errors_of(exc) == {"classes": "培训班不存在"}
    made = services.contract_create(
        actor=users.city_admin, data=contract_data(institution, classes=[own.pk, str(own.pk)])
    )
    assert list(made.classes.values_list("pk", flat=True)) == [own.pk]


def test_an_instalment_is_paid_in_the_contracts_first_year_unless_told(
    users: Any, contract: Contract
) -> None:
    paid = pay(users, contract, amount="1000.00")
    assert (paid.purpose, paid.contract_id, paid.instalment, paid.year, paid.amount) == (
        "contract",
        contract.pk,
        1,
        2025,
        Decimal("1000.00"),
    )
    assert paid.institution_id == contract.institution_id
    assert not paid.lines.exists()


@pytest.mark.parametrize("year,ok", [(2024, False), (2025, True), (2026, True), (2027, False)])
def test_an_instalments_year_is_within_the_contracts_term(
    users: Any, contract: Contract, year: int, ok: bool
) -> None:
    if ok:
        assert pay(users, contract, amount="10.00", year=str(year)).year == year
        return
    with pytest.raises(InvalidInput) as exc:
        pay(users, contract, amount="10.00", year=str(year))
    assert errors_of(exc) == {
        "year": f"合同 HT-2025-01 的期限为 2025-03-01 至 2026-02-28，不能使用 {year} 年的预算"
    }
    assert not Disbursement.objects.exists()


def test_instalments_may_reach_the_contract_amount_but_not_pass_it(
    users: Any, contract: Contract
) -> None:
    pay(users, contract, amount="3000.00")
    with pytest.raises(InvalidInput) as exc:
        pay(users, contract, amount="2000.01", instalment="2")
    assert errors_of(exc) == {
        "amount": "合同 HT-2025-01 金额 5000.00 元，已拨付 3000.00 元，本次 2000.01 元将超出合同金额"
    }
    last = pay(users, contract, amount="2000.00", instalment="2")
    assert last.amount == Decimal("2000.00")
    assert Disbursement.objects.count() == 2


def test_a_reversed_instalment_no_longer_counts_against_the_contract(
    users: Any, contract: Contract
) -> None:
    first = pay(users, contract, amount="5000.00")
    services.disbursement_reverse(actor=users.city_admin, disbursement_id=first.pk, reason="重付")
    again = pay(users, contract, amount="5000.00")
    assert again.amount == Decimal("5000.00")


@pytest.mark.parametrize("instalment,ok", [("0", False), ("1", True), ("99", True), ("100", False)])
def test_the_instalment_is_1_to_99(
    users: Any, contract: Contract, instalment: str, ok: bool
) -> None:
    if ok:
        assert pay(users, contract, amount="1.00", instalment=instalment).instalment == int(
            instalment
        )
        return
    with pytest.raises(InvalidInput) as exc:
        pay(users, contract, amount="1.00", instalment=instalment)
    assert errors_of(exc) == {"instalment": "期次须为 1 至 99 的整数"}


def test_an_instalment_is_paid_once(users: Any, contract: Contract) -> None:
    first = pay(users, contract, amount="100.00")
    with pytest.raises(Conflict) as exc:
        pay(users, contract, amount="100.00")
    assert exc.value.message == f"合同 HT-2025-01 第 1 期已拨付（拨付单 #{first.pk}），不能重复拨付"
    assert exc.value.errors[0][0] == "contract"
    assert pay(users, contract, amount="100.00", instalment="2").instalment == 2
