"""`GET /api/v1/reports/indicators`: the indicators of training outcomes
(canpei.reports.indicators holds their definitions)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_noop
from ninja import Router

from canpei.accounts.roles import Perm
from canpei.api.common import PlainOut, Text, api_user, errors
from canpei.reports import indicators as selectors

router = Router(tags=["reports"])

NO_REPORTS = gettext_noop("当前角色不能查看统计报表")


class MilestoneOut(PlainOut):
    months: int
    due: int
    recorded: int
    unrecorded: int
    employed: int
    rate: float | None
    median_income: Decimal | None


class FiguresOut(PlainOut):
    key: str
    label: str
    trained: int
    trainee_times: int
    free_hardship: int
    certificates: int
    appraised: int
    passed: int
    pass_rate: float | None
    employment: list[MilestoneOut]


class FiltersOut(PlainOut):
    year: int | None
    plan: int | None
    town: str
    institution: int | None
    type: str


class IndicatorsOut(PlainOut):
    as_of: dt.date
    filters: FiltersOut
    months: list[int]
    total: FiguresOut
    by_town: list[FiguresOut]
    by_institution: list[FiguresOut]
    by_type: list[FiguresOut]
    by_year: list[FiguresOut]
    by_plan: list[FiguresOut]
    heritage: FiguresOut
    high_skill: FiguresOut


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def figures_out(f: selectors.Figures) -> FiguresOut:
    return FiguresOut(
        key=f.key, label=f.label, trained=f.trained, trainee_times=f.trainee_times,
        free_hardship=f.free_hardship, certificates=f.certificates, appraised=f.appraised,
        passed=f.passed, pass_rate=_rate(f.pass_rate),
        employment=[MilestoneOut(months=m.months, due=m.due, recorded=m.recorded,
                                 unrecorded=m.unrecorded, employed=m.employed, rate=_rate(m.rate),
                                 median_income=m.median_income) for m in f.employment])


@router.get("", response={200: IndicatorsOut, **errors(401, 403, 422)})
def indicators(request: HttpRequest, year: Text = "", plan: Text = "", town: Text = "",
               institution: Text = "", type: Text = "") -> IndicatorsOut:  # noqa: A002
    user = api_user(request, Perm.REPORT_READ, NO_REPORTS)
    filters = selectors.parse_filters({"year": year, "plan": plan, "town": town,
                                       "institution": institution, "type": type})
    report = selectors.indicators(user=user, filters=filters, as_of=timezone.localdate())
    return IndicatorsOut(
        as_of=report.as_of,
        filters=FiltersOut(year=filters.year, plan=filters.plan, town=filters.town,
                           institution=filters.institution, type=filters.type),
        months=list(report.months), total=figures_out(report.total),
        by_town=[figures_out(f) for f in report.by_town],
        by_institution=[figures_out(f) for f in report.by_institution],
        by_type=[figures_out(f) for f in report.by_type],
        by_year=[figures_out(f) for f in report.by_year],
        by_plan=[figures_out(f) for f in report.by_plan],
        heritage=figures_out(report.heritage), high_skill=figures_out(report.high_skill))
