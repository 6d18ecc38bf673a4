"""Writing and verifying the hash-chained audit log."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from canpei.audit.models import GENESIS_HASH, AuditEntry, AuditHead


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def entry_hash(*, prev_hash: str, at_iso: str, actor_id: int | None, actor_username: str,
               action: str, object_type: str, object_id: str, summary: str,
               changes: dict[str, Any]) -> str:
    payload = _canonical([prev_hash, at_iso, actor_id, actor_username, action, object_type,
                          object_id, summary, changes])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def audit_record(*, actor: Any, action: str, obj: Any = None, object_type: str = "",
                 object_id: str | int = "", summary: str = "",
                 changes: dict[str, Any] | None = None) -> AuditEntry:
    """Append one entry. Call inside the service's own transaction so both commit or neither.

    `changes` must already have personal numbers masked: the log is read by the audit officer,
    who is not allowed to see them.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the service's transaction")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    changes = json.loads(_canonical(changes or {}))
    # Lock the head: the chain is a sequence, so appends are serialised city-wide. Audited writes
    # are a few per second at most, far below what one row lock can carry.
    head = AuditHead.objects.select_for_update().get(pk=1)
    at = timezone.now()
    actor_id = getattr(actor, "pk", None)
    actor_username = getattr(actor, "username", "") or ""
    digest = entry_hash(prev_hash=head.last_hash, at_iso=at.isoformat(), actor_id=actor_id,
                        actor_username=actor_username, action=action, object_type=object_type,
                        object_id=str(object_id), summary=summary, changes=changes)
    entry = AuditEntry.objects.create(
        at=at, actor_id=actor_id, actor_username=actor_username, action=action,
        object_type=object_type, object_id=str(object_id), summary=summary[:255],
        changes=changes, prev_hash=head.last_hash, hash=digest,
    )
    AuditHead.objects.filter(pk=1).update(last_entry_id=entry.pk, last_hash=digest,
                                          count=head.count + 1)
    return entry


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    broken_entry_id: int | None = None
    reason: str = ""


def audit_verify(*, chunk: int = 5000) -> VerifyResult:
    """Recompute the chain from the first entry; report the first entry that does not fit."""
    prev = GENESIS_HASH
    checked = 0
    last_id = 0
    while True:
        batch = list(AuditEntry.objects.filter(pk__gt=last_id).order_by("pk")[:chunk])
        if not batch:
            break
        for entry in batch:
            if entry.prev_hash != prev:
                return VerifyResult(False, checked, entry.pk,
                                    "previous hash does not match: an entry before it was removed or changed")
            expected = entry_hash(prev_hash=entry.prev_hash, at_iso=entry.at.isoformat(),
                                  actor_id=entry.actor_id, actor_username=entry.actor_username,
                                  action=entry.action, object_type=entry.object_type,
                                  object_id=entry.object_id, summary=entry.summary,
                                  changes=entry.changes)
            if expected != entry.hash:
                return VerifyResult(False, checked, entry.pk, "content does not match its hash")
            prev = entry.hash
            checked += 1
            last_id = entry.pk
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.last_hash != prev or head.count != checked):
        return VerifyResult(False, checked, head.last_entry_id or None,
                            "the newest entries were removed (head does not match the chain)")
    return VerifyResult(True, checked)
