"""The indicators' summary: what /reports and the home pages read, kept in the writer's
transaction (issue 10, Speed). canpei.reports.indicators stays the definition and the reference:
`indicators(..., live=True)` computes everything live, and a report with any filter other than
the year (or, for a city-wide reader, the town) is always computed live.

Three layers, all in canpei.reports.models:

- the facts: one CompletionFact per completion (a trainee-time: a completed enrolment of a final
  class, a completed individual application) and one FollowUpFact per follow-up of one at a
  milestone of settings.FOLLOWUP_MONTHS, read with the very conditions of the live computation
  (ENROLLMENT_PATHS, APPLICATION_PATHS, no user scope). They are a person's "old" state.
- the cells: per group (scope, year, breakdown, key) the sums the page shows. scope "" is the
  city, "t:<town code>" a town (enrolments and follow-ups by their copied town, applications by
  the applicant's town), "i:<institution id>" an institution (its classes' enrolments and their
  follow-ups; never an application), as ENROLLMENT_SCOPE, APPLICATION_SCOPE and FOLLOWUP_SCOPE
  say. year 0 is every year, else the completion's end year. breakdown: total, town,
  institution, type, year, plan (a completion counts for every plan whose period holds its end
  date), heritage, high_skill. `trained` (distinct persons) is kept by diffing, per person, the
  groups they belong to before and after a refresh. A cell whose count fell to 0 stays, read as
  absent.
- the clock (IndicatorClock): the follow-ups counted are those due on or before `as_of`. A read on
  a later day first advances it (adding the follow-ups that fell due since), under the clock
  row's lock, which every refresh takes too.

Refreshing persons (the receiver of canpei.hooks.outcomes_changed) reads their old facts and
their new ones (one query per kind for all of them), and for the persons whose facts changed
subtracts the old contributions from the cells, adds the new ones and replaces the facts: a few
queries, whether one person changed or ten thousand. No clock row means the summary was never
built (a fresh database, most tests): refreshes do nothing and every report is computed live
until `rebuild_indicators()` runs.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.db.models import BigIntegerField, CharField, F, IntegerField, Q, QuerySet, Value
from django.db.models.functions import Coalesce, ExtractYear
from django.utils import timezone

from canpei.accounts.roles import CITY_WIDE_READERS, Perm, Role, has_perm
from canpei.employment.models import FollowUp
from canpei.reports.indicators import (
    APPLICATION_PATHS, APPRAISAL_PASSED, BY_INSTITUTION, BY_TOWN, BY_TYPE, BY_YEAR, ENROLLMENT_PATHS,
    HARDSHIP, HERITAGE_LABEL, HIGH_SKILL_LABEL, TOTAL_LABEL, Figures, IndicatorFilters, Indicators, Milestone,
    _flag, _heritage_q, _high_skill_q, _labelled, _single, _to_fen,
)
from canpei.reports.models import (
    CompletionFact, EmploymentCell, FollowUpFact, IncomeCell, IndicatorCell, IndicatorClock, Plan,
)
from canpei.training.models import AppraisalResult, Application, Enrollment

if TYPE_CHECKING:
    from canpei.regions.scope import Viewer

# (scope, year, breakdown, key)
Group = tuple[str, int, str, str]

COMPLETION_FIELDS = ("person_id", "enrollment_id", "application_id", "end_date", "year", "town",
                     "institution_id", "training_type", "heritage", "high_skill", "certificate",
                     "hardship", "appraised", "passed")
FOLLOWUP_FIELDS = ("followup_id", "person_id", "enrollment_id", "end_date", "year", "town",
                   "institution_id", "training_type", "heritage", "high_skill", "months", "due_on",
                   "recorded", "employed", "income")
COUNTS = ("trainee_times", "free_hardship", "certificates", "appraised", "passed")
EMPLOYMENT = ("due", "recorded", "employed")

# How many persons one refresh handles at a time (the IN lists stay under every driver's limit).
CHUNK = 10000
# More median groups than this in one write: recompute every median rather than list them.
MEDIAN_GROUPS_LISTED = 5000


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# ---- the facts, as the live computation sees them --------------------------------------------

def _hardship_q(prefix: str = "") -> Q:
    q = Q()
    for flag in HARDSHIP:
        q |= Q(**{f"{prefix}person__{flag}": True})
    return q


def _values(qs: QuerySet[Any], columns: dict[str, Any]) -> QuerySet[Any]:
    """`qs` selecting exactly `columns`, in their order (the INSERT ... SELECT relies on it)."""
    return qs.annotate(**columns).order_by().values_list(*columns)


def _completion_querysets(persons: Q | None = None) -> list[QuerySet[Any]]:
    """The completions (enrolments, then applications) as COMPLETION_FIELDS rows."""
    e, a = ENROLLMENT_PATHS, APPLICATION_PATHS
    none = Value(None, output_field=BigIntegerField())
    zero = Value(0, output_field=IntegerField())
    enrollments = Enrollment.objects.filter(e.completed)
    applications = Application.objects.filter(a.completed)
    if persons is not None:
        enrollments, applications = enrollments.filter(persons), applications.filter(persons)
    return [
        _values(enrollments, {
            "c_person": F(e.person), "c_enrollment": F("pk"), "c_application": none,
            "c_end": F(e.end), "c_year": ExtractYear(e.end),
            "c_town": Coalesce(F(e.town), Value(""), output_field=CharField()),
            "c_institution": F(e.institution),
            "c_type": Coalesce(F(e.type), Value(""), output_field=CharField()),
            "c_heritage": _flag(_heritage_q(e)), "c_high": _flag(_high_skill_q(e)),
            "c_cert": _flag(~Q(certificate_number="")), "c_hardship": _flag(_hardship_q()),
            "c_appraised": _flag(Q(appraisal_result__in=AppraisalResult.values)),
            "c_passed": _flag(Q(appraisal_result=APPRAISAL_PASSED))}),
        _values(applications, {
            "c_person": F(a.person), "c_enrollment": none, "c_application": F("pk"),
            "c_end": F(a.end), "c_year": ExtractYear(a.end),
            "c_town": Coalesce(F(a.town), Value(""), output_field=CharField()),
            "c_institution": F(a.institution),
            "c_type": Coalesce(F(a.type), Value(""), output_field=CharField()),
            "c_heritage": zero, "c_high": _flag(_high_skill_q(a)),
            "c_cert": _flag(~Q(certificate_number="")), "c_hardship": _flag(_hardship_q()),
            "c_appraised": zero, "c_passed": zero}),
    ]


def _followup_queryset(persons: Q | None = None) -> QuerySet[Any]:
    """The follow-ups of the completions at the milestones, as FOLLOWUP_FIELDS rows (every one,
    due or not: the cells count those due by the clock)."""
    e = ENROLLMENT_PATHS.prefixed("enrollment__", town="town_id")
    a = APPLICATION_PATHS.prefixed("application__", town="town_id")
    qs = FollowUp.objects.filter(
        (Q(enrollment__isnull=False) & e.completed) | (Q(application__isnull=False) & a.completed),
        months__in=settings.FOLLOWUP_MONTHS)
    if persons is not None:
        qs = qs.filter(persons)
    recorded = Q(date__isnull=False)
    return _values(qs, {
        "f_followup": F("pk"), "f_person": F("person_id"), "f_enrollment": F("enrollment_id"),
        "f_end": Coalesce(F(e.end), F(a.end)),
        "f_year": Coalesce(ExtractYear(e.end), ExtractYear(a.end)),
        "f_town": Coalesce(F("town_id"), Value(""), output_field=CharField()),
        "f_institution": Coalesce(F(e.institution), F(a.institution),
                                  output_field=BigIntegerField()),
        "f_type": Coalesce(F(e.type), F(a.type), Value(""), output_field=CharField()),
        "f_heritage": _flag(_heritage_q(e)),
        "f_high": _flag(_high_skill_q(e) | _high_skill_q(a)),
        "f_months": F("months"), "f_due": F("due_on"), "f_recorded": _flag(recorded),
        "f_employed": _flag(recorded & Q(employed=True)), "f_income": F("monthly_income")})


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _completion_row(row: Sequence[Any]) -> tuple[Any, ...]:
    """A COMPLETION_FIELDS row in canonical Python types (so old and new facts compare)."""
    (person, enrollment, application, end, year, town, institution, type_, heritage, high, cert,
     hardship, appraised, passed) = row
    return (int(person), _int(enrollment), _int(application), end, _int(year), town or "",
            _int(institution), type_ or "", int(heritage), int(high), int(cert), int(hardship),
            int(appraised), int(passed))


def _followup_row(row: Sequence[Any]) -> tuple[Any, ...]:
    (followup, person, enrollment, end, year, town, institution, type_, heritage, high, months,
     due, recorded, employed, income) = row
    return (int(followup), int(person), _int(enrollment), end, _int(year), town or "",
            _int(institution), type_ or "", int(heritage), int(high), int(months), due,
            int(recorded), int(employed), None if income is None else Decimal(income))


# ---- the groups of a fact ---------------------------------------------------------------------

Plans = list[tuple[int, dt.date, dt.date]]


def _plans() -> Plans:
    return list(Plan.objects.order_by("id").values_list("pk", "period_start", "period_end"))


def _groups(*, is_class: bool, end: dt.date | None, year: int | None, town: str,
            institution: int | None, type_: str, heritage: int, high: int, plans: Plans
            ) -> list[Group]:
    """Every group a completion (or a follow-up of one) counts in."""
    scopes = [""]
    if town:
        scopes.append("t:" + town)
    if is_class and institution is not None:
        scopes.append(f"i:{institution}")
    years = [0] if year is None else [0, year]
    keys = [("total", ""), ("town", town),
            ("institution", "" if institution is None else str(institution)),
            ("type", type_), ("year", "" if year is None else str(year))]
    if heritage:
        keys.append(("heritage", ""))
    if high:
        keys.append(("high_skill", ""))
    if end is not None:
        keys += [("plan", str(pk)) for pk, start, stop in plans if start <= end <= stop]
    return [(s, y, b, k) for s in scopes for y in years for b, k in keys]


def _completion_groups(row: tuple[Any, ...], plans: Plans) -> list[Group]:
    (_p, enrollment, _a, end, year, town, institution, type_, heritage, high, *_rest) = row
    return _groups(is_class=enrollment is not None, end=end, year=year, town=town,
                   institution=institution, type_=type_, heritage=heritage, high=high, plans=plans)


def _followup_groups(row: tuple[Any, ...], plans: Plans) -> list[Group]:
    (_f, _p, enrollment, end, year, town, institution, type_, heritage, high, *_rest) = row
    return _groups(is_class=enrollment is not None, end=end, year=year, town=town,
                   institution=institution, type_=type_, heritage=heritage, high=high, plans=plans)


def _completion_counts(row: tuple[Any, ...]) -> tuple[int, ...]:
    (_p, enrollment, _a, _e, _y, _t, _i, _ty, _h, _hs, cert, hardship, appraised, passed) = row
    return (1, hardship if enrollment is not None else 0, cert, appraised, passed)


class _Deltas:
    """What a write changes in the cells: sums to add (negative to subtract) per cell."""

    def __init__(self) -> None:
        self.counts: dict[Group, list[int]] = defaultdict(lambda: [0] * (1 + len(COUNTS)))
        self.employment: dict[tuple[Group, int], list[int]] = defaultdict(lambda: [0, 0, 0])
        self.incomes: Counter[tuple[Group, int, Decimal]] = Counter()

    def completions(self, rows: Iterable[tuple[Any, ...]], plans: Plans, sign: int) -> None:
        """Add (sign 1) or subtract (-1) the counts of completions; trained is kept apart."""
        for row in rows:
            counts = _completion_counts(row)
            for group in _completion_groups(row, plans):
                cell = self.counts[group]
                for i, value in enumerate(counts, start=1):
                    cell[i] += sign * value

    def trained(self, old: set[Group], new: set[Group]) -> None:
        for group in new - old:
            self.counts[group][0] += 1
        for group in old - new:
            self.counts[group][0] -= 1

    def followups(self, rows: Iterable[tuple[Any, ...]], plans: Plans, sign: int,
                  as_of: dt.date) -> None:
        for row in rows:
            months, due, recorded, employed, income = row[10:15]
            if due > as_of:
                continue
            for group in _followup_groups(row, plans):
                cell = self.employment[(group, months)]
                cell[0] += sign
                cell[1] += sign * recorded
                cell[2] += sign * employed
                if employed and income is not None:
                    self.incomes[(group, months, income)] += sign

    def write(self) -> None:
        counts = [(*g, *v) for g, v in self.counts.items() if any(v)]
        _upsert(IndicatorCell, ("scope", "year", "breakdown", "key"),
                ("trained",) + COUNTS, counts)
        employment = [(*g, months, *v) for (g, months), v in self.employment.items() if any(v)]
        _upsert(EmploymentCell, ("scope", "year", "breakdown", "key", "months"), EMPLOYMENT,
                employment)
        incomes = [(*g, months, income, n) for (g, months, income), n in self.incomes.items() if n]
        _upsert(IncomeCell, ("scope", "year", "breakdown", "key", "months", "income"), ("n",),
                incomes)
        touched = sorted({(*g, months) for (g, months, _income), n in self.incomes.items() if n})
        if len(touched) > MEDIAN_GROUPS_LISTED:
            _write_medians(None)
        elif touched:
            _write_medians(touched)


# The PostgreSQL type of each cell column, for the arrays an upsert sends.
_PG_TYPES = {"scope": "text", "year": "integer", "breakdown": "text", "key": "text",
             "months": "integer", "income": "numeric", "median_income": "numeric"}


def _upsert(model: type[Any], unique: tuple[str, ...], added: tuple[str, ...],
            rows: list[tuple[Any, ...]], *, replace: bool = False) -> None:
    """INSERT the rows, or on a clash with an existing cell add them to it (replace: set).

    One statement on PostgreSQL, whatever the number of rows (one array per column, unnested:
    a VALUES list of thousands of placeholders costs more to convert than to run); elsewhere
    (SQLite, in process) the driver's executemany of a one-row statement."""
    if not rows:
        return
    table = _q(model._meta.db_table)
    columns = unique + added
    sets = ", ".join(
        f"{_q(c)} = EXCLUDED.{_q(c)}" if replace else f"{_q(c)} = {table}.{_q(c)} + EXCLUDED.{_q(c)}"
        for c in added)
    head = f"INSERT INTO {table} ({', '.join(_q(c) for c in columns)}) "
    tail = f" ON CONFLICT ({', '.join(_q(c) for c in unique)}) DO UPDATE SET {sets}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{_PG_TYPES.get(c, 'integer')}[]" for c in columns)
            cursor.execute(head + f"SELECT * FROM unnest({arrays})" + tail,
                           [list(column) for column in zip(*rows)])
        else:
            cursor.executemany(head + f"VALUES ({', '.join(['%s'] * len(columns))})" + tail, rows)


