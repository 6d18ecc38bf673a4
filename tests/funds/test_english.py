"""Money's refusals speak the caller's language (issue 13): the API answers in the language of
`Accept-Language`, Chinese by default, the figures the same in both."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import translation

from canpei.errors import Conflict, InvalidInput
from canpei.funds import services
from canpei.funds.models import Budget, Disbursement

pytestmark = pytest.mark.django_db

HAN = re.compile(r"[\u4e00-\u9fff]")


def test_an_over_budget_payment_is_refused_in_the_callers_language(
    api: Any, users: Any, make_class: Callable[..., Any]
) -> None:
    training_class = make_class("audited", trainees=2)
    year = training_class.year
    Budget.objects.filter(year=year).delete()
    services.budget_create(
        actor=users.city_admin, data={"year": year, "source": "security_fund", "amount": "1999.99"}
    )
    client = api(users.city_admin)
    body = {"purpose": "class", "class": training_class.pk}

    chinese = client.post("/disbursements", body)
    assert chinese.status_code == 409
    assert chinese.json()["detail"] == (
        f"超出预算：{year} 年残疾人就业保障金预算 1999.99 元，已拨付 0.00 元，"
        "剩余 1999.99 元，本次拨付 2000.00 元"
    )

    client.headers["HTTP_ACCEPT_LANGUAGE"] = "en"
    english = client.post("/disbursements", body)
    assert english.status_code == 409
    message = (
        f"Over budget: the {year} budget for Disability employment security fund is 1999.99 "
        "yuan, 0.00 yuan are paid, 1999.99 yuan remain, and this payment is 2000.00 yuan"
    )
    assert english.json()["detail"] == message
    assert english.json()["errors"] == [{"field": "amount", "message": message}]
    assert not HAN.search(english.content.decode())
    assert not Disbursement.objects.exists()


def test_a_refusal_naming_a_class_state_names_it_in_english(
    users: Any, make_class: Callable[..., Any]
) -> None:
    running = make_class("running", trainees=1)
    with translation.override("en"), pytest.raises(InvalidInput) as exc:
        services.disbursement_create(
            actor=users.city_admin, data={"purpose": "class", "class": running.pk}
        )
    errors = dict(exc.value.errors)
    assert errors["class"].startswith(
        f"Class {running.code} has not passed the completion audit (current state: Running)"
    )
    assert not HAN.search(str(errors["class"]))
    with pytest.raises(InvalidInput) as zh:
        services.disbursement_create(
            actor=users.city_admin, data={"purpose": "class", "class": running.pk}
        )
    assert dict(zh.value.errors)["class"] == (
        f"培训班 {running.code} 尚未通过结业审核（当前状态：开班中），不能拨付"
    )


def test_a_class_paid_twice_is_refused_in_english(
    users: Any, make_class: Callable[..., Any]
) -> None:
    training_class = make_class("settled", trainees=1)
    first = Disbursement.objects.get()
    with translation.override("en"), pytest.raises(Conflict) as exc:
        services.disbursement_create(
            actor=users.city_admin, data={"purpose": "class", "class": training_class.pk}
        )
    assert exc.value.message == (
        f"Class {training_class.code} is already paid (payment #{first.pk}); "
        "it cannot be paid twice"
    )
