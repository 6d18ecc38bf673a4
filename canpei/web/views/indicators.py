"""The reports page `/reports`: the indicators of training outcomes as tables, over the user's
scope (canpei.reports.indicators holds their definitions; the API and the export read the same)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from canpei.accounts.models import signed_in_user
from canpei.accounts.roles import Perm, Role
from canpei.codes import TrainingType
from canpei.institutions.selectors import institution_list
from canpei.reports import indicators as selectors
from canpei.reports.models import Plan
from canpei.web.pages import list_filters, requires, town_options


@requires(Perm.REPORT_READ)
def reports(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    filters, _params, errors = list_filters(request, selectors.IndicatorFilters)
    report = selectors.indicators(user=user, filters=filters, as_of=timezone.localdate())
    institution_staff = user.role == Role.INSTITUTION_STAFF
    return render(request, "reports/indicators.html", {
        "report": report, "filters": filters, "filter_errors": errors,
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