# ---- medians ------------------------------------------------------------------------------------

_MEDIAN_SQL = """
WITH {cte}h AS (
  SELECT i.scope, i.year, i.breakdown, i.{key} AS k, i.months, i.income,
         SUM(i.n) OVER (PARTITION BY i.scope, i.year, i.breakdown, i.{key}, i.months
                        ORDER BY i.income ROWS UNBOUNDED PRECEDING) AS cum,
         SUM(i.n) OVER (PARTITION BY i.scope, i.year, i.breakdown, i.{key}, i.months) AS total
  FROM {table} i {join}
  WHERE i.n > 0 {where}
)
SELECT scope, year, breakdown, k, months,
       MIN(CASE WHEN cum > (total - 1) / 2 THEN income END),
       MIN(CASE WHEN cum > total / 2 THEN income END)
FROM h GROUP BY scope, year, breakdown, k, months
"""


def _medians(groups: Sequence[tuple[Any, ...]] | None, breakdown: str | None = None
             ) -> dict[tuple[Any, ...], Decimal | None]:
    """The median income per (scope, year, breakdown, key, months) from the histogram: the mean
    of the lower and the upper middle income (the same value for an odd count), to the fen. For
    the listed groups, or every group (of `breakdown` when given)."""
    table, key = _q(IncomeCell._meta.db_table), _q("key")
    where, params = ("AND i.breakdown = %s", [breakdown]) if breakdown else ("", [])
    found: dict[tuple[Any, ...], Decimal | None] = {}
    batches: Iterable[Sequence[tuple[Any, ...]] | None] = (
        [None] if groups is None else _chunks(groups, 500))
    with connection.cursor() as cursor:
        for batch in batches:
            if batch is None:
                sql = _MEDIAN_SQL.format(cte="", table=table, key=key, join="", where=where)
                args: list[Any] = list(params)
            else:
                values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(batch))
                sql = _MEDIAN_SQL.format(
                    cte=f"a(scope, year, breakdown, k, months) AS (VALUES {values}), ",
                    table=table, key=key, where=where,
                    join=("JOIN a ON a.scope = i.scope AND a.year = i.year "
                          f"AND a.breakdown = i.breakdown AND a.k = i.{key} "
                          "AND a.months = i.months"))
                args = [v for g in batch for v in g] + list(params)
            cursor.execute(sql, args)
            for scope, year, name, k, months, lower, upper in cursor.fetchall():
                middle = (Decimal(str(lower)) + Decimal(str(upper))) / 2
                found[(scope, int(year), name, k, int(months))] = _to_fen(middle)
    return found


