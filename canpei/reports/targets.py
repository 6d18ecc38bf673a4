"""The plan's three targets (PRODUCT.md "The plan's targets, computed (not typed in)"): the one
place that says who a target names and what covers them. The targets page, the API
(`reports/targets`, `reports/targets/uncovered`) and the ledger (`canpei export targets`) all read
`targets_report` and `uncovered_list` below, so they cannot disagree.

The rules, written down once (tests/reports/test_targets.py checks each on a hand-built set):

* The period. A plan runs from `period_start` to `period_end`; `year=Y` reads the plan as it
  stood at the end of Y: from `period_start` to 31 December Y (or `period_end` if earlier). The
  last day of that span is the *reference day*.
* Population of a target: persons on the registry (status active) who are of working age on the
  reference day and whose latest survey of a year up to the reference day's year says what the
  target names (`Target.names`). A person who left working age during the period (or before the
  reference day) is outside every population, trained or not: the plan names working-age persons
  and judges them at its end. A person whose survey changed between years is judged by the latest.
* Covered: of the population, those who completed at least one qualifying training in the
  period: an enrolment with status completed in a class whose end date lies within the period
  (a class spanning the period's end counts for the plan in which it ends; one ending exactly
  on the last day counts, one ending the day after does not), or an individual application that
  reached completed (or reimbursed after it) whose completion date — its certificate's date, the
  proof the completion step requires — lies within the period. Withdrawn and failed trainees
  are not covered. A person trained twice is counted once.
* Town: a person counts in the town the registry holds for them now (`persons.town` is kept
  current by the person services, and the registry keeps no history of moves); for a past plan
  that is the town they live in today, for the running plan the town they live in at its end.
* Scope (REPORT_READ): the city-wide readers (city admin, employment service, auditor) see every
  town and the city; town staff their own town only (no city row); institution staff, although
  they read reports, get no targets: the targets are lists of persons, and an institution sees
  persons only through its own rosters. The officers see none.

The live count is one aggregate query per town for the three targets (`live=True`, and every
report of one year of a plan). A plan's whole period is read from its summary
(canpei.reports.summaries.targets: each named person's standing and per town the tallies), which
every write keeps equal to the live count in its own transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils.translation import gettext

from canpei.accounts.models import User
from canpei.accounts.roles import CITY_WIDE_READERS, Perm, Role, has_perm
from canpei.codes import TrainingLevel, TrainingType
from canpei.errors import Forbidden, InvalidInput, NotFound
from canpei.errors import lazy_message as _
from canpei.people.models import Survey
from canpei.people.rules import Gender, PersonStatus, working_age_birth_range
from canpei.regions.models import Region
from canpei.regions.scope import ScopePaths
from canpei.reports.indicators import FINAL_CLASS_STATES, PLAN_INVALID
from canpei.reports.models import Plan, TargetStanding, TargetTally
from canpei.selectors import prefixed_q
from canpei.training.models import (
    Application, ApplicationState, Enrollment, EnrollmentStatus,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


NO_TARGETS = _("当前角色不能查看计划目标")
TARGET_INVALID = _("目标须为 1、2 或 3")
NO_PLAN = _("尚无计划")
YEAR_OUTSIDE_PLAN = _("年度须在计划期内（{start}—{end} 年）")

# Whose surveys a targets reader sees: by the person's current town; institutions have no path.
SURVEY_TARGET_SCOPE = ScopePaths(model=Survey, permission=Perm.REPORT_READ, town="person__town_id")

# Employment forms (national codes, people/data/national_codes.csv, table employment_form).
FORM_PROPORTIONAL = "1"   # 按比例就业
FORM_CENTRALIZED = "2"    # 集中就业
FORM_SELF_EMPLOYED = "3"  # 个体就业（含自主创业）

HIGH_LEVELS = (TrainingLevel.SENIOR, TrainingLevel.TECHNICIAN)
COMPLETED_APPLICATION = (ApplicationState.COMPLETED, ApplicationState.REIMBURSED)
# An appraisal alone is not a training; self-directed training and qualification upgrades are.
TRAINING_APPLICATION_KINDS = ("self_directed", "upgrade")  # ApplicationKind codes


@dataclass(frozen=True)
class Target:
    """One of the plan's three targets: whom it names (`names`, over the latest Survey) and which
    completed training covers them (`class_q` over TrainingClass, `application_q` over
    Application); `wanted_type` is the training type offered when enrolling the uncovered."""

    number: int
    label: StrOrPromise
    short: StrOrPromise
    names: Q
    class_q: Q
    application_q: Q
    wanted_type: str = ""

    @property
    def description(self) -> str:
        return self.__doc__ or ""


def new_entrants() -> Target:
    """Target 1 — 新成长劳动力 / 城镇登记失业 complete at least one training in the period.

    Named: the latest survey records `new_entrant` (新成长劳动力) or `registered_unemployed`
    (城镇登记失业). Covered by: any training type (TrainingType: employment_skills,
    skill_upgrade, entrepreneurship, rural_practical), in a class or by an individual
    application of kind self_directed or upgrade.
    """
    return Target(
        number=1, label=_("新进入人力资源市场的残疾人至少接受一次职业技能培训"),
        short=_("新成长劳动力、城镇登记失业"),
        names=Q(new_entrant=True) | Q(registered_unemployed=True),
        class_q=Q(), application_q=~Q(training_type=""),
        wanted_type=TrainingType.EMPLOYMENT_SKILLS)


def enterprise_employees() -> Target:
    """Target 2 — disabled employees of enterprises complete a skill-upgrade or high-skill
    training in the period.

    Named: the latest survey's `employment_form` is national code 1 按比例就业 or 2 集中就业.
    Covered by: TrainingType skill_upgrade (岗位技能提升培训), or a high level (TrainingLevel
    senior 高级 / technician 技师), or a class flagged high_skill (高技能人才).
    """
    return Target(
        number=2, label=_("企业技能岗位的残疾人得到一次以上岗位技能提升培训或高技能人才培训"),
        short=_("按比例就业、集中就业"),
        names=Q(employment_form__in=(FORM_PROPORTIONAL, FORM_CENTRALIZED)),
        class_q=(Q(training_type=TrainingType.SKILL_UPGRADE) | Q(level__in=HIGH_LEVELS)
                 | Q(high_skill=True)),
        application_q=Q(training_type=TrainingType.SKILL_UPGRADE) | Q(level__in=HIGH_LEVELS),
        wanted_type=TrainingType.SKILL_UPGRADE)


def entrepreneurs() -> Target:
    """Target 3 — persons wishing to start a business, or already self-employed, complete an
    entrepreneurship training in the period.

    Named: the latest survey records `training_need` (有培训需求), `wants_work` (有就业意愿) and
    `entrepreneurship_intention` (有创业意愿) together, or its `employment_form` is national code
    3 个体就业（含自主创业）. Covered by: TrainingType entrepreneurship (创业培训).
    """
    return Target(
        number=3, label=_("有培训需求、就业愿望、具备创业条件或已创业的残疾人接受创业培训"),
        short=_("有创业意愿、已创业"),
        names=(Q(training_need=True, wants_work=True, entrepreneurship_intention=True)
               | Q(employment_form=FORM_SELF_EMPLOYED)),
        class_q=Q(training_type=TrainingType.ENTREPRENEURSHIP),
        application_q=Q(training_type=TrainingType.ENTREPRENEURSHIP),
        wanted_type=TrainingType.ENTREPRENEURSHIP)


TARGETS: tuple[Target, ...] = (new_entrants(), enterprise_employees(), entrepreneurs())
TARGET_NUMBERS = tuple(t.number for t in TARGETS)


def target_by_number(number: Any) -> Target:
    text = "" if number is None else str(number).strip()
    for target in TARGETS:
        if text == str(target.number):
            return target
    raise InvalidInput([("target", TARGET_INVALID)])


# ---- the period ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    """The span a report reads: the plan's start to the reference day (see the module's rules)."""

    plan: Plan
    start: dt.date
    end: dt.date
    year: int | None = None


def plan_period(plan: Plan, year: int | None = None) -> Period:
    if year is None:
        return Period(plan=plan, start=plan.period_start, end=plan.period_end)
    if not plan.period_start.year <= year <= plan.period_end.year:
        raise InvalidInput([("year", YEAR_OUTSIDE_PLAN.format(start=plan.period_start.year,
                                                              end=plan.period_end.year))])
    return Period(plan=plan, start=plan.period_start,
                  end=min(plan.period_end, dt.date(year, 12, 31)), year=year)


def default_plan(today: dt.date) -> Plan:
    """The plan running today, else the latest one begun, else the earliest to come."""
    plan = (Plan.objects.filter(period_start__lte=today, period_end__gte=today)
            .order_by("-period_start", "id").first()
            or Plan.objects.filter(period_start__lte=today).order_by("-period_end", "id").first()
            or Plan.objects.order_by("period_start", "id").first())
    if plan is None:
        raise NotFound(NO_PLAN)
    return plan


def parse_plan(raw: Any, *, today: dt.date, year: int | None = None) -> Plan:
    """The plan a request names (`plan=<id>`); without one, the plan whose period holds `year`
    (the latest begun), else the default plan."""
    text = "" if raw is None else str(raw).strip()
    if not text:
        if year is not None:
            plan = (Plan.objects.filter(period_start__year__lte=year, period_end__year__gte=year)
                    .order_by("-period_start", "id").first())
            if plan is not None:
                return plan
        return default_plan(today)
    if not text.isdigit() or len(text) > 18:
        raise InvalidInput([("plan", PLAN_INVALID)])
    plan = Plan.objects.filter(pk=int(text)).first()
    if plan is None:
        raise InvalidInput([("plan", PLAN_INVALID)])
    return plan


# ---- who may read, which towns -------------------------------------------------------------------

def may_read_targets(user: User) -> bool:
    """REPORT_READ, and a scope of persons: city-wide readers and town staff."""
    return (has_perm(user, Perm.REPORT_READ)
            and (user.role in CITY_WIDE_READERS or user.role == Role.TOWN_STAFF))


def check_reader(user: User) -> None:
    if not may_read_targets(user):
        raise Forbidden(NO_TARGETS)


def visible_towns(user: User, town: str = "") -> list[Region]:
    """The towns whose figures `user` reads (one if `town` names it); a town outside the scope or
    unknown is not found."""
    towns = Region.objects.filter(level=Region.Level.TOWN).order_by("code")
    if user.role == Role.TOWN_STAFF:
        towns = towns.filter(code=user.town_id or "")
    if town:
        towns = towns.filter(code=town)
    found = list(towns)  # one query: the same list answers whether `town` is visible
    if town and not found:
        raise NotFound()
    return found


# ---- the queries ---------------------------------------------------------------------------------

def _working_age_on(on: dt.date, prefix: str) -> Q:
    condition = Q()
    for gender in (Gender.MALE, Gender.FEMALE):
        after, until = working_age_birth_range(gender, on)
        condition |= Q(**{f"{prefix}gender": gender, f"{prefix}birth_date__gt": after,
                          f"{prefix}birth_date__lte": until})
    return condition


def latest_surveys(user: User, period: Period, town: str = "") -> QuerySet[Survey]:
    """For each person in the user's scope on the registry and of working age on the reference
    day, their latest survey of a year up to the reference day's year (one row per person)."""
    year = period.end.year
    later = Survey.objects.filter(person=OuterRef("person"), year__gt=OuterRef("year"),
                                  year__lte=year)
    qs = (SURVEY_TARGET_SCOPE.visible_to(user)
          .filter(Q(year__lte=year, person__status=PersonStatus.ACTIVE)
                  & _working_age_on(period.end, "person__"))
          .exclude(Exists(later)))
    if town:
        qs = qs.filter(person__town_id=town)
    return qs


