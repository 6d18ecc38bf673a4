"""The last step every service's edit shares: save the changed record and audit its diff, in the
caller's transaction, and only when something did change (canpei.timestamps.Timestamped)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Protocol

from django.utils import timezone

from canpei.audit.actions import AuditAction
from canpei.audit.services import audit_record

if TYPE_CHECKING:
    from canpei.accounts.models import User


class Edited(Protocol):
    """A business record a service edits: it keeps the time of its last change."""

    pk: Any
    updated_at: dt.datetime

    def save(self) -> None: ...


def edit_save(*, actor: User, record: Edited, changes: dict[str, Any], action: AuditAction,
              summary: str, context: dict[str, Any] | None = None) -> None:
    """Save an edited record and audit its diff (under "diff", after `context`) in the caller's
    transaction. An edit that changed nothing writes nothing: no save, no entry, and updated_at
    keeps telling when the record last really changed."""
    if not changes:
        return
    record.updated_at = timezone.now()
    record.save()
    audit_record(actor=actor, action=action, obj=record, summary=summary,
                 changes={**(context or {}), "diff": changes})

