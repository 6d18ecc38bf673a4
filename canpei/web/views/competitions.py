"""Pages of skill competitions (职业技能竞赛) and typical cases (典型案例)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST
from django.utils.translation import gettext as _, gettext_lazy

from canpei.accounts.models import User, signed_in_user
from canpei.accounts.roles import Perm, Role, has_perm
from canpei.codes import CompetitionLevel
from canpei.competitions import selectors, services
from canpei.competitions.forms import (
    CaseForm, CompetitionForm, ConsentForm, PublishForm, ResultForm, WithdrawForm, case_initial,
    competition_initial, result_initial,
)
from canpei.competitions.models import CaseChannel, Competition, TypicalCase
from canpei.errors import ServiceError
from canpei.web.pages import (
    create_page, edit_page, edit_view, list_view, on_record, person_search, requires, saved, submit,
)


competition_list = list_view(
    Perm.COMPETITION_BROWSE, "competitions/competition_list.html", selectors.CompetitionFilters,
    selectors.competition_list, towns_hidden_for=Role.TOWN_STAFF,
    context={"levels": CompetitionLevel.choices}, perms={"can_edit": Perm.COMPETITION_EDIT})


@requires(Perm.COMPETITION_EDIT)
@require_http_methods(["GET", "POST"])
def competition_create(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = CompetitionForm(request.POST or None)
    return create_page(request, form, "competitions/competition_form.html", {"competition": None},
                       lambda data: services.competition_create(actor=user, data=data),
                       lambda c: _("已登记：%(label)s") % {"label": c.name}, "competition-detail", "competition_id")


def _detail(request: HttpRequest, competition_id: int, *, enter_form: dict[str, Any] | None = None,
            status: int = 200) -> HttpResponse:
    user = signed_in_user(request)
    competition = selectors.competition_get(user=user, competition_id=competition_id)
    can_enter = has_perm(user, Perm.ENTRY_EDIT)
    context: dict[str, Any] = {
        "competition": competition, "events": list(competition.events.all()),
        "entries": selectors.entry_list(user=user, competition_id=competition.pk),
        "can_edit": has_perm(user, Perm.COMPETITION_EDIT), "can_enter": can_enter,
        "enter_errors": (enter_form or {}).get("errors", []),
        "enter_event": (enter_form or {}).get("event", ""),
    }
    if can_enter:
        context["pick"] = person_search(request)
    return render(request, "competitions/competition_detail.html", context, status=status)


@requires(Perm.COMPETITION_BROWSE)
def competition_detail(request: HttpRequest, competition_id: int) -> HttpResponse:
    return _detail(request, competition_id)


competition_edit = edit_view(
    Perm.COMPETITION_EDIT, selectors.competition_get, "competitions/competition_form.html",
    form=lambda data, competition, _user: CompetitionForm(
        data, initial=competition_initial(competition)),
    context=lambda competition: {"competition": competition},
    update=lambda user, competition, changed: services.competition_update(
        actor=user, competition=competition, data=changed),
    detail="competition-detail")


@on_record(Perm.ENTRY_EDIT, selectors.competition_get)
def competition_enter(request: HttpRequest, user: User, competition: Competition) -> HttpResponse:
    """Enter the person picked on the competition's page in the event chosen beside them."""
    data = {"event": request.POST.get("event", ""), "person": request.POST.get("person", "")}
    try:
        entry = services.entry_create(actor=user, competition=competition, data=data)
    except ServiceError as exc:
        errors = exc.errors or [("", exc.message)]
        return _detail(request, competition.pk, enter_form={"errors": errors,
                                                            "event": data["event"]},
                       status=exc.status)
    return saved(request, _("已报名：%(name)s（%(event)s）") % {"name": entry.person.name,
                                                          "event": entry.event.name},
                 "competition-detail", competition_id=competition.pk)


