"""Shared fixtures: for every role, a user inside the scope under test and, for the scoped
roles, one outside it; two towns' persons; an institution; API clients."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from hypothesis import settings as hypothesis_settings

# Two pytest workers share two cores with PostgreSQL and Chromium: an example's wall time says
# nothing about the code, so hypothesis's per-example deadline (200 ms) would only make the
# property tests flaky. They still run every example and shrink failures as before.
hypothesis_settings.register_profile("canpei", deadline=None)
hypothesis_settings.load_profile("canpei")


# Fixtures of the training records (designated institution, trainees, classes in any state),
# used by the training, API, page and import tests alike.
pytest_plugins = ["tests.training.fixtures", "tests.employment.fixtures"]

PASSWORD = "Test-pass-2026"


def pytest_configure(config: Any) -> None:
    """Run on a clock that does not cross the federation's midnight (tests/clock.py)."""
    from tests import clock

    config._canpei_clock = clock.start()


def pytest_unconfigure(config: Any) -> None:
    from tests import clock

    clock.stop()


def pytest_report_header(config: Any) -> str | None:
    instant = getattr(config, "_canpei_clock", None)
    return None if instant is None else f"clock: the suite's clock starts at {instant.isoformat()}"


@pytest.fixture(autouse=True, scope="session")
def _test_settings() -> Any:
    """Argon2 still, at a cost fit for a test run; background jobs run inline."""
    from django.contrib.auth.hashers import Argon2PasswordHasher
    from django.test import override_settings

    Argon2PasswordHasher.memory_cost = 1024
    Argon2PasswordHasher.time_cost = 1
    Argon2PasswordHasher.parallelism = 1
    # The officers' TOTP step is tested on its own (tests/accounts/test_totp.py); elsewhere a
    # signed-in officer is taken as verified.
    with override_settings(
        TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
        ADMIN_TOTP_REQUIRED=False,
    ):
        yield


ANHAI = "350582101000"  # 安海镇: the town "inside" the scope under test
CIZAO = "350582102000"  # 磁灶镇: the town outside it


def make_id(first17: str) -> str:
    from canpei.people.rules import id_check_char

    return first17 + id_check_char(first17)


def credit_code(first17: str) -> str:
    from canpei.institutions.rules import credit_code_check_char

    return first17 + credit_code_check_char(first17)


@pytest.fixture
def institution(db: Any) -> Any:
    from canpei.institutions.models import Institution

    return Institution.objects.create(
        name="晋江市职业技术学校",
        credit_code=credit_code("91350582MA2XXXXX0"),
        type="vocational_college",
        town_id="350582001000",
        state="designated",
    )


@pytest.fixture
def other_institution(db: Any) -> Any:
    from canpei.institutions.models import Institution

    return Institution.objects.create(
        name="另一培训机构",
        credit_code=credit_code("91350582MA2YYYYY1"),
        type="private",
        town_id=CIZAO,
        state="designated",
    )


# Rows that post_migrate recreates by itself after a flush; everything else that the
# migrations wrote (regions, the audit head, ...) is put back by _database_as_migrated.
RECREATED_BY_POST_MIGRATE = {"contenttypes.contenttype", "auth.permission"}


@pytest.fixture(scope="session")
def _migrated_rows(django_db_setup: Any, django_db_blocker: Any) -> str:
    """The rows the migrations wrote, as serialized when the test database was created.

    Taken before Playwright starts: once its event loop runs on this thread, Django hands out
    other connection objects (asgiref's Local behaves as a contextvar under a running loop),
    which do not carry the serialized contents that serialized_rollback would restore.
    """
    from django.db import connections

    connection = connections["default"]
    rows = getattr(connection, "_test_serialized_contents", None)
    if rows is None:
        with django_db_blocker.unblock():
            rows = connection.creation.serialize_db_to_string()
    return rows


