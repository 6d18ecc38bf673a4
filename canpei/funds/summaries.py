"""The money-by-town summary (TownYearPaid): per year and town, the persons paid for and the
amount of their lines, reversals netted, so the ledger page need not sum a province's lines.

Moved by the payment's (or reversal's) own transaction (services._write,
services.disbursement_reverse) once its lines are written; `rebuild_town_paid` rebuilds it from
the lines (the migration, bulk loads, `canpei summaries rebuild`), `town_paid_differences` names
where it differs from the live computation (`canpei summaries check`).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, QuerySet, Sum

from canpei.audit.models import AuditHead
from canpei.funds.models import ZERO, DisbursementLine, TownYearPaid


def live_town_paid(year: int | None = None) -> QuerySet[Any]:
    """Rows (year, town_id, persons, amount) computed from the lines."""
    lines = DisbursementLine.objects.all()
    if year is not None:
        lines = lines.filter(disbursement__year=year)
    return (lines.values("disbursement__year", "town_id")
            .annotate(persons=Count("person_id", distinct=True), amount=Sum("amount"))
            .order_by("disbursement__year", "town_id"))


def lines_written(*, year: int, disbursement_id: int) -> None:
    """Add a payment's (a reversal's) lines, just written, to the summary of its year: their
    amounts to their towns, and each person not yet paid for in that town and year.

    Takes the audit chain's head lock first (the payment's audit entry takes it anyway before
    it commits), so the summary moves one writer at a time and no two payments count the same
    person as new."""
    lines = list(DisbursementLine.objects.filter(disbursement_id=disbursement_id)
                 .values_list("town_id", "person_id", "amount"))
    if not lines:
        return
    AuditHead.objects.select_for_update().filter(pk=1).exists()
    amounts: dict[str, Decimal] = defaultdict(lambda: ZERO)
    persons: dict[str, set[int]] = defaultdict(set)
    for town, person, amount in lines:
        amounts[town] += amount
        persons[town].add(person)
    seen = set(DisbursementLine.objects
               .filter(disbursement__year=year, person_id__in={p for _t, p, _a in lines})
               .exclude(disbursement_id=disbursement_id)
               .values_list("town_id", "person_id").distinct())
    rows = {r.town_id: r for r in TownYearPaid.objects.select_for_update()
            .filter(year=year, town_id__in=list(amounts)).order_by("town_id")}
    for town, amount in amounts.items():
        new = len({p for p in persons[town] if (town, p) not in seen})
        row = rows.get(town)
        if row is None:
            TownYearPaid.objects.create(year=year, town_id=town, persons=new, amount=amount)
        else:
            row.persons += new
            row.amount += amount
            row.save(update_fields=["persons", "amount"])


@transaction.atomic
def rebuild_town_paid() -> int:
    """Empty the summary and fill it from the lines (set-based); the rows written."""
    TownYearPaid.objects.all().delete()
    made = TownYearPaid.objects.bulk_create(
        (TownYearPaid(year=r["disbursement__year"], town_id=r["town_id"], persons=r["persons"],
                      amount=Decimal(r["amount"]).quantize(ZERO))
         for r in live_town_paid().iterator()), batch_size=2000)
    return len(made)


def town_paid_differences() -> list[str]:
    """Each (year, town) where the summary and the lines disagree."""
    kept = {(r.year, r.town_id): (r.persons, r.amount) for r in TownYearPaid.objects.all()}
    live = {(r["disbursement__year"], r["town_id"]):
            (r["persons"], Decimal(r["amount"]).quantize(ZERO)) for r in live_town_paid()}
    return [f"money by town {year} {town}: summary {kept.get((year, town))}, "
            f"lines {live.get((year, town))}"
            for year, town in sorted(set(kept) | set(live))
            if kept.get((year, town)) != live.get((year, town))]
