"""The supervision alerts' line of the completion-audit checklist (canpei.training.classes.checks):
the city sees, before it passes a class's completion, whether alerts about the class are still
open or were confirmed. Added to `CHECKS` by the app's ready(), since training may not import
supervision."""

from __future__ import annotations

import datetime as dt

from canpei.errors import lazy_message as _
from canpei.supervision.models import Alert
from canpei.supervision.workflow import AlertState
from canpei.training.classes.checks import CheckResult, ClassFacts


ALERTS_LABEL = _("无待处理或已确认的监管预警")
ALERTS_DETAIL = _("待处理 {open} 条，已确认 {confirmed} 条")


def alerts_on_class(facts: ClassFacts, today: dt.date) -> CheckResult:
    """Passes when no alert about the class is open or confirmed (dismissed and resolved ones
    are settled)."""
    states = list(Alert.objects.filter(classes=facts.training_class,
                                       state__in=[AlertState.OPEN, AlertState.CONFIRMED])
                  .values_list("state", flat=True))
    open_count = states.count(AlertState.OPEN)
    confirmed = states.count(AlertState.CONFIRMED)
    return CheckResult("alerts", str(ALERTS_LABEL), not states,
                       ALERTS_DETAIL.format(open=open_count, confirmed=confirmed),
                       {"open": open_count, "confirmed": confirmed})
