"""Matching benchmark (issue 12 item 4): the matching page of one town, read by that town's staff.

Usage:  DATABASE_URL=postgres://.../canpei_bench python bench/matching.py [--persons 20000]
            [--classes N] [--enrollments N] [--requests 100]

The data set is bench/reports.py's (persons with their surveys, classes and enrolments, loaded
in bulk on PostgreSQL, through the demo elsewhere). Printed, one line each (in-process, server
side, milliseconds): canpei.reports.matching.matching_report for the town, the page
/reports/matching and GET /api/v1/reports/matching?town=, p50 and p95, against the bar
p95 <= 100 ms (issue 12). It exits non-zero only when a request fails, never because a bar is
missed. The demand is read from the matching summary (canpei.reports.summaries.matching),
rebuilt here after a load; the live computation is timed beside it, and the two must agree.
--no-load measures the data set already in the database and never empties a table.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "canpei.settings")

import reports as report_bench  # noqa: E402  (bench/reports.py: the data set and the timers)
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from canpei.accounts.services import token_issue  # noqa: E402
from canpei.people.models import Person, Survey  # noqa: E402
from canpei.reports.matching import matching_report  # noqa: E402
from canpei.reports.summaries import matching as matching_summary  # noqa: E402

PAGE_BAR_MS = 100.0


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=20000)
    parser.add_argument("--classes", type=int, default=None, help="default: 3 %% of the persons")
    parser.add_argument("--enrollments", type=int, default=None, help="default: 60 %% of them")
    parser.add_argument("--requests", type=int, default=100, help="requests per line")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--reset", action="store_true", help="allow emptying tables in a database not named *bench*"
    )
    parser.add_argument(
        "--no-load",
        action="store_true",
        help="measure the data set already there; stop if its counts differ (never empty a table)",
    )
    args = parser.parse_args()
    classes = args.classes if args.classes is not None else max(1, args.persons * 3 // 100)
    enrollments = args.enrollments if args.enrollments is not None else args.persons * 6 // 10

    report_bench.call_command("migrate", verbosity=0, interactive=False)
    wanted = (args.persons, classes, enrollments)
    have = (
        Person.objects.count(),
        report_bench.class_bench.TrainingClass.objects.count(),
        report_bench.class_bench.Enrollment.objects.count(),
    )
    if args.no_load and have != wanted:
        raise SystemExit(
            f"--no-load: the database holds {have[0]:,} persons, {have[1]:,} classes and "
            f"{have[2]:,} enrolments, not {wanted[0]:,}, {wanted[1]:,} and {wanted[2]:,}"
        )
    fresh = not have[1] and not have[0]
    report_bench.ensure_persons(args.persons, args.seed, args.reset)
    report_bench.class_bench.ensure_classes(classes, enrollments, args.seed, args.reset, fresh)
    # The demand is read from the matching summary: built after a bulk load, as
    # `canpei summaries rebuild` does (the services keep it from then on).
    if have != wanted or not matching_summary.is_built():
        started = time.perf_counter()
        written = matching_summary.rebuild_matching()
        print(
            f"matching summary rebuilt: {written:,} needs in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
    town = (
        Person.objects.values("town_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("town_id", flat=True)[0]
    )
    clerk = report_bench.town_user(town)
    year = timezone.localdate().year
    print(
        f"# matching benchmark: {Person.objects.count():,} persons, "
        f"{Survey.objects.count():,} surveys, "
        f"{report_bench.class_bench.TrainingClass.objects.count():,} classes; town {town}; "
        f"{connection.vendor} {settings.DATABASES['default']['NAME']}; "
        f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs",
        flush=True,
    )
    rows = matching_report(user=clerk, year=year)
    print(f"rows {len(rows)}; first: {rows[0].advice if rows else '—'}", flush=True)
    if [(r.town, r.skill, r.demand, r.by_type, r.by_mode) for r in rows] != [
        (r.town, r.skill, r.demand, r.by_type, r.by_mode)
        for r in matching_report(user=clerk, year=year, live=True)
    ]:
        report_bench.FAILURES.append("matching summary != live")
        print("matching_report from the summary differs from live", flush=True)
    n = args.requests
    live = report_bench.timed([lambda: matching_report(user=clerk, year=year, live=True)] * n)
    report_bench.line("matching_report, one town, live", live)
    selector = report_bench.timed([lambda: matching_report(user=clerk, year=year)] * n)
    report_bench.line("matching_report, one town", selector)
    web = Client()
    web.force_login(clerk)
    headers = {"Authorization": f"Bearer {token_issue(actor=None, user=clerk)}"}
    for name, client, url, given in (
        ("/reports/matching", web, "/reports/matching", {}),
        (
            "GET /api/v1/reports/matching",
            Client(),
            f"/api/v1/reports/matching?town={town}",
            headers,
        ),
    ):
        times = report_bench.timed([report_bench.get(client, url, given)] * n)
        ok = report_bench.pct(times, 0.95) <= PAGE_BAR_MS
        report_bench.line(
            name, times, f"[{report_bench.verdict(ok, f'p95 <= {PAGE_BAR_MS:.0f} ms')}]"
        )
    return 1 if report_bench.FAILURES else 0


if __name__ == "__main__":
    raise SystemExit(main())
