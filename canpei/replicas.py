"""Read replicas: reads that may be a moment old go to a hot standby, everything else to the
primary.

CANPEI_REPLICA_URLS (comma-separated PostgreSQL URLs of streaming replicas of DATABASE_URL)
adds the aliases `replica_1`, `replica_2`, … and installs `ReplicaRouter` and
`ReadYourWritesMiddleware` (canpei/settings.py). Without it nothing here is in use.

What reads a replica: only code that asked to (`replica_reads()`): the middleware asks for it
for a safe request (GET, HEAD) of a session that has not written in the last
REPLICA_PIN_SECONDS — list and detail pages, reports, exports and the API's reads — and
`canpei export` asks for it. Everything else reads the primary: writes, every query inside a
transaction (a service's locked re-reads), the request that writes and, for a few seconds
after, the same browser's or client's requests (read-your-writes: a cookie), the worker and
every other command.

A replica that cannot be reached is left alone for REPLICA_RETRY_SECONDS, its reads going to
the primary, and a warning is logged; the application keeps working on the primary alone.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("canpei.replicas")

# Whether the current request (or command) may read from a replica. Off unless asked for.
_replica_reads: ContextVar[bool] = ContextVar("canpei_replica_reads", default=False)
# Replica alias -> monotonic time before which it is not tried again.
_down_until: dict[str, float] = {}

# The cookie that keeps a browser (or an API client that keeps cookies) on the primary for a
# few seconds after it wrote: its value is the Unix time until which it is pinned.
PIN_COOKIE = "canpei_primary_until"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def replica_aliases() -> list[str]:
    return list(getattr(settings, "REPLICA_ALIASES", []))


@contextlib.contextmanager
def replica_reads(allowed: bool = True) -> Iterator[None]:
    """Within the block, reads outside a transaction may go to a replica (`allowed`)."""
    token = _replica_reads.set(allowed)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def _reachable(alias: str) -> bool:
    """Whether `alias` answers now; an unreachable one is skipped for REPLICA_RETRY_SECONDS."""
    now = time.monotonic()
    if _down_until.get(alias, 0.0) > now:
        return False
    try:
        connections[alias].ensure_connection()
    except DatabaseError as exc:
        _down_until[alias] = now + settings.REPLICA_RETRY_SECONDS
        # The error's class only: a connection error can quote the URL, password included.
        logger.warning("replica %s unreachable (%s); reading from the primary for %s s",
                       alias, type(exc).__name__, settings.REPLICA_RETRY_SECONDS)
        return False
    _down_until.pop(alias, None)
    return True


class ReplicaRouter:
    """Reads to a reachable replica when replica reads are allowed and no transaction is open on
    the primary; writes, migrations and everything else to the primary."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str:
        if not _replica_reads.get() or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        candidates = replica_aliases()
        random.shuffle(candidates)
        for alias in candidates:
            if _reachable(alias):
                return alias
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        # Every alias holds the same data (the replicas are copies of the primary).
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS


def pinned_until(request: HttpRequest) -> float:
    try:
        return float(request.COOKIES.get(PIN_COOKIE, "0"))
    except ValueError:
        return 0.0


class ReadYourWritesMiddleware:
    """A safe request of a client that has not written for REPLICA_PIN_SECONDS reads from the
    replicas; a request that may write, and the same client's requests for REPLICA_PIN_SECONDS
    after it, read from the primary."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        now = time.time()
        safe = request.method in SAFE_METHODS
        with replica_reads(safe and pinned_until(request) <= now):
            response = self.get_response(request)
        if not safe:
            seconds = settings.REPLICA_PIN_SECONDS
            response.set_cookie(PIN_COOKIE, str(int(now) + seconds), max_age=seconds,
                                httponly=True, samesite="Lax",
                                secure=settings.SESSION_COOKIE_SECURE)
        return response
