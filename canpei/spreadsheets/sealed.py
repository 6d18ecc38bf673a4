"""Files an import keeps on disk (the upload until the worker reads it, the report until the
retention period ends), encrypted: they hold full ID numbers.

AES-256-GCM with a key derived from CANPEI_FIELD_KEY under its own HKDF label (so it is none
of the keys of canpei.people.crypto), in segments of SEGMENT bytes so that neither writing nor
reading needs the whole file in memory. Each segment's nonce is the file's random prefix and
the segment's number, and the last segment is marked in its associated data, so segments
cannot be reordered, dropped or cut off unnoticed; the associated data also names the file's
purpose (e.g. "<token>.report"), so one job's file does not pass for another's.

Files are created with mode 0600 in a directory of mode 0700.
"""

from __future__ import annotations

import os
import struct
from functools import lru_cache
from pathlib import Path
from typing import IO
from collections.abc import Iterator

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


def private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


class SealedWriter:
    """A write-only binary file that lands encrypted at `path` (mode 0600) on close().

    It is written under a temporary name and renamed when complete: a crash leaves at most a
    `.part` file, itself encrypted, which the retention sweep removes.
    """

    def __init__(self, path: Path, purpose: str) -> None:
        self._path = path
        self._part = path.with_name(path.name + ".part")
        fd = os.open(self._part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        self._file: IO[bytes] = os.fdopen(fd, "wb")
        self._aad = purpose.encode()
        self._prefix = os.urandom(_PREFIX)
        self._number = 0
        self._buffer = bytearray()
        self._cipher = _cipher(settings.FIELD_KEY)
        self._file.write(MAGIC + self._prefix)
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self._buffer += data
        while len(self._buffer) >= SEGMENT:
            self._seal(bytes(self._buffer[:SEGMENT]), last=False)
            del self._buffer[:SEGMENT]
        return len(data)

    def _seal(self, plain: bytes, *, last: bool) -> None:
        nonce = _nonce(self._prefix, self._number, last)
        self._file.write(self._cipher.encrypt(nonce, plain, self._aad))
        self._number += 1

    def flush(self) -> None:
        return None

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        # The last segment is always shorter than SEGMENT (possibly empty): a reader knows it.
        self._seal(bytes(self._buffer), last=True)
        self._buffer.clear()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self._part, self._path)

    def discard(self) -> None:
        if not self.closed:
            self.closed = True
            self._file.close()
        self._part.unlink(missing_ok=True)

    def __enter__(self) -> SealedWriter:
        return self

    def __exit__(self, kind: object, *_rest: object) -> None:
        if kind is None:
            self.close()
        else:
            self.discard()


def write_sealed(path: Path, purpose: str, data: bytes) -> None:
    with SealedWriter(path, purpose) as out:
        view = memoryview(data)
        for start in range(0, len(view), SEGMENT):
            out.write(view[start:start + SEGMENT])


def iter_sealed(path: Path, purpose: str) -> Iterator[bytes]:
    """The plaintext of a sealed file, segment by segment; SealedFileError when it does not
    authenticate (changed, cut off, another key, another purpose)."""
    cipher = _cipher(settings.FIELD_KEY)
    aad = purpose.encode()
    with open(path, "rb") as handle:
        head = handle.read(len(MAGIC) + _PREFIX)
        if len(head) != len(MAGIC) + _PREFIX or not head.startswith(MAGIC):
            raise SealedFileError("not a sealed file")
        prefix = head[len(MAGIC):]
        number = 0
        while True:
            chunk = handle.read(SEGMENT + _TAG)
            last = len(chunk) < SEGMENT + _TAG
            try:
                plain = cipher.decrypt(_nonce(prefix, number, last), chunk, aad)
            except InvalidTag:
                raise SealedFileError("sealed file does not authenticate") from None
            if plain:
                yield plain
            if last:
                return
            number += 1


def read_sealed(path: Path, purpose: str) -> bytes:
    return b"".join(iter_sealed(path, purpose))