def _write_medians(groups: Sequence[tuple[Any, ...]] | None, breakdown: str | None = None
                   ) -> None:
    """Set EmploymentCell.median_income of the listed groups, or of every group (of
    `breakdown`), from the histogram."""
    medians = _medians(groups, breakdown)
    if groups is None:
        cells = EmploymentCell.objects.exclude(median_income=None)
        if breakdown:
            cells = cells.filter(breakdown=breakdown)
        cells.update(median_income=None)
        rows = [(*g, m) for g, m in medians.items()]
    else:
        rows = [(*g, medians.get(tuple(g))) for g in groups]
    _upsert(EmploymentCell, ("scope", "year", "breakdown", "key", "months"),
            ("median_income",), rows, replace=True)


# ---- refresh: the receiver of canpei.hooks.outcomes_changed -----------------------------------

def _months_stamp() -> str:
    return ",".join(str(m) for m in settings.FOLLOWUP_MONTHS)


def _locked_clock() -> IndicatorClock | None:
    return IndicatorClock.objects.select_for_update().order_by("pk").first()


def refresh_indicator_persons(person_ids: list[int]) -> None:
    """Bring the facts and cells of these persons up to date, in the caller's transaction."""
    ids = sorted({int(pk) for pk in person_ids})
    if not ids:
        return
    with transaction.atomic():
        clock = _locked_clock()
        if clock is None:  # never built: every report is computed live
            return
        plans = _plans()
        for chunk in _chunks(ids, CHUNK):
            _refresh(list(chunk), clock.as_of, plans)


