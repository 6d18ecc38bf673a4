"""Reading helpers that depend on the database engine."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import connections, router, transaction
from django.db.models import Model


@contextlib.contextmanager
def serial_reads(model: type[Model]) -> Iterator[str]:
    """The alias to read `model` from, with PostgreSQL's parallel workers off for the block.

    For a LIMIT over an index walk filtered by EXISTS, PostgreSQL plans parallel workers when it
    expects the walk to be long; at 1,000,000 persons on two cores, launching them made a class
    page's candidate list take 110 ms where the serial walk takes 10 (docs/scale.md#speed), and
    under load they take the cores the other requests need. SET LOCAL lasts to the end of a
    transaction, so the block is one, on the alias read (on a replica, a read-only one)."""
    alias = router.db_for_read(model)
    connection = connections[alias]
    if connection.vendor != "postgresql":
        yield alias
        return
    with transaction.atomic(using=alias):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        yield alias
