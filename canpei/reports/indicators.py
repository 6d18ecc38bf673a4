"""The indicators of training outcomes (PRODUCT.md: "Also reported: ..."; issue 10, item 4): one
module, one definition per indicator, read alike by the page `/reports`, the API
`GET /api/v1/reports/indicators` and the export `canpei export indicators`.

What counts as a completed training (a "completion", one trainee-time):

- a class enrolment whose status is 结业 (`completed`) in a class whose completion was declared and
  not sent back: class state 已结业申报, 结业审核通过 or 已结算 (a class whose audit failed goes
  back to the institution, and its roster is not final until it is completed again);
- an individual application in state 已完成 or 已报销 (completing one requires its certificate).

Withdrawn (退学) and failed (未结业) trainees are not completions: they count nowhere below except
in the appraisal pass rate (they have no appraisal result: only completers are appraised).

When and where a completion counts (the filters and the breakdowns):

- year: the year the training ended — a class's end date (结业日期), an application's certificate
  date (发证日期, the proof its completion requires). Note that a class *list* files a class under
  its start year; outcomes belong to the year they happened. A plan period (`plan`) takes the
  completions whose end date falls inside the period, both days included.
- town: where the person lives now (the enrolment's and the follow-up's copied town, the
  applicant's town): a person who moved counts in the town they live in when the report is read.
- institution: the class's institution; an application's institution when it names a designated
  one (applications naming none are listed as 其他机构).
- type: the class's or application's training type (an application without one: 未分类).
- heritage (民间工艺/闽南文化传承): classes flagged `folk_craft`; applications carry no such flag.
- high skill (高技能): training at level 高级 or 技师, or a class flagged 高技能人才.

Scope: every figure is computed over the records the user may see (canpei.regions.scope), with
the permission REPORT_READ: city-wide readers see the whole city, town staff their town's persons,
an institution's staff the outcomes of its own classes (never individual applications, never a
person), officers nothing.

Every figure is a database aggregate (conditional COUNTs grouped by the breakdown's key); the
distinct persons over both kinds of completion are counted over a UNION of the two scoped queries,
and the median income by PERCENTILE on PostgreSQL (on SQLite, the development database, over the
single ordered income column of each group).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Aggregate, Case, CharField, Count, DecimalField, Expression, ExpressionWrapper, F, IntegerField,
    Q, QuerySet, Value, When,
)
from django.db.models.functions import Cast, Coalesce, ExtractYear

from canpei.accounts.roles import Perm
from canpei.codes import TrainingLevel, TrainingType
from canpei.employment.models import FollowUp
from canpei.errors import InvalidInput
from canpei.errors import lazy_message as _
from canpei.errors import lazy_format as format_lazy
from canpei.institutions.models import Institution
from canpei.regions.models import Region
from canpei.regions.scope import ScopePaths
from canpei.reports.models import Plan
from canpei.selectors import FilterParams, ListFilters, prefixed_q
from canpei.training.models import (
    AppraisalResult, Application, ApplicationState, ClassState, Enrollment, EnrollmentStatus,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from canpei.regions.scope import Viewer


# ---- scope ------------------------------------------------------------------------------------

# Enrolments: by the trainee's town; an institution's staff, their own classes' rosters.
ENROLLMENT_SCOPE = ScopePaths(model=Enrollment, permission=Perm.REPORT_READ, town="town_id",
                              institution="training_class__institution_id")
# Individual applications: by the applicant's town; institutions see none (they run classes).
APPLICATION_SCOPE = ScopePaths(model=Application, permission=Perm.REPORT_READ,
                               town="person__town_id")
# Follow-ups: by the person's town copied on the record; an institution's staff, those of its
# own classes' trainees (as figures only: no page lists a follow-up to them from here).
FOLLOWUP_SCOPE = ScopePaths(model=FollowUp, permission=Perm.REPORT_READ, town="town_id",
                            institution="enrollment__training_class__institution_id")

# ---- what counts ------------------------------------------------------------------------------

# A class whose completion was declared and not sent back (see the module docstring).
FINAL_CLASS_STATES = (ClassState.COMPLETED, ClassState.AUDITED, ClassState.SETTLED)
COMPLETED_APPLICATION_STATES = (ApplicationState.COMPLETED, ApplicationState.REIMBURSED)
HIGH_SKILL_LEVELS = (TrainingLevel.SENIOR, TrainingLevel.TECHNICIAN)
HARDSHIP = ("hardship_dibao", "hardship_tekun", "hardship_poverty_monitoring")

OTHER_INSTITUTION = _("其他机构")
NO_TYPE = _("未分类")
HERITAGE_LABEL = _("民间工艺/闽南文化传承")
HIGH_SKILL_LABEL = _("高技能")
TOTAL_LABEL = _("合计")

PLAN_INVALID = _("计划不存在")
TYPE_INVALID = format_lazy(_("培训类型须为 {values}"), values="、".join(TrainingType.values))
INSTITUTION_INVALID = _("培训机构须为机构编号")

# The appraisal result that passes (a code of the AppraisalResult table).
APPRAISAL_PASSED = "passed"


@dataclass(frozen=True)
class _Paths:
    """Where a completion's attributes are, as lookups from one model (an enrolment, an
    application) or, prefixed, from a follow-up of it."""

    person: str
    town: str
    institution: str
    type: str
    end: str
    level: str
    folk_craft: str | None
    high_skill: str | None
    completed: Q

    def prefixed(self, prefix: str, *, town: str) -> _Paths:
        def p(path: str | None) -> str | None:
            return None if path is None else prefix + path
        return _Paths(person=prefix + self.person, town=town, institution=prefix + self.institution,
                      type=prefix + self.type, end=prefix + self.end, level=prefix + self.level,
                      folk_craft=p(self.folk_craft), high_skill=p(self.high_skill),
                      completed=prefixed_q(self.completed, prefix))


ENROLLMENT_PATHS = _Paths(
    person="person_id", town="town_id", institution="training_class__institution_id",
    type="training_class__training_type", end="training_class__end_date",
    level="training_class__level", folk_craft="training_class__folk_craft",
    high_skill="training_class__high_skill",
    completed=Q(status=EnrollmentStatus.COMPLETED, training_class__state__in=FINAL_CLASS_STATES))
APPLICATION_PATHS = _Paths(
    person="person_id", town="person__town_id", institution="institution_id", type="training_type",
    end="certificate_date", level="level", folk_craft=None, high_skill=None,
    completed=Q(state__in=COMPLETED_APPLICATION_STATES))


# ---- filters ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class IndicatorFilters(ListFilters):
    """`?year=&plan=&town=&institution=&type=`: each narrows the completions counted."""

    year: int | None = None
    plan: int | None = None
    town: str = ""
    institution: int | None = None
    type: str = ""

    @classmethod
    def parse(cls, read: FilterParams) -> dict[str, Any]:
        plan = read.record_id("plan", PLAN_INVALID)
        if plan is not None and not Plan.objects.filter(pk=plan).exists():
            read.errors.append(("plan", PLAN_INVALID))
            plan = None
        return {"year": read.year(), "plan": plan, "town": read.town(),
                "institution": read.record_id("institution", INSTITUTION_INVALID),
                "type": read.choice("type", TrainingType.values, TYPE_INVALID)}


def parse_filters(params: Any) -> IndicatorFilters:
    """The filters of `params`; InvalidInput naming every bad one."""
    return IndicatorFilters.from_params(params)


@dataclass(frozen=True)
class _Ask:
    """The filters of one report, with the plan's period read once."""

    filters: IndicatorFilters
    period: tuple[dt.date, dt.date] | None

    @classmethod
    def of(cls, filters: IndicatorFilters) -> _Ask:
        period = None
        if filters.plan is not None:
            plan = Plan.objects.filter(pk=filters.plan).values_list(
                "period_start", "period_end").first()
            # A plan deleted since the filters were read: a period matching nothing.
            period = plan or (dt.date.max, dt.date.min)
        return cls(filters=filters, period=period)


