"""Plan targets benchmark: the three targets for the whole province and for one town, against the
best single hand-written SQL for the same numbers, and a town's uncovered list.

Usage:  DATABASE_URL=postgres://.../canpei_bench python bench/reports.py [--persons 20000]
            [--classes N] [--enrollments N] [--runs 20] [--requests 200]

The province data set (issue 10) is --persons 1000000 --classes 30000 --enrollments 600000; by
default classes and enrolments scale with the persons (3 % and 60 % of them).

The data set: on PostgreSQL in bulk (about ten minutes for the province data set on a quiet
machine): the demo's institutions, accounts and plans (canpei.demo.demo_load with no persons),
the persons as the demo generates them, by COPY; their surveys and, once classes, enrolments
(bench/classes.py, by COPY) and completed individual applications for 1 % of the persons are
in, the follow-ups of every final completion (3 and 6 months, two in three of those due
recorded), each by one INSERT ... SELECT. Elsewhere (SQLite) through the demo, a row at a time.
A table that does not hold what is asked for is emptied and reloaded only in a database whose
name contains "bench" (or with --reset).

Printed, one line each (in-process, server side, milliseconds; n = samples, a slow line stops
after 15 s once it has 5, and one whose first call took over 5 s keeps that call as its only
sample), with MET or MISS against its bar (QUALITY.md, issue 10):

- targets, whole province: canpei.reports.targets.targets_report for the city admin (the
  selector the page, the API and the export all call), the best hand-written SQL for the same
  numbers (one statement), and the ratio; the bar is <= 2 x;
- the same for one town (the town with the most persons), read by that town's staff;
- the uncovered list of a town: GET /api/v1/reports/targets/uncovered?target=&town=&page= and
  the page /reports/targets/uncovered, p50 and p95; the bar is p95 <= 50 ms;
- the indicators' summary (canpei.reports.summaries.indicators): its rebuild after the load
  (set-based, timed unless the summaries were just rebuilt) and its size, its answer against
  the live computation for the city, the town and an institution (timed once each: what
  /reports cost before the summary), and the cost of a write's refresh for one person and for
  10,000 at once (an import), each in a transaction rolled back;
- the indicators (canpei.reports.indicators) for the city admin: their query count, their
  totals against one hand-written statement for the same totals, both timed, and the ratio
  (no bar: the selector computes every table of the page, the statement the totals only);
- each business role's home page `/` and `/reports` (city admin, town staff, institution
  staff, employment service, auditor), and GET /api/v1/reports/indicators; the bar is
  p95 <= 100 ms.

It checks that the selector and the SQL give the same numbers, and exits non-zero only when they
differ or a request fails, never because a bar is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "canpei.settings")

import classes as class_bench  # noqa: E402  (bench/classes.py: persons, classes, enrolments)
import persons as person_bench  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from canpei import bulk  # noqa: E402
from canpei.accounts.models import User  # noqa: E402
from canpei.accounts.roles import Role  # noqa: E402
from canpei.accounts.services import token_issue  # noqa: E402
from canpei.codes import TrainingMode, TrainingType  # noqa: E402
from canpei.demo import demo_load, generate_persons  # noqa: E402
from canpei.demo.plans import demo_plans  # noqa: E402
from canpei.employment.followups.services import schedule_followups  # noqa: E402
from canpei.employment.models import FollowUp  # noqa: E402
from canpei.institutions.models import Institution  # noqa: E402
from canpei.people.models import Person, Skill, Survey  # noqa: E402
from canpei.people.rules import Gender, working_age_birth_range  # noqa: E402
from canpei.regions.models import Region  # noqa: E402
from canpei.reports import indicators, targets  # noqa: E402
from canpei.reports.models import (  # noqa: E402
    CompletionFact,
    EmploymentCell,
    FollowUpFact,
    IncomeCell,
    IndicatorCell,
    Plan,
    RegistryStanding,
    TargetTally,
)
from canpei.reports.summaries import indicators as indicator_summary  # noqa: E402
from canpei.reports.summaries import rebuild_all  # noqa: E402
from canpei.training.models import Application, ApplicationState  # noqa: E402

TARGETS_RATIO_BAR = 2.0
UNCOVERED_BAR_MS = 50.0
PAGE_BAR_MS = 100.0  # each role's home page and /reports
BENCH_MARK = "基准测试"
FAILURES: list[str] = []

log = person_bench.log
pct = person_bench.pct


# --------------------------------------------------------------------------- data set


def ensure_persons(persons: int, seed: int, reset: bool) -> None:
    """`persons` persons with their surveys. On PostgreSQL in bulk: the demo's institutions,
    accounts and plans (canpei.demo.demo_load with no persons), the persons generated as the demo
    generates them (canpei.demo.generate_persons) and COPYed, and their surveys made by one
    INSERT ... SELECT (the demo's shares: 80 % of last year's working-age persons, 55 % of this
    year's). About 4 minutes for 1,000,000 persons on a quiet machine; elsewhere, as
    bench/persons.py loads them (through the demo, a row at a time)."""
    if connection.vendor != "postgresql":
        person_bench.ensure_data(persons, seed, reset)
        return
    call_command("migrate", verbosity=0, interactive=False)
    have = Person.objects.count()
    if have == persons and Survey.objects.exists():
        log(f"persons table already holds {have:,} persons; reusing it")
        return
    name = str(settings.DATABASES["default"]["NAME"])
    if have and not (reset or "bench" in name.lower()):
        raise SystemExit(
            f"refusing to empty {name}: it holds {have:,} persons, not {persons:,}; "
            "use a database whose name contains 'bench', or pass --reset"
        )
    started = time.perf_counter()
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        # Everything that hangs off a person goes with them (surveys, rosters, follow-ups ...).
        cursor.execute(f"TRUNCATE {q(Person._meta.db_table)} RESTART IDENTITY CASCADE")
    demo_load(persons=0, seed=seed)
    towns = list(Region.objects.filter(level=Region.Level.TOWN).values_list("code", flat=True))
    columns, values = bulk.row_values(Person)
    keep = [i for i, c in enumerate(columns) if c != Person._meta.pk.column]  # type: ignore[union-attr]
    names = [columns[i] for i in keep]
    log(f"COPY {persons:,} persons (seed {seed}) ...")
    chunk: list[Sequence[Any]] = []
    done = 0
    for person in generate_persons(persons, seed, towns, timezone.localdate()):
        row = values(person)
        chunk.append([row[i] for i in keep])
        if len(chunk) >= 50_000:
            with transaction.atomic():
                bulk.copy_rows(Person, names, chunk)
            done += len(chunk)
            chunk.clear()
            log(f"  {done:,} ({time.perf_counter() - started:.0f} s)")
    with transaction.atomic():
        bulk.copy_rows(Person, names, chunk)
    log("surveys (INSERT ... SELECT) ...")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [((seed * 7919) % 1000) / 1000])
        cursor.execute(survey_sql(timezone.localdate()))
        log(f"  {cursor.rowcount:,} surveys")
        cursor.execute(
            f"""INSERT INTO {q(Survey.wanted_skills.through._meta.db_table)} (survey_id, skill_id)
            SELECT s.id, k.id FROM {q(Survey._meta.db_table)} s
            JOIN LATERAL (SELECT id FROM {q(Skill._meta.db_table)} WHERE active
                          ORDER BY md5(s.id::text || id::text) LIMIT 1 + s.id % 2) k ON true
            WHERE s.training_need"""
        )
    with connection.cursor() as cursor:
        for table in (Person, Survey, Survey.wanted_skills.through):
            # The wanted skills too: without their statistics a page's prefetch of fifty
            # surveys' skills was planned as 150,000 rows, in parallel (40 ms at 1,000,000).
            cursor.execute(f"VACUUM ANALYZE {q(table._meta.db_table)}")
    log(f"loaded {persons:,} persons and their surveys in {time.perf_counter() - started:.0f} s")


def survey_sql(today: dt.date) -> str:
    """One INSERT ... SELECT making the surveys canpei.demo.demo_surveys would make (its shares,
    its rules: a survey repeats the person's employment and flags; a need in 45 %)."""
    q = connection.ops.quote_name
    parts = []
    for year, share in ((today.year - 1, 0.8), (today.year, 0.55)):
        on = today if year == today.year else dt.date(year, 12, 31)
        ages = " OR ".join(
            "(p.gender = '{}' AND p.birth_date > '{}' AND p.birth_date <= '{}')".format(
                gender, *working_age_birth_range(gender, on)
            )
            for gender in (Gender.MALE, Gender.FEMALE)
        )
        start = dt.date(year, 3, 1)
        days = max((on - start).days, 0)
        parts.append(
            f"""SELECT p.id, {year} AS year, p.employment_form, p.not_working_reason,
                       random() AS r1, random() AS r2, random() AS r3, random() AS r4,
                       DATE '{start}' + floor(random() * {days + 1})::int AS surveyed_on
                FROM {q(Person._meta.db_table)} p
                WHERE p.status = 'active' AND ({ages}) AND random() < {share}"""
        )
    types = "ARRAY[" + ", ".join(f"'{t}'" for t in TrainingType.values) + "]"
    modes = "ARRAY[" + ", ".join(f"'{m}'" for m in TrainingMode.values) + "]"
    n_types, n_modes = len(TrainingType.values), len(TrainingMode.values)
    return f"""
INSERT INTO {q(Survey._meta.db_table)} (person_id, year, employment_form, not_working_reason,
    employer, wants_work, new_entrant, registered_unemployed, entrepreneurship_intention,
    training_need, wanted_types, preferred_mode, accessibility_needs, surveyor, surveyed_on,
    created_at, updated_at)
SELECT x.id, x.year, x.employment_form, x.not_working_reason,
       CASE WHEN x.employment_form IN ('1', '2') THEN '社区工厂' ELSE '' END,
       x.employment_form = '' AND x.r1 < 0.6, p.new_entrant, p.registered_unemployed,
       p.entrepreneurship_intention, x.r2 < 0.45,
       CASE WHEN x.r2 < 0.45
            THEN jsonb_build_array(({types})[1 + floor(x.r3 * {n_types})::int])
            ELSE '[]'::jsonb END,
       CASE WHEN x.r2 < 0.45 THEN ({modes})[1 + floor(x.r4 * {n_modes})::int] ELSE '' END,
       '[]'::jsonb, '林专干', x.surveyed_on, now(), now()
FROM ({" UNION ALL ".join(parts)}) x JOIN {q(Person._meta.db_table)} p ON p.id = x.id
"""


def ensure_followups(seed: int) -> None:
    """The follow-ups of every final completion (as canpei.employment.followups.services
    schedules them: 3 and 6 months after the end, clamped to the month's last day), two in three
    of those due by today recorded (60 % employed, with an income), by one INSERT ... SELECT on
    PostgreSQL; elsewhere through the scheduling service, recorded none."""
    if FollowUp.objects.exists():
        return
    if connection.vendor != "postgresql":
        schedule_followups()
        return
    q = connection.ops.quote_name
    today = timezone.localdate()
    months = "ARRAY[" + ", ".join(str(m) for m in settings.FOLLOWUP_MONTHS) + "]"
    sql = f"""
INSERT INTO {q(FollowUp._meta.db_table)} (person_id, town_id, enrollment_id, application_id,
    months, ended_on, due_on, date, method, employed, employment_form, employer, position,
    contract_signed, social_insurance, monthly_income, business_started, not_working_reason,
    note, created_at, updated_at)
SELECT y.person_id, y.town_id, y.enrollment_id, y.application_id, y.months, y.ended, y.due,
       y.day, CASE WHEN y.day IS NULL THEN '' ELSE (ARRAY['phone', 'visit', 'employer'])[1 + floor(y.r2 * 3)::int] END,
       CASE WHEN y.day IS NULL THEN NULL ELSE y.r3 < 0.6 END,
       CASE WHEN y.day IS NOT NULL AND y.r3 < 0.6 THEN (1 + floor(y.r4 * 7)::int)::text ELSE '' END,
       CASE WHEN y.day IS NOT NULL AND y.r3 < 0.6 THEN '晋江市恒安集团' ELSE '' END,
       CASE WHEN y.day IS NOT NULL AND y.r3 < 0.6 THEN '包装工' ELSE '' END,
       CASE WHEN y.day IS NOT NULL AND y.r3 < 0.6 THEN y.r4 < 0.7 END,
       CASE WHEN y.day IS NOT NULL AND y.r3 < 0.6 THEN y.r5 < 0.6 END,
       CASE WHEN y.day IS NOT NULL AND y.r3 < 0.6 THEN 1800 + 50 * floor(y.r5 * 84) END,
       CASE WHEN y.day IS NOT NULL AND y.r3 < 0.6 THEN false END,
       CASE WHEN y.day IS NOT NULL AND y.r3 >= 0.6
            THEN (ARRAY['3', '4', '5', '7'])[1 + floor(y.r4 * 4)::int] ELSE '' END,
       '', now(), now()
FROM (
  SELECT x.*, CASE WHEN x.due <= DATE '{today}' AND x.r1 < 0.67
                   THEN least(greatest(x.due + (floor(x.r2 * 11)::int - 5), x.ended), DATE '{today}')
              END AS day
  FROM (
    SELECT s.*, m AS months, (s.ended + make_interval(months => m))::date AS due,
           random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5
    FROM (
      SELECT e.person_id, p.town_id, e.id AS enrollment_id, NULL::bigint AS application_id,
             c.end_date AS ended
      FROM training_enrollment e JOIN training_trainingclass c ON c.id = e.training_class_id
      JOIN people_person p ON p.id = e.person_id
      WHERE e.status = 'completed' AND c.state IN ('audited', 'settled')
      UNION ALL
      SELECT a.person_id, p.town_id, NULL, a.id, a.certificate_date
      FROM training_application a JOIN people_person p ON p.id = a.person_id
      WHERE a.state IN ('completed', 'reimbursed') AND a.certificate_date IS NOT NULL
    ) s CROSS JOIN unnest({months}) m
  ) x
) y
"""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [((seed * 104729) % 1000) / 1000])
        cursor.execute(sql)
        log(f"{cursor.rowcount:,} follow-ups")
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {q(FollowUp._meta.db_table)}")


def ensure_applications(share: float, seed: int) -> None:
    """Completed individual applications for `share` of the persons, dated over the last two
    years (so that some fall in the current plan), in bulk."""
    persons = Person.objects.count()
    wanted = int(persons * share)
    have = Application.objects.filter(occupation=BENCH_MARK).count()
    if have == wanted:
        return
    Application.objects.filter(occupation=BENCH_MARK).delete()
    rng = random.Random(f"bench-applications:{seed}")
    ids = list(Person.objects.values_list("pk", flat=True))
    today = timezone.localdate()
    now = timezone.now()
    rows = []
    for person in rng.sample(ids, min(wanted, len(ids))):
        ttype = rng.choice(TrainingType.values)
        rows.append(
            Application(
                person_id=person,
                kind=rng.choice(["self_directed", "upgrade"]),
                training_type=ttype,
                occupation=BENCH_MARK,
                level=rng.choice(["junior", "intermediate", "senior", "technician"]),
                state=rng.choice([ApplicationState.COMPLETED, ApplicationState.REIMBURSED]),
                certificate_type="training",
                certificate_number=f"BENCH-{person}",
                certificate_date=today - dt.timedelta(days=rng.randrange(730)),
                certificate_issuer=BENCH_MARK,
                created_at=now,
                updated_at=now,
            )
        )
    log(f"inserting {len(rows):,} completed applications ...")
    with transaction.atomic():
        Application.objects.bulk_create(rows, batch_size=5000)
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(Application._meta.db_table)
        cursor.execute(
            f"VACUUM ANALYZE {table}" if connection.vendor == "postgresql" else "ANALYZE"
        )


def ensure_plan() -> Plan:
    demo_plans(today=timezone.localdate())
    return targets.default_plan(timezone.localdate())


def town_user(town: str) -> User:
    user = User.objects.filter(username="bench-town").first()
    if user is None:
        user = User(username="bench-town", role=Role.TOWN_STAFF, first_name="benchmark")
        user.set_unusable_password()
    user.town_id = town
    user.save()
    return user


# --------------------------------------------------------------------------- the best SQL


def hand_sql(period: targets.Period, town: str = "") -> str:
    """One statement for the three targets per town: each person's latest survey (DISTINCT ON),
    their completions in the period (rosters and applications, grouped per person), counted with
    FILTER. The same rules as canpei.reports.targets, written by hand."""
    q = connection.ops.quote_name
    person, survey = q(Person._meta.db_table), q("people_survey")
    enrollment, klass = q("training_enrollment"), q("training_trainingclass")
    application = q(Application._meta.db_table)
    ages = []
    for gender in (Gender.MALE, Gender.FEMALE):
        after, until = working_age_birth_range(gender, period.end)
        ages.append(
            f"(p.gender = '{gender}' AND p.birth_date > '{after}' AND p.birth_date <= '{until}')"
        )
    start, end = period.start.isoformat(), period.end.isoformat()
    town_filter = f"AND p.town_id = '{town}'" if town else ""
    return f"""
WITH latest AS (
  SELECT DISTINCT ON (s.person_id) s.person_id, s.new_entrant, s.registered_unemployed,
         s.employment_form, s.training_need, s.wants_work, s.entrepreneurship_intention
  FROM {survey} s WHERE s.year <= {period.end.year}
  ORDER BY s.person_id, s.year DESC
), named AS (
  SELECT p.town_id, l.person_id,
         (l.new_entrant OR l.registered_unemployed) AS n1,
         (l.employment_form IN ('1', '2')) AS n2,
         ((l.training_need AND l.wants_work AND l.entrepreneurship_intention)
          OR l.employment_form = '3') AS n3
  FROM latest l JOIN {person} p ON p.id = l.person_id
  WHERE p.status = 'active' AND ({" OR ".join(ages)}) {town_filter}
), done AS (
  SELECT e.person_id, true AS d1,
         (c.training_type = 'skill_upgrade' OR c.level IN ('senior', 'technician')
          OR c.high_skill) AS d2,
         (c.training_type = 'entrepreneurship') AS d3
  FROM {enrollment} e JOIN {klass} c ON c.id = e.training_class_id
  WHERE e.status = 'completed' AND c.state IN ('completed', 'audited', 'settled')
    AND c.end_date BETWEEN '{start}' AND '{end}'
  UNION ALL
  SELECT a.person_id, a.training_type <> '',
         (a.training_type = 'skill_upgrade' OR a.level IN ('senior', 'technician')),
         (a.training_type = 'entrepreneurship')
  FROM {application} a
  WHERE a.state IN ('completed', 'reimbursed') AND a.kind IN ('self_directed', 'upgrade')
    AND a.certificate_date BETWEEN '{start}' AND '{end}'
), covered AS (
  SELECT person_id, bool_or(d1) AS d1, bool_or(d2) AS d2, bool_or(d3) AS d3
  FROM done GROUP BY person_id
)
SELECT n.town_id,
       count(*) FILTER (WHERE n.n1), count(*) FILTER (WHERE n.n1 AND c.d1),
       count(*) FILTER (WHERE n.n2), count(*) FILTER (WHERE n.n2 AND c.d2),
       count(*) FILTER (WHERE n.n3), count(*) FILTER (WHERE n.n3 AND c.d3)
FROM named n LEFT JOIN covered c ON c.person_id = n.person_id
GROUP BY n.town_id
"""


def run_sql(sql: str) -> dict[str, list[tuple[int, int]]]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    return {
        row[0]: [(row[1], row[2]), (row[3], row[4]), (row[5], row[6])]
        for row in rows
        if any(row[1:])
    }


def from_report(report: targets.TargetsReport) -> dict[str, list[tuple[int, int]]]:
    return {
        t.town: [(f.population, f.covered) for f in t.targets]
        for t in report.towns
        if any(f.population or f.covered for f in t.targets)
    }


def indicators_sql(today: dt.date) -> str:
    """One statement for the indicators' totals over the whole city (canpei.reports.indicators'
    rules, written by hand): completions of both kinds in one UNION ALL, the follow-ups due by
    `today` per milestone with their median income (the mean of the two middle values)."""
    q = connection.ops.quote_name
    months = ", ".join(str(m) for m in settings.FOLLOWUP_MONTHS)
    return f"""
WITH done AS (
  SELECT e.person_id, e.certificate_number <> '' AS cert,
         (p.hardship_dibao OR p.hardship_tekun OR p.hardship_poverty_monitoring) AS hard,
         e.appraisal_result IN ('passed', 'failed', 'absent') AS appraised,
         e.appraisal_result = 'passed' AS passed
  FROM training_enrollment e JOIN training_trainingclass c ON c.id = e.training_class_id
  JOIN people_person p ON p.id = e.person_id
  WHERE e.status = 'completed' AND c.state IN ('completed', 'audited', 'settled')
  UNION ALL
  SELECT a.person_id, a.certificate_number <> '', NULL, false, false
  FROM {q(Application._meta.db_table)} a WHERE a.state IN ('completed', 'reimbursed')
), due AS (
  SELECT f.months, count(*) AS due, count(*) FILTER (WHERE f.date IS NOT NULL) AS recorded,
         count(*) FILTER (WHERE f.date IS NOT NULL AND f.employed) AS employed,
         round((percentile_disc(0.5) WITHIN GROUP (ORDER BY f.monthly_income)
                FILTER (WHERE f.date IS NOT NULL AND f.employed)
                + percentile_disc(0.5) WITHIN GROUP (ORDER BY f.monthly_income DESC)
                FILTER (WHERE f.date IS NOT NULL AND f.employed)) / 2, 2) AS median
  FROM employment_followup f
  LEFT JOIN training_enrollment e ON e.id = f.enrollment_id
  LEFT JOIN training_trainingclass c ON c.id = e.training_class_id
  LEFT JOIN {q(Application._meta.db_table)} a ON a.id = f.application_id
  WHERE f.due_on <= '{today}' AND f.months IN ({months})
    AND ((e.status = 'completed' AND c.state IN ('completed', 'audited', 'settled'))
         OR a.state IN ('completed', 'reimbursed'))
  GROUP BY f.months
)
SELECT (SELECT count(DISTINCT person_id) FROM done), count(*), count(*) FILTER (WHERE hard),
       count(*) FILTER (WHERE cert), count(*) FILTER (WHERE appraised),
       count(*) FILTER (WHERE passed),
       (SELECT json_agg(json_build_array(months, due, recorded, employed, median::text)
                        ORDER BY months) FROM due)
FROM done
"""


def run_indicators_sql(sql: str) -> tuple[Any, ...]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    assert row is not None
    milestones = row[6] if isinstance(row[6], list) else json.loads(row[6] or "[]")
    return (*row[:6], [tuple(m) for m in milestones])


def from_indicators(report: indicators.Indicators) -> tuple[Any, ...]:
    t = report.total
    return (
        t.trained,
        t.trainee_times,
        t.free_hardship,
        t.certificates,
        t.appraised,
        t.passed,
        [
            (
                m.months,
                m.due,
                m.recorded,
                m.employed,
                None if m.median_income is None else str(m.median_income),
            )
            for m in t.employment
            if m.due
        ],
    )


def role_users(town: str) -> dict[str, User]:
    """One user of each business role: the city admin, the town's staff (the biggest town), the
    staff of the institution with the most classes, the employment service, the auditor."""
    institution = (
        Institution.objects.annotate(n=Count("classes"))
        .order_by("-n", "pk")
        .values_list("pk", flat=True)[0]
    )
    users = {"city_admin": person_bench.bench_user(), "town_staff": town_user(town)}
    for role, fields in (
        (Role.INSTITUTION_STAFF, {"institution_id": institution}),
        (Role.EMPLOYMENT_SERVICE, {}),
        (Role.AUDITOR, {}),
    ):
        username = f"bench-{role}"
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, role=role, first_name="benchmark")
            user.set_unusable_password()
        for attr, value in fields.items():
            setattr(user, attr, value)
        user.save()
        users[str(role)] = user
    return users


