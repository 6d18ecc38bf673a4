"""Person registry benchmark: list, search and detail, through the API and the pages.

Usage:  DATABASE_URL=postgres://... python bench/persons.py [--persons 30000] [--requests 200]

The script builds its own data set: after migrating, if the persons table does not hold exactly
N persons it empties it and loads N with canpei.demo.demo_load(persons=N, seed=--seed). It will
only empty a table that already holds persons when the database name contains "bench" or
--reset is given, so it cannot wipe a working registry by accident.

Everything runs in this process with Django's test Client: a measurement is the time to get the
full response (server side, no network), and its query count is taken with
CaptureQueriesContext. One line per measurement: name, median, p95, queries (and the query counts
at page_size 10 and 200 for lists, which must equal the count at 50). For the list by town it
also times the best hand-written SQL for the same answer (a 50-row page by town through the
(town_id, id) index, and its exact count) and prints the ratio.

This is not a timed test; the bars are in /shared/spec/QUALITY.md (p95 <= 50 ms for lists,
<= 25 ms for detail, at 1,000,000 persons on PostgreSQL). It exits non-zero only when a request
fails or a query count depends on the page size, never because a bar is missed.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "canpei.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

# Django's test Client asks for the host "testserver", which the deployed defaults do not allow;
# the benchmarks add it as the test suite does.
settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from canpei.accounts.models import User  # noqa: E402
from canpei.accounts.roles import Role  # noqa: E402
from canpei.accounts.services import token_issue  # noqa: E402
from canpei.demo import GIVEN, SURNAMES, demo_load  # noqa: E402
from canpei.people.models import Person  # noqa: E402
from canpei.people.pinyin import name_pinyin  # noqa: E402

# As canpei/wsgi.py does in each gunicorn worker: what is loaded by now stays out of the garbage
# collector's full walks, so that the percentiles here are those of the deployed server's.
gc.freeze()

LIST_BAR_MS = 50.0
DETAIL_BAR_MS = 25.0
BENCH_USER = "bench-city"


def log(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


# --------------------------------------------------------------------------- data set


def ensure_data(persons: int, seed: int, reset: bool) -> None:
    log(f"database: {connection.vendor} {settings.DATABASES['default']['NAME']}")
    log("migrating ...")
    call_command("migrate", verbosity=0, interactive=False)
    have = Person.objects.count()
    if have == persons:
        log(f"persons table already holds {have:,} persons; reusing it")
        return
    if have:
        name = str(settings.DATABASES["default"]["NAME"])
        if not (reset or "bench" in name.lower()):
            raise SystemExit(
                f"refusing to empty {name}: it holds {have:,} persons, not {persons:,}; "
                "use a database whose name contains 'bench', or pass --reset"
            )
        log(f"emptying the persons table ({have:,} persons) ...")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                table = connection.ops.quote_name(Person._meta.db_table)
                cursor.execute(f"TRUNCATE {table} RESTART IDENTITY CASCADE")
        else:
            Person.objects.all().delete()
    log(f"loading {persons:,} persons (seed {seed}) ...")
    started = time.perf_counter()
    added = demo_load(persons=persons, seed=seed, progress=True)["persons"]
    log(f"loaded {added:,} persons in {time.perf_counter() - started:.0f} s")
    if connection.vendor == "postgresql":
        # What autovacuum would do shortly anyway: statistics for the planner and a visibility
        # map so that counts can be index-only scans.
        log("VACUUM ANALYZE ...")
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(Person._meta.db_table)}")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    have = Person.objects.count()
    if have != persons:
        raise SystemExit(f"expected {persons:,} persons after loading, found {have:,}")


def bench_user() -> User:
    user = User.objects.filter(username=BENCH_USER).first()
    if user is None:
        user = User(username=BENCH_USER, role=Role.CITY_ADMIN, first_name="benchmark")
        user.set_unusable_password()
        user.save()
    return user


# --------------------------------------------------------------------------- measuring


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


class Result:
    def __init__(
        self, name: str, times_ms: list[float], queries: int, by_size: dict[int, int] | None = None
    ) -> None:
        self.name = name
        self.times_ms = times_ms
        self.queries = queries
        self.by_size = by_size or {}

    @property
    def p50(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        return pct(self.times_ms, 0.95)


FAILURES: list[str] = []


def get(client: Client, url: str, headers: dict[str, str]) -> None:
    response = client.get(url, headers=headers)
    if response.status_code != 200:
        FAILURES.append(f"{url} -> {response.status_code}")
        raise SystemExit(f"GET {url} answered {response.status_code}: {response.content[:300]!r}")
    if not response.content:
        raise SystemExit(f"GET {url} answered an empty body")


def request_queries(captured: CaptureQueriesContext) -> int:
    """The queries of a request, without the idle timeout's renewal of the session (BEGIN,
    UPDATE django_session, COMMIT), which a request makes at most once a minute (canpei.accounts
    .middleware.SlidingSessionMiddleware), whatever page it is."""
    return sum(
        1
        for query in captured.captured_queries
        if query["sql"] not in ("BEGIN", "COMMIT")
        and not query["sql"].startswith('UPDATE "django_session"')
    )


def query_count(client: Client, url: str, headers: dict[str, str]) -> int:
    with CaptureQueriesContext(connection) as captured:
        get(client, url, headers)
    return request_queries(captured)


def measure(
    name: str,
    client: Client,
    headers: dict[str, str],
    urls: list[str],
    sized: Callable[[str, int], str] | None = None,
    bar: float = LIST_BAR_MS,
) -> Result:
    for url in urls[:5]:  # warm caches: templates, URL resolver, connection
        get(client, url, headers)
    times: list[float] = []
    for url in urls:
        started = time.perf_counter()
        get(client, url, headers)
        times.append((time.perf_counter() - started) * 1000)
    # The count may differ between parameters (an empty page needs no row query), never
    # between page sizes for the same parameters.
    counts = [query_count(client, url, headers) for url in urls[:5]]
    queries = max(counts)
    by_size: dict[int, int] = {}
    if sized is not None:
        for size in (10, 200):
            at_size = [query_count(client, sized(url, size), headers) for url in urls[:5]]
            if at_size != counts:
                FAILURES.append(
                    f"{name}: query count depends on page size: 50 -> {counts}, {size} -> {at_size}"
                )
            by_size[size] = max(at_size)
    result = Result(name, times, queries, by_size)
    verdict = "ok" if result.p95 <= bar else f"MISSES p95 <= {bar:.0f} ms"
    sizes = f"  queries@10={by_size[10]} queries@200={by_size[200]}" if by_size else ""
    print(
        f"{name:<34} p50 {result.p50:7.2f} ms  p95 {result.p95:7.2f} ms  "
        f"queries {queries}{sizes}  [{verdict}]",
        flush=True,
    )
    return result


def hand_sql(towns: list[str], pages: list[int]) -> tuple[list[float], list[float], list[float]]:
    """The best SQL for a 50-row page by town and its exact count, through the same connection."""
    table = connection.ops.quote_name(Person._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in Person._meta.concrete_fields)
    page_sql = f"SELECT {columns} FROM {table} WHERE town_id = %s ORDER BY id LIMIT 50 OFFSET %s"
    count_sql = f"SELECT count(*) FROM {table} WHERE town_id = %s"
    page_ms: list[float] = []
    count_ms: list[float] = []
    both_ms: list[float] = []
    with connection.cursor() as cursor:
        for warm, (town, page) in enumerate(list(zip(towns, pages))[:5] + list(zip(towns, pages))):
            t0 = time.perf_counter()
            cursor.execute(page_sql, [town, (page - 1) * 50])
            rows = cursor.fetchall()
            t1 = time.perf_counter()
            cursor.execute(count_sql, [town])
            cursor.fetchone()
            t2 = time.perf_counter()
            if warm < 5:
                continue
            assert len(rows) <= 50
            page_ms.append((t1 - t0) * 1000)
            count_ms.append((t2 - t1) * 1000)
            both_ms.append((t2 - t0) * 1000)
    return page_ms, count_ms, both_ms


# --------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=30000)
    parser.add_argument("--requests", type=int, default=200, help="requests per measurement")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--reset",
        action="store_true",
        help="allow emptying a persons table in a database not named *bench*",
    )
    args = parser.parse_args()

    ensure_data(args.persons, args.seed, args.reset)
    user = bench_user()
    api_headers = {"Authorization": f"Bearer {token_issue(actor=None, user=user)}"}
    api = Client()
    web = Client()
    web.force_login(user)
    no_headers: dict[str, str] = {}

    n = args.requests
    rng = random.Random(args.seed * 104729)
    towns = sorted(Person.objects.values_list("town_id", flat=True).distinct())
    town_list = [rng.choice(towns) for _ in range(n)]
    page_list = [rng.randint(1, 10) for _ in range(n)]
    # Common name prefixes: surname + first given character (陈志, 林美, ...).
    given_chars = sorted(set(GIVEN))
    names = [rng.choice(SURNAMES[:12]) + rng.choice(given_chars) for _ in range(n)]
    full3 = [
        rng.choice(SURNAMES[:12]) + rng.choice(given_chars) + rng.choice(given_chars)
        for _ in range(n)
    ]
    initials = [name_pinyin(name)[1] for name in full3]  # e.g. czm
    pinyins = [name_pinyin(name)[0] for name in names]  # e.g. chenzhi
    # Broad searches: a surname alone, as typed by someone who knows no more.
    surnames = [rng.choice(SURNAMES[:12]) for _ in range(n)]
    surname_pinyins = [name_pinyin(name)[0] for name in surnames]  # e.g. chen
    tails = [f"{rng.randrange(10000):04d}" for _ in range(n)]
    low, high = (
        Person.objects.order_by("id").values_list("id", flat=True)[:1][0],
        Person.objects.order_by("-id").values_list("id", flat=True)[:1][0],
    )
    candidates = [rng.randint(low, high) for _ in range(n * 2)]
    existing = set(Person.objects.filter(id__in=candidates).values_list("id", flat=True))
    ids = [i for i in candidates if i in existing][:n]

    def sized(url: str, size: int) -> str:
        return url.replace("page_size=50", f"page_size={size}")

    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"# persons benchmark: {Person.objects.count():,} persons, {connection.vendor}, "
        f"{n} requests per line, server side (in-process test client); "
        f"load average {load} on {os.cpu_count()} CPUs",
        flush=True,
    )
    from urllib.parse import quote

    lists = {
        "list by town": [f"town={t}&page={p}" for t, p in zip(town_list, page_list)],
        "search name prefix (陈志)": [f"q={quote(q)}" for q in names],
        "search name prefix in town": [f"town={t}&q={quote(q)}" for t, q in zip(town_list, names)],
        "search initials (czm)": [f"q={q}" for q in initials],
        "search full pinyin (chenzhi)": [f"q={q}" for q in pinyins],
        "search ID tail (4 digits)": [f"q={q}" for q in tails],
        "search surname only (陈)": [f"q={quote(q)}" for q in surnames],
        "search surname pinyin (chen)": [f"q={q}" for q in surname_pinyins],
    }
    results: dict[str, Result] = {}
    for label, params in lists.items():
        results[f"api {label}"] = measure(
            f"api {label}",
            api,
            api_headers,
            [f"/api/v1/persons?{p}&page_size=50" for p in params],
            sized,
        )
        results[f"page {label}"] = measure(
            f"page {label}", web, no_headers, [f"/persons?{p}&page_size=50" for p in params], sized
        )
    results["api detail"] = measure(
        "api detail /persons/{id}",
        api,
        api_headers,
        [f"/api/v1/persons/{i}" for i in ids],
        bar=DETAIL_BAR_MS,
    )
    results["page detail"] = measure(
        "page detail /persons/{id}",
        web,
        no_headers,
        [f"/persons/{i}" for i in ids],
        bar=DETAIL_BAR_MS,
    )

    page_ms, count_ms, both_ms = hand_sql(town_list, page_list)
    print(
        f"{'hand SQL: 50-row page by town':<34} p50 {statistics.median(page_ms):7.2f} ms  "
        f"p95 {pct(page_ms, 0.95):7.2f} ms",
        flush=True,
    )
    print(
        f"{'hand SQL: exact count by town':<34} p50 {statistics.median(count_ms):7.2f} ms  "
        f"p95 {pct(count_ms, 0.95):7.2f} ms",
        flush=True,
    )
    print(
        f"{'hand SQL: page + count':<34} p50 {statistics.median(both_ms):7.2f} ms  "
        f"p95 {pct(both_ms, 0.95):7.2f} ms",
        flush=True,
    )
    for kind in ("api", "page"):
        r = results[f"{kind} list by town"]
        print(
            f"{kind + ' list by town / hand SQL':<34} p50 ratio "
            f"{r.p50 / statistics.median(both_ms):5.1f} x  p95 ratio "
            f"{r.p95 / pct(both_ms, 0.95):5.1f} x",
            flush=True,
        )

    if FAILURES:
        for failure in FAILURES:
            print("FAIL", failure, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
