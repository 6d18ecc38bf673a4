from __future__ import annotations

from django.db.models import QuerySet

from canpei.accounts.roles import Perm, has_perm
from canpei.audit.models import AuditEntry


def audit_entries(*, user: object, action: str = "", actor: str = "") -> QuerySet[AuditEntry]:
    """The audit log, for the audit officer only; anyone else gets an empty set."""
    if not has_perm(user, Perm.AUDIT_READ):
        return AuditEntry.objects.none()
    qs = AuditEntry.objects.all().order_by("-id")
    if action:
        qs = qs.filter(action=action)
    if actor:
        qs = qs.filter(actor_username=actor)
    return qs