def verdict(ok: bool, bar: str) -> str:
    return "MET" if ok else f"MISS ({bar})"


# --------------------------------------------------------------------------- measuring


BUDGET_S = 15.0  # a line stops after this long once it has MIN_SAMPLES (slow pages at scale)
MIN_SAMPLES = 5
SLOW_MS = 5000.0  # a line whose first call takes longer keeps that call as its only sample


def timed(calls: list[Callable[[], Any]]) -> list[float]:
    started = time.perf_counter()
    calls[0]()  # warm up
    first = (time.perf_counter() - started) * 1000
    if first > SLOW_MS:
        # Seconds a call, a hundred times its bar: one more sample says nothing more.
        return [first]
    calls[-1]()
    times: list[float] = []
    begun = time.perf_counter()
    for call in calls:
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
        if len(times) >= MIN_SAMPLES and time.perf_counter() - begun > BUDGET_S:
            break
    return times


def line(name: str, times: list[float], note: str = "") -> None:
    print(
        f"{name:<44} p50 {statistics.median(times):8.2f} ms  p95 {pct(times, 0.95):8.2f} ms"
        f"  n={len(times)}{'  ' + note if note else ''}",
        flush=True,
    )


def compare(name: str, ours: list[float], best: list[float]) -> None:
    r50 = statistics.median(ours) / statistics.median(best)
    ok = r50 <= TARGETS_RATIO_BAR
    print(
        f"{name + ' / hand SQL':<44} p50 ratio {r50:5.2f} x  "
        f"p95 ratio {pct(ours, 0.95) / pct(best, 0.95):5.2f} x  "
        f"[{verdict(ok, f'p50 ratio <= {TARGETS_RATIO_BAR:.0f} x')}]",
        flush=True,
    )


