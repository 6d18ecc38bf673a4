"""Reads of alerts, always from `alerts_visible_to`: the city and the auditor every alert; town
staff the alerts about at least one person of their town; nobody else any (404)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, QuerySet

from canpei.accounts.roles import Perm, Role, has_perm
from canpei.errors import Message as _
from canpei.selectors import (
    FilterParams, ListFilters, choice_filter, date_filter, get_in_scope, record_filter, record_id_invalid,
    town_filter, year_filter,
)
from canpei.supervision.models import Alert, AlertComputation, AlertEvent, AlertTown
from canpei.supervision.rules import RULES
from canpei.supervision.workflow import AlertState

if TYPE_CHECKING:
    import datetime as dt

    from canpei.regions.scope import Viewer


RULE_INVALID = _("规则须为 {rules} 之一")
STATE_INVALID = _("状态须为 open（待处理）、confirmed（已确认）、dismissed（已排除）或 resolved（已消除）")


def _about_town(town: str) -> Exists:
    # The alert's towns (AlertTown, its persons' current towns, kept by the job and by moves):
    # one index range, not every alert's persons joined to the registry.
    return Exists(AlertTown.objects.filter(alert_id=OuterRef("pk"), town=town))


def alerts_visible_to(user: Viewer) -> QuerySet[Alert]:
    if not has_perm(user, Perm.ALERT_BROWSE):
        return Alert.objects.none()
    if getattr(user, "role", "") == Role.TOWN_STAFF:
        return Alert.objects.filter(_about_town(str(getattr(user, "town_id", ""))))
    return Alert.objects.all()


@dataclass(frozen=True)
class AlertFilters(ListFilters):
    rule: str = ""
    state: str = choice_filter(AlertState.values, STATE_INVALID)
    town: str = town_filter()
    training_class: int | None = record_filter(record_id_invalid(_("培训班")), key="class")
    institution: int | None = record_filter(record_id_invalid(_("培训机构"), _("机构")))
    person: int | None = record_filter(record_id_invalid(_("人员")))
    year: int | None = year_filter()
    date_from: dt.date | None = date_filter()
    date_to: dt.date | None = date_filter()

    @classmethod
    def parse(cls, read: FilterParams) -> dict[str, Any]:
        # The rule's refusal lists the rules when it is made; the rest as declared.
        return {"rule": read.choice("rule", list(RULES),
                                    RULE_INVALID.format(rules="、".join(RULES))),
                **super().parse(read)}

    def as_params(self) -> dict[str, str]:
        params = super().as_params()
        if "training_class" in params:
            params["class"] = params.pop("training_class")
        return params


def alert_list(*, user: Viewer, filters: AlertFilters | None = None) -> QuerySet[Alert]:
    """The alerts the user may see, filtered; newest first. `date_from`/`date_to` bound the date
    the alert is about (a class's start, an inspection)."""
    f = filters or AlertFilters()
    qs = alerts_visible_to(user)
    if f.rule:
        qs = qs.filter(rule=f.rule)
    if f.state:
        qs = qs.filter(state=f.state)
    if f.year:
        qs = qs.filter(year=f.year)
    if f.town:
        qs = qs.filter(_about_town(f.town))
    if f.training_class is not None:
        qs = qs.filter(Exists(Alert.classes.through.objects.filter(
            alert_id=OuterRef("pk"), trainingclass_id=f.training_class)))
    if f.institution is not None:
        qs = qs.filter(Exists(Alert.institutions.through.objects.filter(
            alert_id=OuterRef("pk"), institution_id=f.institution)))
    if f.person is not None:
        qs = qs.filter(Exists(Alert.persons.through.objects.filter(
            alert_id=OuterRef("pk"), person_id=f.person)))
    if f.date_from:
        qs = qs.filter(on_date__gte=f.date_from)
    if f.date_to:
        qs = qs.filter(on_date__lte=f.date_to)
    return qs.order_by("-on_date", "-id")


def alert_get(*, user: Viewer, alert_id: int | str) -> Alert:
    return get_in_scope(alerts_visible_to(user), alert_id)


def alert_history(alert: Alert) -> QuerySet[AlertEvent]:
    return alert.events.select_related("actor").order_by("at", "id")


def alerts_about(*, user: Viewer, kind: str, record_id: int, limit: int = 20) -> list[Alert]:
    """The alerts (newest first) about one class, institution or person, for its page."""
    filters = {"class": AlertFilters(training_class=record_id),
               "institution": AlertFilters(institution=record_id),
               "person": AlertFilters(person=record_id)}[kind]
    return list(alert_list(user=user, filters=filters)[:limit])


def last_computed() -> dt.datetime | None:
    return (AlertComputation.objects.exclude(finished_at=None)
            .order_by("-finished_at").values_list("finished_at", flat=True).first())
