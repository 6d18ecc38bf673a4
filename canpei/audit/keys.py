"""The audit key: HMAC keys derived from CANPEI_AUDIT_KEY, which the database does not hold.

Someone who can write to the database can rewrite entries and recompute a plain hash chain;
without the audit key they cannot recompute a keyed one, sign a head, forge an anchor or a
backup manifest. Each use gets its own key (HKDF under its own label), so one never stands in
for another.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


@lru_cache(maxsize=16)
def _derive(audit_key: str, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"canpei-audit-keys",
                info=label).derive(audit_key.encode())


def derived(label: bytes) -> bytes:
    return _derive(settings.AUDIT_KEY, label)


def chain_mac() -> hmac.HMAC:
    """A fresh HMAC-SHA-256 of the chain key: `.copy()` it, feed an entry's payload."""
    return hmac.new(derived(b"chain"), digestmod=hashlib.sha256)


def _mac(label: bytes, message: str) -> str:
    return hmac.new(derived(label), message.encode("utf-8"), hashlib.sha256).hexdigest()


def head_signature(*, count: int, last_entry_id: int, last_hash: str, legacy_count: int) -> str:
    """The head row's own signature: moving it (back) without the key is noticed."""
    return _mac(b"head", f"{count}|{last_entry_id}|{last_hash}|{legacy_count}")


def canonical(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def anchor_signature(fields: dict[str, Any]) -> str:
    return _mac(b"anchor", canonical(fields))


def manifest_signature(fields: dict[str, Any]) -> str:
    return _mac(b"backup-manifest", canonical(fields))


def key_fingerprint() -> str:
    """A short one-way tag of the audit key (for a backup's manifest and an anchor), so a
    mismatch can be named as such; reveals nothing of the derived keys."""
    return derived(b"key-check")[:8].hex()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
