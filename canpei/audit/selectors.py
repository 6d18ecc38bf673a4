from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from canpei.accounts.roles import Perm, has_perm
from canpei.audit.models import AuditEntry

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from canpei.accounts.models import User


def audit_entries(*, user: User | AnonymousUser, action: str = "", actor: str = "") -> QuerySet[AuditEntry]:
    """The audit log, for the audit officer only; anyone else gets an empty set."""
    if not has_perm(user, Perm.AUDIT_READ):
        return AuditEntry.objects.none()
    qs = AuditEntry.objects.all().order_by("-id")
    if action:
        qs = qs.filter(action=action)
    if actor:
        qs = qs.filter(actor_username=actor)
    return qs