def _by_person(rows: Iterable[tuple[Any, ...]], person: int) -> dict[int, list[tuple[Any, ...]]]:
    found: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        found[row[person]].append(row)
    return found


def _refresh(ids: list[int], as_of: dt.date, plans: Plans) -> None:
    persons = Q(person_id__in=ids)
    old_c = _by_person((_completion_row(r) for r in
                        CompletionFact.objects.filter(persons).values_list(*COMPLETION_FIELDS)), 0)
    new_c = _by_person((_completion_row(r) for qs in _completion_querysets(persons) for r in qs), 0)
    old_f = _by_person((_followup_row(r) for r in
                        FollowUpFact.objects.filter(persons).values_list(*FOLLOWUP_FIELDS)), 1)
    new_f = _by_person((_followup_row(r) for r in _followup_queryset(persons)), 1)
    changed = [p for p in ids
               if Counter(old_c.get(p, ())) != Counter(new_c.get(p, ()))
               or Counter(old_f.get(p, ())) != Counter(new_f.get(p, ()))]
    if not changed:
        return
    deltas = _Deltas()
    for p in changed:
        before, after = old_c.get(p, []), new_c.get(p, [])
        deltas.completions(before, plans, -1)
        deltas.completions(after, plans, 1)
        deltas.trained({g for row in before for g in _completion_groups(row, plans)},
                       {g for row in after for g in _completion_groups(row, plans)})
        deltas.followups(old_f.get(p, []), plans, -1, as_of)
        deltas.followups(new_f.get(p, []), plans, 1, as_of)
    deltas.write()
    CompletionFact.objects.filter(person_id__in=changed).delete()
    FollowUpFact.objects.filter(person_id__in=changed).delete()
    CompletionFact.objects.bulk_create(
        [CompletionFact(**dict(zip(COMPLETION_FIELDS, row)))
         for p in changed for row in new_c.get(p, [])], batch_size=1000)
    FollowUpFact.objects.bulk_create(
        [FollowUpFact(**dict(zip(FOLLOWUP_FIELDS, row)))
         for p in changed for row in new_f.get(p, [])], batch_size=1000)


