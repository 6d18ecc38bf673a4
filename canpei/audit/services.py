"""Writing and verifying the hash-chained audit log."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Required, TypedDict
from collections.abc import Callable, Iterable, Iterator

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_noop

from canpei.audit import keys
from canpei.audit.actions import AuditAction
from canpei.audit.models import GENESIS_HASH, AuditEntry, AuditHead
from canpei.bulk import copy_rows, next_ids, uses_copy

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from canpei.accounts.models import User


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
               changes: dict[str, Any], keyed: bool = True) -> str:
    """An entry's hash: HMAC-SHA-256 with the audit key's chain key; `keyed=False`, the plain
    SHA-256 of the entries written before the chain was keyed (AuditHead.legacy_count)."""
    payload = _canonical([prev_hash, at_iso, actor_id, actor_username, action, object_type,
                          object_id, summary, changes]).encode("utf-8")
    if not keyed:
        return hashlib.sha256(payload).hexdigest()
    mac = keys.chain_mac()
    mac.update(payload)
    return mac.hexdigest()


def _move_head(head: AuditHead, *, last_entry_id: int, last_hash: str, added: int) -> None:
    """Point the head at the new newest entry and sign it (the triggers let it only move on)."""
    count = head.count + added
    AuditHead.objects.filter(pk=1).update(
        last_entry_id=last_entry_id, last_hash=last_hash, count=count,
        signature=keys.head_signature(count=count, last_entry_id=last_entry_id,
                                      last_hash=last_hash, legacy_count=head.legacy_count))


def audit_record(*, actor: User | None, action: AuditAction, obj: Any = None, object_type: str = "",
                 object_id: str | int = "", summary: str = "",
                 changes: dict[str, Any] | None = None) -> AuditEntry:
    """Append one entry. Call inside the service's own transaction so both commit or neither.

    `changes` must already have personal numbers masked: the log is read by the audit officer,
    who is not allowed to see them. `actor` None: the system itself (the demo, a typed username
    that names no account).
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
    actor_id = actor.pk if actor is not None else None
    actor_username = actor.username if actor is not None else ""
    digest = entry_hash(prev_hash=head.last_hash, at_iso=at.isoformat(), actor_id=actor_id,
                        actor_username=actor_username, action=action, object_type=object_type,
                        object_id=str(object_id), summary=summary, changes=changes)
    entry = AuditEntry.objects.create(
        at=at, actor_id=actor_id, actor_username=actor_username, action=action,
        object_type=object_type, object_id=str(object_id), summary=summary,
        changes=changes, prev_hash=head.last_hash, hash=digest,
    )
    _move_head(head, last_entry_id=entry.pk, last_hash=digest, added=1)
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
        for item in value:  # noqa: SIM110  (a loop: called per cell of millions; no generator frame)
            if not (isinstance(item, _SCALARS) or _plain_json(item)):
                return False
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, _SCALARS)


class CanonicalChanges(str):
    """An entry's changes already in the log's canonical JSON (see audit_prepare_changes)."""


def audit_prepare_changes(changes: dict[str, Any], *, plain: bool = False) -> CanonicalChanges:
    """Encode an entry's changes ahead of audit_record_many, as it would: an import does this
    while the database is still busy with its rows, instead of afterwards.

    `plain=True`: the caller built `changes` from string keys, strings, ints, booleans, None,
    lists and dicts only (an import's person snapshots), so the walk that checks it is skipped
    (a tenth of a second per 100,000 persons). Values outside JSON would still be stored as
    audit_record stores them (as text); only a dict with non-string keys would differ.
    """
    if not plain and not _plain_json(changes):
        changes = json.loads(json.dumps(changes, default=str))
    # Plain JSON (checked, or just decoded) is a tree.
    return CanonicalChanges(_canonical_tree(changes))


_ENTRY_COLUMNS = ("id", "at", "actor_id", "actor_username", "action", "object_type", "object_id",
                  "summary", "changes", "prev_hash", "hash")


class AuditItem(TypedDict, total=False):
    """One entry for audit_record_many: audit_record's arguments, `obj` spelt out."""

    action: Required[AuditAction]
    object_type: str
    object_id: str | int
    summary: str
    changes: dict[str, Any] | CanonicalChanges


def audit_record_many(*, actor: User, entries: list[AuditItem]) -> int:
    """Append many entries at once (an import): one lock, one bulk insert, the same chain."""
    if not entries:
        return 0
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record_many must run inside the service's transaction")
    head = AuditHead.objects.select_for_update().get(pk=1)
    actor_id = actor.pk if actor is not None else None
    actor_username = actor.username if actor is not None else ""
    last = [head.last_hash]  # the chain's newest hash, as the entries are made
    chain_key = keys.chain_mac()

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
            mac = chain_key.copy()
            mac.update(f"{head_json[:-1]},{changes_json}]".encode())
            digest = mac.hexdigest()
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
    _move_head(head, last_entry_id=last_id, last_hash=last[0], added=len(entries))
    return len(entries)


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    broken_entry_id: int | None = None
    reason: str = ""


