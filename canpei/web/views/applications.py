"""Pages of individual applications (个人申请): list, form, record and its steps."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods
from django.utils.translation import gettext as _

from canpei.accounts.models import signed_in_user
from canpei.accounts.roles import Perm, Role, has_perm
from canpei.people.selectors import person_get
from canpei.training import rules
from canpei.training.applications import selectors, services
from canpei.training.applications.forms import (
    ApplicationForm, ApplicationTransitionForm,
)
from canpei.training.models import (
    Application, ApplicationKind, ApplicationState,
)
from canpei.web.pages import (
    create_page, edit_view, list_view, requires, step_forms, step_view,
)


# ---- applications --------------------------------------------------------------------------------

application_list = list_view(
    Perm.APPLICATION_BROWSE, "applications/application_list.html", selectors.ApplicationFilters,
    selectors.application_list, towns_hidden_for=Role.TOWN_STAFF, exported=True,
    context={"states": ApplicationState.choices, "kinds": ApplicationKind.choices},
    perms={"can_submit": Perm.APPLICATION_SUBMIT})


@requires(Perm.APPLICATION_SUBMIT)
@require_http_methods(["GET", "POST"])
def application_create(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if not request.GET.get("person"):
        # An application is filed from the person's page: the town staff find the person first.
        return render(request, "applications/application_pick_person.html")
    person = person_get(user=user, person_id=request.GET.get("person", ""))
    form = ApplicationForm(request.POST or None, initial={"amount_requested": "0"})
    return create_page(
        request, form, "applications/application_form.html",
        {"person": person, "application": None},
        lambda data: services.application_create(actor=user, data={**data, "person": person.pk}),
        lambda _application: _("已提交个人申请：%(name)s") % {"name": person.name},
        "application-detail", "application_id")


def _initial(application: Application) -> dict[str, Any]:
    return {
        "kind": application.kind,
        "institution": str(application.institution_id or ""),
        "institution_name": application.institution_name if not application.institution_id else "",
        "training_type": application.training_type, "occupation": application.occupation,
        "level": application.level,
        "planned_start": application.planned_start.isoformat() if application.planned_start else "",
        "planned_end": application.planned_end.isoformat() if application.planned_end else "",
        "amount_requested": str(application.amount_requested), "reason": application.reason,
    }


application_edit = edit_view(
    Perm.APPLICATION_SUBMIT, selectors.application_get, "applications/application_form.html",
    form=lambda data, application, _user: ApplicationForm(data, initial=_initial(application)),
    context=lambda application: {"person": application.person, "application": application},
    update=lambda user, application, changed: services.application_update(
        actor=user, application=application, data=changed),
    detail="application-detail")


def _render_detail(request: HttpRequest, application: Application, *,
                   bound: ApplicationTransitionForm | None = None,
                   status: int = 200) -> HttpResponse:
    user = signed_in_user(request)
    forms = step_forms(services.application_actions_available(application, user), bound,
                       lambda action: ApplicationTransitionForm(action=action))
    return render(request, "applications/application_detail.html", {
        "application": application, "person": application.person,
        "history": selectors.application_history(user=user, application=application),
        "step_forms": forms, "bound": bound,
        "can_edit": (has_perm(user, Perm.APPLICATION_SUBMIT)
                     and application.state == ApplicationState.SUBMITTED),
    }, status=status)


@requires(Perm.APPLICATION_BROWSE)
def application_detail(request: HttpRequest, application_id: int) -> HttpResponse:
    return _render_detail(request, selectors.application_get(user=signed_in_user(request),
                                                             application_id=application_id))


application_transition = step_view(
    Perm.APPLICATION_BROWSE, selectors.application_get,
    actions=rules.APPLICATION_TRANSITIONS, form_class=ApplicationTransitionForm,
    apply=lambda application, action, form, user: services.application_transition(
        application=application, actor=user, action=action,
        comment=form.cleaned_data.get("comment", ""), data=form.service_data()),
    label=lambda action: rules.ApplicationAction(action).label,
    render_detail=_render_detail, detail="application-detail")
