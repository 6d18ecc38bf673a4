"""/api/v1/alerts: supervision alerts (监管预警), each explained in a sentence with its links;
the city confirms or dismisses them (`/transitions`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router

from canpei.accounts.models import User
from canpei.accounts.roles import Perm
from canpei.api.common import (
    MAX_PAGE_SIZE, ObjectIn, OneOf, PlainOut, Text, WorkflowEventOut, api_user, errors, paginate,
    workflow_event_fields,
)
from canpei.supervision import selectors, services
from canpei.supervision.models import Alert, AlertEvent
from canpei.supervision.rules import RULES
from canpei.supervision.workflow import DESK_ACTIONS

router = Router(tags=["alerts"])


class AlertLinkOut(PlainOut):
    type: str
    id: int
    label: str


class AlertEventOut(WorkflowEventOut):
    """A step of the alert's handling (confirm, dismiss, resolve, reopen)."""


class AlertOut(PlainOut):
    id: int
    rule: str
    rule_label: str
    state: str
    summary: str
    links: list[AlertLinkOut]
    raised_on: dt.date
    on_date: dt.date
    year: int


class AlertDetailOut(AlertOut):
    history: list[AlertEventOut]


class AlertPage(PlainOut):
    count: int
    results: list[AlertOut]


def _fields(alert: Alert) -> dict[str, Any]:
    rule = RULES.get(alert.rule)
    return {"id": alert.pk, "rule": alert.rule, "rule_label": rule.label if rule else alert.rule,
            "state": alert.state, "summary": alert.sentence(),
            "links": [AlertLinkOut(**link) for link in alert.shown_links()],
            "raised_on": alert.raised_on,
            "on_date": alert.on_date, "year": alert.year}


def _event(event: AlertEvent) -> AlertEventOut:
    return AlertEventOut(**workflow_event_fields(event))


def alert_detail_out(alert: Alert) -> AlertDetailOut:
    return AlertDetailOut(**_fields(alert),
                          history=[_event(e) for e in selectors.alert_history(alert)])


class AlertTransitionIn(ObjectIn):
    model_config = {"json_schema_extra": {"examples": [  # zh-data: example
        {"action": "confirm", "comment": "已约谈机构，追回补贴"},
        {"action": "dismiss", "comment": "两班为同一学员的线上、线下课程，核实无误"}]}}

    action: Annotated[str, OneOf(DESK_ACTIONS)]
    comment: str = ""


def _reader(request: HttpRequest) -> User:
    return api_user(request, Perm.ALERT_BROWSE)


@router.get("", response={200: AlertPage, **errors(401, 403, 422)})
def alert_list(request: HttpRequest, page: int = Query(1, ge=1, le=1_000_000),
               page_size: int = Query(50, ge=1, le=MAX_PAGE_SIZE), rule: Text = "",
               state: Text = "", town: Text = "", year: Text = "", date_from: Text = "",
               date_to: Text = "", institution: Text = "", person: Text = "") -> AlertPage:
    """Filters `rule`, `state`, `town`, `class`, `institution`, `person`, `year`, `date_from`,
    `date_to` (the date the alert is about). `class` is read from the query string as sent
    (a Python keyword cannot name a parameter)."""
    user = _reader(request)
    filters = selectors.AlertFilters.from_params(
        {"rule": rule, "state": state, "town": town, "year": year, "date_from": date_from,
         "date_to": date_to, "institution": institution, "person": person,
         "class": request.GET.get("class", "")})
    count, rows = paginate(selectors.alert_list(user=user, filters=filters), page, page_size)
    return AlertPage(count=count, results=[AlertOut(**_fields(a)) for a in rows])


@router.get("/{alert_id}", response={200: AlertDetailOut, **errors(401, 403, 404, 422)})
def alert_detail(request: HttpRequest, alert_id: int) -> AlertDetailOut:
    user = _reader(request)
    return alert_detail_out(selectors.alert_get(user=user, alert_id=alert_id))


@router.post("/{alert_id}/transitions",
             response={200: AlertDetailOut, **errors(400, 401, 403, 404, 409, 422)})
def alert_transition(request: HttpRequest, alert_id: int, payload: AlertTransitionIn) -> AlertDetailOut:
    """`confirm` or `dismiss` (a `comment` is required) an open alert; the city only (403
    otherwise); 409 when the alert is no longer open."""
    user = _reader(request)
    alert = selectors.alert_get(user=user, alert_id=alert_id)
    services.alert_transition(alert=alert, actor=user, action=payload.action,
                              comment=payload.comment)
    return alert_detail_out(selectors.alert_get(user=user, alert_id=alert_id))