ANCHOR_FORMAT = "canpei-audit-anchor"
ANCHOR_FIELDS = ("format", "version", "count", "last_entry_id", "last_hash", "at", "key_fingerprint")


@dataclass(frozen=True)
class Anchor:
    """The head as it was at a moment, signed with the audit key, kept outside the database."""

    count: int
    last_entry_id: int
    last_hash: str
    at: str
    key_fingerprint: str
    signature: str = ""

    def fields(self) -> dict[str, Any]:
        return {"format": ANCHOR_FORMAT, "version": 1, "count": self.count,
                "last_entry_id": self.last_entry_id, "last_hash": self.last_hash, "at": self.at,
                "key_fingerprint": self.key_fingerprint}

    def to_json(self) -> str:
        return json.dumps({**self.fields(), "signature": self.signature}, ensure_ascii=False,
                          indent=2, sort_keys=True) + "\n"


class AnchorError(Exception):
    """An anchor file that cannot be used; the message is for the audit officer."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def audit_anchor() -> Anchor:
    """The signed head, to keep outside the database (`canpei audit anchor`).

    Read under the head's lock, so it names an entry that is committed with it.
    """
    with transaction.atomic():
        head = AuditHead.objects.select_for_update().get(pk=1)
        unsigned = Anchor(count=head.count, last_entry_id=head.last_entry_id,
                          last_hash=head.last_hash, at=timezone.now().isoformat(),
                          key_fingerprint=keys.key_fingerprint())
    return Anchor(**{**unsigned.__dict__, "signature": keys.anchor_signature(unsigned.fields())})


def audit_anchor_download(*, actor: User | AnonymousUser) -> Anchor:
    """The anchor for the audit officer's page: the download is itself an entry, which the
    anchor then covers."""
    from canpei.accounts.models import User
    from canpei.accounts.roles import Perm, has_perm
    from canpei.errors import NotFound

    if not isinstance(actor, User) or not has_perm(actor, Perm.AUDIT_READ):
        raise NotFound()
    with transaction.atomic():
        audit_record(actor=actor, action=AuditAction.AUDIT_ANCHOR, summary="下载审计锚点")  # zh-data
        return audit_anchor()


ANCHOR_UNREADABLE = gettext_noop("锚点文件无法识别：不是残培审计锚点")
ANCHOR_BAD_SIGNATURE = gettext_noop("锚点签名无效：锚点文件被改动，或当前审计密钥不是生成锚点时的密钥")


def anchor_parse(text: str) -> Anchor:
    """An anchor from its file's text, its signature checked with the audit key."""
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != ANCHOR_FORMAT or data.get("version") != 1:
            raise AnchorError(_(ANCHOR_UNREADABLE))
        anchor = Anchor(count=data["count"], last_entry_id=data["last_entry_id"],
                        last_hash=data["last_hash"], at=data["at"],
                        key_fingerprint=data["key_fingerprint"], signature=data["signature"])
    except (ValueError, KeyError, TypeError) as exc:
        raise AnchorError(_(ANCHOR_UNREADABLE)) from exc
    if not (type(anchor.count) is int and type(anchor.last_entry_id) is int
            and all(isinstance(v, str) for v in (anchor.last_hash, anchor.at,
                                                 anchor.key_fingerprint, anchor.signature))):
        raise AnchorError(_(ANCHOR_UNREADABLE))
    if not keys.same(keys.anchor_signature(anchor.fields()), anchor.signature):
        raise AnchorError(_(ANCHOR_BAD_SIGNATURE))
    return anchor


HEAD_SIGNATURE_BAD = ("the head's signature does not match: the head was changed outside Canpei, "
                      "or this is not the audit key the log was written with")
FEWER_THAN_ANCHOR = "the log has fewer entries than the anchor: entries were removed"
DIFFERS_FROM_ANCHOR = "the entry at the anchor differs from the anchored one: the log was rewritten"


