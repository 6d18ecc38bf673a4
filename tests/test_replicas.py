"""The read-replica router and the read-your-writes middleware (canpei/replicas.py), without a
replica: the decisions, each side of each. tests/replicas/ runs the same against a real
streaming replica when CANPEI_REPLICA_URLS names one (as .ci/run does)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory, override_settings

from canpei import replicas
from canpei.replicas import PIN_COOKIE, ReadYourWritesMiddleware, ReplicaRouter, replica_reads

pytestmark = pytest.mark.django_db


class FakeReplica:
    """A connection that answers or not, counting the attempts."""

    def __init__(self, up: bool) -> None:
        self.up = up
        self.attempts = 0

    def ensure_connection(self) -> None:
        self.attempts += 1
        if not self.up:
            raise OperationalError("connection to server at 127.0.0.1 port 5433 failed")


@pytest.fixture
def replica(monkeypatch: Any) -> Any:
    fake = FakeReplica(up=True)
    real = connections

    class Connections:
        def __getitem__(self, alias: str) -> Any:
            return fake if alias == "replica_1" else real[alias]

    monkeypatch.setattr(replicas, "connections", Connections())
    monkeypatch.setattr(replicas, "_down_until", {})
    with override_settings(REPLICA_ALIASES=["replica_1"], REPLICA_RETRY_SECONDS=30):
        yield fake


def _in_atomic(value: bool) -> Any:
    """The primary's connection as if a transaction were (not) open."""
    connection = connections[DEFAULT_DB_ALIAS]

    class Scope:
        def __enter__(self) -> None:
            self.saved = connection.in_atomic_block
            connection.in_atomic_block = value

        def __exit__(self, *exc: Any) -> None:
            connection.in_atomic_block = self.saved

    return Scope()


def test_reads_go_to_the_primary_unless_replica_reads_are_allowed(replica: Any) -> None:
    router = ReplicaRouter()
    with _in_atomic(False):
        assert router.db_for_read(object) == DEFAULT_DB_ALIAS
        with replica_reads():
            assert router.db_for_read(object) == "replica_1"
        with replica_reads(False):
            assert router.db_for_read(object) == DEFAULT_DB_ALIAS
        assert router.db_for_read(object) == DEFAULT_DB_ALIAS


def test_reads_inside_a_transaction_go_to_the_primary(replica: Any) -> None:
    router = ReplicaRouter()
    # pytest-django's test transaction is itself an atomic block: the one that counts here.
    with replica_reads(), transaction.atomic():
        assert router.db_for_read(object) == DEFAULT_DB_ALIAS
    with _in_atomic(True), replica_reads():
        assert router.db_for_read(object) == DEFAULT_DB_ALIAS


def test_writes_and_migrations_go_to_the_primary_only(replica: Any) -> None:
    router = ReplicaRouter()
    with replica_reads():
        assert router.db_for_write(object) == DEFAULT_DB_ALIAS
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "people") is True
    assert router.allow_migrate("replica_1", "people") is False
    assert router.allow_relation(object(), object()) is True


def test_an_unreachable_replica_is_skipped_logged_and_retried_later(
    replica: Any, monkeypatch: Any, caplog: Any
) -> None:
    router = ReplicaRouter()
    replica.up = False
    clock = [1000.0]
    monkeypatch.setattr(replicas.time, "monotonic", lambda: clock[0])
    with _in_atomic(False), replica_reads(), caplog.at_level(logging.WARNING, "canpei.replicas"):
        assert router.db_for_read(object) == DEFAULT_DB_ALIAS
        assert replica.attempts == 1
        assert [r.getMessage() for r in caplog.records] == [
            "replica replica_1 unreachable (OperationalError); reading from the primary for 30 s"
        ]
        # Not tried again for 30 s: no connection attempt on every read.
        clock[0] += 29.9
        assert router.db_for_read(object) == DEFAULT_DB_ALIAS
        assert replica.attempts == 1
        # Back up, and tried again after 30 s.
        replica.up = True
        clock[0] += 0.2
        assert router.db_for_read(object) == "replica_1"
        assert replica.attempts == 2
    # The log names neither the URL nor the server's message.
    assert "5433" not in caplog.text


def _middleware_seen(request: HttpRequest) -> tuple[bool, HttpResponse]:
    seen: list[bool] = []

    def view(_request: HttpRequest) -> HttpResponse:
        seen.append(replicas._replica_reads.get())
        return HttpResponse("ok")

    response = ReadYourWritesMiddleware(view)(request)
    return seen[0], response


@override_settings(REPLICA_PIN_SECONDS=5)
def test_a_safe_request_of_a_client_that_has_not_written_may_read_a_replica(
    monkeypatch: Any,
) -> None:
    monkeypatch.setattr(replicas.time, "time", lambda: 2_000_000.0)
    factory = RequestFactory()
    allowed, response = _middleware_seen(factory.get("/persons"))
    assert allowed is True and PIN_COOKIE not in response.cookies
    assert _middleware_seen(factory.head("/persons"))[0] is True
    # The pin has run out (its last second included).
    factory.cookies[PIN_COOKIE] = "2000000"
    assert _middleware_seen(factory.get("/persons"))[0] is True
    # A cookie that is not a number pins nothing.
    factory.cookies[PIN_COOKIE] = "soon"
    assert _middleware_seen(factory.get("/persons"))[0] is True
    # Outside a request nothing reads a replica.
    assert replicas._replica_reads.get() is False


@override_settings(REPLICA_PIN_SECONDS=5)
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_request_that_may_write_reads_the_primary_and_pins_its_client(
    monkeypatch: Any, method: str
) -> None:
    monkeypatch.setattr(replicas.time, "time", lambda: 2_000_000.0)
    allowed, response = _middleware_seen(getattr(RequestFactory(), method)("/persons/1"))
    assert allowed is False
    cookie = response.cookies[PIN_COOKIE]
    assert cookie.value == "2000005"
    assert cookie["max-age"] == 5
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


@override_settings(REPLICA_PIN_SECONDS=5)
def test_a_client_that_wrote_seconds_ago_reads_the_primary(monkeypatch: Any) -> None:
    monkeypatch.setattr(replicas.time, "time", lambda: 2_000_000.0)
    factory = RequestFactory()
    factory.cookies[PIN_COOKIE] = "2000001"
    allowed, response = _middleware_seen(factory.get("/persons"))
    assert allowed is False
    # A read does not extend the pin.
    assert PIN_COOKIE not in response.cookies


def test_without_replica_urls_nothing_is_routed(settings: Any) -> None:
    """The default configuration (no CANPEI_REPLICA_URLS): no router, no middleware, one database
    (tests/replicas/ runs with them configured)."""
    if settings.REPLICA_ALIASES:
        pytest.skip("this run has replicas configured")
    assert settings.DATABASE_ROUTERS == []
    assert "canpei.replicas.ReadYourWritesMiddleware" not in settings.MIDDLEWARE
    assert list(settings.DATABASES) == [DEFAULT_DB_ALIAS]
