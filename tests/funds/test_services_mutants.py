"""What the money services' mutation run (issue 18, seed 18 after the label messages) found
unasserted: a note is kept on one line, a standard needs its amount, a contract's classes are
checked only against an institution that exists (test_awards: a reversal names its entry)."""

from __future__ import annotations

from typing import Any

import pytest

from canpei.errors import InvalidInput
from canpei.funds import services
from canpei.funds.models import Budget, SubsidyStandard

pytestmark = pytest.mark.django_db


def test_a_budget_adjustments_note_is_kept_on_one_line(users: Any) -> None:
    services.budget_create(
        actor=users.city_admin, data={"year": 2025, "source": "security_fund", "amount": "9000.00"}
    )
    adjusted = services.budget_create(
        actor=users.city_admin,
        data={
            "year": 2025,
            "source": "security_fund",
            "kind": "adjustment",
            "amount": "-1000.00",
            "note": " 晋残〔2025〕12号\n追加调整 ",
        },
    )
    assert Budget.objects.get(pk=adjusted.pk).note == "晋残〔2025〕12号 追加调整"


def class_standard_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "purpose": "class",
        "training_type": "employment_skills",
        "amount": "1200.00",
        "effective_from": "2025-01-01",
    }
    data.update(overrides)
    return data


def test_a_standards_note_is_kept_on_one_line(users: Any) -> None:
    made = services.standard_create(
        actor=users.city_admin, data=class_standard_data(note="按人计\n 每期一次")
    )
    assert SubsidyStandard.objects.get(pk=made.pk).note == "按人计 每期一次"


@pytest.mark.parametrize("amount", [None, ""])
def test_a_standard_without_its_amount_is_refused(users: Any, amount: str | None) -> None:
    data = class_standard_data()
    if amount is None:
        del data["amount"]
    else:
        data["amount"] = amount
    with pytest.raises(InvalidInput) as exc:
        services.standard_create(actor=users.city_admin, data=data)
    assert dict(exc.value.errors) == {"amount": "请填写金额"}
    assert not SubsidyStandard.objects.exists()


def test_a_contracts_classes_are_not_held_against_an_unknown_institution(
    users: Any, institution: Any, make_class: Any
) -> None:
    own = make_class("draft", trainees=0)
    with pytest.raises(InvalidInput) as exc:
        services.contract_create(
            actor=users.city_admin,
            data={
                "institution": "999999",
                "number": "HT-2025-09",
                "amount": "5000.00",
                "start_date": "2025-03-01",
                "end_date": "2026-02-28",
                "classes": [own.pk],
            },
        )
    assert dict(exc.value.errors) == {"institution": "承接机构不存在"}