# ---- the clock ----------------------------------------------------------------------------------

def advance_clock(to: dt.date) -> bool:
    """Count the follow-ups that fell due after the clock's day, up to `to`; False when the
    summary is not built. A clock already at or past `to` is left alone."""
    with transaction.atomic():
        clock = _locked_clock()
        if clock is None:
            return False
        if clock.as_of >= to:
            return True
        plans = _plans()
        deltas = _Deltas()
        rows = (_followup_row(r) for r in FollowUpFact.objects.filter(
            due_on__gt=clock.as_of, due_on__lte=to).values_list(*FOLLOWUP_FIELDS))
        deltas.followups(rows, plans, 1, to)
        deltas.write()
        clock.as_of = to
        clock.save(update_fields=["as_of"])
    return True


# ---- rebuild ------------------------------------------------------------------------------------

_SCOPES = (
    ("''", ""),
    ("'t:' || f.town", "f.town <> ''"),
    ("'i:' || CAST(f.institution_id AS VARCHAR(20))",
     "f.enrollment_id IS NOT NULL AND f.institution_id IS NOT NULL"),
)
_YEARS = (("0", ""), ("f.year", "f.year IS NOT NULL"))
# breakdown -> (key, condition, join)
_BREAKDOWNS: dict[str, tuple[str, str, str]] = {
    "total": ("''", "", ""),
    "town": ("f.town", "", ""),
    "institution": ("COALESCE(CAST(f.institution_id AS VARCHAR(20)), '')", "", ""),
    "type": ("f.training_type", "", ""),
    "year": ("COALESCE(CAST(f.year AS VARCHAR(20)), '')", "", ""),
    "plan": ("CAST(p.id AS VARCHAR(20))", "f.end_date >= p.period_start AND f.end_date <= p.period_end",
             "JOIN {plan} p ON 1 = 1"),
    "heritage": ("''", "f.heritage = 1", ""),
    "high_skill": ("''", "f.high_skill = 1", ""),
}


