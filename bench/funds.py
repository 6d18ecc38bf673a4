"""Funds benchmark: the fund ledger of a year and the money-by-town report, each against the
best hand-written SQL for the same numbers, and the /funds page and its API.

Usage:  DATABASE_URL=postgres://.../canpei_bench python bench/funds.py [--persons 20000]
            [--classes N] [--enrollments N] [--runs 20] [--requests 100]

The data set is bench/reports.py's (persons, classes, enrolments, completed applications; the
province is --persons 1000000 --classes 30000 --enrollments 600000), plus what money needs: a
class subsidy standard per training type (any level, mode and cycle) and one for junior
employment-skills classes, one disbursement per settled class (its completed trainees x the
standard, with its lines, written in bulk as the settle step would have written them one by
one, and the money-by-town summary rebuilt from them) and budgets per year and source covering
them.

Printed (in-process, server side, milliseconds), with MET or MISS against its bar:

- the fund ledger of the year with the most payments (canpei.funds.selectors.fund_ledger, what
  the page, the API and the export call) for the city admin, the best hand-written SQL for the
  same numbers (one statement; it matches standards by type, level and mode only, which is
  exact for this data set, whose standards name no cycle), and the ratio; bar <= 2 x;
- the same for the money paid by town (selectors.money_by_town, which reads the summary the
  payments keep, canpei.funds.summaries; the hand SQL sums the lines), and for its live
  computation from the lines (money_by_town(live=True), no bar: what the summary spares);
- GET /funds?year= (city admin and the auditor), GET /api/v1/reports/funds?year=, and
  GET /funds for a town's staff: p50 and p95; bar p95 <= 100 ms.

It checks that the selectors and the SQL give the same numbers, and exits non-zero only when
they differ or a request fails, never because a bar is missed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "canpei.settings")

import classes as class_bench  # noqa: E402
import persons as person_bench  # noqa: E402
import reports as report_bench  # noqa: E402  (bench/reports.py: the data set and the timing)
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402

from canpei.accounts.models import User  # noqa: E402
from canpei.accounts.roles import Role  # noqa: E402
from canpei.accounts.services import token_issue  # noqa: E402
from canpei.codes import TrainingType  # noqa: E402
from canpei.funds import selectors  # noqa: E402
from canpei.funds.models import (  # noqa: E402
    Budget,
    Contract,
    Disbursement,
    DisbursementLine,
    IdempotencyKey,
    SubsidyStandard,
    TownYearPaid,
)
from canpei.funds.services import class_standard  # noqa: E402
from canpei.funds.summaries import rebuild_town_paid  # noqa: E402
from canpei.people.models import Person  # noqa: E402
from canpei.training.models import Enrollment, TrainingClass  # noqa: E402

PAGE_BAR_MS = 100.0
FAILURES: list[str] = report_bench.FAILURES
log = person_bench.log
pct = person_bench.pct


# --------------------------------------------------------------------------- data set


def wipe_funds() -> None:
    """The money rows (they hold the classes and applications the other benches reload)."""
    TownYearPaid.objects.all().delete()
    DisbursementLine.objects.all().delete()
    Disbursement.objects.filter(reverses__isnull=False).delete()
    Disbursement.objects.all().delete()
    Contract.objects.all().delete()
    Budget.objects.all().delete()
    SubsidyStandard.objects.all().delete()
    IdempotencyKey.objects.all().delete()


def ensure_standards() -> list[SubsidyStandard]:
    if not SubsidyStandard.objects.exists():
        rows = [
            SubsidyStandard(
                purpose="class",
                training_type=t,
                amount=Decimal("1200.00"),
                effective_from="2000-01-01",
            )
            for t in TrainingType.values
        ]
        rows.append(
            SubsidyStandard(
                purpose="class",
                training_type="employment_skills",
                level="junior",
                amount=Decimal("1500.00"),
                effective_from="2000-01-01",
            )
        )
        SubsidyStandard.objects.bulk_create(rows)
    return list(SubsidyStandard.objects.filter(purpose="class"))


def ensure_disbursements() -> None:
    """One payment per settled class, with its lines; budgets covering each year's payments."""
    settled = TrainingClass.objects.filter(state="settled")
    if Disbursement.objects.count() == settled.count() and Budget.objects.exists():
        log("payments already there; reusing them")
        if not TownYearPaid.objects.exists():
            rebuild_town_paid()
        return
    wipe_funds()
    standards = ensure_standards()
    towns = dict(Person.objects.values_list("pk", "town_id"))
    completed: dict[int, list[int]] = defaultdict(list)
    for class_id, person_id in (
        Enrollment.objects.filter(training_class__state="settled", status="completed")
        .values_list("training_class_id", "person_id")
        .iterator()
    ):
        completed[class_id].append(person_id)
    paid: dict[int, Decimal] = defaultdict(Decimal)
    log(f"paying {settled.count():,} settled classes ...")
    with transaction.atomic():
        chunk: list[tuple[TrainingClass, Any]] = []

        def flush() -> None:
            made = Disbursement.objects.bulk_create([d for _c, d in chunk], batch_size=2000)
            lines = []
            for (c, _d), d in zip(chunk, made):
                standard = class_standard(c, standards)
                for person in completed[c.pk]:
                    lines.append(
                        DisbursementLine(
                            disbursement=d,
                            person_id=person,
                            town_id=towns[person],
                            standard=standard,
                            amount=standard.amount if standard else 0,
                        )
                    )
            DisbursementLine.objects.bulk_create(lines, batch_size=5000)
            chunk.clear()

        for c in settled.order_by("pk").iterator(chunk_size=2000):
            if not completed[c.pk]:
                continue
            standard = class_standard(c, standards)
            assert standard is not None
            amount = standard.amount * len(completed[c.pk])
            paid[c.year] += amount
            chunk.append(
                (
                    c,
                    Disbursement(
                        purpose="class",
                        training_class=c,
                        year=c.year,
                        source="security_fund",
                        amount=amount,
                        institution_id=c.institution_id,
                        note="bench",
                    ),
                )
            )
            if len(chunk) >= 2000:
                flush()
        if chunk:
            flush()
        Budget.objects.bulk_create(
            Budget(
                year=year,
                source=source,
                amount=(total * 2 if source == "security_fund" else Decimal("500000.00")),
            )
            for year, total in paid.items()
            for source in ("security_fund", "budget")
        )
        rebuild_town_paid()  # the summary the settle steps would have moved one by one
    with connection.cursor() as cursor:
        for model in (Disbursement, DisbursementLine, Budget, TownYearPaid):
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(
                f"VACUUM ANALYZE {table}" if connection.vendor == "postgresql" else "ANALYZE"
            )


