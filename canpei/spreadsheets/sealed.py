"""What an import keeps (the upload until the worker reads it, the report until the retention
period ends), encrypted: they hold full ID numbers. canpei.spreadsheets.jobs stores them in the
database, so that every app node and every worker reads them; this module only seals and
opens them, as a sequence of segments, whatever stores the segments.

AES-256-GCM with a key derived from CANPEI_FIELD_KEY under its own HKDF label (so it is none
of the keys of canpei.people.crypto), in segments of SEGMENT bytes so that neither writing nor
reading needs the whole file in memory. Segment 0 is the header (MAGIC and the random prefix of
the nonces); each further segment's nonce is that prefix and the segment's number, and the last
segment is marked in its associated data, so segments cannot be reordered, dropped or cut off
unnoticed; the associated data also names the file's purpose (e.g. "<token>.report"), so one
job's file does not pass for another's.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

MAGIC = b"CPSEAL1\n"
SEGMENT = 1 << 20
_TAG = 16
_PREFIX = 7  # random bytes of the nonce; 4 bytes of segment number and 1 of "last" follow


class SealedFileError(Exception):
    """The file is not one of ours, was changed, or was sealed with another field key."""


@lru_cache(maxsize=4)
def _cipher(field_key: str) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"canpei-field-keys",
               info=b"import-files").derive(field_key.encode())
    return AESGCM(key)


def _nonce(prefix: bytes, number: int, last: bool) -> bytes:
    return prefix + struct.pack(">I?", number, last)


class SealedWriter:
    """A write-only binary stream whose segments go, sealed, to `sink(number, data)`: segment 0
    is the header, then one per SEGMENT bytes written, the last one (shorter, possibly empty)
    on close(). A writer that is discarded or never closed leaves no last segment, so what it
    stored never opens."""

    def __init__(self, sink: Callable[[int, bytes], None], purpose: str) -> None:
        self._sink = sink
        self._aad = purpose.encode()
        self._prefix = os.urandom(_PREFIX)
        self._number = 0
        self._buffer = bytearray()
        self._cipher = _cipher(settings.FIELD_KEY)
        self._sink(0, MAGIC + self._prefix)
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self._buffer += data
        while len(self._buffer) >= SEGMENT:
            self._seal(bytes(self._buffer[:SEGMENT]), last=False)
            del self._buffer[:SEGMENT]
        return len(data)

    def _seal(self, plain: bytes, *, last: bool) -> None:
        nonce = _nonce(self._prefix, self._number, last)
        self._number += 1
        self._sink(self._number, self._cipher.encrypt(nonce, plain, self._aad))

    def flush(self) -> None:
        return None

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        # The last segment is always shorter than SEGMENT (possibly empty): a reader knows it.
        self._seal(bytes(self._buffer), last=True)
        self._buffer.clear()

    def discard(self) -> None:
        self.closed = True
        self._buffer.clear()

    def __enter__(self) -> SealedWriter:
        return self

    def __exit__(self, kind: object, *_rest: object) -> None:
        if kind is None:
            self.close()
        else:
            self.discard()


def write_sealed(sink: Callable[[int, bytes], None], purpose: str, data: bytes) -> None:
    with SealedWriter(sink, purpose) as out:
        view = memoryview(data)
        for start in range(0, len(view), SEGMENT):
            out.write(view[start:start + SEGMENT])


def iter_sealed(segments: Iterable[bytes], purpose: str) -> Iterator[bytes]:
    """The plaintext of a sealed file from its segments in order (the header first), segment
    by segment; SealedFileError when it does not authenticate (changed, cut off, another key,
    another purpose)."""
    cipher = _cipher(settings.FIELD_KEY)
    aad = purpose.encode()
    stored = iter(segments)
    head = next(stored, b"")
    if len(head) != len(MAGIC) + _PREFIX or not head.startswith(MAGIC):
        raise SealedFileError("not a sealed file")
    prefix = head[len(MAGIC):]
    for number, chunk in enumerate(stored):
        last = len(chunk) < SEGMENT + _TAG
        try:
            plain = cipher.decrypt(_nonce(prefix, number, last), chunk, aad)
        except InvalidTag:
            raise SealedFileError("sealed file does not authenticate") from None
        if plain:
            yield plain
        if last:
            return
    raise SealedFileError("sealed file is cut off")


def read_sealed(segments: Iterable[bytes], purpose: str) -> bytes:
    return b"".join(iter_sealed(segments, purpose))