def _cell_statements(breakdowns: Iterable[str], as_of: dt.date) -> Iterator[tuple[str, list[Any]]]:
    """INSERT ... SELECT ... GROUP BY, one per (scope kind, year kind, breakdown, cell table)."""
    q = _q
    completion, followup = q(CompletionFact._meta.db_table), q(FollowUpFact._meta.db_table)
    plan = q(Plan._meta.db_table)
    for name in breakdowns:
        key, condition, join = _BREAKDOWNS[name]
        join = join.format(plan=plan)
        for scope, scope_cond in _SCOPES:
            for year, year_cond in _YEARS:
                conds = [c for c in (condition, scope_cond, year_cond) if c]
                group = [e for e in (scope, year, key) if e not in ("''", "0")]
                where = " AND ".join(conds) or "1 = 1"
                head = f"{scope}, {year}, %s, {key}"
                by = ", ".join(group)
                yield (f"INSERT INTO {q(IndicatorCell._meta.db_table)} (scope, year, breakdown, "
                       f"{q('key')}, trained, trainee_times, free_hardship, certificates, "
                       f"appraised, passed) SELECT {head}, COUNT(DISTINCT f.person_id), COUNT(*), "
                       "COALESCE(SUM(CASE WHEN f.enrollment_id IS NOT NULL THEN f.hardship "
                       "ELSE 0 END), 0), COALESCE(SUM(f.certificate), 0), "
                       "COALESCE(SUM(f.appraised), 0), COALESCE(SUM(f.passed), 0) "
                       f"FROM {completion} f {join} WHERE {where}"
                       + (f" GROUP BY {by}" if by else "") + " HAVING COUNT(*) > 0", [name])
                by_months = ", ".join([*group, "f.months"])
                yield (f"INSERT INTO {q(EmploymentCell._meta.db_table)} (scope, year, breakdown, "
                       f"{q('key')}, months, due, recorded, employed) SELECT {head}, f.months, "
                       "COUNT(*), SUM(f.recorded), SUM(f.employed) "
                       f"FROM {followup} f {join} WHERE {where} AND f.due_on <= %s "
                       f"GROUP BY {by_months}", [name, as_of])
                yield (f"INSERT INTO {q(IncomeCell._meta.db_table)} (scope, year, breakdown, "
                       f"{q('key')}, months, income, n) SELECT {head}, f.months, f.income, "
                       f"COUNT(*) FROM {followup} f {join} WHERE {where} AND f.due_on <= %s "
                       "AND f.employed = 1 AND f.income IS NOT NULL "
                       f"GROUP BY {by_months}, f.income", [name, as_of])