def covering_persons(target: Target, period: Period) -> tuple[QuerySet[Any], QuerySet[Any]]:
    """The ids of the persons who completed a training covering `target` in the period: from
    class rosters and from individual applications (two uncorrelated subqueries)."""
    classes = prefixed_q(target.class_q, "training_class__")
    # A class whose audit failed has not completed anyone until it completes again: the same
    # rule as the indicators (indicators.FINAL_CLASS_STATES).
    enrolled = (Enrollment.objects.filter(
        classes, status=EnrollmentStatus.COMPLETED, training_class__state__in=FINAL_CLASS_STATES,
        training_class__end_date__gte=period.start, training_class__end_date__lte=period.end)
        .values("person_id"))
    applied = (Application.objects.filter(
        target.application_q, state__in=COMPLETED_APPLICATION, kind__in=TRAINING_APPLICATION_KINDS,
        certificate_date__gte=period.start, certificate_date__lte=period.end)
        .values("person_id"))
    return enrolled, applied


def covered_q(target: Target, period: Period) -> Q:
    enrolled, applied = covering_persons(target, period)
    return Q(person_id__in=enrolled) | Q(person_id__in=applied)


@dataclass
class TargetFigure:
    target: int
    population: int = 0
    covered: int = 0

    @property
    def uncovered(self) -> int:
        return self.population - self.covered

    @property
    def ratio(self) -> float:
        return round(self.covered / self.population, 4) if self.population else 0.0

    @property
    def percent(self) -> str:
        """The ratio as the page shows it: a percentage with one decimal ("42.9")."""
        return f"{self.covered * 100 / self.population:.1f}" if self.population else "0.0"


