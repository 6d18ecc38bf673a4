"""Training class benchmark: class lists and class pages, through the selectors, the API and the
pages, on the province data set's training part.

Usage:  DATABASE_URL=postgres://... python bench/classes.py [--persons 30000] [--classes 3000]
            [--enrollments 60000] [--requests 200]

The province data set (QUALITY.md) is --persons 1000000 --classes 30000 --enrollments 600000.

The script builds its own data set. Persons come as in bench/persons.py (canpei.demo.demo_load,
which empties and reloads the persons table when it does not hold exactly N). Classes and
enrolments are loaded in bulk (COPY on PostgreSQL through canpei.bulk, not through the services,
which would take hours), with rows that keep the model's constraints and a state that fits each
class's dates: classes over the last five years and the next three months, spread over the demo
institutions and as many more designated benchmark institutions as it takes to give each about a
hundred classes, each with its history (ClassEvent) and a roster of random persons. When the
training tables do not hold exactly the classes and enrolments asked for, they are emptied and
reloaded, in a database whose name contains "bench" (or with --reset) only.

Measurements, one line each with median and p95 (in-process, server side, as bench/persons.py):

- selectors: class_list page 1 and its count for the city admin (unfiltered; by year; by state;
  by institution), an institution's own list, a town's list (the scope's EXISTS over enrolments
  and persons); class_get plus the first roster page of 50 with its count;
- HTTP: /api/v1/classes, /api/v1/classes/{id}, /api/v1/classes/{id}/enrollments, /classes,
  /classes/{id}. A URL whose route does not exist (yet) prints "skipped: not present".

For the city's list and the town's list it also times the best hand-written SQL for the same
page and count, and prints the ratio. The bars: p95 <= 50 ms for lists (issue 4), <= 25 ms for a
class page and an API detail (QUALITY.md, "any detail page or API detail"). It exits
non-zero only when a request fails or a list's query count depends on the page size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "canpei.settings")

import persons as person_bench  # noqa: E402  (bench/persons.py: sets Django up, loads persons)
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import Resolver404, resolve  # noqa: E402
from django.utils import timezone  # noqa: E402

from canpei import bulk  # noqa: E402
from canpei.accounts.models import User  # noqa: E402
from canpei.accounts.roles import Role  # noqa: E402
from canpei.accounts.services import token_issue  # noqa: E402
from canpei.codes import TrainingLevel, TrainingMode, TrainingType  # noqa: E402
from canpei.demo import _credit_code  # noqa: E402
from canpei.demo.classes import PATHS  # noqa: E402
from canpei.employment.models import FollowUp  # noqa: E402
from canpei.institutions.models import DesignationState, Institution, InstitutionType  # noqa: E402
from canpei.people.models import Person, Skill  # noqa: E402
from canpei.regions.models import Region  # noqa: E402
from canpei.training.classes import selectors  # noqa: E402
from canpei.training.models import (  # noqa: E402
    Attendance,
    CertificateType,
    ClassCodeCounter,
    ClassEvent,
    ClassSession,
    ClassState,
    Enrollment,
    EnrollmentStatus,
    Inspection,
    TrainingClass,
)
from canpei.training.rules import CLASS_TRANSITIONS  # noqa: E402

BAR_MS = 50.0  # lists, and the class page of the issue
DETAIL_BAR_MS = 25.0  # QUALITY.md: any detail page or API detail
BENCH_INSTITUTION = "基准测试培训机构"
S = ClassState
log = person_bench.log
pct = person_bench.pct
FAILURES = person_bench.FAILURES

OCCUPATIONS = [
    ("盲人保健按摩", "保健按摩师", "居民服务、修理和其他服务业"),
    ("电子商务", "电子商务师", "批发和零售业"),
    ("直播带货", "互联网营销师", "批发和零售业"),
    ("中式面点", "中式面点师", "住宿和餐饮业"),
    ("中式烹调", "中式烹调师", "住宿和餐饮业"),
    ("手工编织", "手工编织", "制造业"),
    ("服装缝纫", "服装制作工", "制造业"),
    ("闽南传统工艺", "木雕工", "文化、体育和娱乐业"),
    ("计算机操作", "计算机操作员", "信息传输、软件和信息技术服务业"),
    ("美容美发", "美发师", "居民服务、修理和其他服务业"),
    ("种植养殖", "农作物种植工", "农、林、牧、渔业"),
    ("创业培训", "创业培训", ""),
]


# --------------------------------------------------------------------------- data set


def _wipe_training() -> None:
    """Empty the class tables (and nothing else): rosters, registers, inspections, history, the
    follow-ups of the rosters (they reference enrolments), the payments and their money-by-town
    summary (they reference classes: bench/funds.py pays the settled classes again), the open
    follow-ups' summary (it counts those follow-ups) and the supervision alerts with their towns
    (they reference classes)."""
    from canpei.employment.models import OpenFollowUpCell
    from canpei.funds.models import Contract, Disbursement, DisbursementLine, TownYearPaid
    from canpei.supervision.models import Alert, AlertComputation, AlertEvent, AlertTown

    models = [
        AlertTown,
        Alert.classes.through,
        Alert.institutions.through,
        Alert.persons.through,
        AlertEvent,
        Alert,
        AlertComputation,
        TownYearPaid,
        DisbursementLine,
        Disbursement,
        Contract.classes.through,
        OpenFollowUpCell,
        FollowUp,
        Attendance,
        ClassSession,
        Inspection,
        ClassEvent,
        Enrollment,
        TrainingClass.teachers.through,
        TrainingClass,
        ClassCodeCounter,
    ]
    if connection.vendor == "postgresql":
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY")
    else:
        for model in models:
            model._default_manager.all().delete()


def _institutions(classes: int, rng: random.Random, today: dt.date) -> list[int]:
    """The designated institutions classes go to: the demo's, and benchmark ones up to about a
    hundred classes each. Their designation covers every class date."""
    wanted = max(10, classes // 100)
    towns = list(Region.objects.filter(level=Region.Level.TOWN).values_list("code", flat=True))
    have = Institution.objects.filter(name__startswith=BENCH_INSTITUTION).count()
    start, end = dt.date(today.year - 6, 1, 1), dt.date(today.year + 2, 12, 31)
    new = []
    designated = Institution.objects.filter(
        state__in=[DesignationState.DESIGNATED, DesignationState.DEMONSTRATION]
    )
    for n in range(have, max(0, wanted - designated.count() + have)):
        new.append(
            Institution(
                # A generator per institution: one more run for more classes adds new codes only.
                name=f"{BENCH_INSTITUTION}{n + 1:04d}",
                credit_code=_credit_code(random.Random(f"bench-institution:{n}")),
                type=rng.choice(InstitutionType.values),
                town_id=rng.choice(towns),
                state=DesignationState.DESIGNATED,
                designated_from=start,
                designated_to=end,
            )
        )
    Institution.objects.bulk_create(new, batch_size=1000)
    return list(designated.order_by("pk").values_list("pk", flat=True))


def _state_for(start: dt.date, end: dt.date, today: dt.date, rng: random.Random) -> str:
    if start > today:
        return rng.choices(
            [S.DRAFT, S.SUBMITTED, S.RETURNED, S.APPROVED, S.CANCELLED], [20, 25, 10, 35, 10]
        )[0]
    if end >= today:
        return rng.choices([S.RUNNING, S.CANCELLED], [92, 8])[0]
    if end > today - dt.timedelta(days=75):
        return rng.choices([S.COMPLETED, S.AUDIT_FAILED, S.AUDITED, S.SETTLED], [30, 10, 30, 30])[0]
    return rng.choices([S.SETTLED, S.AUDITED, S.CANCELLED], [86, 4, 10])[0]


def _event_day(action: str, start: dt.date, end: dt.date) -> dt.date:
    offsets = {"submit": -30, "return": -27, "approve": -20, "cancel": -10, "start": 0}
    if action in offsets:
        return start + dt.timedelta(days=offsets[action])
    return end + dt.timedelta(
        days={"complete": 2, "fail_audit": 10, "pass_audit": 25, "settle": 45}[action]
    )


def load_classes(classes: int, enrollments: int, seed: int) -> None:
    rng = random.Random(f"bench-classes:{seed}")
    today = timezone.localdate()
    now = timezone.now()
    started = time.perf_counter()
    institutions = _institutions(classes, rng, today)
    town_of = dict(Person.objects.order_by("pk").values_list("pk", "town_id"))
    persons = list(town_of)
    if not persons:
        raise SystemExit("no persons to enrol")
    # Roster sizes around the mean, adding up to exactly `enrollments`.
    mean = enrollments / classes
    # One class in fifty is a big one (a remote course, a large base), so that a class page
    # can be measured with a full first roster page of 50.
    sizes = [
        max(
            0,
            round(rng.uniform(0.5, 1.5) * mean * (rng.uniform(3, 6) if rng.random() < 0.02 else 1)),
        )
        for _ in range(classes)
    ]
    diff = enrollments - sum(sizes)
    while diff:
        i = rng.randrange(classes)
        step = 1 if diff > 0 else -1
        if sizes[i] + step >= 0 and sizes[i] + step <= len(persons):
            sizes[i] += step
            diff -= step
    span = (today + dt.timedelta(days=90)) - dt.date(today.year - 5, 1, 1)
    # Each class teaches one of the catalogue's skills, as real classes do (the matching page
    # reads the classes of the skills a town wants). Its own stream, so the rest of the data set
    # stays what the seed made it before classes had skills.
    skills = list(Skill.objects.filter(active=True).order_by("pk").values_list("pk", flat=True))
    skill_rng = random.Random(f"bench-class-skills:{seed}")
    rows: list[TrainingClass] = []
    counters: dict[int, int] = {}
    for i in range(classes):
        start = dt.date(today.year - 5, 1, 1) + dt.timedelta(days=rng.randrange(span.days))
        end = start + dt.timedelta(days=rng.choice([7, 14, 20, 30, 45, 60, 90, 120, 200]))
        counters[start.year] = counters.get(start.year, 0) + 1
        course, occupation, industry = rng.choice(OCCUPATIONS)
        appraisal = rng.random() < 0.4
        training_type = (
            TrainingType.ENTREPRENEURSHIP
            if course == "创业培训"
            else rng.choice(
                [
                    TrainingType.EMPLOYMENT_SKILLS,
                    TrainingType.SKILL_UPGRADE,
                    TrainingType.RURAL_PRACTICAL,
                ]
            )
        )
        rows.append(
            TrainingClass(
                code=f"PX{start.year}-{counters[start.year]:05d}",
                name=f"{course}培训班（第 {rng.randint(1, 30)} 期）",
                institution_id=rng.choice(institutions),
                training_type=training_type,
                mode=rng.choices(TrainingMode.values, [80, 12, 8])[0],
                occupation=occupation,
                industry=industry,
                skill_id=skill_rng.choice(skills) if skills else None,
                level=rng.choice(TrainingLevel.values),
                appraisal=appraisal,
                filing_number=f"350582{start:%Y}{i:06d}" if appraisal else "",
                start_date=start,
                end_date=end,
                hours=rng.choice([40, 60, 80, 120, 160]),
                capacity=max(sizes[i], 1) + rng.randint(0, 10),
                venue="培训机构实训室",
                subsidy_standard=Decimal(rng.choice([600, 900, 1200, 1800, 2400, 3000])),
                free_for_hardship=rng.random() < 0.3,
                folk_craft=course == "闽南传统工艺",
                high_skill=rng.random() < 0.05,
                young_adult_focus=rng.random() < 0.2,
                state=_state_for(start, end, today, rng),
                created_at=now,
                updated_at=now,
            )
        )
    log(f"COPY {classes:,} classes ...")
    with transaction.atomic():
        bulk.insert_many(TrainingClass, rows)
        ClassCodeCounter.objects.bulk_create(
            [ClassCodeCounter(year=year, last=last) for year, last in counters.items()]
        )
        events: list[ClassEvent] = []
        for tc in rows:
            state = S.DRAFT
            for action in PATHS[tc.state]:
                target = CLASS_TRANSITIONS[action].target
                day = min(_event_day(action, tc.start_date, tc.end_date), today)
                events.append(
                    ClassEvent(
                        training_class_id=tc.pk,
                        action=action,
                        from_state=state,
                        to_state=target,
                        at=timezone.make_aware(dt.datetime.combine(day, dt.time(10))),
                        comment="基准测试" if CLASS_TRANSITIONS[action].comment_required else "",
                    )
                )
                state = target
        log(f"COPY {len(events):,} history rows ...")
        bulk.insert_many(ClassEvent, events)
    log(f"COPY {enrollments:,} enrolments ...")
    batch: list[Enrollment] = []
    done = 0
    finished = {S.COMPLETED, S.AUDIT_FAILED, S.AUDITED, S.SETTLED}
    with transaction.atomic():
        for tc, size in zip(rows, sizes):
            for serial, person in enumerate(rng.sample(persons, size), start=1):
                status = EnrollmentStatus.ENROLLED
                hours = Decimal(0)
                cert: dict[str, Any] = {}
                if tc.state in finished:
                    status = rng.choices(
                        [
                            EnrollmentStatus.COMPLETED,
                            EnrollmentStatus.FAILED,
                            EnrollmentStatus.WITHDRAWN,
                        ],
                        [88, 6, 6],
                    )[0]
                    share = (
                        rng.uniform(0.8, 1.0)
                        if status == EnrollmentStatus.COMPLETED
                        else rng.uniform(0.2, 0.79)
                    )
                    hours = Decimal(round(tc.hours * share * 2)) / 2
                    if status == EnrollmentStatus.COMPLETED and tc.state != S.AUDIT_FAILED:
                        cert = {
                            "certificate_type": CertificateType.TRAINING,
                            "certificate_number": f"PXHG-{tc.code[2:]}-{serial:03d}",
                            "certificate_date": min(tc.end_date + dt.timedelta(days=14), today),
                            "certificate_issuer": "晋江市残疾人联合会",
                            "result": "合格",
                        }
                elif tc.state == S.RUNNING:
                    status = rng.choices(
                        [EnrollmentStatus.ENROLLED, EnrollmentStatus.WITHDRAWN], [95, 5]
                    )[0]
                    hours = Decimal(round(tc.hours * rng.uniform(0.1, 0.6)))
                batch.append(
                    Enrollment(
                        training_class_id=tc.pk,
                        person_id=person,
                        town_id=town_of[person],
                        status=status,
                        attended_hours=hours,
                        enrolled_at=now,
                        updated_at=now,
                        withdrawn_on=today if status == EnrollmentStatus.WITHDRAWN else None,
                        withdraw_reason="个人原因" if status == EnrollmentStatus.WITHDRAWN else "",
                        **cert,
                    )
                )
            if len(batch) >= 50_000:
                bulk.insert_many(Enrollment, batch)
                done += len(batch)
                batch.clear()
                person_bench.log(f"  {done:,}")
        bulk.insert_many(Enrollment, batch)
    log(f"loaded the classes in {time.perf_counter() - started:.0f} s")


def ensure_classes(classes: int, enrollments: int, seed: int, reset: bool, fresh: bool) -> None:
    have = (TrainingClass.objects.count(), Enrollment.objects.count())
    if have == (classes, enrollments):
        log(
            f"training tables already hold {classes:,} classes and {enrollments:,} enrolments; "
            "reusing them"
        )
        return
    name = str(settings.DATABASES["default"]["NAME"])
    # `fresh`: the only classes are the few the demo made with the persons this run loaded.
    if any(have) and not (reset or fresh or "bench" in name.lower()):
        raise SystemExit(
            f"refusing to empty the classes of {name}: use a database whose name "
            "contains 'bench', or pass --reset"
        )
    log(f"emptying the training tables ({have[0]:,} classes, {have[1]:,} enrolments) ...")
    _wipe_training()
    load_classes(classes, enrollments, seed)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for model in (TrainingClass, Enrollment, ClassEvent, Institution):
                cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        else:
            cursor.execute("ANALYZE")


def bench_users(rng: random.Random) -> dict[str, User]:
    """The city, the institution with the most classes, and the town with the most trainees."""
    users = {"city": person_bench.bench_user()}
    institution = (
        Institution.objects.annotate(n=Count("classes"))
        .order_by("-n", "pk")
        .values_list("pk", flat=True)[0]
    )
    town = (
        Person.objects.values("town_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("town_id", flat=True)[0]
    )
    for key, role, fields in (
        ("institution", Role.INSTITUTION_STAFF, {"institution_id": institution}),
        ("town", Role.TOWN_STAFF, {"town_id": town}),
    ):
        username = f"bench-{key}"
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, role=role, first_name="benchmark")
            user.set_unusable_password()
        for attr, value in fields.items():
            setattr(user, attr, value)
        user.save()
        users[key] = user
    return users


# --------------------------------------------------------------------------- measuring


def measure_calls(name: str, calls: list[Callable[[], Any]], bar: float = BAR_MS) -> list[float]:
    for call in calls[:5]:
        call()
    times: list[float] = []
    for call in calls:
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as captured:
        calls[0]()
    p50, p95 = statistics.median(times), pct(times, 0.95)
    verdict = "ok" if p95 <= bar else f"MISSES p95 <= {bar:.0f} ms"
    print(
        f"{name:<40} p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  queries {person_bench.request_queries(captured)}"
        f"  [{verdict}]",
        flush=True,
    )
    return times


def list_page(user: User, params: dict[str, str]) -> Callable[[], Any]:
    def call() -> Any:
        qs = selectors.class_list(user=user, filters=selectors.ClassFilters.from_params(params))
        return qs.count(), [(c.code, c.institution.name, c.trainee_count) for c in qs[:50]]

    return call


def class_page(user: User, class_id: int) -> Callable[[], Any]:
    def call() -> Any:
        tc = selectors.class_get(user=user, class_id=class_id)
        rows = selectors.roster(user=user, training_class=tc)
        # What a page shows of a trainee: name, masked ID (decrypted to be masked), town.
        return (
            tc.trainee_count,
            rows.count(),
            [
                (e.person.name, e.person.id_number_masked, e.person.town.name, e.status)
                for e in rows[:50]
            ],
        )

    return call


def route_present(path: str) -> bool:
    """Whether the URL's route exists (the API's catch-all answers unknown paths with a 404)."""
    try:
        match = resolve(path.split("?")[0])
    except Resolver404:
        return False
    return match.url_name != "unknown"


def measure_http(
    name: str,
    client: Client,
    headers: dict[str, str],
    urls: list[str],
    sized: bool,
    bar: float = BAR_MS,
) -> None:
    if not route_present(urls[0]):
        print(f"{name:<40} skipped: not present", flush=True)
        return
    person_bench.measure(
        f"{name:<40}"[:40],
        client,
        headers,
        urls,
        (lambda url, size: url.replace("page_size=50", f"page_size={size}")) if sized else None,
        bar=bar,
    )


def hand_sql(name: str, page_sql: str, count_sql: str, params: list[list[Any]]) -> list[float]:
    """The best SQL for a 50-row page (with each row's roster count) and its exact count."""
    both: list[float] = []
    with connection.cursor() as cursor:
        for warm, args in enumerate(params[:5] + params):
            t0 = time.perf_counter()
            cursor.execute(page_sql, args)
            cursor.fetchall()
            cursor.execute(count_sql, args)
            cursor.fetchone()
            if warm >= 5:
                both.append((time.perf_counter() - t0) * 1000)
    print(
        f"{'hand SQL: ' + name:<40} p50 {statistics.median(both):7.2f} ms  "
        f"p95 {pct(both, 0.95):7.2f} ms",
        flush=True,
    )
    return both


def ratio(name: str, ours: list[float], best: list[float]) -> None:
    print(
        f"{name + ' / hand SQL':<40} p50 ratio {statistics.median(ours) / statistics.median(best):5.1f} x"
        f"  p95 ratio {pct(ours, 0.95) / pct(best, 0.95):5.1f} x",
        flush=True,
    )


# --------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=30000)
    parser.add_argument("--classes", type=int, default=3000)
    parser.add_argument("--enrollments", type=int, default=60000)
    parser.add_argument("--requests", type=int, default=200, help="requests per measurement")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--reset", action="store_true", help="allow emptying tables in a database not named *bench*"
    )
    args = parser.parse_args()
    if args.classes < 1 or args.enrollments < 0:
        parser.error("--classes must be at least 1 and --enrollments not negative")

    call_command("migrate", verbosity=0, interactive=False)
    fresh = not TrainingClass.objects.exists() and not Person.objects.exists()
    person_bench.ensure_data(args.persons, args.seed, args.reset)
    ensure_classes(args.classes, args.enrollments, args.seed, args.reset, fresh)

    n = args.requests
    rng = random.Random(args.seed * 7727)
    users = bench_users(rng)
    city, inst_user, town_user = users["city"], users["institution"], users["town"]
    years = sorted({d.year for d in TrainingClass.objects.dates("start_date", "year")})
    institutions = list(TrainingClass.objects.values_list("institution_id", flat=True).distinct())
    ids = list(TrainingClass.objects.values_list("pk", flat=True))
    sample_ids = [rng.choice(ids) for _ in range(n)]
    # Classes with a roster of more than 50, for the first roster page to be a full one.
    big = (
        list(
            TrainingClass.objects.annotate(n=Count("enrollments"))
            .filter(n__gt=50)
            .values_list("pk", flat=True)[:1000]
        )
        or ids
    )

    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"# classes benchmark: {TrainingClass.objects.count():,} classes, "
        f"{Enrollment.objects.count():,} enrolments, {Person.objects.count():,} persons, "
        f"{connection.vendor}, {n} requests per line, server side (in-process); "
        f"load average {load} on {os.cpu_count()} CPUs",
        flush=True,
    )

    picks = {
        "city": [{} for _ in range(n)],
        "year": [{"year": str(rng.choice(years))} for _ in range(n)],
        "state": [{"state": rng.choice(ClassState.values)} for _ in range(n)],
        "institution": [{"institution": str(rng.choice(institutions))} for _ in range(n)],
    }
    results: dict[str, list[float]] = {}
    results["city"] = measure_calls(
        "selector list: city, page 1", [list_page(city, p) for p in picks["city"]]
    )
    measure_calls("selector list: city by year", [list_page(city, p) for p in picks["year"]])
    measure_calls("selector list: city by state", [list_page(city, p) for p in picks["state"]])
    measure_calls(
        "selector list: city by institution", [list_page(city, p) for p in picks["institution"]]
    )
    measure_calls("selector list: institution's own", [list_page(inst_user, {}) for _ in range(n)])
    results["town"] = measure_calls(
        "selector list: town staff (EXISTS)", [list_page(town_user, {}) for _ in range(n)]
    )
    town_ids = list(selectors.class_list(user=town_user).values_list("pk", flat=True)[:1000])
    measure_calls(
        "selector class + roster page: city",
        [class_page(city, i) for i in sample_ids],
        bar=DETAIL_BAR_MS,
    )
    measure_calls(
        "selector class + roster page: big class",
        [class_page(city, rng.choice(big)) for _ in range(n)],
        bar=DETAIL_BAR_MS,
    )
    if town_ids:
        measure_calls(
            "selector class + roster page: town",
            [class_page(town_user, rng.choice(town_ids)) for _ in range(n)],
            bar=DETAIL_BAR_MS,
        )

    table = connection.ops.quote_name(TrainingClass._meta.db_table)
    enrol = connection.ops.quote_name(Enrollment._meta.db_table)
    counted = (
        f"(SELECT count(*) FROM {enrol} e WHERE e.training_class_id = c.id "
        f"AND e.status <> 'withdrawn') AS trainees"
    )
    best_city = hand_sql(
        "city list page + count",
        f"SELECT c.*, {counted} FROM {table} c ORDER BY c.start_date DESC, c.id DESC LIMIT 50",
        f"SELECT count(*) FROM {table}",
        [[] for _ in range(n)],
    )
    # The trainee's town is kept on the enrolment (indexed with the class), so the best SQL
    # probes that index rather than joining the town's persons.
    exists = f"EXISTS (SELECT 1 FROM {enrol} e WHERE e.training_class_id = c.id AND e.town_id = %s)"
    best_town = hand_sql(
        "town list page + count",
        f"SELECT c.*, {counted} FROM {table} c WHERE {exists} "
        f"ORDER BY c.start_date DESC, c.id DESC LIMIT 50",
        f"SELECT count(*) FROM {table} c WHERE {exists}",
        [[town_user.town_id] for _ in range(n)],
    )
    ratio("selector list: city", results["city"], best_city)
    ratio("selector list: town", results["town"], best_town)

    api_headers = {"Authorization": f"Bearer {token_issue(actor=None, user=city)}"}
    town_headers = {"Authorization": f"Bearer {token_issue(actor=None, user=town_user)}"}
    api, web, town_web = Client(), Client(), Client()
    web.force_login(city)
    town_web.force_login(town_user)
    none: dict[str, str] = {}
    query = ["&".join(f"{k}={v}" for k, v in p.items()) for p in picks["year"]]
    measure_http(
        "api /classes (city)",
        api,
        api_headers,
        ["/api/v1/classes?page_size=50" for _ in range(n)],
        sized=True,
    )
    measure_http(
        "api /classes?year= (city)",
        api,
        api_headers,
        [f"/api/v1/classes?{q}&page_size=50" for q in query],
        sized=True,
    )
    measure_http(
        "api /classes (town staff)",
        api,
        town_headers,
        ["/api/v1/classes?page_size=50" for _ in range(n)],
        sized=True,
    )
    measure_http(
        "api /classes/{id}",
        api,
        api_headers,
        [f"/api/v1/classes/{i}" for i in sample_ids],
        sized=False,
        bar=DETAIL_BAR_MS,
    )
    measure_http(
        "api /classes/{id}/enrollments",
        api,
        api_headers,
        [f"/api/v1/classes/{i}/enrollments?page_size=50" for i in sample_ids],
        sized=True,
    )
    measure_http(
        "page /classes (city)", web, none, ["/classes?page_size=50" for _ in range(n)], sized=True
    )
    measure_http(
        "page /classes?year= (city)",
        web,
        none,
        [f"/classes?{q}&page_size=50" for q in query],
        sized=True,
    )
    measure_http(
        "page /classes (town staff)",
        town_web,
        none,
        ["/classes?page_size=50" for _ in range(n)],
        sized=True,
    )
    measure_http(
        "page /classes/{id}",
        web,
        none,
        [f"/classes/{i}" for i in sample_ids],
        sized=False,
        bar=DETAIL_BAR_MS,
    )

    if FAILURES:
        for failure in FAILURES:
            print("FAIL", failure, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