def _insert_select(model: type[Any], fields: Sequence[str], qs: QuerySet[Any],
                   cursor: Any) -> None:
    sql, params = qs.query.get_compiler(using=qs.db).as_sql()
    cursor.execute(f"INSERT INTO {_q(model._meta.db_table)} ({', '.join(_q(f) for f in fields)}) "
                   f"{sql}", params)


def rebuild_indicators(as_of: dt.date | None = None) -> None:
    """Recompute every fact and cell from the records, set-based (INSERT ... SELECT), with the
    follow-ups due by `as_of` (today). For a fresh deploy, after a bulk load, or to repair."""
    as_of = as_of or timezone.localdate()
    with transaction.atomic():
        clock = _locked_clock()
        with connection.cursor() as cursor:
            for model in (IndicatorCell, EmploymentCell, IncomeCell, CompletionFact, FollowUpFact):
                cursor.execute(f"DELETE FROM {_q(model._meta.db_table)}")
            for qs in _completion_querysets():
                _insert_select(CompletionFact, COMPLETION_FIELDS, qs, cursor)
            _insert_select(FollowUpFact, FOLLOWUP_FIELDS, _followup_queryset(), cursor)
            if connection.vendor == "postgresql":
                cursor.execute(f"ANALYZE {_q(CompletionFact._meta.db_table)}")
                cursor.execute(f"ANALYZE {_q(FollowUpFact._meta.db_table)}")
            for sql, params in _cell_statements(_BREAKDOWNS, as_of):
                cursor.execute(sql, params)
        _write_medians(None)
        if clock is None:
            clock = IndicatorClock(as_of=as_of)
        clock.as_of, clock.months = as_of, _months_stamp()
        clock.save()


def rebuild_plan_cells() -> None:
    """Recompute the "plan" breakdown (a plan created, edited or deleted), in the caller's
    transaction; nothing when the summary is not built."""
    with transaction.atomic():
        clock = _locked_clock()
        if clock is None:
            return
        for model in (IndicatorCell, EmploymentCell, IncomeCell):
            model.objects.filter(breakdown="plan").delete()
        with connection.cursor() as cursor:
            for sql, params in _cell_statements(["plan"], clock.as_of):
                cursor.execute(sql, params)
        _write_medians(None, "plan")