class ChainCheck:
    """Recomputes the chain entry by entry, from any source of rows (the live database, or a
    backup's copy before it is restored).

    `legacy_count`: how many of the first entries carry plain SHA-256 hashes (None: all of them,
    a log from before the chain was keyed, whose head carries no signature).
    """

    def __init__(self, *, legacy_count: int | None, anchor: Anchor | None = None):
        self.legacy_count = legacy_count
        self.anchor = anchor
        self.prev = GENESIS_HASH
        self.checked = 0
        self.last_id = 0
        self.failure: VerifyResult | None = None

    def _fail(self, entry_id: int | None, reason: str) -> bool:
        self.failure = VerifyResult(False, self.checked, entry_id, reason)
        return False

    def feed(self, *, id: int, at_iso: str, actor_id: int | None, actor_username: str,
             action: str, object_type: str, object_id: str, summary: str,
             changes: dict[str, Any], prev_hash: str, hash: str) -> bool:
        """Check the next entry; False (and `failure` set) at the first that does not fit."""
        if self.failure is not None:
            return False
        if prev_hash != self.prev:
            return self._fail(id, "previous hash does not match: an entry before it was removed or changed")
        keyed = self.legacy_count is not None and self.checked >= self.legacy_count
        expected = entry_hash(prev_hash=prev_hash, at_iso=at_iso, actor_id=actor_id,
                              actor_username=actor_username, action=action,
                              object_type=object_type, object_id=object_id, summary=summary,
                              changes=changes, keyed=keyed)
        if not keys.same(expected, hash):
            return self._fail(id, "content does not match its hash")
        self.prev = hash
        self.checked += 1
        self.last_id = id
        anchor = self.anchor
        if anchor is not None and self.checked == anchor.count and (
                id != anchor.last_entry_id or not keys.same(hash, anchor.last_hash)):
            return self._fail(id, DIFFERS_FROM_ANCHOR)
        return True

    def finish(self, head: dict[str, Any] | None) -> VerifyResult:
        """The result, once every entry was fed (or one failed): the head must be signed with
        the audit key and name the chain's last entry; an anchor must not be ahead of it."""
        if self.failure is not None:
            return self.failure
        if head is not None and self.legacy_count is not None:
            expected = keys.head_signature(count=head["count"], last_entry_id=head["last_entry_id"],
                                           last_hash=head["last_hash"],
                                           legacy_count=head["legacy_count"])
            if not keys.same(expected, head.get("signature") or ""):
                return VerifyResult(False, self.checked, head["last_entry_id"] or None,
                                    HEAD_SIGNATURE_BAD)
        if head is not None and (head["last_hash"] != self.prev or head["count"] != self.checked
                                 or (self.checked and head["last_entry_id"] != self.last_id)):
            return VerifyResult(False, self.checked, head["last_entry_id"] or None,
                                "the newest entries were removed (head does not match the chain)")
        if self.anchor is not None and self.checked < self.anchor.count:
            return VerifyResult(False, self.checked, self.anchor.last_entry_id or None,
                                FEWER_THAN_ANCHOR)
        return VerifyResult(True, self.checked)


def audit_verify(*, chunk: int = 5000, anchor: Anchor | None = None) -> VerifyResult:
    """Recompute the chain from the first entry; report the first entry that does not fit.

    With an anchor (checked by anchor_parse), also fail when the log is shorter than it or
    holds another entry at its position.
    """
    found = AuditHead.objects.filter(pk=1).values(
        "count", "last_entry_id", "last_hash", "legacy_count", "signature").first()
    row: dict[str, Any] | None = dict(found) if found is not None else None
    check = ChainCheck(legacy_count=row["legacy_count"] if row else 0, anchor=anchor)
    last_id = 0
    while True:
        batch = list(AuditEntry.objects.filter(pk__gt=last_id).order_by("pk")[:chunk])
        if not batch:
            break
        for entry in batch:
            if not check.feed(id=entry.pk, at_iso=entry.at.isoformat(), actor_id=entry.actor_id,
                              actor_username=entry.actor_username, action=entry.action,
                              object_type=entry.object_type, object_id=entry.object_id,
                              summary=entry.summary, changes=entry.changes,
                              prev_hash=entry.prev_hash, hash=entry.hash):
                return check.finish(row)
            last_id = entry.pk
    return check.finish(row)


KEYED_MIGRATION = "audit.0004_keyed_chain_and_head_triggers"
HEAD_UNSIGNED = "the head carries no signature, though the log was written with the keyed chain"


def audit_verify_rows(head: dict[str, Any] | None, rows: Iterable[dict[str, Any]], *,
                      keyed_required: bool) -> VerifyResult:
    """Verify a log read from elsewhere than the live database (a backup before it is
    restored): `head` as a dict of the head row's columns, `rows` the entries in id order, as
    ChainCheck.feed takes them.

    A head without `legacy_count` is that of a log from before the chain was keyed: all its
    entries are checked as plain SHA-256, which is accepted only when `keyed_required` is false
    (the backup's signed manifest does not list the migration that keyed the chain).
    """
    keyed = head is not None and "legacy_count" in head
    if keyed_required and not keyed:
        return VerifyResult(False, 0, None, HEAD_UNSIGNED)
    check = ChainCheck(legacy_count=int(head["legacy_count"]) if head is not None and keyed else None)
    for row in rows:
        if not check.feed(**row):
            break
    return check.finish(head)
