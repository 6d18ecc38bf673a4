"""The /funds pages: the ledger ties out with the API, who sees what, the city's forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from canpei.funds.models import Budget, Disbursement

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "role,status",
    [
        ("city_admin", 200),
        ("auditor", 200),
        ("town_staff", 200),
        ("institution_staff", 200),
        ("employment_service", 404),
        ("sys_admin", 404),
        ("security_admin", 404),
        ("audit_admin", 404),
    ],
)
def test_page_role_matrix(
    login: Any, users: Any, role: str, status: int, make_class: Callable[..., Any]
) -> None:
    training_class = make_class("settled", trainees=1)
    paid = Disbursement.objects.get()
    client = login(users.by_role()[role])
    page = client.get("/funds", {"year": training_class.year})
    assert page.status_code == status
    assert client.get(f"/funds/disbursements/{paid.pk}").status_code == status
    form = client.get("/funds/new/budget")
    assert form.status_code == (200 if role == "city_admin" else 404)
    if status == 200:
        text = page.content.decode()
        assert training_class.code in text
        assert ("资金台账（按来源）" in text) == (role in ("city_admin", "auditor"))


def test_the_page_shows_the_ledger_and_the_lines(
    login: Any, users: Any, api: Any, make_class: Callable[..., Any]
) -> None:
    training_class = make_class("settled", trainees=2)
    client = login(users.auditor)
    text = client.get("/funds", {"year": training_class.year}).content.decode()
    report = api(users.auditor).get("/reports/funds", year=training_class.year).json()
    fund = next(r for r in report["sources"] if r["key"] == "security_fund")
    row = text.split('data-source="security_fund"')[1].split("</tr>")[0]
    for key in ("budget", "committed", "paid", "balance"):
        assert f">{fund[key]}<" in row
    paid = Disbursement.objects.get()
    detail = client.get(f"/funds/disbursements/{paid.pk}").content.decode()
    assert detail.count("1000.00") >= 2 and "2000.00" in detail


def test_city_admin_records_a_budget_and_sees_the_field_named(login: Any, users: Any) -> None:
    client = login(users.city_admin)
    bad = client.post("/funds/new/budget", {"year": "2026", "source": "budget", "amount": "-5"})
    assert bad.status_code == 422
    assert "金额须为 0.01 至 1000000000.00 元，最多两位小数" in bad.content.decode()
    assert not Budget.objects.exists()
    ok = client.post("/funds/new/budget", {"year": "2026", "source": "budget", "amount": "5"})
    assert ok.status_code == 302 and Budget.objects.get().amount == 5


def test_export_funds_ties_out(users: Any, make_class: Callable[..., Any], tmp_path: Any) -> None:
    import csv

    from canpei.funds.exports import funds_export

    training_class = make_class("settled", trainees=2)
    out = tmp_path / "funds.csv"
    with out.open("w", encoding="utf-8", newline="") as f:
        funds_export(actor=users.auditor, year=training_class.year, out=f, fmt="csv")
    rows = list(csv.reader(out.open(encoding="utf-8")))[2:]
    fund = next(r for r in rows if r[0] == "来源汇总" and r[4] == "残疾人就业保障金")
    assert fund[17] == "2000.00"
    assert [r[12] for r in rows if r[0] == "拨付明细"] == ["1000.00", "1000.00"]
    assert [r[12] for r in rows if r[0] == "拨付合计"] == ["2000.00"]


def test_the_payments_list_names_what_each_paid_and_its_reversal(
    login: Any, users: Any, make_class: Callable[..., Any]
) -> None:
    from canpei.funds import services

    training_class = make_class("settled", trainees=2)
    paid = Disbursement.objects.get()
    reversal = services.disbursement_reverse(
        actor=users.city_admin, disbursement_id=paid.pk, reason="核对"
    )
    client = login(users.city_admin)
    with CaptureQueriesContext(connection) as queries:
        text = client.get("/funds", {"year": training_class.year}).content.decode()
    # One query for the list, none per row (a deferred column read later would be one more).
    listed = [
        q for q in queries.captured_queries if q["sql"].startswith('SELECT "funds_disbursement"')
    ]
    assert len(listed) == 1
    rows = text.split('aria-labelledby="payments"')[1].split("</tbody>")[0].split("<tr>")[2:]
    assert [r.split("</tr>")[0].count("<td") for r in rows] == [5, 5]
    newest, first = rows
    assert f"#{reversal.pk}</a> 冲销" in newest and "-2000.00" in newest
    assert f"#{paid.pk}</a> （已冲销）" in first and "2000.00" in first
    assert f"{training_class.code} {training_class.name}" in first