def _filter_q(paths: _Paths, ask: _Ask) -> Q:
    filters = ask.filters
    q = Q(paths.completed)
    if filters.year is not None:
        q &= Q(**{f"{paths.end}__gte": dt.date(filters.year, 1, 1),
                  f"{paths.end}__lte": dt.date(filters.year, 12, 31)})
    if ask.period is not None:
        q &= Q(**{f"{paths.end}__gte": ask.period[0], f"{paths.end}__lte": ask.period[1]})
    if filters.town:
        q &= Q(**{paths.town: filters.town})
    if filters.institution is not None:
        q &= Q(**{paths.institution: filters.institution})
    if filters.type:
        q &= Q(**{paths.type: filters.type})
    return q


# ---- breakdowns -------------------------------------------------------------------------------

def _heritage_q(paths: _Paths) -> Q:
    return Q(**{paths.folk_craft: True}) if paths.folk_craft else Q(pk__in=[])


def _high_skill_q(paths: _Paths) -> Q:
    q = Q(**{f"{paths.level}__in": HIGH_SKILL_LEVELS})
    return q | Q(**{paths.high_skill: True}) if paths.high_skill else q


@dataclass(frozen=True)
class Breakdown:
    """A way to split the figures: the key of a completion, as an expression from its paths."""

    name: str
    label: str
    key: Callable[[_Paths], Expression | F | Value]