@requires(Perm.COMPETITION_EDIT)
@require_http_methods(["GET", "POST"])
def entry_result(request: HttpRequest, competition_id: int, entry_id: int) -> HttpResponse:
    user = signed_in_user(request)
    entry = selectors.entry_get(user=user, entry_id=entry_id)
    if entry.event.competition_id != competition_id:
        raise Http404()
    form = ResultForm(request.POST or None, initial=result_initial(entry))
    return edit_page(request, form, "competitions/entry_result.html",
                     {"entry": entry, "competition": entry.event.competition},
                     lambda data: services.entry_record_result(actor=user, entry=entry,
                                                               data=data),
                     "competition-detail", competition_id=competition_id)


# ---- typical cases -----------------------------------------------------------------------------

case_list = list_view(
    Perm.CASE_BROWSE, "competitions/case_list.html", selectors.CaseFilters, selectors.case_list,
    towns_hidden_for=Role.TOWN_STAFF, exported=True,
    context={"channels": CaseChannel.choices}, perms={"can_edit": Perm.CASE_EDIT})


@requires(Perm.CASE_EDIT)
@require_http_methods(["GET", "POST"])
def case_create(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = CaseForm(request.POST or None, initial={"person": request.GET.get("person", "")})
    return create_page(request, form, "competitions/case_form.html", {"case": None},
                       lambda data: services.case_create(actor=user, data=data),
                       lambda c: _("已登记：%(label)s") % {"label": c.title}, "case-detail", "case_id")


CASE_STEPS = {
    "consent": (ConsentForm, services.case_record_consent, gettext_lazy("已登记本人同意")),
    "withdraw": (WithdrawForm, services.case_withdraw_consent,
                 gettext_lazy("已登记撤回同意，案例已撤下")),
    "publish": (PublishForm, services.case_publish, gettext_lazy("已发布")),
}


def _case_page(request: HttpRequest, case: TypicalCase, bound: Any = None,
               status: int = 200) -> HttpResponse:
    today = timezone.localdate().isoformat()
    forms: dict[str, Any] = {}
    if has_perm(request.user, Perm.CASE_EDIT):
        if case.person_id is not None:
            forms["consent"] = ConsentForm(initial={"date": today})
            if case.consent_valid:
                forms["withdraw"] = WithdrawForm(initial={"date": today})
        if not case.published:
            forms["publish"] = PublishForm(initial={"date": today})
        if bound is not None:
            forms[bound.prefix] = bound
    return render(request, "competitions/case_detail.html", {
        "case": case, "forms": forms, "can_edit": has_perm(request.user, Perm.CASE_EDIT),
    }, status=status)


@requires(Perm.CASE_BROWSE)
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    return _case_page(request, selectors.case_get(user=signed_in_user(request), case_id=case_id))


case_edit = edit_view(
    Perm.CASE_EDIT, selectors.case_get, "competitions/case_form.html",
    form=lambda data, case, _user: CaseForm(data, initial=case_initial(case)),
    context=lambda case: {"case": case},
    update=lambda user, case, changed: services.case_update(actor=user, case=case, data=changed),
    detail="case-detail")


@requires(Perm.CASE_EDIT)
@require_POST
def case_step(request: HttpRequest, case_id: int, step: str) -> HttpResponse:
    """One of the case page's forms: consent, withdraw, publish; or unpublish (no fields)."""
    user = signed_in_user(request)
    case = selectors.case_get(user=user, case_id=case_id)
    if step == "unpublish":
        try:
            services.case_unpublish(actor=user, case=case)
        except ServiceError as exc:
            messages.error(request, exc.message)
            return _case_page(request, case, status=exc.status)
        return saved(request, _("已撤下"), "case-detail", case_id=case.pk)
    if step not in CASE_STEPS:
        raise Http404()
    form_class, service, message = CASE_STEPS[step]
    form = form_class(request.POST)
    done = submit(form, lambda: service(actor=user, case=case, data=form.service_data()))
    if done.saved:
        return saved(request, str(message), "case-detail", case_id=case.pk)
    case.refresh_from_db()
    return _case_page(request, case, form, status=done.status)

