"""What each money write leaves on record (the row, its audit entry with actor, action, object and
figures) and the request checks around it: budget years and adjustments on both sides of each
bound, a payment request's own fields, reversals, refused payments and the Idempotency-Key."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest

from canpei.audit.models import AuditEntry
from canpei.errors import Conflict, InvalidInput
from canpei.funds import services
from canpei.funds.models import Budget, Contract, Disbursement, Donation, SubsidyStandard

pytestmark = pytest.mark.django_db

NOTE_TOO_LONG = "说明不能超过 200 个字符"


def errors_of(exc: pytest.ExceptionInfo[Any]) -> dict[str, str]:
    return dict(exc.value.errors)


def last_audit(action: str) -> AuditEntry:
    return AuditEntry.objects.filter(action=action).latest("id")


def audited(action: str, actor: Any, object_type: str, obj: Any) -> AuditEntry:
    """The newest entry of `action`, checked to name its actor and the object written."""
    entry = last_audit(action)
    assert (entry.actor_id, entry.object_type, entry.object_id) == (
        actor.pk,
        object_type,
        str(obj.pk),
    )
    return entry


def budget(users: Any, **data: Any) -> Budget:
    return services.budget_create(
        actor=users.city_admin, data={"year": 2026, "source": "security_fund", **data}
    )


@pytest.fixture
def contract(users: Any, institution: Any) -> Contract:
    budget(users, amount="100000.00")
    return make_contract(users, institution, number="HT-9", amount="9000.00")


def make_contract(users: Any, institution: Any, **data: Any) -> Contract:
    return services.contract_create(
        actor=users.city_admin,
        data={
            "institution": str(institution.pk),
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
            **data,
        },
    )


def pay_contract(users: Any, contract: Contract, **data: Any) -> Disbursement:
    return services.disbursement_create(
        actor=users.city_admin,
        data={
            "purpose": "contract",
            "contract": str(contract.pk),
            "instalment": "1",
            "amount": "100.00",
            **data,
        },
    )


# ---- budgets ----------------------------------------------------------------------------------


@pytest.mark.parametrize("year,ok", [(1999, False), (2000, True), (2100, True), (2101, False)])
def test_a_budget_year_is_2000_to_2100(users: Any, year: int, ok: bool) -> None:
    if ok:
        assert budget(users, year=year, amount="1.00").year == year
        return
    with pytest.raises(InvalidInput) as exc:
        budget(users, year=year, amount="1.00")
    assert errors_of(exc) == {"year": "年度须为 2000 至 2100 之间的整数"}


def test_a_budget_entry_is_audited_with_its_figures(users: Any) -> None:
    entry = budget(users, amount="1234.50", note="年初")
    audit = audited("budget.create", users.city_admin, "funds.budget", entry)
    assert audit.summary == "登记 2026 年残疾人就业保障金年初预算 1234.50 元"
    assert audit.changes == {
        "after": {
            "year": 2026,
            "source": "security_fund",
            "kind": "initial",
            "amount": "1234.50",
            "note": "年初",
        }
    }
    assert (entry.kind, entry.amount, entry.note, entry.created_by_id) == (
        "initial",
        Decimal("1234.50"),
        "年初",
        users.city_admin.pk,
    )


def test_an_unknown_budget_kind_is_refused(users: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        budget(users, amount="1.00", kind="donation")
    assert errors_of(exc) == {"kind": "类别须为 initial（年初预算）或 adjustment（预算调整）"}


ADJUSTMENT_INVALID = "调整金额须为非零金额（可为负数），绝对值不超过 1000000000.00 元，最多两位小数"


@pytest.mark.parametrize(
    "amount,ok",
    [
        ("0", False),
        ("0.00", False),
        ("0.01", True),
        ("-0.01", True),
        ("1", True),
        ("1000000000", True),
        ("1000000000.01", False),
        ("-1000000000.01", False),
    ],
)
def test_an_adjustment_is_a_non_zero_amount_either_way(users: Any, amount: str, ok: bool) -> None:
    budget(users, amount="1000000000.00")
    data = {"kind": "adjustment", "amount": amount, "note": "文件"}
    if ok:
        made = budget(users, **data)
        assert (made.kind, made.amount) == ("adjustment", Decimal(amount))
        assert last_audit("budget.create").summary == (
            f"登记 2026 年残疾人就业保障金预算调整 {Decimal(amount):.2f} 元"
        )
        return
    with pytest.raises(InvalidInput) as exc:
        budget(users, **data)
    assert exc.value.errors == [("amount", ADJUSTMENT_INVALID)]
    assert Budget.objects.count() == 1


def test_an_adjustment_with_a_note_too_long_names_only_that(users: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        budget(users, kind="adjustment", amount="5", note="说" * 201)
    assert exc.value.errors == [("note", NOTE_TOO_LONG)]
    made = budget(users, kind="adjustment", amount="5", note="说" * 200)
    assert made.note == "说" * 200


# ---- standards, donations, contracts -----------------------------------------------------------


def test_a_standard_keeps_its_note_and_is_audited(users: Any) -> None:
    data = {
        "purpose": "award",
        "award_grade": "first",
        "amount": "3000",
        "effective_from": "2026-01-01",
        "note": "市文件",
    }
    made = services.standard_create(actor=users.city_admin, data=data)
    stored = SubsidyStandard.objects.get()
    assert (stored.pk, stored.note, stored.amount, stored.created_by_id) == (
        made.pk,
        "市文件",
        Decimal("3000.00"),
        users.city_admin.pk,
    )
    audit = audited("standard.create", users.city_admin, "funds.subsidystandard", made)
    assert audit.changes["after"]["amount"] == "3000.00"
    assert audit.changes["after"]["award_grade"] == "first"
    assert audit.changes["after"]["effective_to"] is None
    with pytest.raises(InvalidInput) as exc:
        services.standard_create(
            actor=users.city_admin, data={**data, "award_grade": "second", "note": "文" * 201}
        )
    assert errors_of(exc) == {"note": NOTE_TOO_LONG}


def test_a_donation_is_audited_and_its_purpose_kept_on_one_line(users: Any) -> None:
    donation = services.donation_create(
        actor=users.city_admin,
        data={
            "donor": "爱心企业",
            "amount": "500",
            "purpose": "助残\n培训",
            "date": "2026-01-02",
            "receipt_number": "R7",
        },
    )
    assert Donation.objects.get().purpose == "助残 培训"
    audit = audited("donation.create", users.city_admin, "funds.donation", donation)
    assert audit.summary == "登记捐赠 爱心企业 500.00 元"
    assert audit.changes == {
        "after": {
            "donor": "爱心企业",
            "amount": "500.00",
            "date": "2026-01-02",
            "receipt_number": "R7",
        }
    }


def test_a_receipt_number_taken_by_a_racing_clerk_is_named(users: Any) -> None:
    """Two clerks pass the look-up at once: the second meets the unique constraint."""
    data = {"donor": "甲", "amount": "1", "date": "2026-01-02", "receipt_number": "R8"}
    services.donation_create(actor=users.city_admin, data=data)
    with mock.patch("django.db.models.query.QuerySet.exists", return_value=False):
        with pytest.raises(InvalidInput) as exc:
            services.donation_create(actor=users.city_admin, data=data)
    assert errors_of(exc) == {"receipt_number": "收据编号 R8 已登记"}
    assert Donation.objects.count() == 1


def test_a_contract_is_audited_with_its_figures(
    users: Any, contract: Contract, make_class: Callable[..., Any]
) -> None:
    audit = audited("contract.create", users.city_admin, "funds.contract", contract)
    assert audit.summary == "登记政府购买服务合同 HT-9"
    assert audit.changes == {
        "after": {
            "institution": contract.institution_id,
            "number": "HT-9",
            "amount": "9000.00",
            "classes": [],
        }
    }


def test_a_contract_needs_its_dates_and_a_note_of_at_most_200(users: Any, institution: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        services.contract_create(
            actor=users.city_admin,
            data={
                "institution": str(institution.pk),
                "number": "HT 1",
                "amount": "1",
                "note": "注" * 201,
            },
        )
    assert errors_of(exc) == {
        "start_date": "请填写开始日期",
        "end_date": "请填写结束日期",
        "note": NOTE_TOO_LONG,
    }


def test_a_contract_number_is_kept_on_one_line(users: Any, institution: Any) -> None:
    made = make_contract(users, institution, number="HT\n2", amount="1")
    assert Contract.objects.get(pk=made.pk).number == "HT 2"


# ---- payments ---------------------------------------------------------------------------------


def test_a_payment_is_audited_and_written_by_its_clerk(users: Any, contract: Contract) -> None:
    paid = pay_contract(users, contract, amount="250.00")
    assert (paid.created_by_id, paid.note) == (users.city_admin.pk, "")
    audit = audited("disbursement.create", users.city_admin, "funds.disbursement", paid)
    assert audit.summary == "拨付 合同 HT-9 第 1 期 250.00 元（2026 年残疾人就业保障金）"
    assert audit.changes == {
        "after": {
            "purpose": "contract",
            "year": 2026,
            "source": "security_fund",
            "amount": "250.00",
            "lines": 0,
        }
    }


def test_a_payment_note_is_kept_on_one_line_and_at_most_200(users: Any, contract: Contract) -> None:
    with pytest.raises(InvalidInput) as exc:
        pay_contract(users, contract, note="备" * 201)
    assert errors_of(exc) == {"note": NOTE_TOO_LONG}
    paid = pay_contract(users, contract, note="第一行\n第二行")
    assert Disbursement.objects.get(pk=paid.pk).note == "第一行 第二行"


def test_a_payment_request_refuses_a_field_it_does_not_know(users: Any, contract: Contract) -> None:
    with pytest.raises(InvalidInput) as exc:
        pay_contract(users, contract, town="350582001000")
    assert errors_of(exc) == {"town": "不能修改此字段"}


def test_a_target_of_another_purpose_is_named_with_the_purpose(
    users: Any, contract: Contract
) -> None:
    with pytest.raises(InvalidInput) as exc:
        pay_contract(users, contract, trainees="1")
    assert errors_of(exc) == {"trainees": "用途为政府购买服务时不填此项"}
    with pytest.raises(InvalidInput) as exc:
        services.disbursement_create(actor=users.city_admin, data={"class": "1", "trainees": "1"})
    assert errors_of(exc) == {
        "purpose": "用途须为 class、application、award 或 contract",
        "class": "用途为时不填此项",
        "trainees": "用途为时不填此项",
    }


def test_an_unknown_contract_is_named(users: Any, contract: Contract) -> None:
    with pytest.raises(InvalidInput) as exc:
        services.disbursement_create(
            actor=users.city_admin,
            data={"purpose": "contract", "contract": "999999", "instalment": "1", "amount": "1"},
        )
    assert errors_of(exc) == {"contract": "合同不存在"}


def test_the_first_instalment_of_each_contract_is_paid(
    users: Any, contract: Contract, institution: Any
) -> None:
    other = make_contract(users, institution, number="HT-10", amount="500.00")
    pay_contract(users, contract)
    second = pay_contract(users, other)
    assert (second.contract_id, second.instalment) == (other.pk, 1)


@pytest.mark.parametrize("trainees", ["abc", "1234567890123", ["x"], {"a": 1}, [True]])
def test_trainees_must_be_a_list_of_person_numbers(
    users: Any, make_class: Callable[..., Any], trainees: Any
) -> None:
    audited = make_class("audited", trainees=1)
    with pytest.raises(InvalidInput) as exc:
        services.disbursement_create(
            actor=users.city_admin,
            data={"purpose": "class", "class": str(audited.pk), "trainees": trainees},
        )
    assert errors_of(exc) == {"trainees": "学员须为人员编号的列表"}


def test_trainees_may_be_numbers_or_a_comma_list(
    users: Any, make_class: Callable[..., Any]
) -> None:
    audited = make_class("audited", trainees=2)
    first, second = audited.enrollments.order_by("pk").values_list("person_id", flat=True)
    with pytest.raises(InvalidInput) as exc:
        services.disbursement_create(
            actor=users.city_admin,
            data={"purpose": "class", "class": str(audited.pk), "trainees": f"{first}，999999"},
        )
    assert errors_of(exc) == {"trainees": f"人员 #999999 不在培训班 {audited.code} 的花名册上"}
    paid = services.disbursement_create(
        actor=users.city_admin,
        data={"purpose": "class", "class": str(audited.pk), "trainees": f"{first}, {second} "},
    )
    assert paid.amount == Decimal("2000.00")
    assert sorted(paid.lines.values_list("person_id", flat=True)) == sorted([first, second])
    services.disbursement_reverse(actor=users.city_admin, disbursement_id=paid.pk, reason="重付")
    again = services.disbursement_create(
        actor=users.city_admin,
        data={"purpose": "class", "class": str(audited.pk), "trainees": [first, f" {second}"]},
    )
    assert again.amount == Decimal("2000.00")


def test_an_award_is_paid_where_other_purposes_are_paid_already(
    users: Any, contract: Contract, competition: Any, person_in: Any
) -> None:
    from canpei.competitions.services import entry_create, entry_record_result

    pay_contract(users, contract)
    event = competition.events.get(name="电子商务")
    entry = entry_record_result(
        actor=users.city_admin,
        entry=entry_create(
            actor=users.city_admin,
            competition=competition,
            data={"event": event.pk, "person": person_in.pk},
        ),
        data={"result": "90 分", "award": "second"},
    )
    year = competition.end_date.year
    if year != 2026:
        budget(users, year=year, amount="100000.00")
    paid = services.disbursement_create(
        actor=users.city_admin,
        data={"purpose": "award", "entry": str(entry.pk), "amount": "800.00"},
    )
    assert (paid.entry_id, paid.amount) == (entry.pk, Decimal("800.00"))


def test_an_over_budget_refusal_is_audited_and_a_second_payment_is_not(
    users: Any, contract: Contract
) -> None:
    Budget.objects.all().delete()
    budget(users, amount="99.99")
    with pytest.raises(Conflict) as exc:
        pay_contract(users, contract, amount="100.00")
    message = (
        "超出预算：2026 年残疾人就业保障金预算 99.99 元，已拨付 0.00 元，剩余 99.99 元，"
        "本次拨付 100.00 元"
    )
    assert exc.value.message == message
    refusal = last_audit("disbursement.refused")
    assert (refusal.actor_id, refusal.object_type, refusal.summary) == (
        users.city_admin.pk,
        "funds.disbursement",
        message,
    )
    assert refusal.changes["request"]["amount"] == "100.00"
    pay_contract(users, contract, amount="99.99")
    with pytest.raises(Conflict):
        pay_contract(users, contract, amount="0.01", instalment="2")
    assert AuditEntry.objects.filter(action="disbursement.refused").count() == 2
    budget(users, kind="adjustment", amount="1000", note="追加")
    with pytest.raises(Conflict):
        pay_contract(users, contract, amount="0.01")  # instalment 1 is paid: not over budget
    assert AuditEntry.objects.filter(action="disbursement.refused").count() == 2


# ---- reversals --------------------------------------------------------------------------------


def test_a_reversal_copies_what_it_reverses_and_is_audited(users: Any, contract: Contract) -> None:
    paid = pay_contract(users, contract, amount="300.00", instalment="3")
    reason = "原" * 200
    reversal = services.disbursement_reverse(
        actor=users.city_admin, disbursement_id=paid.pk, reason=reason
    )
    stored = Disbursement.objects.get(pk=reversal.pk)
    assert (stored.contract_id, stored.instalment, stored.institution_id) == (
        contract.pk,
        3,
        contract.institution_id,
    )
    assert (stored.amount, stored.reason, stored.created_by_id) == (
        Decimal("-300.00"),
        reason,
        users.city_admin.pk,
    )
    audit = last_audit("disbursement.reverse")
    assert (audit.actor_id, audit.object_id) == (users.city_admin.pk, str(reversal.pk))
    assert audit.changes == {"reverses": paid.pk, "amount": "-300.00"}


def test_a_reversal_reason_has_at_most_200_characters(users: Any, contract: Contract) -> None:
    paid = pay_contract(users, contract)
    with pytest.raises(InvalidInput) as exc:
        services.disbursement_reverse(
            actor=users.city_admin, disbursement_id=paid.pk, reason="原" * 201
        )
    assert errors_of(exc) == {"reason": "冲销原因不能超过 200 个字符"}
    assert not Disbursement.objects.filter(reverses__isnull=False).exists()


def test_a_class_reversal_names_the_class(users: Any, make_class: Callable[..., Any]) -> None:
    training_class = make_class("settled", trainees=1)
    paid = Disbursement.objects.get()
    reversal = services.disbursement_reverse(
        actor=users.city_admin, disbursement_id=paid.pk, reason="核对"
    )
    assert Disbursement.objects.get(pk=reversal.pk).training_class_id == training_class.pk


# ---- idempotency ------------------------------------------------------------------------------


def test_a_key_is_the_users_own(users: Any) -> None:
    calls: list[str] = []

    def work(who: str) -> Callable[[], tuple[int, dict[str, Any]]]:
        def done() -> tuple[int, dict[str, Any]]:
            calls.append(who)
            return 201, {"by": who}

        return done

    request = {"purpose": "class"}
    first = services.idempotent(actor=users.city_admin, key="k-1", request=request, work=work("a"))
    again = services.idempotent(actor=users.city_admin, key="k-1", request=request, work=work("b"))
    other = services.idempotent(actor=users.auditor, key="k-1", request=request, work=work("c"))
    assert (first, again, other) == ((201, {"by": "a"}), (201, {"by": "a"}), (201, {"by": "c"}))
    assert calls == ["a", "c"]
    with pytest.raises(Conflict) as exc:
        services.idempotent(
            actor=users.city_admin, key="k-1", request={"purpose": "award"}, work=work("d")
        )
    assert exc.value.message == "此 Idempotency-Key 已用于另一个请求"
    assert exc.value.errors == [("Idempotency-Key", "此 Idempotency-Key 已用于另一个请求")]


@pytest.mark.parametrize(
    "key,ok", [("", False), ("k" * 200, True), ("k" * 201, False), ("a\tb", False)]
)
def test_a_key_is_1_to_200_visible_characters(users: Any, key: str, ok: bool) -> None:
    def work() -> tuple[int, dict[str, Any]]:
        return 200, {}

    if ok:
        assert services.idempotent(actor=users.city_admin, key=key, request={}, work=work) == (
            200,
            {},
        )
        return
    with pytest.raises(InvalidInput) as exc:
        services.idempotent(actor=users.city_admin, key=key, request={}, work=work)
    assert exc.value.errors == [("Idempotency-Key", "Idempotency-Key 须为 1 至 200 个可见字符")]
