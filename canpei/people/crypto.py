"""Encryption at rest for ID and certificate numbers, and the keyed hash used to find them.

Both keys are derived from CANPEI_FIELD_KEY with HKDF under different labels, so the hash
key cannot decrypt and the encryption key cannot be guessed from the hashes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

VERSION = "v1"


def _derive(label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"canpei-field-keys",
                info=label).derive(settings.FIELD_KEY.encode())


@lru_cache(maxsize=4)
def _keys(field_key: str) -> tuple[AESGCM, bytes]:
    return AESGCM(_derive(b"encrypt")), _derive(b"lookup-hash")


def _current() -> tuple[AESGCM, bytes]:
    return _keys(settings.FIELD_KEY)


# Random 12-byte nonces, drawn from the OS in large chunks: one os.urandom call per row is a
# measurable share of an import of 100,000 rows. The buffer is per process: a forked child
# drops what it inherited (os.register_at_fork), so no two processes can use the same nonce,
# and each nonce is handed out once under the lock.
_NONCE_SIZE = 12
_NONCE_CHUNK = _NONCE_SIZE * 4096
_nonce_lock = threading.Lock()
_nonce_pool = b""
_nonce_at = 0


def _reset_nonces() -> None:
    global _nonce_pool, _nonce_at, _nonce_lock
    _nonce_lock = threading.Lock()
    _nonce_pool, _nonce_at = b"", 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_nonces)


def _nonce() -> bytes:
    global _nonce_pool, _nonce_at
    with _nonce_lock:
        at = _nonce_at
        if at + _NONCE_SIZE > len(_nonce_pool):
            _nonce_pool, at = os.urandom(_NONCE_CHUNK), 0
        _nonce_at = at + _NONCE_SIZE
        return _nonce_pool[at:at + _NONCE_SIZE]


_AAD = VERSION.encode()


def encrypt(plain: str) -> str:
    if not plain:
        return ""
    nonce = _nonce()
    sealed = _keys(settings.FIELD_KEY)[0].encrypt(nonce, plain.encode(), _AAD)
    return VERSION + ":" + base64.b64encode(nonce + sealed).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    version, _, body = token.partition(":")
    if version != VERSION:
        raise ValueError("unknown field encryption version")
    raw = base64.b64decode(body)
    return _current()[0].decrypt(raw[:12], raw[12:], VERSION.encode()).decode()


def lookup_hash(plain: str) -> str:
    """Keyed hash for exact lookup; without the key it cannot be reversed by enumerating IDs."""
    keyed = _hash_base(settings.FIELD_KEY).copy()
    keyed.update(plain.encode())
    return keyed.hexdigest()


@lru_cache(maxsize=4)
def _hash_base(field_key: str) -> hmac.HMAC:
    """The keyed HMAC before any message: a copy of it spares setting the key up each time."""
    return hmac.new(_keys(field_key)[1], digestmod=hashlib.sha256)


def key_fingerprint() -> str:
    """A short one-way tag of the field key, stored with a backup: a restore can then tell the
    operator that the key in use is not the one the backup's numbers were encrypted with.
    Derived under its own HKDF label, so it reveals nothing about the other two keys."""
    return _derive(b"backup-key-check")[:8].hex()
