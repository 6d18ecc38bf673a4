"""Reports: figures computed over the records the caller may see.

One block per report; each block's routes, schemas and helpers stay together.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema

from canpei.api.common import MAX_PAGE_SIZE, PlainOut, Text, api_user, errors, paginate
from canpei.people.models import Survey
from canpei.people.surveys.selectors import parse_town, parse_year
from canpei.reports import matching
from canpei.reports import targets as targets

router = Router(tags=["reports"])


# ==== the plan's three targets (reports/targets, reports/targets/uncovered) =======================

class TargetFigureOut(PlainOut):
    target: int
    population: int
    covered: int
    ratio: float


class TownTargetsOut(PlainOut):
    town: str
    town_name: str
    targets: list[TargetFigureOut]


class TargetsOut(PlainOut):
    plan: int
    plan_name: str
    period_start: str
    period_end: str
    year: int | None
    towns: list[TownTargetsOut]
    city: TownTargetsOut | None


class UncoveredOut(PlainOut):
    id: int
    name: str
    id_number: str
    town: str
    town_name: str
    survey_year: int
    wanted_types: list[str]
    wanted_skills: list[str]
    preferred_mode: str
    accessibility_needs: list[str]


class UncoveredPage(PlainOut):
    count: int
    plan: int
    target: int
    results: list[UncoveredOut]


def _town_out(row: targets.TownTargets) -> TownTargetsOut:
    return TownTargetsOut(town=row.town, town_name=row.town_name, targets=[
        TargetFigureOut(target=f.target, population=f.population, covered=f.covered,
                        ratio=f.ratio) for f in row.targets])


def targets_out(report: targets.TargetsReport) -> TargetsOut:
    return TargetsOut(plan=report.plan.pk, plan_name=report.plan.name,
                      period_start=report.period.start.isoformat(),
                      period_end=report.period.end.isoformat(), year=report.period.year,
                      towns=[_town_out(t) for t in report.towns],
                      city=_town_out(report.city) if report.city else None)


def uncovered_out(survey: Survey) -> UncoveredOut:
    person = survey.person
    return UncoveredOut(id=person.pk, name=person.name, id_number=person.id_number_masked,
                        town=person.town_id, town_name=person.town.name, survey_year=survey.year,
                        wanted_types=list(survey.wanted_types),
                        wanted_skills=sorted(s.code for s in survey.wanted_skills.all()),
                        preferred_mode=survey.preferred_mode,
                        accessibility_needs=list(survey.accessibility_needs))


@router.get("/targets", response={200: TargetsOut, **errors(401, 403, 404, 422)})
def targets_report(request: HttpRequest, plan: Text = "", year: Text = "",
                   town: Text = "") -> TargetsOut:
    user = api_user(request)
    targets.check_reader(user)
    chosen_year = parse_year(year)
    chosen = targets.parse_plan(plan, today=timezone.localdate(), year=chosen_year)
    report = targets.targets_report(user=user, plan=chosen, year=chosen_year,
                                    town=parse_town(town))
    return targets_out(report)


@router.get("/targets/uncovered", response={200: UncoveredPage, **errors(401, 403, 404, 422)})
def targets_uncovered(request: HttpRequest, plan: Text = "", target: Text = "", town: Text = "",
                      year: Text = "", page: int = Query(1, ge=1, le=1_000_000),
                      page_size: int = Query(50, ge=1, le=MAX_PAGE_SIZE)) -> UncoveredPage:
    user = api_user(request)
    targets.check_reader(user)
    chosen_year = parse_year(year)
    chosen = targets.parse_plan(plan, today=timezone.localdate(), year=chosen_year)
    which = targets.target_by_number(target)
    qs = targets.uncovered_list(user=user, plan=chosen, target=which, town=parse_town(town),
                                year=chosen_year)
    count, rows = paginate(qs, page, page_size)
    return UncoveredPage(count=count, plan=chosen.pk, target=which.number,
                         results=[uncovered_out(s) for s in rows])

# ==== end of the targets block ===================================================================


# ==== matching needs to supply (reports/matching) ================================================

class MatchClassOut(Schema):
    id: int
    code: str
    name: str
    state: str
    places: int


class MatchRowOut(Schema):
    town: str
    town_name: str
    skill: str
    skill_name: str
    demand: int
    places: int
    unmet: int
    advice: str
    by_type: dict[str, int]
    by_mode: dict[str, int]
    classes: list[MatchClassOut]


class MatchingOut(Schema):
    year: int
    results: list[MatchRowOut]


@router.get("/matching", response={200: MatchingOut, **errors(401, 403, 404, 422)})
def matching_report(request: HttpRequest, year: Text = "", town: Text = "") -> MatchingOut:
    """Demand from the latest surveys against the classes planned or running, most unmet first."""
    user = api_user(request)
    chosen = parse_year(year) or timezone.localdate().year
    rows = matching.matching_report(user=user, year=chosen, town=parse_town(town))
    return MatchingOut(year=chosen, results=[MatchRowOut(
        town=r.town, town_name=r.town_name, skill=r.skill, skill_name=r.skill_name,
        demand=r.demand, places=r.places, unmet=r.unmet, advice=r.advice, by_type=r.by_type,
        by_mode=r.by_mode, classes=[MatchClassOut(
            id=c.pk, code=c.code, name=c.name, state=c.state,
            places=max(0, c.capacity - getattr(c, "on_roster", 0))) for c in r.classes])
        for r in rows])