def _year_key(paths: _Paths) -> Expression:
    return ExtractYear(paths.end)


BY_TOWN = Breakdown("town", _("镇街"), lambda p: F(p.town))
BY_INSTITUTION = Breakdown("institution", _("培训机构"), lambda p: F(p.institution))
BY_TYPE = Breakdown("type", _("培训类型"), lambda p: F(p.type))
BY_YEAR = Breakdown("year", _("年度"), _year_key)
_TOTAL = Breakdown("total", _("合计"), lambda p: Value("", output_field=CharField()))
BREAKDOWNS = (BY_TOWN, BY_INSTITUTION, BY_TYPE, BY_YEAR)


# ---- the figures ------------------------------------------------------------------------------

@dataclass
class Milestone:
    """Employment after training at one follow-up milestone (WIOA-style), for one group.

    due: completers whose follow-up at `months` fell due on or before the report date (recorded
         or not) — the denominator. A due follow-up not yet recorded counts as *not employed*
         (so the rate never looks better for being late), and `unrecorded` says how many they are.
    employed: due follow-ups recorded with 已就业 — the numerator. A follow-up recorded after its
         due date (late) still counts for its own milestone.
    rate: employed / due, None when nothing is due.
    median_income: the median monthly income (yuan, rounded to the fen) of those employed who
         gave their income; None when none did. With an even count, the mean of the middle two.
    """

    months: int
    due: int = 0
    recorded: int = 0
    employed: int = 0
    median_income: Decimal | None = None

    @property
    def unrecorded(self) -> int:
        return self.due - self.recorded

    @property
    def rate(self) -> float | None:
        return self.employed / self.due if self.due else None

    @property
    def percent(self) -> float | None:
        """The rate in per cent, as the page shows it."""
        return None if self.rate is None else self.rate * 100


@dataclass
class Figures:
    """The indicators of one group of completions (the whole report, a town, a year ...).

    trained: distinct persons with at least one completion — a person trained twice counts once.
    trainee_times (培训人次): completions, enrolments and applications alike.
    free_hardship (困难残疾人免费培训): completed *class* trainings of persons who carry a hardship
         flag now (低保, 特困, 建档立卡/防返贫监测). Every class is free to its trainees (the
         institution is paid by the federation), so each such completion is one free training;
         an individual application is paid by the person and reimbursed, so it is not counted.
    certificates: completions with a certificate number (enrolments and applications).
    appraised: completed enrolments with an appraisal result (鉴定合格, 鉴定不合格 or 缺考);
         an absent candidate (缺考) was entered for the appraisal and did not pass, so counts here.
    passed: of those, 鉴定合格. pass_rate = passed / appraised, None when nobody was appraised.
    employment: one Milestone per follow-up milestone (settings.FOLLOWUP_MONTHS: 3 and 6).
    """

    key: str
    label: str
    trained: int = 0
    trainee_times: int = 0
    free_hardship: int = 0
    certificates: int = 0
    appraised: int = 0
    passed: int = 0
    employment: list[Milestone] = field(default_factory=list)

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.appraised if self.appraised else None

    @property
    def pass_percent(self) -> float | None:
        """The pass rate in per cent, as the page shows it."""
        return None if self.pass_rate is None else self.pass_rate * 100

    def milestone(self, months: int) -> Milestone | None:
        return next((m for m in self.employment if m.months == months), None)


@dataclass
class Indicators:
    """The report: filters applied, the totals, a table per breakdown and the two flags."""

    filters: IndicatorFilters
    as_of: dt.date
    months: tuple[int, ...]
    total: Figures
    by_town: list[Figures]
    by_institution: list[Figures]
    by_type: list[Figures]
    by_year: list[Figures]
    by_plan: list[Figures]
    heritage: Figures
    high_skill: Figures


# ---- queries ----------------------------------------------------------------------------------

