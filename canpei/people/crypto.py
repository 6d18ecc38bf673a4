"""Encryption at rest for ID and certificate numbers, and the keyed hash used to find them.

Both keys are derived from CANPEI_FIELD_KEY with HKDF under different labels, so the hash
key cannot decrypt and the encryption key cannot be guessed from the hashes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
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


def encrypt(plain: str) -> str:
    if not plain:
        return ""
    nonce = os.urandom(12)
    sealed = _current()[0].encrypt(nonce, plain.encode(), VERSION.encode())
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
    return hmac.new(_current()[1], plain.encode(), hashlib.sha256).hexdigest()
