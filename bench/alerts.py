"""Supervision alerts benchmark: computing all the alerts of a year, the overlap rule against the
best hand-written SQL for it, and the alert desk's p95.

Usage:  DATABASE_URL=postgres://.../canpei_bench python bench/alerts.py [--persons 20000]
            [--classes N] [--enrollments N] [--year Y] [--requests 100]

The province data set (issue 12) is --persons 1000000 --classes 30000 --enrollments 600000; by
default classes and enrolments scale with the persons (3 % and 60 % of them). The data set is
bench/reports.py's (persons, surveys, classes, enrolments, applications), loaded the same way.

Printed (in-process, milliseconds or seconds):

- each rule's findings for the year (canpei.supervision.rules), timed one by one;
- `recompute(year)` (canpei.supervision.compute): the whole year into the alerts table, from
  an empty table for that year (raises every alert) and again (finds them all, writes nothing);
- the overlap rule against one hand-written SQL statement for the same pairs (a self-join of
  the year's rosters), with the pairs compared;
- the alert desk: GET /alerts and GET /api/v1/alerts for the city admin and a town's staff,
  p50 and p95; the bar is p95 <= 100 ms.

Exits non-zero only when the rule and the SQL disagree or a request fails.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "canpei.settings")

import reports as report_bench  # noqa: E402  (bench/reports.py: the data set and its helpers)
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.db.models.functions import ExtractYear  # noqa: E402
from django.test import Client  # noqa: E402

from canpei.accounts.services import token_issue  # noqa: E402
from canpei.people.models import Person  # noqa: E402
from canpei.supervision.compute import recompute  # noqa: E402
from canpei.supervision.models import Alert, AlertTown  # noqa: E402
from canpei.supervision.rules import RULES  # noqa: E402
from canpei.training import rules as training_rules  # noqa: E402
from canpei.training.models import Enrollment, TrainingClass  # noqa: E402

PAGE_BAR_MS = 100.0
FAILURES: list[str] = []


def overlap_sql() -> str:
    """The overlap rule in one statement: pairs of a person's enrolments on rosters of two classes
    of different institutions, the later (by start date, then id) starting in the year on or
    before the earlier one ends. Remote classes, cancelled and returned ones, withdrawn and
    failed trainees do not count."""
    q = connection.ops.quote_name
    enrollment, klass = q(Enrollment._meta.db_table), q(TrainingClass._meta.db_table)
    states = ", ".join(f"'{s}'" for s in sorted(training_rules.BINDING_STATES))
    return f"""
        SELECT a.person_id, ca.id, cb.id
        FROM {enrollment} a
        JOIN {klass} ca ON ca.id = a.training_class_id
        JOIN {enrollment} b ON b.person_id = a.person_id
        JOIN {klass} cb ON cb.id = b.training_class_id
        WHERE a.status IN ('enrolled', 'completed') AND b.status IN ('enrolled', 'completed')
          AND ca.state IN ({states}) AND cb.state IN ({states})
          AND ca.mode <> 'remote' AND cb.mode <> 'remote'
          AND ca.institution_id <> cb.institution_id
          AND cb.start_date BETWEEN %s AND %s
          AND (ca.start_date < cb.start_date
               OR (ca.start_date = cb.start_date AND ca.id < cb.id))
          AND cb.start_date <= ca.end_date
    """


def run_overlap_sql(year: int) -> set[tuple[int, int, int]]:
    with connection.cursor() as cursor:
        cursor.execute(overlap_sql(), [f"{year}-01-01", f"{year}-12-31"])
        return {(int(p), int(a), int(b)) for p, a, b in cursor.fetchall()}


def seconds(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=20000)
    parser.add_argument("--classes", type=int, default=None, help="default: 3 %% of the persons")
    parser.add_argument("--enrollments", type=int, default=None, help="default: 60 %% of them")
    parser.add_argument("--year", type=int, default=None, help="default: the busiest year")
    parser.add_argument("--requests", type=int, default=100, help="requests per page line")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--reset", action="store_true", help="allow emptying tables in a database not named *bench*"
    )
    args = parser.parse_args()
    classes = args.classes if args.classes is not None else max(1, args.persons * 3 // 100)
    enrollments = args.enrollments if args.enrollments is not None else args.persons * 6 // 10

    call_command("migrate", verbosity=0, interactive=False)
    fresh = not TrainingClass.objects.exists() and not Person.objects.exists()
    report_bench.ensure_persons(args.persons, args.seed, args.reset)
    report_bench.class_bench.ensure_classes(classes, enrollments, args.seed, args.reset, fresh)
    report_bench.ensure_applications(0.01, args.seed)
    year = (
        args.year
        or (
            TrainingClass.objects.annotate(y=ExtractYear("start_date"))
            .values("y")
            .annotate(n=Count("pk"))
            .order_by("-n")
            .values_list("y", flat=True)[0]
        )
    )
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"# alerts benchmark: {Person.objects.count():,} persons, "
        f"{TrainingClass.objects.count():,} classes, {Enrollment.objects.count():,} enrolments; "
        f"year {year}; {connection.vendor}; load average {load} on {os.cpu_count()} CPUs",
        flush=True,
    )

    for code, spec in RULES.items():
        took, found = seconds(lambda spec=spec: list(spec.find(year)))
        print(f"rule {code:<22} {took * 1000:10.1f} ms  {len(found):>7,} findings", flush=True)
    Alert.objects.filter(year=year).delete()  # the first run raises every alert of the year
    took, outcome = seconds(lambda: recompute(year))
    print(
        f"recompute({year}), empty table    {took:8.2f} s  raised {outcome.raised:,}, "
        f"resolved {outcome.resolved:,}",
        flush=True,
    )
    took, again = seconds(lambda: recompute(year))
    print(
        f"recompute({year}), again          {took:8.2f} s  raised {again.raised:,}, "
        f"resolved {again.resolved:,} (nothing changed: 0, 0)",
        flush=True,
    )
    if again.raised or again.resolved:
        FAILURES.append("a second recompute changed the table")
    if connection.vendor == "postgresql":
        # Tens of thousands of rows just written: analyzed now, as autovacuum soon would (with
        # the empty table's statistics the planner reads every alert for a town's page).
        with connection.cursor() as cursor:
            for model in (Alert, Alert.persons.through, AlertTown):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")

    took_rule, pairs = seconds(lambda: {f.subject for f in RULES["overlap"].find(year)})
    took_sql, rows = seconds(lambda: run_overlap_sql(year))
    same = pairs == rows
    print(
        f"overlap rule {took_rule * 1000:10.1f} ms, hand SQL {took_sql * 1000:10.1f} ms "
        f"(ratio {took_rule / max(took_sql, 1e-9):5.2f} x), {len(rows):,} pairs, "
        f"{'same pairs' if same else 'DIFFERENT pairs'}",
        flush=True,
    )
    if not same:
        FAILURES.append(f"overlap: rule {len(pairs)} pairs, SQL {len(rows)} pairs")
    print("hand SQL for the overlap rule:" + overlap_sql().rstrip(), flush=True)

    city = report_bench.person_bench.bench_user()
    town = (
        Alert.persons.through.objects.values("person__town_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("person__town_id", flat=True)
        .first()
    ) or Person.objects.values_list("town_id", flat=True).first()
    clerk = report_bench.town_user(town)
    for user, who in ((city, "city admin"), (clerk, "town staff")):
        client = Client()
        client.force_login(user)
        token = {"Authorization": f"Bearer {token_issue(actor=user, user=user)}"}
        for url, headers in (
            ("/alerts", {}),
            ("/alerts?state=open", {}),
            ("/api/v1/alerts", token),
        ):
            calls = [report_bench.get(client, url, headers)] * args.requests
            times = report_bench.timed(calls)
            ok = report_bench.pct(times, 0.95) <= PAGE_BAR_MS
            report_bench.line(
                f"{url} ({who})",
                times,
                f"[{report_bench.verdict(ok, f'p95 <= {PAGE_BAR_MS:.0f} ms')}]",
            )
    print(f"alerts in the table: {Alert.objects.count():,}", flush=True)
    for failure in FAILURES + report_bench.FAILURES:
        print(f"FAILED: {failure}", flush=True)
    return 1 if FAILURES or report_bench.FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
