"""The alert desk's decisions: confirm (a real problem) or dismiss (with the reason), by the
city; the workflow engine locks, checks, writes the event row and the audit entry."""

from __future__ import annotations

from typing import TYPE_CHECKING


from canpei.errors import InvalidInput
from canpei.errors import lazy_message as _
from canpei.selectors import get_in_scope
from canpei.supervision.models import Alert, AlertEvent
from canpei.supervision.selectors import alerts_visible_to
from canpei.supervision.workflow import ALERT_WORKFLOW, DESK_ACTIONS
from canpei.workflows import Lifecycle

if TYPE_CHECKING:
    from canpei.accounts.models import User


# The desk's actions (DESK_ACTIONS), as the API names them.
ACTION_INVALID = _("操作须为 confirm 或 dismiss")


def locked_alert(user: User, alert_id: int) -> Alert:
    return get_in_scope(alerts_visible_to(user).select_for_update(), alert_id)


ALERT_LIFECYCLE: Lifecycle[Alert] = Lifecycle(  # zh-data: describe() words the audit log
    workflow=ALERT_WORKFLOW, audit_name="alert", lock=locked_alert, event_model=AlertEvent,
    event_parent="alert", describe=lambda alert: f"监管预警 #{alert.pk}")


def alert_transition(*, alert: Alert, actor: User, action: str, comment: str = "") -> Alert:
    """Confirm or dismiss an open alert (city_admin; a reason is required to dismiss)."""
    if str(action or "").strip() not in DESK_ACTIONS:
        raise InvalidInput([("action", ACTION_INVALID)])
    return ALERT_LIFECYCLE.apply(obj=alert, actor=actor, action=action, comment=comment)