# --------------------------------------------------------------------------- the best SQL

LEDGER_SQL = """
WITH budget AS (SELECT source, SUM(amount) AS s FROM funds_budget WHERE year = %(y)s
                GROUP BY source),
paid AS (SELECT source, SUM(amount) AS s FROM funds_disbursement WHERE year = %(y)s
         GROUP BY source),
open_classes AS (
  SELECT COALESCE((
           SELECT s.amount FROM funds_subsidystandard s
           WHERE s.purpose = 'class' AND s.training_type = c.training_type
             AND s.effective_from <= c.start_date
             AND (s.effective_to IS NULL OR s.effective_to >= c.start_date)
             AND s.level IN ('', c.level) AND s.mode IN ('', c.mode)
           ORDER BY (s.level <> '') DESC, (s.mode <> '') DESC LIMIT 1), c.subsidy_standard)
         * (SELECT COUNT(*) FROM training_enrollment e WHERE e.training_class_id = c.id
            AND e.status IN ('enrolled', 'completed')) AS amount
  FROM training_trainingclass c
  WHERE c.state IN ('approved', 'running', 'completed', 'audited')
    AND c.start_date >= make_date(%(y)s, 1, 1) AND c.start_date < make_date(%(y)s + 1, 1, 1)
    AND NOT EXISTS (SELECT 1 FROM funds_disbursement d WHERE d.training_class_id = c.id
                    AND d.reverses_id IS NULL AND NOT d.is_reversed)),
open_applications AS (
  SELECT COALESCE((
           SELECT s.amount FROM funds_subsidystandard s
           WHERE s.purpose = 'application' AND s.application_kind = a.kind
             AND s.effective_from <= COALESCE(a.planned_start, a.created_at::date)
             AND (s.effective_to IS NULL
                  OR s.effective_to >= COALESCE(a.planned_start, a.created_at::date))
           ORDER BY s.effective_from DESC LIMIT 1),
           a.amount_approved, a.amount_requested) AS amount
  FROM training_application a
  WHERE a.state IN ('approved', 'completed')
    AND EXTRACT(YEAR FROM COALESCE(a.planned_start, a.created_at::date)) = %(y)s
    AND NOT EXISTS (SELECT 1 FROM funds_disbursement d WHERE d.application_id = a.id
                    AND d.reverses_id IS NULL AND NOT d.is_reversed))
SELECT src.source, COALESCE(b.s, 0), COALESCE(p.s, 0),
       CASE WHEN src.source = 'security_fund' THEN
         (SELECT COALESCE(SUM(amount), 0) FROM open_classes)
         + (SELECT COALESCE(SUM(amount), 0) FROM open_applications) ELSE 0 END
FROM (VALUES ('security_fund'), ('budget'), ('donation'), ('procurement')) AS src(source)
LEFT JOIN budget b ON b.source = src.source LEFT JOIN paid p ON p.source = src.source
ORDER BY src.source
"""

TOWN_SQL = """
SELECT l.town_id, COUNT(DISTINCT l.person_id), SUM(l.amount)
FROM funds_disbursementline l JOIN funds_disbursement d ON d.id = l.disbursement_id
WHERE d.year = %(y)s GROUP BY l.town_id ORDER BY l.town_id
"""


def run(sql: str, year: int) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, {"y": year})
        return [tuple(row) for row in cursor.fetchall()]


def from_ledger(ledger: selectors.Ledger) -> list[tuple[Any, ...]]:
    return sorted((r.key, r.budget, r.paid, r.committed) for r in ledger.sources)