def _blank_figures() -> list[TargetFigure]:
    return [TargetFigure(target=t.number) for t in TARGETS]


@dataclass
class TownTargets:
    town: str
    town_name: str
    targets: list[TargetFigure] = field(default_factory=_blank_figures)


@dataclass
class TargetsReport:
    plan: Plan
    period: Period
    towns: list[TownTargets]
    city: TownTargets | None  # None for town staff, and when one town was asked for


def _counted(user: User, period: Period, town: str) -> dict[str, dict[str, Any]]:
    """The live count: per town, `pN` named by target N and `cN` of them covered."""
    aggregates: dict[str, Any] = {}
    for target in TARGETS:
        aggregates[f"p{target.number}"] = Count("id", filter=target.names)
        aggregates[f"c{target.number}"] = Count("id", filter=target.names
                                                & covered_q(target, period))
    rows = (latest_surveys(user, period, town).values("person__town_id")
            .annotate(**aggregates).order_by())
    return {row["person__town_id"]: dict(row) for row in rows}


def _tallied(plan: Plan, towns: list[str]) -> dict[str, dict[str, Any]]:
    """The same counts read from the plan's tallies (TargetTally), for `towns` only."""
    counts: dict[str, dict[str, Any]] = {}
    for tally in TargetTally.objects.filter(plan=plan, town__in=towns):
        row = counts.setdefault(tally.town, {})
        row[f"p{tally.target}"] = tally.population
        row[f"c{tally.target}"] = tally.covered
    return counts


