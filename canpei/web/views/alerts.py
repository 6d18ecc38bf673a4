"""The alert desk (监管预警): /alerts with its filters, an alert's page with its links and
history, and the city's confirm / dismiss."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from canpei.accounts.models import signed_in_user
from canpei.accounts.roles import Perm, Role
from canpei.institutions.models import Institution
from canpei.supervision import selectors, services
from canpei.supervision.forms import AlertStepForm
from canpei.supervision.models import Alert
from canpei.supervision.rules import RULES
from canpei.supervision.workflow import ALERT_WORKFLOW, DESK_ACTIONS, AlertState
from canpei.web.pages import list_view, requires, step_view

# Where each kind of link goes.
LINK_ROUTES = {"person": "person-detail", "class": "class-detail",
               "institution": "institution-detail", "application": "application-detail",
               "inspection": "class-detail"}
LINK_TYPES = {"person": _("人员"), "class": _("培训班"), "institution": _("培训机构"),
              "application": _("个人申请"), "inspection": _("过程检查")}


def _class_of(alert: Alert) -> int:
    """An inspection is shown on its class's page."""
    return next(int(str(link["id"])) for link in alert.links if link["type"] == "class")


def _list_context(request: HttpRequest) -> dict[str, object]:
    user = signed_in_user(request)
    return {"rules": list(RULES.values()), "states": AlertState.choices,
            "institutions": Institution.objects.order_by("name").values_list("pk", "name")
            if user.role != Role.TOWN_STAFF else [],
            "computed_at": selectors.last_computed()}


alert_list = list_view(Perm.ALERT_BROWSE, "supervision/alert_list.html", selectors.AlertFilters,
                       selectors.alert_list, towns_hidden_for=Role.TOWN_STAFF, exported=True,
                       extra=_list_context)


def _render_detail(request: HttpRequest, alert: Alert, *, bound: AlertStepForm | None = None,
                   status: int = 200) -> HttpResponse:
    user = signed_in_user(request)
    actions = [a for a in ALERT_WORKFLOW.actions_for(user.role, alert.state) if a in DESK_ACTIONS]
    forms = [bound if bound is not None and bound.action == a else AlertStepForm(action=a)
             for a in actions]
    rule = RULES.get(alert.rule)
    links = [{"label": link["label"], "type": LINK_TYPES.get(str(link["type"]), ""),
              "url": reverse(LINK_ROUTES[str(link["type"])], args=[
                  link["id"] if link["type"] != "inspection" else _class_of(alert)])}
             for link in alert.shown_links() if str(link.get("type")) in LINK_ROUTES]
    return render(request, "supervision/alert_detail.html", {
        "alert": alert, "rule": rule, "step_forms": forms, "bound": bound, "links": links,
        "history": selectors.alert_history(alert)}, status=status)


@requires(Perm.ALERT_BROWSE)
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = selectors.alert_get(user=signed_in_user(request), alert_id=alert_id)
    return _render_detail(request, alert)


alert_transition = step_view(
    Perm.ALERT_DECIDE, selectors.alert_get, actions=DESK_ACTIONS, form_class=AlertStepForm,
    apply=lambda alert, action, form, user: services.alert_transition(
        alert=alert, actor=user, action=action, comment=form.cleaned_data.get("comment", "")),
    label=ALERT_WORKFLOW.label, render_detail=_render_detail, detail="alert_detail")
