"""The money API: strings for money, filters, 409 on a second payment, Idempotency-Key, the
ledger report and who may read or write what."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from canpei.funds.models import Disbursement

pytestmark = pytest.mark.django_db

ENDPOINTS = (
    "/budgets",
    "/subsidy-standards",
    "/donations",
    "/contracts",
    "/disbursements",
    "/reports/funds?year=2026",
)


def test_money_is_a_string_with_two_decimals(api: Any, users: Any) -> None:
    client = api(users.city_admin)
    response = client.post("/budgets", {"year": 2026, "source": "budget", "amount": "1234.5"})
    assert response.status_code == 201, response.json()
    assert response.json()["amount"] == "1234.50"
    bad = client.post("/budgets", {"year": 2026, "source": "budget", "amount": "1.234"})
    assert bad.status_code == 422
    assert bad.json()["errors"] == [
        {"field": "amount", "message": "金额须为 0.01 至 1000000000.00 元，最多两位小数"}
    ]


def test_a_second_payment_answers_409_and_the_key_replays_the_first(
    api: Any, users: Any, make_class: Callable[..., Any]
) -> None:
    training_class = make_class("settled", trainees=2)
    client = api(users.city_admin)
    listed = client.get("/disbursements", **{"class": training_class.pk}).json()
    assert listed["count"] == 1
    first = listed["results"][0]
    assert first["amount"] == "2000.00" and first["class"] == training_class.pk
    assert [line["amount"] for line in first["lines"]] == ["1000.00", "1000.00"]
    again = client.post("/disbursements", {"purpose": "class", "class": training_class.pk})
    assert again.status_code == 409
    assert again.json()["errors"][0]["field"] == "class"
    # Reverse, then pay again with a key: the retry gets the same answer, one payment.
    reversal = client.post(f"/disbursements/{first['id']}/reversal", {"reason": "核对人数"})
    assert reversal.status_code == 201 and reversal.json()["amount"] == "-2000.00"
    body = {"purpose": "class", "class": training_class.pk}
    client.headers["HTTP_IDEMPOTENCY_KEY"] = "pay-1"
    one = client.post("/disbursements", body)
    two = client.post("/disbursements", body)
    assert one.status_code == two.status_code == 201
    assert one.json() == two.json()
    other = client.post("/disbursements", {**body, "note": "另一个请求"})
    assert other.status_code == 409
    assert other.json()["detail"] == "此 Idempotency-Key 已用于另一个请求"
    assert Disbursement.objects.filter(reverses__isnull=True, is_reversed=False).count() == 1


def test_ledger_report_ties_out(api: Any, users: Any, make_class: Callable[..., Any]) -> None:
    settled = make_class("settled", trainees=3)
    make_class("approved", trainees=2)
    year = settled.year
    report = api(users.auditor).get("/reports/funds", year=year).json()
    fund = next(r for r in report["sources"] if r["key"] == "security_fund")
    assert fund["paid"] == "3000.00"
    assert fund["committed"] == "2000.00"
    assert Decimal(fund["balance"]) == (
        Decimal(fund["budget"]) - Decimal(fund["committed"]) - Decimal(fund["paid"])
    )
    uses = {r["key"]: r for r in report["uses"]}
    assert uses["class"]["paid"] == "3000.00" and uses["class"]["committed"] == "2000.00"
    assert sum(Decimal(t["amount"]) for t in report["towns"]) == Decimal("3000.00")


@pytest.mark.parametrize(
    "role,reads,ledger",
    [
        ("city_admin", True, True),
        ("auditor", True, True),
        ("town_staff", True, False),
        ("institution_staff", True, False),
        ("employment_service", False, False),
        ("sys_admin", False, False),
        ("security_admin", False, False),
        ("audit_admin", False, False),
    ],
)
def test_role_matrix(
    api: Any, users: Any, role: str, reads: bool, ledger: bool, make_class: Callable[..., Any]
) -> None:
    make_class("settled", trainees=1)
    client = api(users.by_role()[role])
    for path in ENDPOINTS:
        path, _, query = path.partition("?")
        params = dict([query.split("=")]) if query else {}
        allowed = ledger or (reads and path in ("/disbursements", "/contracts"))
        status = client.get(path, **params).status_code
        assert status == (200 if allowed else 403), (path, status)
    writes = client.post("/budgets", {"year": 2026, "source": "budget", "amount": "1"})
    assert writes.status_code == (201 if role == "city_admin" else 403)
    if role in ("town_staff", "institution_staff"):
        assert client.get("/disbursements").json()["count"] == 1


def test_other_town_sees_no_payment(api: Any, users: Any, make_class: Callable[..., Any]) -> None:
    make_class("settled", trainees=1)  # trainees of 安海
    paid = Disbursement.objects.get()
    assert api(users.other_town_staff).get("/disbursements").json()["count"] == 0
    assert api(users.other_town_staff).get(f"/disbursements/{paid.pk}").status_code == 404
    assert api(users.town_staff).get(f"/disbursements/{paid.pk}").status_code == 200