def targets_report(*, user: User, plan: Plan, year: int | None = None,
                   town: str = "", live: bool = False) -> TargetsReport:
    """Population, covered and ratio of each target per town the user sees, and for the city.
    A plan's whole period is read from its summary (canpei.reports.summaries.targets, kept by
    every write); one year of it, or `live=True`, is counted from the records."""
    check_reader(user)
    period = plan_period(plan, year)
    towns = visible_towns(user, town)
    if year is None and not live:
        counts = _tallied(plan, [region.code for region in towns])
    else:
        counts = _counted(user, period, town)
    result = []
    for region in towns:
        row = counts.get(region.code, {})
        result.append(TownTargets(town=region.code, town_name=region.name, targets=[
            TargetFigure(target=t.number, population=row.get(f"p{t.number}", 0),
                         covered=row.get(f"c{t.number}", 0)) for t in TARGETS]))
    city = None
    if user.role in CITY_WIDE_READERS and not town:
        # Every person lives in exactly one town: the city's figures are the towns' sums.
        city = TownTargets(town="", town_name=gettext("全市"), targets=[
            TargetFigure(target=t.number,
                         population=sum(r.targets[i].population for r in result),
                         covered=sum(r.targets[i].covered for r in result))
            for i, t in enumerate(TARGETS)])
    return TargetsReport(plan=plan, period=period, towns=result, city=city)