@pytest.fixture(autouse=True)
def _database_as_migrated(request: Any) -> Iterator[None]:
    """Each transactional test (live server, concurrency) starts from the database as the
    migrations left it.

    Transactional tests end with a flush of every table, including the data that migrations
    loaded (the Jinjiang regions). They are put back here (idempotently: a raw save updates
    a row that is already there).

    On SQLite the flush is a DELETE, which the append-only audit log's trigger forbids; on
    PostgreSQL a TRUNCATE, which its statement trigger forbids while the log holds entries.
    Torn down before the flush, this empties the log with the trigger briefly dropped
    (disabled) and puts the trigger back.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if not transactional:
        yield
        return
    migrated_rows = request.getfixturevalue("_migrated_rows")
    # Requested here, so the flush at its teardown comes after this fixture's own teardown.
    request.getfixturevalue("transactional_db")
    from django.core import serializers
    from django.db import connection, transaction

    with transaction.atomic(), connection.constraint_checks_disabled():
        for item in serializers.deserialize("json", migrated_rows):
            if item.object._meta.label_lower not in RECREATED_BY_POST_MIGRATE:
                item.save()
    yield
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER USER")
            try:
                cursor.execute("DELETE FROM audit_auditentry")
            finally:
                cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER USER")
        return
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' "
            "AND name = 'audit_auditentry_no_delete'"
        )
        row = cursor.fetchone()
        if row is None:
            return
        cursor.execute("DROP TRIGGER audit_auditentry_no_delete")
        try:
            cursor.execute("DELETE FROM audit_auditentry")
        finally:
            cursor.execute(row[0])


@dataclass
class Users:
    city_admin: Any
    town_staff: Any  # 安海镇
    other_town_staff: Any  # 磁灶镇
    institution_staff: Any
    employment_service: Any
    auditor: Any
    sys_admin: Any
    security_admin: Any
    audit_admin: Any

    def by_role(self) -> dict[str, Any]:
        return {
            "city_admin": self.city_admin,
            "town_staff": self.town_staff,
            "institution_staff": self.institution_staff,
            "employment_service": self.employment_service,
            "auditor": self.auditor,
            "sys_admin": self.sys_admin,
            "security_admin": self.security_admin,
            "audit_admin": self.audit_admin,
        }


@pytest.fixture
def users(db: Any, institution: Any) -> Users:
    from canpei.accounts.models import User

    def make(username: str, role: str, **scope: Any) -> Any:
        user = User(username=username, role=role, **scope)
        user.set_password(PASSWORD)
        user.save()
        return user

    return Users(
        city_admin=make("city", "city_admin"),
        town_staff=make("anhai", "town_staff", town_id=ANHAI),
        other_town_staff=make("cizao", "town_staff", town_id=CIZAO),
        institution_staff=make("school", "institution_staff", institution=institution),
        employment_service=make("employment", "employment_service"),
        auditor=make("auditor", "auditor"),
        sys_admin=make("sysadmin", "sys_admin"),
        security_admin=make("secadmin", "security_admin"),
        audit_admin=make("auditadmin", "audit_admin"),
    )


def person_data(**overrides: Any) -> dict[str, Any]:
    number = overrides.pop("id_number", None) or make_id("35058219900307001")
    data = {
        "name": "张三",
        "id_number": number,
        "category": "4",
        "grade": "2",
        "town": ANHAI,
        "cert_number": number + "42",
    }
    data.update(overrides)
    return data


@pytest.fixture
def person_in(users: Users) -> Any:
    """A person of 安海镇, inside town_staff's scope."""
    from canpei.people.services import person_create

    return person_create(actor=users.city_admin, data=person_data())


@pytest.fixture
def person_out(users: Users) -> Any:
    """A person of 磁灶镇, outside town_staff's scope."""
    from canpei.people.services import person_create

    return person_create(
        actor=users.city_admin,
        data=person_data(
            name="李四",
            id_number=make_id("35058219850612003"),
            cert_number="",
            town=CIZAO,
            category="1",
            grade="3",
        ),
    )


class ApiClient:
    """A JSON client that authenticates with a bearer token, as an integrator would."""

    def __init__(self, user: Any):
        from canpei.accounts.services import token_issue

        self.client = Client()
        self.headers: dict[str, Any] = {
            "HTTP_AUTHORIZATION": f"Bearer {token_issue(actor=user, user=user)}"
        }

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get("/api/v1" + path, params, **self.headers)

    def post(self, path: str, body: Any) -> Any:
        return self.client.post(
            "/api/v1" + path, json.dumps(body), content_type="application/json", **self.headers
        )

    def patch(self, path: str, body: Any) -> Any:
        return self.client.patch(
            "/api/v1" + path, json.dumps(body), content_type="application/json", **self.headers
        )


@pytest.fixture
def api() -> Any:
    return ApiClient


@pytest.fixture
def login() -> Any:
    def _login(user: Any) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return _login


# Years whose settlements the `funded` fixture pays for.
FUNDED_YEARS = range(2020, 2031)


def fund_settlements(years: Any = FUNDED_YEARS) -> None:
    """What a class's settlement needs since it pays (canpei.funds): a subsidy standard for each
    training type (any level, mode and cycle, 1000.00 yuan a trainee, in force since 2000) and
    an employment security fund budget for each of `years`. Written directly, without audit
    entries, so the tests that count those see only their own."""
    from decimal import Decimal

    from canpei.codes import TrainingType
    from canpei.funds.models import Budget, SubsidyStandard

    for training_type in TrainingType.values:
        SubsidyStandard.objects.get_or_create(
            purpose="class",
            training_type=training_type,
            level="",
            mode="",
            cycle="",
            effective_from=dt.date(2000, 1, 1),
            defaults={"amount": Decimal("1000.00")},
        )
    for year in years:
        if not Budget.objects.filter(year=year, source="security_fund").exists():
            Budget.objects.create(year=year, source="security_fund", amount=Decimal("10000000.00"))


@pytest.fixture
def funded(db: Any) -> None:
    """Classes settled in the test are paid: standards and budgets (fund_settlements)."""
    fund_settlements()


@pytest.fixture
def competition(users: Users) -> Any:
    """A city competition held ten days ago, with the events 电子商务 and 盲人保健按摩."""
    from canpei.competitions.services import competition_create
    from tests.competitions.fixtures import competition_data

    return competition_create(actor=users.city_admin, data=competition_data())


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the default language: a request with another language (the English
    pages' tests) leaves it active on its thread, and code tables show their labels in it."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()