# ---- read ---------------------------------------------------------------------------------------

def _scope(user: Viewer, filters: IndicatorFilters) -> str | None:
    """The cells' scope serving `filters` for `user`, None when the summary cannot serve them."""
    if filters.plan is not None or filters.institution is not None or filters.type:
        return None
    if filters.year is not None and not 1 <= filters.year <= 9999:
        return None
    if isinstance(user, AnonymousUser) or not has_perm(user, Perm.REPORT_READ):
        return None
    if user.role in CITY_WIDE_READERS:
        return "t:" + filters.town if filters.town else ""
    if user.role == Role.TOWN_STAFF and user.town_id:
        return "t:" + user.town_id if filters.town in ("", user.town_id) else None
    if user.role == Role.INSTITUTION_STAFF and user.institution_id and not filters.town:
        return f"i:{user.institution_id}"
    return None


def summary_indicators(*, user: Viewer, filters: IndicatorFilters, as_of: dt.date
                       ) -> Indicators | None:
    """The indicators read from the cells, identical to the live computation; None when the
    summary cannot serve the request (other filters, another day, never built)."""
    scope = _scope(user, filters)
    if scope is None:
        return None
    found = IndicatorClock.objects.order_by("pk").values_list("as_of", "months").first()
    if found is None or found[1] != _months_stamp():  # never built, or built for other milestones
        return None
    clock = found[0]
    if clock < as_of <= timezone.localdate():
        advance_clock(as_of)
    elif clock != as_of:
        return None
    report = _read(scope, filters, as_of)
    # An advance committed meanwhile would have mixed two days: read again, live.
    if IndicatorClock.objects.order_by("pk").values_list("as_of", flat=True).first() != as_of:
        return None
    return report


def _read(scope: str, filters: IndicatorFilters, as_of: dt.date) -> Indicators:
    months = tuple(settings.FOLLOWUP_MONTHS)
    year = filters.year or 0
    groups: dict[str, dict[str, Figures]] = defaultdict(dict)

    def figures(breakdown: str, key: str) -> Figures:
        found = groups[breakdown].get(key)
        if found is None:
            found = Figures(key=key, label=key, employment=[Milestone(months=m) for m in months])
            groups[breakdown][key] = found
        return found

    for breakdown, key, *counts in (
            IndicatorCell.objects.filter(scope=scope, year=year, trainee_times__gt=0)
            .order_by("breakdown", "key")
            .values_list("breakdown", "key", "trained", *COUNTS)):
        f = figures(breakdown, key)
        (f.trained, f.trainee_times, f.free_hardship, f.certificates, f.appraised,
         f.passed) = counts
    for breakdown, key, m, due, recorded, employed, median in (
            EmploymentCell.objects.filter(scope=scope, year=year, due__gt=0, months__in=months)
            .order_by("breakdown", "key", "months")
            .values_list("breakdown", "key", "months", *EMPLOYMENT, "median_income")):
        f = figures(breakdown, key)
        f.employment[months.index(m)] = Milestone(months=m, due=due, recorded=recorded,
                                                  employed=employed, median_income=median)

    def table(name: str) -> dict[str, Figures]:
        return dict(sorted(groups[name].items()))

    by_plan = []
    for plan_id, name in Plan.objects.order_by("period_start", "id").values_list("pk", "name"):
        found = groups["plan"].get(str(plan_id))
        row = _single({"": found} if found else {}, name, months)
        row.key = str(plan_id)
        by_plan.append(row)
    return Indicators(
        filters=filters, as_of=as_of, months=months,
        total=_single(table("total"), TOTAL_LABEL, months),
        by_town=_labelled(table("town"), BY_TOWN),
        by_institution=_labelled(table("institution"), BY_INSTITUTION),
        by_type=_labelled(table("type"), BY_TYPE), by_year=_labelled(table("year"), BY_YEAR),
        by_plan=by_plan,
        heritage=_single(table("heritage"), HERITAGE_LABEL, months),
        high_skill=_single(table("high_skill"), HIGH_SKILL_LABEL, months))