class StandingSurveys(QuerySet[Survey]):
    """The uncovered persons' surveys, joined from their standings. As long as nothing narrows
    the list further, it is counted from the tallies (a town's population less its covered: one
    row a town, kept equal to its standings) and a page is chosen on the standings alone (a
    partial index holds exactly them, in the list's order) before anything is joined."""

    standings: QuerySet[TargetStanding] | None = None
    tallies: QuerySet[TargetTally] | None = None

    def _clone(self) -> StandingSurveys:
        clone: StandingSurveys = super()._clone()  # type: ignore[misc]
        clone.standings, clone.tallies = self.standings, self.tallies
        return clone

    def _filter_or_exclude(self, negate: bool, args: Any, kwargs: Any) -> StandingSurveys:
        narrowed: StandingSurveys = super()._filter_or_exclude(negate, args, kwargs)  # type: ignore[misc]
        narrowed.standings = narrowed.tallies = None
        return narrowed

    def count(self) -> int:
        if self.tallies is not None and self._result_cache is None:
            left = self.tallies.aggregate(n=Sum(F("population") - F("covered")))["n"]
            return int(left or 0)
        return super().count()

    def __getitem__(self, k: Any) -> Any:
        """A page (`[start:stop]`) is chosen on the standings alone, in their order (town,
        person), and only its persons' surveys are joined: OFFSET no longer joins every skipped
        row to its survey, person and town first."""
        if (isinstance(k, slice) and k.step is None and k.stop is not None
                and self.standings is not None and self._result_cache is None):
            page = (self.standings.order_by("town", "person_id")
                    .values("person_id")[k.start or 0:k.stop])
            # survey.person_id is the standing's person (the standing holds their survey), so
            # this narrows the one join the list already makes; the order stays the list's.
            return self.filter(person_id__in=page)
        return super().__getitem__(k)


def uncovered_list(*, user: User, plan: Plan, target: Target, town: str = "",
                   year: int | None = None, live: bool = False) -> QuerySet[Survey]:
    """The persons `target` names who are not covered yet, as their latest surveys (what they
    asked for: wanted skills and types, preferred mode, accessibility needs), by town and person."""
    check_reader(user)
    period = plan_period(plan, year)
    if town and not (user.role == Role.TOWN_STAFF and town == user.town_id):
        visible_towns(user, town)  # another town than the clerk's own: found, and in scope?
    if year is None and not live:
        # The plan's standings (kept by every write): the named and uncovered persons' latest
        # surveys, within the reader's scope as ever.
        # The scope is applied to the standings, whose town is the person's (kept by every
        # move): town staff read their own town's, the city-wide readers every town's.
        # Joined from the standings and ordered by them (town, person: a partial index per
        # target holds exactly the uncovered, in that order).
        standing = {"target_standings__plan": plan,
                    f"target_standings__named_{target.number}": True,
                    f"target_standings__covered_{target.number}": False}
        if user.role == Role.TOWN_STAFF:
            standing["target_standings__town"] = user.town_id or ""
        if town:
            standing["target_standings__town"] = town
        surveys = StandingSurveys(model=Survey).filter(**standing)
        surveys.standings = TargetStanding.objects.filter(
            **{key.removeprefix("target_standings__"): value for key, value in standing.items()})
        surveys.tallies = TargetTally.objects.filter(
            plan=plan, target=target.number,
            **({"town": standing["target_standings__town"]}
               if "target_standings__town" in standing else {}))
        return (surveys.select_related("person", "person__town").prefetch_related("wanted_skills")
                .order_by("target_standings__town", "target_standings__person_id"))
    enrolled, applied = covering_persons(target, period)
    # Correlated (NOT EXISTS, an anti-join probing the person's own rows by index), unlike the
    # report's uncorrelated IN: a town's list reads its own persons, not the city's trainees.
    return (latest_surveys(user, period, town).filter(target.names)
            .exclude(Exists(enrolled.filter(person_id=OuterRef("person_id"))))
            .exclude(Exists(applied.filter(person_id=OuterRef("person_id"))))
            .select_related("person", "person__town").prefetch_related("wanted_skills")
            .order_by("person__town_id", "person_id"))
