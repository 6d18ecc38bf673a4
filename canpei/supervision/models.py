"""The alerts table: one row per rule and subject (its fingerprint), kept by the job."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext

from canpei.codes import CodedDisplay
from canpei.errors import lazy_message as _
from canpei.supervision.sentences import render, shown_links
from canpei.supervision.workflow import AlertAction, AlertState
from canpei.workflows import WorkflowEvent, state_field


class Alert(CodedDisplay, models.Model):
    """An alert a rule raised: what and why (`message` and `params`, one sentence as its msgid
    and parameters, shown in the viewer's language by `sentence`; `summary`, its Chinese, which
    the ledger prints), the records it links to, and the desk's decision. `fingerprint` names
    the rule and its subject (the year, the records), so computing again finds the same row
    instead of adding one."""

    rule = models.CharField(_("规则"), max_length=32)
    fingerprint = models.CharField(max_length=64, unique=True, editable=False)
    year = models.PositiveSmallIntegerField(_("年度"))
    summary = models.TextField(_("说明"))
    # The sentence as a msgid (a rule's gettext_noop) and its parameters (data as they are,
    # product words as {"msgid", "params"} or {"join", "sep"}: canpei.supervision.sentences).
    # Empty on a row written before they were kept: its `summary` is shown until the job
    # finds the alert again and writes them.
    message = models.TextField(_("说明（消息代码）"), blank=True, default="")
    params = models.JSONField(_("说明参数"), blank=True, default=dict)
    # [{"type": "class"|"person"|"institution"|"inspection"|"application", "id": 1,
    #   "label": "…", "says"?: {"msgid", "params"}}]: what the sentence is about, for the links
    #   on the page and in the API; `says` names the record in the viewer's language.
    links = models.JSONField(_("相关记录"), default=list)
    state = models.CharField(_("状态"), max_length=16, choices=AlertState.choices,
                             default=AlertState.OPEN)
    raised_on = models.DateField(_("发现日期"), default=timezone.localdate)
    # The date the alert is about (a class's start, an inspection's date), for the date filter.
    on_date = models.DateField(_("业务日期"))
    # What the scopes and filters read: the classes, institutions and persons concerned.
    classes = models.ManyToManyField("training.TrainingClass", related_name="+", blank=True)
    institutions = models.ManyToManyField("institutions.Institution", related_name="+",
                                          blank=True)
    persons = models.ManyToManyField("people.Person", related_name="+", blank=True)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("监管预警")
        ordering = ["-on_date", "-id"]
        indexes = [
            models.Index(fields=["state", "on_date"], name="alert_state_on"),
            models.Index(fields=["on_date", "id"], name="alert_on_id"),
            models.Index(fields=["year", "state"], name="alert_year_state"),
            models.Index(fields=["rule", "state"], name="alert_rule_state"),
        ]

    def __str__(self) -> str:
        return gettext("预警 #%(id)s") % {"id": self.pk}

    def sentence(self) -> str:
        """The sentence in the active language (the stored Chinese for a row without its
        message code)."""
        return render(self.message, self.params) if self.message else self.summary

    def shown_links(self) -> list[dict[str, Any]]:
        """The links, each label in the active language."""
        return shown_links(self.links)


class AlertTown(models.Model):
    """A town an alert is about: the current town of at least one of its persons. What the town
    filter and town staff's scope read (one index range), instead of joining every alert's
    persons to the registry. Kept by the job whenever it sets an alert's persons, and by every
    move (hooks.person_moved) in the mover's transaction; tests compare it with the persons'
    towns after random moves."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="towns")
    town = models.CharField(max_length=12)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["alert", "town"], name="alert_town_once")]
        indexes = [models.Index(fields=["town", "alert"], name="alert_town_alert")]


# The event of a newly raised alert (no actor, from no state).
RAISE = "raise"
RAISED_LABEL = _("发现")


class AlertEvent(WorkflowEvent):
    """One step of an alert: raised (no actor, from the empty state), confirmed, dismissed,
    resolved, reopened."""

    actions = AlertAction
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(_("原状态"), max_length=16, choices=AlertState.choices, blank=True)
    to_state = state_field(_("新状态"), AlertState)

    class Meta:
        ordering = ["at", "id"]

    @property
    def action_label(self) -> str:
        # The job's own first step is no action of the table.
        return RAISED_LABEL if self.action == RAISE else super().action_label


class AlertComputation(models.Model):
    """When the alerts of a year were last computed; its row lock makes runs of one year take
    turns, and a run queued before the last one started has nothing left to do."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    started_at = models.DateTimeField(null=True)
    finished_at = models.DateTimeField(null=True)
    raised = models.PositiveIntegerField(default=0)