def _completions(user: Viewer, ask: _Ask, extra: str | None
                 ) -> list[tuple[QuerySet[Any], _Paths]]:
    """The scoped, filtered completions: enrolments and applications, each with its paths."""
    sources: list[tuple[QuerySet[Any], _Paths]] = []
    for scope, paths in ((ENROLLMENT_SCOPE, ENROLLMENT_PATHS),
                         (APPLICATION_SCOPE, APPLICATION_PATHS)):
        q = _filter_q(paths, ask)
        if extra is not None:
            q &= _extra_q(extra, paths)
        sources.append((scope.visible_to(user).filter(q), paths))
    return sources


def _extra_q(flag: str, paths: _Paths) -> Q:
    """The condition of a flag (HERITAGE, HIGH_SKILL) for `paths`."""
    return _heritage_q(paths) if flag == HERITAGE else _high_skill_q(paths)


HERITAGE = "heritage"
HIGH_SKILL = "high_skill"


def _key_out(value: Any) -> str:
    return "" if value is None else str(value)


def _flag(q: Q) -> Case:
    """1 when `q` holds for the row, else 0 (summed into a count)."""
    return Case(When(q, then=Value(1)), default=Value(0), output_field=IntegerField())


def _completion_counts(sources: list[tuple[QuerySet[Any], _Paths]], breakdown: Breakdown
                       ) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """Per key: trainee_times, free_hardship, certificates, appraised, passed (both sources), and
    the distinct persons over both kinds of completion (a person with an enrolment and an
    application counts once), in one query: COUNT, SUM of 0/1 flags and COUNT(DISTINCT) over a
    UNION ALL of the two scoped queries."""
    hardship = Q()
    for flag in HARDSHIP:
        hardship |= Q(**{f"person__{flag}": True})
    zero = Value(0, output_field=IntegerField())
    parts: list[str] = []
    params: list[Any] = []
    for qs, paths in sources:
        is_class = paths is ENROLLMENT_PATHS
        keyed = (qs.annotate(
            k=Cast(breakdown.key(paths), output_field=CharField()), p=F(paths.person),
            f_cert=_flag(~Q(certificate_number="")),
            f_hard=_flag(hardship) if is_class else zero,
            f_appraised=(_flag(Q(appraisal_result__in=AppraisalResult.values)) if is_class
                         else zero),
            f_passed=_flag(Q(appraisal_result=APPRAISAL_PASSED)) if is_class else zero)
            .order_by().values_list("k", "p", "f_cert", "f_hard", "f_appraised", "f_passed"))
        try:
            sql, part_params = _compiled(keyed)
        except EmptyResultSet:  # nothing in scope (an institution's applications)
            continue
        parts.append(sql)
        params.extend(part_params)
    if not parts:
        return {}, {}
    sql = ("SELECT u.k, COUNT(*), COUNT(DISTINCT u.p), SUM(u.f_cert), SUM(u.f_hard), "
           "SUM(u.f_appraised), SUM(u.f_passed) FROM (" + " UNION ALL ".join(parts)
           + ") u GROUP BY u.k")
    counts: dict[str, dict[str, int]] = {}
    persons: dict[str, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for k, times, trained, cert, hard, appraised, passed in cursor.fetchall():
            key = _key_out(k)
            persons[key] = trained
            counts[key] = {"trainee_times": times, "certificates": int(cert or 0),
                           "free_hardship": int(hard or 0), "appraised": int(appraised or 0),
                           "passed": int(passed or 0)}
    return counts, persons


def _compiled(qs: QuerySet[Any]) -> tuple[str, tuple[Any, ...]]:
    sql, params = qs.query.get_compiler(using=qs.db).as_sql()
    return sql, tuple(params)


class _PercentileDisc(Aggregate):
    """PostgreSQL's PERCENTILE_DISC(0.5) over a column, ascending or descending (`order`)."""

    function = "PERCENTILE_DISC"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s%(order)s)"
    output_field = DecimalField(max_digits=12, decimal_places=2)


def _median_pg(column: str, *, filter: Q) -> Any:  # noqa: A002
    """The median of a numeric column on PostgreSQL, in numeric: the mean of the lower and the
    upper middle value (PERCENTILE_DISC ascending and descending), exact for odd and even
    counts (PERCENTILE_CONT would go through double precision)."""
    lower = _PercentileDisc(column, filter=filter, order="")
    upper = _PercentileDisc(column, filter=filter, order=" DESC")
    return ExpressionWrapper((lower + upper) / Value(Decimal(2)),
                             output_field=DecimalField(max_digits=12, decimal_places=4))


