"""The reports page `/reports`: the indicators of training outcomes as tables, over the user's
scope (canpei.reports.indicators holds their definitions; the API and the export read the same)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from canpei.accounts.models import signed_in_user
from canpei.accounts.roles import Perm, Role, has_perm
from canpei.codes import TrainingType
from canpei.institutions.selectors import institution_list
from canpei.reports import indicators as selectors
from canpei.reports.models import Plan
from canpei.reports.matching import may_read_matching
from canpei.reports.targets import may_read_targets
from canpei.web.charts import Cell, Chart, ChartRow
from canpei.web.pages import list_filters, requires, town_options


def _drill(filters: selectors.IndicatorFilters, **narrower: object) -> str:
    """The report narrowed further: the list behind a bar of a chart."""
    return "?" + urlencode({**filters.as_params(), **{k: str(v) for k, v in narrower.items()}})


def _outcome_link(report: selectors.Indicators, followups: bool, months: int, outcome: str
                  ) -> str:
    """The follow-ups behind a bar of the outcomes chart, for a reader who may list them, when
    the report is narrowed by nothing the follow-up list cannot narrow by (a town at most)."""
    f = report.filters
    if not followups or f.year is not None or f.plan is not None or f.institution is not None \
            or f.type:
        return ""
    params = {"months": str(months), "outcome": outcome}
    if f.town:
        params["town"] = f.town
    return reverse("followup_list") + "?" + urlencode(params)


def _charts(report: selectors.Indicators, *, followups: bool = False) -> list[Chart]:
    f = report.filters
    years = Chart(
        key="by-year", title=_("各年度培训人数与人次"), category=_("年度"),
        summary=_("共培训 %(trained)s 人、%(times)s 人次，按培训结束年份分年见下表；点击数字查看该年的指标。")
        % {"trained": report.total.trained, "times": report.total.trainee_times},
        series=[_("培训人数"), _("培训人次")],
        rows=[ChartRow(row.label, [Cell(row.trained, _drill(f, year=row.key)),
                                   Cell(row.trainee_times, _drill(f, year=row.key))])
              for row in report.by_year])
    types = Chart(
        key="by-type", title=_("各培训类型培训人数与人次"), category=_("培训类型"),
        summary=_("按培训类型分列的培训人数与人次见下表；点击数字查看该类型的指标。"),
        series=[_("培训人数"), _("培训人次")],
        rows=[ChartRow(row.label, [Cell(row.trained, _drill(f, type=row.key)),
                                   Cell(row.trainee_times, _drill(f, type=row.key))])
              for row in report.by_type])
    outcomes = Chart(
        key="followups", stacked=True, title=_("结业后就业跟踪结果"), category=_("跟踪节点"),
        summary=_("各跟踪节点应跟踪的结业学员中已就业、未就业与尚未跟踪的人数见下表。"),
        series=[_("已就业"), _("未就业"), _("尚未跟踪")],
        rows=[ChartRow(_("结业后 %(months)s 个月") % {"months": m.months},
                       [Cell(m.employed, _outcome_link(report, followups, m.months, "employed")),
                        Cell(m.recorded - m.employed,
                             _outcome_link(report, followups, m.months, "not_employed")),
                        Cell(m.unrecorded,
                             _outcome_link(report, followups, m.months, "unrecorded"))])
              for m in report.total.employment])
    return [years, types, outcomes]


@requires(Perm.REPORT_READ)
def reports(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    filters, _params, errors = list_filters(request, selectors.IndicatorFilters)
    report = selectors.indicators(user=user, filters=filters, as_of=timezone.localdate())
    institution_staff = user.role == Role.INSTITUTION_STAFF
    return render(request, "reports/indicators.html", {
        "report": report, "filters": filters, "filter_errors": errors,
        "charts": _charts(report, followups=has_perm(user, Perm.FOLLOWUP_BROWSE)),
        "can_read_targets": may_read_targets(user),
        "can_read_matching": may_read_matching(user),
        "export_query": urlencode(filters.as_params()),
        "plans": Plan.objects.order_by("-period_start", "id").values_list("pk", "name"),
        "towns": town_options(user, hidden_for=Role.TOWN_STAFF),
        "institutions": ([] if institution_staff else
                         institution_list(user=user).order_by("name", "id")
                         .values_list("pk", "name")),
        "types": TrainingType.choices,
        # name, then five figures, then a rate and a median per follow-up milestone
        "colspan": 6 + 2 * len(report.months),
        "breakdowns": [("town", _("按镇街"), _("镇街"), report.by_town),
                       ("institution", _("按培训机构"), _("培训机构"), report.by_institution),
                       ("type", _("按培训类型"), _("培训类型"), report.by_type),
                       ("year", _("按年度（培训结束年份）"), _("年度"), report.by_year),
                       ("plan", _("按计划期"), _("计划"), report.by_plan)],
    })
