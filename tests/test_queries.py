"""canpei.queries: reads with PostgreSQL's parallel workers off."""

from __future__ import annotations

import pytest
from django.db import connection

from canpei.people.models import Person
from canpei.queries import serial_reads


def parallel_workers() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        return str(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_the_block_reads_the_default_database_with_parallel_workers_off_on_postgresql():
    if connection.vendor != "postgresql":
        with serial_reads(Person) as alias:
            assert alias == "default"
            assert not connection.in_atomic_block
        return
    before = parallel_workers()
    assert before != "0"
    with serial_reads(Person) as alias:
        assert alias == "default"
        assert connection.in_atomic_block
        assert parallel_workers() == "0"
    # SET LOCAL: gone with the block's transaction.
    assert not connection.in_atomic_block
    assert parallel_workers() == before
