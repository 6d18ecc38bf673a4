"""The ledger ties out, for the demo data and for random data: the sum of the disbursements of
each year and source is `paid`, budget − committed − paid is `balance`, and the page, the API
and the export say the same."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Sum
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from canpei.accounts.models import User
from canpei.audit.models import AuditEntry
from canpei.codes import FundSource
from canpei.demo import demo_load
from canpei.errors import Conflict
from canpei.funds import services
from canpei.funds.exports import funds_export
from canpei.funds.models import Budget, Contract, Disbursement
from canpei.funds.selectors import fund_ledger
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db


def assert_ties_out(user: User, year: int) -> None:
    ledger = fund_ledger(user=user, year=year)
    api = ApiClient(user).get("/reports/funds", year=year).json()
    page = Client()
    page.force_login(user)
    html = page.get("/funds", {"year": year}).content.decode()
    out = io.StringIO()
    funds_export(actor=user, year=year, out=out, fmt="csv")
    exported = {r[4]: r for r in csv.reader(io.StringIO(out.getvalue())) if r[0] == "来源汇总"}
    for row, answered in zip(ledger.sources, api["sources"]):
        source = row.key
        paid = Disbursement.objects.filter(year=year, source=source).aggregate(s=Sum("amount"))["s"]
        budget = Budget.objects.filter(year=year, source=source).aggregate(s=Sum("amount"))["s"]
        # Summed by the database: SQLite keeps decimals as binary floats, so its SUM is read
        # to the fen (the rows themselves are exact: each written and read as a Decimal).
        assert row.paid == Decimal(paid or 0).quantize(Decimal("0.01"))
        assert row.budget == Decimal(budget or 0).quantize(Decimal("0.01"))
        assert row.balance == row.budget - row.committed - row.paid
        figures = [f"{v:.2f}" for v in (row.budget, row.committed, row.paid, row.balance)]
        assert [answered[k] for k in ("budget", "committed", "paid", "balance")] == figures
        assert exported[str(FundSource(source).label)][15:19] == figures
        shown = html.split(f'data-source="{source}"')[1].split("</tr>")[0]
        assert all(f">{figure}<" in shown for figure in figures)
    assert ledger.total.paid == sum((r.paid for r in ledger.sources), Decimal(0))
    assert sum((u.paid for u in ledger.uses), Decimal(0)) == ledger.total.paid


@pytest.mark.slow
def test_the_demo_ledger_ties_out_and_shows_a_reversal_and_a_refusal(db: Any) -> None:
    with transaction.atomic():
        demo_load(persons=600, seed=1)
    auditor = User.objects.get(role="auditor")
    for year in sorted(set(Disbursement.objects.values_list("year", flat=True))):
        assert_ties_out(auditor, year)
    assert Disbursement.objects.filter(reverses__isnull=False).exists()
    assert Disbursement.objects.filter(purpose="class").exists()
    assert Disbursement.objects.filter(purpose="contract").exists()
    awards = Disbursement.objects.filter(purpose="award")
    assert awards.exists() and all(d.entry is not None and d.entry.award for d in awards)
    refusal = AuditEntry.objects.get(action="disbursement.refused")
    assert refusal.summary.startswith("超出预算：") and "剩余 50000.00 元" in refusal.summary


AMOUNTS = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("90000"), places=2)


@settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    budgets=st.lists(
        st.tuples(st.sampled_from(FundSource.values), st.sampled_from([2025, 2026]), AMOUNTS),
        min_size=1,
        max_size=6,
    ),
    payments=st.lists(
        st.tuples(
            st.sampled_from(FundSource.values),
            st.sampled_from([2025, 2026]),
            AMOUNTS,
            st.booleans(),
        ),
        max_size=6,
    ),
)
def test_random_ledgers_tie_out(users: Any, institution: Any, budgets: Any, payments: Any) -> None:
    city = users.city_admin
    with transaction.atomic():
        for source, year, amount in budgets:
            services.budget_create(
                actor=city, data={"year": year, "source": source, "amount": amount}
            )
        contract = Contract.objects.create(
            institution=institution,
            number=f"HT-{Contract.objects.count() + 1}",
            amount=Decimal("1000000"),
            start_date="2025-01-01",
            end_date="2026-12-31",
        )
        for instalment, (source, year, amount, reverse) in enumerate(payments, start=1):
            try:
                paid = services.disbursement_create(
                    actor=city,
                    data={
                        "purpose": "contract",
                        "contract": contract.pk,
                        "instalment": instalment,
                        "year": year,
                        "source": source,
                        "amount": amount,
                    },
                )
            except Conflict:
                continue  # over the budget left: refused, nothing stored
            if reverse:
                services.disbursement_reverse(actor=city, disbursement_id=paid.pk, reason="核对")
    for year in (2025, 2026):
        assert_ties_out(users.auditor, year)