def from_towns(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(r["town"], r["persons"], r["amount"]) for r in rows]


def same(name: str, ours: list[tuple[Any, ...]], theirs: list[tuple[Any, ...]]) -> None:
    equal = [
        tuple(
            Decimal(v) if isinstance(v, (Decimal, int)) and not isinstance(v, bool) else v
            for v in row
        )
        for row in ours
    ] == [tuple(Decimal(v) if isinstance(v, (Decimal, int)) else v for v in row) for row in theirs]
    print(f"same numbers as the hand SQL ({name}): {'yes' if equal else 'NO'}", flush=True)
    if not equal:
        FAILURES.append(f"{name}: {ours[:3]} != {theirs[:3]}")


def page_line(name: str, times: list[float]) -> None:
    ok = pct(times, 0.95) <= PAGE_BAR_MS
    report_bench.line(name, times, f"[{report_bench.verdict(ok, f'p95 <= {PAGE_BAR_MS:.0f} ms')}]")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=20000)
    parser.add_argument("--classes", type=int, default=None, help="default: 3 %% of the persons")
    parser.add_argument("--enrollments", type=int, default=None, help="default: 60 %% of them")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--reset", action="store_true", help="allow emptying tables in a database not named *bench*"
    )
    args = parser.parse_args()
    classes = args.classes if args.classes is not None else max(1, args.persons * 3 // 100)
    enrollments = args.enrollments if args.enrollments is not None else args.persons * 6 // 10

    call_command("migrate", verbosity=0, interactive=False)
    if (TrainingClass.objects.count(), Enrollment.objects.count()) != (classes, enrollments):
        wipe_funds()  # the classes are about to be reloaded: their payments go first
    fresh = not TrainingClass.objects.exists() and not Person.objects.exists()
    report_bench.ensure_persons(args.persons, args.seed, args.reset)
    class_bench.ensure_classes(classes, enrollments, args.seed, args.reset, fresh)
    report_bench.ensure_applications(0.01, args.seed)
    ensure_disbursements()
    city = person_bench.bench_user()
    year = (
        Disbursement.objects.values("year")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("year", flat=True)
        .first()
    )
    if year is None:
        raise SystemExit("no settled class to pay: the data set has none")
    town = (
        DisbursementLine.objects.filter(disbursement__year=year)
        .values("town_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("town_id", flat=True)[0]
    )
    clerk = report_bench.town_user(town)
    auditor = User.objects.filter(role=Role.AUDITOR).first() or city

    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"# funds benchmark: {Person.objects.count():,} persons, "
        f"{TrainingClass.objects.count():,} classes, "
        f"{Disbursement.objects.count():,} payments, "
        f"{DisbursementLine.objects.count():,} lines; year {year}; {connection.vendor} "
        f"{settings.DATABASES['default']['NAME']}; load average {load} on "
        f"{os.cpu_count()} CPUs",
        flush=True,
    )

    runs = args.runs
    postgres = connection.vendor == "postgresql"
    ledger = selectors.fund_ledger(user=city, year=year)
    towns = selectors.money_by_town(user=city, year=year)
    if postgres:
        same("ledger", from_ledger(ledger), run(LEDGER_SQL, year))
        same("money by town", from_towns(towns), run(TOWN_SQL, year))
        same(
            "money by town, live",
            from_towns(selectors.money_by_town(user=city, year=year, live=True)),
            run(TOWN_SQL, year),
        )
    for name, call, sql in (
        (
            "fund ledger of the year",
            lambda: selectors.fund_ledger(user=city, year=year),
            LEDGER_SQL,
        ),
        ("money by town", lambda: selectors.money_by_town(user=city, year=year), TOWN_SQL),
        (
            "money by town, live (no summary)",
            lambda: selectors.money_by_town(user=city, year=year, live=True),
            TOWN_SQL,
        ),
    ):
        ours = report_bench.timed([call] * runs)
        report_bench.line(f"{name} (selector)", ours)
        if postgres:
            best = report_bench.timed([lambda sql=sql: run(sql, year)] * runs)
            report_bench.line(f"{name} (hand SQL)", best)
            report_bench.compare(name, ours, best)

    n = args.requests
    web = Client()
    web.force_login(city)
    audit_web = Client()
    audit_web.force_login(auditor)
    town_web = Client()
    town_web.force_login(clerk)
    api = Client()
    headers = {"Authorization": f"Bearer {token_issue(actor=None, user=city)}"}
    for name, client, url, extra in (
        ("GET /funds (city admin)", web, f"/funds?year={year}", {}),
        ("GET /funds (auditor)", audit_web, f"/funds?year={year}", {}),
        ("GET /funds (town staff)", town_web, f"/funds?year={year}", {}),
        ("GET /api/v1/reports/funds", api, f"/api/v1/reports/funds?year={year}", headers),
    ):
        page_line(name, report_bench.timed([report_bench.get(client, url, extra)] * n))

    print(
        f"ledger: {[(r.key, str(r.budget), str(r.committed), str(r.paid)) for r in ledger.sources]}",
        flush=True,
    )
    if FAILURES:
        print("FAILURES:", *FAILURES, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
