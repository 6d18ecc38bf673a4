"""Pages of the plans and their three targets: /plans, /reports/targets and the uncovered list
/reports/targets/uncovered. Every figure comes from canpei.reports.targets (as the API's and the
ledger's do); /reports itself and its charts are another page's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods
from django.utils.translation import gettext as _

from canpei.accounts.models import User, signed_in_user
from canpei.accounts.roles import CITY_WIDE_READERS, Perm, has_perm
from canpei.codes import TrainingMode, shown_label
from canpei.errors import InvalidInput
from canpei.people.models import Survey
from canpei.people.surveys.selectors import parse_town, parse_year
from canpei.reports import plans, targets
from canpei.reports.forms import PlanForm
from canpei.reports.models import Plan
from canpei.web.pages import form_page, parsed_or, requires, saved

UNCOVERED_PAGE_SIZE = 50

T = TypeVar("T")


@dataclass
class _Reading:
    """Who reads which plan, year and town (from the query string), with the filter errors."""

    user: User
    plan: Plan
    year: int | None
    town: str
    errors: list[tuple[str, str]]

    def figures(self, compute: Callable[[int | None], T]) -> T:
        """`compute(year)`; when the service refuses the year (outside the plan's period), the
        plan's whole period, with the refusal shown among the filter errors."""
        try:
            return compute(self.year)
        except InvalidInput as exc:
            self.errors += exc.errors
            self.year = None
            return compute(None)


def _reading(request: HttpRequest) -> _Reading:
    user = signed_in_user(request)
    if not targets.may_read_targets(user):
        raise Http404()
    errors: list[tuple[str, str]] = []
    year = parsed_or(errors, lambda: parse_year(request.GET.get("year")), None)
    town = parsed_or(errors, lambda: parse_town(request.GET.get("town")), "")
    today = timezone.localdate()
    plan = parsed_or(errors, lambda: targets.parse_plan(request.GET.get("plan"), today=today,
                                                        year=year), None)
    if plan is None:
        plan = targets.parse_plan("", today=today)
    return _Reading(user, plan, year, town, errors)


@requires(Perm.PERSON_BROWSE)
def targets_page(request: HttpRequest) -> HttpResponse:
    r = _reading(request)
    user, plan, town, errors = r.user, r.plan, r.town, r.errors
    report = r.figures(lambda year: targets.targets_report(user=user, plan=plan, year=year,
                                                           town=town))
    year = r.year
    query = {"plan": plan.pk, **({"year": year} if year else {}), **({"town": town} if town else {})}
    rows = [*report.towns, *([report.city] if report.city else [])]
    return render(request, "reports/targets.html", {
        "report": report, "plan": plan, "year": year or "", "town": town, "rows": rows,
        "targets": targets.TARGETS, "plans": Plan.objects.order_by("-period_start", "id"),
        "filter_errors": errors, "base_query": urlencode({"plan": plan.pk, **(
            {"year": year} if year else {})}),
        "export_query": urlencode(query),
        "can_edit_plans": has_perm(user, Perm.PLAN_EDIT),
    })


@requires(Perm.PERSON_BROWSE)
def uncovered_page(request: HttpRequest) -> HttpResponse:
    r = _reading(request)
    user, plan, town, errors = r.user, r.plan, r.town, r.errors
    target = parsed_or(errors, lambda: targets.target_by_number(request.GET.get("target") or "1"),
                       targets.TARGETS[0])
    qs = r.figures(lambda year: targets.uncovered_list(user=user, plan=plan, target=target,
                                                       town=town, year=year))
    year = r.year
    page = Paginator(qs, UNCOVERED_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [_uncovered_row(s) for s in page]
    params: dict[str, Any] = {"plan": plan.pk, "target": target.number,
                              **({"year": year} if year else {}), **({"town": town} if town else {})}
    if user.role in CITY_WIDE_READERS:
        towns = targets.visible_towns(user)
        town_name = next((t.name for t in towns if t.code == town), "")
    else:
        # Town staff see their own town only (another was refused above): its name is the one
        # the page's header shows beside theirs (user.town, loaded once for both), no list.
        towns = []
        town_name = user.town.name if town and town == user.town_id and user.town else ""
    return render(request, "reports/uncovered.html", {
        "plan": plan, "target": target, "targets": targets.TARGETS, "year": year or "",
        "town": town, "town_name": town_name, "towns": towns,
        "plans": Plan.objects.order_by("-period_start", "id"),
        "page": page, "rows": rows, "query": urlencode(params), "filter_errors": errors,
        "find_classes": reverse("class-list") + "?" + urlencode({"type": target.wanted_type}),
        "back_query": urlencode({k: v for k, v in params.items() if k in ("plan", "year")}),
    })


@dataclass(frozen=True)
class _UncoveredRow:
    """One line of the uncovered list, its cells computed once (the template only prints)."""

    person_url: str
    name: str
    id_number: str
    town_name: str
    year: int
    skills: list[str]
    types: list[str]
    mode: str
    needs: list[str]


def _uncovered_row(survey: Survey) -> _UncoveredRow:
    person = survey.person
    return _UncoveredRow(
        person_url=reverse("person-detail", args=[person.pk]), name=person.name,
        id_number=person.id_number_masked, town_name=person.town.name, year=survey.year,
        skills=[k.name for k in survey.wanted_skills.all()], types=survey.wanted_type_labels,
        mode=shown_label(TrainingMode, survey.preferred_mode), needs=survey.accessibility_need_labels)


@require_http_methods(["GET", "POST"])
@requires(Perm.REPORT_READ)
def plan_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    can_edit = has_perm(user, Perm.PLAN_EDIT)
    if request.method == "POST" and not can_edit:
        raise Http404()
    form = PlanForm(request.POST or None) if can_edit else None
    context = {"plans": plans.plan_list(user=user), "can_edit": can_edit,
               "may_read_targets": targets.may_read_targets(user)}
    if form is None:
        return render(request, "reports/plans.html", {"form": None, **context})
    return form_page(request, form, "reports/plans.html", context,
                     save=lambda: plans.plan_create(actor=user, data=form.service_data()),
                     done=lambda plan: saved(request, _("已新建计划 %(name)s") % {"name": plan.name}, "plan-list"))
