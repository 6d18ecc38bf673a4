"""The race harness: one piece of work started by many threads at the same instant.

QUALITY.md asks that twenty concurrent identical steps (approvals, settlements, creations) take
effect exactly once. Each thread opens its own database connection, so only PostgreSQL runs
them truly at once: SQLite serialises every writer, and the row locks under test are never
contended there (the tests that use this skip on SQLite).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections

from canpei.errors import Conflict

THREADS = 20


def all_at_once(work: Callable[[], Any], threads: int = THREADS) -> list[Any]:
    """Run `work` in `threads` threads released together by a barrier.

    Each outcome is what `work` returned, "conflict" where it raised Conflict, or the repr of
    any other exception, so that the caller's assertion on the outcomes shows it. Outcomes are
    in completion order; callers compare them sorted.
    """
    barrier = threading.Barrier(threads)
    outcomes: list[Any] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            barrier.wait()
            try:
                result: Any = work()
            except Conflict:
                result = "conflict"
            except Exception as exc:  # pragma: no cover - reported by the caller's assertion
                result = repr(exc)
            with lock:
                outcomes.append(result)
        finally:
            # A thread's connection outlives the thread otherwise, and the flush that ends a
            # transactional test would wait on it (PostgreSQL) or see it locked (SQLite).
            connections.close_all()

    started = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join()
    return outcomes
