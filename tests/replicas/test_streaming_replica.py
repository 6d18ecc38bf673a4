"""Against a real PostgreSQL streaming replica (a hot standby of the test cluster, named by
CANPEI_REPLICA_URLS; .ci/run starts one with pg_basebackup): pages read there, writes and a
writer's next reads go to the primary, and a replica that is down leaves the application
working on the primary.

Skipped when no replica is configured, unless CANPEI_REQUIRE_REPLICA=1 (as in CI) makes that an
error. Committed data (transactional tests): a replica sees only what the primary committed, once
it has replayed it.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from canpei import replicas
from canpei.people.models import Person
from tests.conftest import person_data

REPLICA = "replica_1"

if not settings.REPLICA_ALIASES:
    if os.environ.get("CANPEI_REQUIRE_REPLICA") == "1":
        raise RuntimeError("CANPEI_REQUIRE_REPLICA=1 but CANPEI_REPLICA_URLS names no replica")
    pytest.skip("no replica configured (CANPEI_REPLICA_URLS)", allow_module_level=True)

pytestmark = pytest.mark.django_db(
    transaction=True, serialized_rollback=True, databases=["default", REPLICA]
)


def caught_up() -> None:
    """Wait until the replica has replayed everything the primary has written so far."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        (target,) = cursor.fetchone()
    deadline = time.monotonic() + 20
    with connections[REPLICA].cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cursor.fetchone()[0]:
                return
            if time.monotonic() > deadline:
                raise AssertionError("the replica did not catch up within 20 s")
            time.sleep(0.05)


def tables_read(captured: CaptureQueriesContext, table: str) -> int:
    return sum(
        1
        for query in captured.captured_queries
        if query["sql"].startswith("SELECT") and f'"{table}"' in query["sql"]
    )


@pytest.fixture(autouse=True)
def _replica_up(monkeypatch: Any) -> None:
    monkeypatch.setattr(replicas, "_down_until", {})


def test_the_replica_is_a_hot_standby_of_the_test_database() -> None:
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), current_database()")
        in_recovery, name = cursor.fetchone()
    assert in_recovery is True
    assert name == connections["default"].settings_dict["NAME"]


def test_a_page_reads_from_the_replica(users: Any) -> None:
    from canpei.people.services import person_create

    person = person_create(actor=users.city_admin, data=person_data())
    client = Client()
    client.force_login(users.city_admin)
    caught_up()
    with (
        CaptureQueriesContext(connections[REPLICA]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        response = client.get(f"/persons/{person.pk}")
    assert response.status_code == 200
    assert "张三" in response.content.decode()
    assert tables_read(on_replica, Person._meta.db_table) >= 1
    assert tables_read(on_primary, Person._meta.db_table) == 0


def test_a_write_and_the_writers_next_reads_go_to_the_primary(users: Any) -> None:
    from canpei.people.services import person_create

    person = person_create(actor=users.city_admin, data=person_data())
    client = Client()
    client.force_login(users.city_admin)
    caught_up()
    with (
        CaptureQueriesContext(connections[REPLICA]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        response = client.post(
            f"/persons/{person.pk}/status", {"status": "moved_out", "comment": "迁往泉州市区"}
        )
        assert response.status_code in (200, 302)
        # Read straight after the write: the primary answers, whatever the replica's lag.
        detail = client.get(f"/persons/{person.pk}")
    assert on_replica.captured_queries == []
    assert tables_read(on_primary, Person._meta.db_table) >= 2
    assert Person.objects.get(pk=person.pk).status == "moved_out"
    assert detail.status_code == 200
    assert replicas.PIN_COOKIE in client.cookies


def test_with_the_replica_down_pages_read_the_primary_and_a_warning_is_logged(
    users: Any, caplog: Any
) -> None:
    client = Client()
    client.force_login(users.city_admin)
    replica = connections[REPLICA]
    replica.close()
    saved = replica.settings_dict["PORT"]
    replica.settings_dict["PORT"] = 1  # nothing listens there
    try:
        with (
            caplog.at_level(logging.WARNING, "canpei.replicas"),
            CaptureQueriesContext(connections["default"]) as on_primary,
        ):
            response = client.get("/persons")
    finally:
        replica.close()
        replica.settings_dict["PORT"] = saved
    assert response.status_code == 200
    assert tables_read(on_primary, Person._meta.db_table) >= 1
    assert [r.getMessage() for r in caplog.records if r.name == "canpei.replicas"] == [
        "replica replica_1 unreachable (OperationalError); reading from the primary for 30 s"
    ]