def get(client: Client, url: str, headers: dict[str, str]) -> Callable[[], Any]:
    def call() -> Any:
        response = client.get(url, headers=headers)
        if response.status_code != 200:
            FAILURES.append(f"{url} -> {response.status_code}")
            raise SystemExit(f"GET {url} answered {response.status_code}")
        return response

    return call


class _RolledBack(Exception):
    pass


def summary_checks(city: User, clerk: User, today: dt.date, rebuilt: bool) -> None:
    """Rebuild the indicators' summary, compare it with live for three scopes, time refreshes."""
    if rebuilt:  # just built by rebuild_all above: not twice
        took = "built above"
    else:
        started = time.perf_counter()
        indicator_summary.rebuild_indicators(today)
        took = f"{time.perf_counter() - started:8.1f} s"
    print(
        f"{'indicators summary rebuild':<44} {took}  "
        f"({CompletionFact.objects.count():,} completion facts, "
        f"{FollowUpFact.objects.count():,} follow-up facts; cells: "
        f"{IndicatorCell.objects.count():,} indicator, {EmploymentCell.objects.count():,} "
        f"employment, {IncomeCell.objects.count():,} income)",
        flush=True,
    )
    institution = role_users(clerk.town_id or "")["institution_staff"]
    for name, user in (("city", city), ("town", clerk), ("institution", institution)):
        for filters in (
            indicators.IndicatorFilters(),
            indicators.IndicatorFilters(year=today.year),
        ):
            summary = indicators.indicators(user=user, filters=filters, as_of=today)
            started = time.perf_counter()
            live = indicators.indicators(user=user, filters=filters, as_of=today, live=True)
            took = time.perf_counter() - started
            same = summary == live
            shape = "no filter" if filters.year is None else f"year {filters.year}"
            print(
                f"summary == live ({name}, {shape}): {'yes' if same else 'NO'}  "
                f"(live took {took:.1f} s)",
                flush=True,
            )
            if not same:
                FAILURES.append(f"indicators summary != live for {name}, {shape}")
    persons = list(
        CompletionFact.objects.order_by("person_id")
        .values_list("person_id", flat=True)
        .distinct()[:10000]
    )
    for label, ids in (("1 person", persons[:1]), (f"{len(persons):,} persons", persons)):
        # Their facts forgotten first, so that the refresh rewrites everything they count in
        # (the cells come out wrong, and the transaction is rolled back).
        try:
            with transaction.atomic():
                CompletionFact.objects.filter(person_id__in=ids).delete()
                FollowUpFact.objects.filter(person_id__in=ids).delete()
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    indicator_summary.refresh_indicator_persons(ids)
                    took = (time.perf_counter() - started) * 1000
                raise _RolledBack
        except _RolledBack:
            pass
        print(
            f"{'indicators summary refresh, ' + label:<44} {took:8.1f} ms  "
            f"({len(captured.captured_queries)} queries)",
            flush=True,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=20000)
    parser.add_argument("--classes", type=int, default=None, help="default: 3 %% of the persons")
    parser.add_argument("--enrollments", type=int, default=None, help="default: 60 %% of them")
    parser.add_argument("--runs", type=int, default=20, help="runs of each targets figure")
    parser.add_argument("--requests", type=int, default=200, help="requests per list line")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--reset", action="store_true", help="allow emptying tables in a database not named *bench*"
    )
    parser.add_argument(
        "--skip-summary-checks",
        action="store_true",
        help="leave out the indicators' summary against live and its refresh timings (tens of "
        "minutes at the province's size): the page lines after them come sooner",
    )
    args = parser.parse_args()
    classes = args.classes if args.classes is not None else max(1, args.persons * 3 // 100)
    enrollments = args.enrollments if args.enrollments is not None else args.persons * 6 // 10

    call_command("migrate", verbosity=0, interactive=False)
    fresh = not class_bench.TrainingClass.objects.exists() and not Person.objects.exists()
    ensure_persons(args.persons, args.seed, args.reset)
    class_bench.ensure_classes(classes, enrollments, args.seed, args.reset, fresh)
    ensure_applications(0.01, args.seed)
    ensure_followups(args.seed)
    plan = ensure_plan()
    period = targets.plan_period(plan)
    city = person_bench.bench_user()
    town = (
        Person.objects.values("town_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("town_id", flat=True)[0]
    )
    clerk = town_user(town)

    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"# reports benchmark: {Person.objects.count():,} persons, "
        f"{class_bench.TrainingClass.objects.count():,} classes, "
        f"{class_bench.Enrollment.objects.count():,} enrolments, "
        f"{Application.objects.count():,} applications; plan {plan.name} "
        f"({period.start} .. {period.end}); {connection.vendor} "
        f"{settings.DATABASES['default']['NAME']}; load average {load} on {os.cpu_count()} CPUs",
        flush=True,
    )

    # The summaries (canpei.reports.summaries): built once after a bulk load, as
    # `canpei summaries rebuild` does; the services keep them from then on.
    # A bulk load leaves them behind the records: the registry's standings (one a person) tell.
    # So does a bulk load by another benchmark into the tables this one reuses (bench/classes.py
    # loads classes and enrolments and leaves the summaries as they were): the targets against
    # their live count tell.
    rebuilt = (
        not TargetTally.objects.filter(plan=plan).exists()
        or RegistryStanding.objects.count() != Person.objects.count()
        or from_report(targets.targets_report(user=city, plan=plan))
        != from_report(targets.targets_report(user=city, plan=plan, live=True))
    )
    if rebuilt:
        started = time.perf_counter()
        written = rebuild_all()
        print(f"summaries rebuilt in {time.perf_counter() - started:.1f} s: {written}", flush=True)
        if connection.vendor == "postgresql":
            # Just written in bulk: vacuumed and analyzed now, as autovacuum soon would (the
            # visibility map lets the home pages read the summaries' covering indexes alone).
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")

    # Same numbers first: the summary, the live count and the hand SQL.
    province = targets.targets_report(user=city, plan=plan)
    live = targets.targets_report(user=city, plan=plan, live=True)
    if from_report(province) != from_report(live):
        FAILURES.append(f"summary != live: {from_report(province)} != {from_report(live)}")
    print(
        f"summary equals the live count: {'yes' if from_report(province) == from_report(live) else 'NO'}",
        flush=True,
    )
    one_town = targets.targets_report(user=clerk, plan=plan)
    if connection.vendor == "postgresql":
        for name, ours, sql in (
            ("province", from_report(province), hand_sql(period)),
            ("town", from_report(one_town), hand_sql(period, town)),
        ):
            theirs = run_sql(sql)
            same = ours == theirs
            print(f"same numbers as the hand SQL ({name}): {'yes' if same else 'NO'}", flush=True)
            if not same:
                FAILURES.append(f"{name}: {ours} != {theirs}")
    assert province.city is not None
    for f in province.city.targets:
        print(
            f"  city target {f.target}: population {f.population:,} covered {f.covered:,} "
            f"ratio {f.ratio:.4f}",
            flush=True,
        )

    runs = args.runs
    ours = timed([lambda: targets.targets_report(user=city, plan=plan)] * runs)
    line("targets, whole province (selector)", ours)
    if connection.vendor == "postgresql":
        sql = hand_sql(period)
        best = timed([lambda: run_sql(sql)] * runs)
        line("targets, whole province (hand SQL)", best)
        compare("targets, whole province", ours, best)
    live_times = timed([lambda: targets.targets_report(user=city, plan=plan, live=True)] * runs)
    line("targets, whole province (live count, for comparison)", live_times)
    ours_town = timed([lambda: targets.targets_report(user=clerk, plan=plan)] * runs)
    line(f"targets, one town {town} (selector)", ours_town)
    if connection.vendor == "postgresql":
        sql_town = hand_sql(period, town)
        best_town = timed([lambda: run_sql(sql_town)] * runs)
        line(f"targets, one town {town} (hand SQL)", best_town)
        compare("targets, one town", ours_town, best_town)

    # The uncovered list of a town, through the API and the page.
    rng = random.Random(args.seed * 31)
    n = args.requests
    api = Client()
    headers = {"Authorization": f"Bearer {token_issue(actor=None, user=clerk)}"}
    web = Client()
    web.force_login(clerk)
    picks = [(rng.choice(targets.TARGET_NUMBERS), rng.randint(1, 5)) for _ in range(n)]
    api_calls = [
        get(
            api,
            f"/api/v1/reports/targets/uncovered?plan={plan.pk}&target={t}&town={town}&page={p}",
            headers,
        )
        for t, p in picks
    ]
    page_calls = [
        get(web, f"/reports/targets/uncovered?plan={plan.pk}&target={t}&town={town}&page={p}", {})
        for t, p in picks
    ]
    for name, calls in (("api", api_calls), ("page", page_calls)):
        times = timed(calls)
        ok = pct(times, 0.95) <= UNCOVERED_BAR_MS
        line(
            f"{name} uncovered list of a town",
            times,
            f"[{verdict(ok, f'p95 <= {UNCOVERED_BAR_MS:.0f} ms')}]",
        )
    page_times = timed([get(web, f"/reports/targets?plan={plan.pk}", {})] * min(n, runs))
    line("page /reports/targets (town staff)", page_times)

    # The indicators' summary: built after the load, then checked against the live computation.
    today = timezone.localdate()
    if args.skip_summary_checks:
        print("indicators summary checks skipped (--skip-summary-checks)", flush=True)
    else:
        summary_checks(city, clerk, today, rebuilt)

    # The indicators: the selector's totals against one hand-written statement, then the pages.
    report = indicators.indicators(user=city, filters=indicators.IndicatorFilters(), as_of=today)
    with CaptureQueriesContext(connection) as captured:
        indicators.indicators(user=city, filters=indicators.IndicatorFilters(), as_of=today)
    print(
        f"indicators: {len(captured.captured_queries)} queries; totals {from_indicators(report)}",
        flush=True,
    )
    if connection.vendor == "postgresql":
        isql = indicators_sql(today)
        theirs = run_indicators_sql(isql)
        same = from_indicators(report) == theirs
        print(f"same totals as the hand SQL (indicators): {'yes' if same else 'NO'}", flush=True)
        if not same:
            FAILURES.append(f"indicators: {from_indicators(report)} != {theirs}")
        ours_i = timed(
            [
                lambda: indicators.indicators(
                    user=city, filters=indicators.IndicatorFilters(), as_of=today
                )
            ]
            * runs
        )
        line("indicators, whole city (selector, all tables)", ours_i)
        best_i = timed([lambda: run_indicators_sql(isql)] * runs)
        line("indicators, whole city (hand SQL, totals)", best_i)
        r50 = statistics.median(ours_i) / statistics.median(best_i)
        print(
            f"{'indicators / hand SQL':<44} p50 ratio {r50:5.2f} x  p95 ratio "
            f"{pct(ours_i, 0.95) / pct(best_i, 0.95):5.2f} x  (no bar: the selector computes "
            "every table of the page, the SQL the totals only)",
            flush=True,
        )

    # Each role's home page, /reports and the indicators API: p95 <= 100 ms.
    users = role_users(town)
    for role, user in users.items():
        client = Client()
        client.force_login(user)
        for name, url in (("home page /", "/"), ("page /reports", "/reports")):
            times = timed([get(client, url, {})] * min(n, runs * 2))
            ok = pct(times, 0.95) <= PAGE_BAR_MS
            line(f"{name} ({role})", times, f"[{verdict(ok, f'p95 <= {PAGE_BAR_MS:.0f} ms')}]")
    api_city = {"Authorization": f"Bearer {token_issue(actor=None, user=city)}"}
    times = timed([get(api, "/api/v1/reports/indicators", api_city)] * min(n, runs * 2))
    ok = pct(times, 0.95) <= PAGE_BAR_MS
    line(
        "api /api/v1/reports/indicators (city_admin)",
        times,
        f"[{verdict(ok, f'p95 <= {PAGE_BAR_MS:.0f} ms')}]",
    )

    if FAILURES:
        for failure in FAILURES:
            print("FAIL", failure, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