FEN = Decimal("0.01")


def _to_fen(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def median_of(values: list[Decimal]) -> Decimal | None:
    """The median of ordered `values` (ascending), rounded to the fen; None for no value."""
    n = len(values)
    if not n:
        return None
    middle = (values[(n - 1) // 2] + values[n // 2]) / 2
    return _to_fen(middle)


def _followups(user: Viewer, ask: _Ask, extra: str | None, as_of: dt.date
               ) -> tuple[QuerySet[FollowUp], _Paths, _Paths]:
    enrollment = ENROLLMENT_PATHS.prefixed("enrollment__", town="town_id")
    application = APPLICATION_PATHS.prefixed("application__", town="town_id")
    enrollment_q = Q(enrollment__isnull=False) & _filter_q(enrollment, ask)
    application_q = (Q(application__isnull=False)
                     & _filter_q(application, ask))
    if extra is not None:
        enrollment_q &= _extra_q(extra, enrollment)
        application_q &= _extra_q(extra, application)
    qs = FOLLOWUP_SCOPE.visible_to(user).filter(
        enrollment_q | application_q, due_on__lte=as_of, months__in=settings.FOLLOWUP_MONTHS)
    return qs, enrollment, application


def _followup_key(breakdown: Breakdown, enrollment: _Paths, application: _Paths) -> Any:
    if breakdown is BY_TOWN:
        return F("town_id")
    if breakdown is _TOTAL:
        return _TOTAL.key(enrollment)
    if breakdown is BY_INSTITUTION:
        return Coalesce(F(enrollment.institution), F(application.institution),
                        output_field=IntegerField())
    return Coalesce(breakdown.key(enrollment), breakdown.key(application))


def _employment(user: Viewer, ask: _Ask, extra: str | None, as_of: dt.date,
                breakdown: Breakdown) -> dict[str, dict[int, Milestone]]:
    qs, enrollment, application = _followups(user, ask, extra, as_of)
    key = _followup_key(breakdown, enrollment, application)
    recorded = Q(date__isnull=False)
    employed = recorded & Q(employed=True)
    # Not "employed": FollowUp has a field of that name, which the median's filter reads.
    aggregates: dict[str, Any] = {"n_due": Count("pk"), "n_recorded": Count("pk", filter=recorded),
                                  "n_employed": Count("pk", filter=employed)}
    postgres = connection.vendor == "postgresql"
    if postgres:
        aggregates["median"] = _median_pg("monthly_income", filter=employed)
    rows: Iterable[Any] = (qs.annotate(k=key).order_by().values("k", "months")
                           .annotate(**aggregates))
    result: dict[str, dict[int, Milestone]] = defaultdict(dict)
    for row in rows:
        result[_key_out(row["k"])][row["months"]] = Milestone(
            months=row["months"], due=row["n_due"], recorded=row["n_recorded"],
            employed=row["n_employed"],
            median_income=_to_fen(row["median"]) if postgres else None)
    if not postgres:
        # SQLite has no ordered-set aggregate: the single ordered income column, per group.
        incomes: dict[tuple[str, int], list[Decimal]] = defaultdict(list)
        for k, months, income in (qs.filter(employed, monthly_income__isnull=False)
                                  .annotate(k=key).order_by("k", "months", "monthly_income")
                                  .values_list("k", "months", "monthly_income")):
            if income is not None:
                incomes[(_key_out(k), months)].append(income)
        for (k, months), values in incomes.items():
            result[k][months].median_income = median_of(values)
    return result


def _figures(user: Viewer, ask: _Ask, breakdown: Breakdown, as_of: dt.date,
             extra: str | None = None) -> dict[str, Figures]:
    sources = _completions(user, ask, extra)
    counts, persons = _completion_counts(sources, breakdown)
    employment = _employment(user, ask, extra, as_of, breakdown)
    months = tuple(settings.FOLLOWUP_MONTHS)
    figures: dict[str, Figures] = {}
    for key in sorted(set(counts) | set(persons) | set(employment)):
        c = counts.get(key, {})
        figures[key] = Figures(
            key=key, label=key, trained=persons.get(key, 0),
            trainee_times=c.get("trainee_times", 0), free_hardship=c.get("free_hardship", 0),
            certificates=c.get("certificates", 0), appraised=c.get("appraised", 0),
            passed=c.get("passed", 0),
            employment=[employment.get(key, {}).get(m) or Milestone(months=m) for m in months])
    return figures


def _labelled(figures: dict[str, Figures], breakdown: Breakdown) -> list[Figures]:
    """The groups with their names, in the breakdown's order."""
    rows = list(figures.values())
    if breakdown is BY_TOWN:
        names = dict(Region.objects.filter(code__in=list(figures)).values_list("code", "name"))
        for f in rows:
            f.label = names.get(f.key, f.key)
        rows.sort(key=lambda f: f.key)
    elif breakdown is BY_INSTITUTION:
        ids = [int(k) for k in figures if k]
        names = {str(pk): name for pk, name in
                 Institution.objects.filter(pk__in=ids).values_list("pk", "name")}
        for f in rows:
            f.label = names.get(f.key) or str(OTHER_INSTITUTION)
        rows.sort(key=lambda f: (f.key == "", f.label))
    elif breakdown is BY_TYPE:
        labels = dict(TrainingType.choices)
        order = list(TrainingType.values)
        for f in rows:
            f.label = str(labels.get(f.key, NO_TYPE))
        rows.sort(key=lambda f: order.index(f.key) if f.key in order else len(order))
    elif breakdown is BY_YEAR:
        rows.sort(key=lambda f: f.key)
    return rows


def _single(figures: dict[str, Figures], label: StrOrPromise, months: Iterable[int]) -> Figures:
    found = figures.get("")
    if found is None:
        found = Figures(key="", label=str(label), employment=[Milestone(months=m) for m in months])
    found.label = str(label)
    return found


def indicators(*, user: Viewer, filters: IndicatorFilters, as_of: dt.date,
               live: bool = False) -> Indicators:
    """The indicators of the completions `user` may see, narrowed by `filters`, with the
    follow-ups due by `as_of` (the report date: today).

    What the pages ask by default (no filter, or the year only; a city-wide reader's town too)
    is read from the summary kept by canpei.reports.summaries.indicators, identical by
    construction and by test; any other filter, or `live=True` (the reference), computes live."""
    if not live:
        from canpei.reports.summaries.indicators import summary_indicators

        summary = summary_indicators(user=user, filters=filters, as_of=as_of)
        if summary is not None:
            return summary
    return live_indicators(user=user, filters=filters, as_of=as_of)


def live_indicators(*, user: Viewer, filters: IndicatorFilters, as_of: dt.date) -> Indicators:
    """The indicators computed live from the records (the definition: 21 aggregate queries)."""
    months = tuple(settings.FOLLOWUP_MONTHS)
    ask = _Ask.of(filters)
    total = _single(_figures(user, ask, _TOTAL, as_of), TOTAL_LABEL, months)
    by = {b.name: _labelled(_figures(user, ask, b, as_of), b) for b in BREAKDOWNS}
    heritage = _single(_figures(user, ask, _TOTAL, as_of, HERITAGE), HERITAGE_LABEL, months)
    high = _single(_figures(user, ask, _TOTAL, as_of, HIGH_SKILL), HIGH_SKILL_LABEL, months)
    return Indicators(filters=filters, as_of=as_of, months=months, total=total,
                      by_town=by["town"], by_institution=by["institution"], by_type=by["type"],
                      by_year=by["year"], by_plan=_by_plan(user, filters, as_of, months),
                      heritage=heritage, high_skill=high)


def _by_plan(user: Viewer, filters: IndicatorFilters, as_of: dt.date, months: tuple[int, ...]
             ) -> list[Figures]:
    """One row per plan (the one asked for, or every plan, oldest first): the completions that
    ended inside its period, under the other filters. Periods may overlap, so the rows need not
    add up to the total."""
    plans = Plan.objects.order_by("period_start", "id")
    if filters.plan is not None:
        plans = plans.filter(pk=filters.plan)
    rows = []
    for plan_id, name, start, end in plans.values_list("pk", "name", "period_start",
                                                       "period_end"):
        ask = _Ask(filters=filters, period=(start, end))
        figures = _single(_figures(user, ask, _TOTAL, as_of), name, months)
        figures.key = str(plan_id)
        rows.append(figures)
    return rows


__all__ = ["Breakdown", "Figures", "IndicatorFilters", "Indicators", "InvalidInput", "Milestone",
           "indicators", "live_indicators", "median_of", "parse_filters"]
