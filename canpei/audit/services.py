"""Writing and verifying the hash-chained audit log."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from django.db import transaction
from django.utils import timezone

from canpei.audit.models import GENESIS_HASH, AuditEntry, AuditHead
from canpei.bulk import copy_rows, next_ids, uses_copy


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def _make_tree_encoder() -> Callable[[Any], str] | None:
    """_canonical for a value known to be a tree (no container inside itself), without the
    encoder json.dumps builds on every call: an import encodes two values a row."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return None
    # markers=None: no check for circular references, which a tree cannot have.
    encode = make(None, str, json.encoder.encode_basestring, None, ":", ",", True, False, True)

    def canonical_tree(value: Any) -> str:
        if isinstance(value, str):
            return json.encoder.encode_basestring(value)  # as json.dumps does
        return "".join(encode(value, 0))

    return canonical_tree


_canonical_tree = _make_tree_encoder() or _canonical


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
    # Through JSON twice: keys become strings first (mixed int/str keys cannot be sorted), then
    # the stored value is exactly what is hashed.
    changes = json.loads(_canonical(json.loads(json.dumps(changes or {}, default=str))))
    # Hash what is stored: the column holds 255 characters.
    summary = summary[:255]
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
        object_type=object_type, object_id=str(object_id), summary=summary,
        changes=changes, prev_hash=head.last_hash, hash=digest,
    )
    AuditHead.objects.filter(pk=1).update(last_entry_id=entry.pk, last_hash=digest,
                                          count=head.count + 1)
    return entry


_SCALARS = (str, int, type(None))  # bool is an int


def _plain_json(value: Any) -> bool:
    """True when `value` goes through JSON unchanged: string keys, JSON scalars, finite floats."""
    if isinstance(value, dict):
        for key, item in value.items():
            # Scalars are checked here rather than by a call each: an import checks millions.
            if not isinstance(key, str) or not (isinstance(item, _SCALARS) or _plain_json(item)):
                return False
        return True
    if isinstance(value, list):
        for item in value:
            if not (isinstance(item, _SCALARS) or _plain_json(item)):
                return False
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, _SCALARS)


class CanonicalChanges(str):
    """An entry's changes already in the log's canonical JSON (see audit_prepare_changes)."""


def audit_prepare_changes(changes: dict[str, Any]) -> CanonicalChanges:
    """Encode an entry's changes ahead of audit_record_many, as it would: an import does this
    while the database is still busy with its rows, instead of afterwards."""
    if not _plain_json(changes):
        changes = json.loads(json.dumps(changes, default=str))
    # Plain JSON (checked, or just decoded) is a tree.
    return CanonicalChanges(_canonical_tree(changes))


_ENTRY_COLUMNS = ("id", "at", "actor_id", "actor_username", "action", "object_type", "object_id",
                  "summary", "changes", "prev_hash", "hash")


def audit_record_many(*, actor: Any, entries: list[dict[str, Any]]) -> int:
    """Append many entries at once (an import): one lock, one bulk insert, the same chain.

    Each entry is a dict of action, object_type, object_id, summary, changes.
    """
    if not entries:
        return 0
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record_many must run inside the service's transaction")
    head = AuditHead.objects.select_for_update().get(pk=1)
    actor_id = getattr(actor, "pk", None)
    actor_username = getattr(actor, "username", "") or ""
    last = [head.last_hash]  # the chain's newest hash, as the entries are made

    def chained() -> Iterator[tuple[Any, ...]]:
        prev = last[0]
        for item in entries:
            at = timezone.now()
            changes = item.get("changes") or {}
            # What audit_record stores and hashes, in one pass when the changes are plain JSON
            # already (an import's snapshots are): keys as strings, non-JSON values as text.
            changes_json = str(changes if isinstance(changes, CanonicalChanges)
                               else audit_prepare_changes(changes))
            summary = str(item.get("summary", ""))[:255]
            object_id = str(item.get("object_id", ""))
            object_type = item.get("object_type", "")
            # entry_hash's payload, built around the canonical changes instead of encoding them
            # again: a JSON list is its items' encodings joined by commas.
            parts = [prev, at.isoformat(), actor_id, actor_username, item["action"], object_type,
                     object_id, summary]
            head_json = _canonical_tree(parts) if _plain_json(parts) else _canonical(parts)
            digest = hashlib.sha256(f"{head_json[:-1]},{changes_json}]".encode("utf-8")).hexdigest()
            yield (at, item["action"], object_type, object_id, summary, changes_json, prev, digest)
            prev = last[0] = digest

    if uses_copy():
        ids = next_ids(AuditEntry, len(entries))
        # The entries are made while they are sent: the database stores each batch meanwhile.
        copy_rows(AuditEntry, _ENTRY_COLUMNS,
                  ((key, at, actor_id, actor_username, action, object_type, object_id, summary,
                    changes_json, prev_hash, digest)
                   for (at, action, object_type, object_id, summary, changes_json, prev_hash,
                        digest), key in zip(chained(), ids)))
        last_id = ids[-1]
    else:
        AuditEntry.objects.bulk_create(
            [AuditEntry(at=at, actor_id=actor_id, actor_username=actor_username, action=action,
                        object_type=object_type, object_id=object_id, summary=summary,
                        changes=json.loads(changes_json), prev_hash=prev_hash, hash=digest)
             for at, action, object_type, object_id, summary, changes_json, prev_hash, digest
             in chained()],
            batch_size=2000)
        # The head must name the last entry; bulk_create may not return keys on every backend.
        last_id = AuditEntry.objects.filter(hash=last[0]).values_list("pk", flat=True).get()
    prev = last[0]
    AuditHead.objects.filter(pk=1).update(last_entry_id=last_id, last_hash=prev,
                                          count=head.count + len(entries))
    return len(entries)


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
