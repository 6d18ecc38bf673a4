"""Transport settings from the environment: HSTS, the TLS proxy's header, the allowed hosts.

Each is read by canpei/settings.py at start-up, so the parsing is checked in a fresh interpreter;
the headers a response carries are checked through the test client.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings

ROOT = Path(__file__).resolve().parent.parent
HSTS = "Strict-Transport-Security"


def settings_environ(tmp_path: Path, env: dict[str, str]) -> dict[str, str]:
    """This process's environment without Canpei's variables, with `env` and a fresh var dir."""
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith("CANPEI_") and k != "DATABASE_URL"
    }
    environ.update(
        {"CANPEI_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "canpei.settings", **env}
    )
    return environ


def settings_of(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Import canpei.settings with `env` and print the values under test (or fail)."""
    environ = settings_environ(tmp_path, env)
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER, s.ALLOWED_HOSTS, sep='|')"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env=environ,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def values(tmp_path: Path, **env: str) -> list[str]:
    done = settings_of(tmp_path, **env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().split("|")


# ---- 12. testserver is not an allowed host by default -------------------------------------------


def test_testserver_is_not_among_the_default_allowed_hosts(tmp_path: Path) -> None:
    hosts = values(tmp_path)[2]
    assert hosts == "['127.0.0.1', 'localhost', '[::1]']"
    assert "testserver" not in values(tmp_path, CANPEI_ALLOWED_HOSTS="canpei.example.gov.cn")[2]


@pytest.mark.django_db
def test_a_request_for_testserver_is_refused_without_the_test_setup() -> None:
    # The suite adds "testserver" for itself (pytest-django's test environment); the deployed
    # defaults answer a request for that host 400, as for any unknown host.
    with override_settings(ALLOWED_HOSTS=["127.0.0.1", "localhost", "[::1]"]):
        assert Client().get("/login").status_code == 400
        assert Client(HTTP_HOST="127.0.0.1").get("/login").status_code == 200


# ---- 11. Strict-Transport-Security and the proxy's header -----------------------------------------


def test_the_lookup_rate_is_sixty_a_minute_unless_configured(tmp_path: Path) -> None:
    code = "from django.conf import settings as s; print(s.LOOKUP_RATE)"
    for env, expected in (({}, "60"), ({"CANPEI_LOOKUP_RATE": "5"}, "5")):
        environ = {k: v for k, v in os.environ.items() if not k.startswith("CANPEI_")}
        environ.update(
            {"CANPEI_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "canpei.settings", **env}
        )
        done = subprocess.run(
            [sys.executable, "-c", code],
            env=environ,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.stdout.strip() == expected, done.stderr


def test_hsts_is_on_for_a_year_with_secure_cookies_and_off_without(tmp_path: Path) -> None:
    assert values(tmp_path)[0] == "31536000"
    assert values(tmp_path, CANPEI_HSTS_SECONDS="600")[0] == "600"
    assert values(tmp_path, CANPEI_HSTS_SECONDS="0")[0] == "0"
    # Plain-HTTP local use (Secure cookies off) never asks browsers to insist on HTTPS.
    assert values(tmp_path, CANPEI_SECURE_COOKIES="0")[0] == "0"


def test_the_proxy_header_is_off_by_default_and_named_by_the_environment(tmp_path: Path) -> None:
    assert values(tmp_path)[1] == "None"
    assert values(tmp_path, CANPEI_PROXY_SSL_HEADER="X-Forwarded-Proto")[1] == (
        "('HTTP_X_FORWARDED_PROTO', 'https')"
    )
    assert values(tmp_path, CANPEI_PROXY_SSL_HEADER="X-Scheme=HTTPS")[1] == (
        "('HTTP_X_SCHEME', 'HTTPS')"
    )


@pytest.mark.parametrize(
    "name, raw",
    [
        ("CANPEI_HSTS_SECONDS", "a year"),
        ("CANPEI_HSTS_SECONDS", "-1"),
        ("CANPEI_HSTS_SECONDS", "1e6"),
        ("CANPEI_HSTS_SECONDS", "99999999999"),
        ("CANPEI_HSTS_SECONDS", "３６００"),
        ("CANPEI_PROXY_SSL_HEADER", "X Forwarded Proto"),
        ("CANPEI_PROXY_SSL_HEADER", "X-Proto="),
        ("CANPEI_PROXY_SSL_HEADER", "X-Forwarded-Proto: https"),
        ("CANPEI_PROXY_SSL_HEADER", "-"),
        ("CANPEI_LOOKUP_RATE", "0"),
        ("CANPEI_LOOKUP_RATE", "sixty"),
        ("CANPEI_LOOKUP_RATE", "60/min"),
    ],
)
def test_a_bad_value_stops_start_up(tmp_path: Path, name: str, raw: str) -> None:
    done = settings_of(tmp_path, **{name: raw})
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and name in done.stderr


@pytest.mark.django_db
def test_https_responses_carry_hsts_and_plain_http_ones_do_not(client: Client) -> None:
    assert settings.SECURE_HSTS_SECONDS == 31_536_000  # the suite runs with Secure cookies
    assert client.get("/login", secure=True)[HSTS] == "max-age=31536000"
    assert HSTS not in client.get("/login")


@pytest.mark.django_db
def test_behind_the_proxy_its_header_makes_the_request_secure(client: Client) -> None:
    forwarded: dict[str, Any] = {"HTTP_X_FORWARDED_PROTO": "https"}
    # Not trusted unless configured: a client could send the header itself.
    assert HSTS not in client.get("/login", **forwarded)
    with override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")):
        assert client.get("/login", **forwarded)[HSTS] == "max-age=31536000"
        assert HSTS not in client.get("/login", HTTP_X_FORWARDED_PROTO="http")


# ---- the var dir: keys and the SQLite database are the running account's only ------------------


def test_a_new_var_dir_is_the_running_accounts_only(tmp_path: Path) -> None:
    var = tmp_path / "new" / "var"
    values(var)
    assert var.stat().st_mode & 0o777 == 0o700
    for key in ("secret.key", "field.key", "audit.key"):
        assert (var / key).stat().st_mode & 0o077 == 0


# ---- database layout: PgBouncer, read replicas (issue 14) -----------------------------------------


def database_layout(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = settings_environ(tmp_path, env)
    code = (
        "from django.conf import settings as s; import json; "
        "print(json.dumps({'aliases': list(s.DATABASES), 'routers': s.DATABASE_ROUTERS, "
        "'middleware': 'canpei.replicas.ReadYourWritesMiddleware' in s.MIDDLEWARE, "
        "'cursors': {a: d.get('DISABLE_SERVER_SIDE_CURSORS', False) for a, d in s.DATABASES.items()}, "
        "'prepare': {a: d.get('OPTIONS', {}).get('prepare_threshold', 'default') "
        "for a, d in s.DATABASES.items()}, "
        "'mirror': {a: d.get('TEST', {}).get('MIRROR') for a, d in s.DATABASES.items()}}))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env=environ,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


PG = "postgres://canpei@db.example/canpei"


def test_behind_pgbouncer_no_server_side_cursor_and_no_prepared_statement(tmp_path: Path) -> None:
    done = database_layout(
        tmp_path,
        DATABASE_URL=PG,
        CANPEI_PGBOUNCER="1",
        CANPEI_REPLICA_URLS="postgres://canpei@replica.example/canpei",
    )
    assert done.returncode == 0, done.stderr
    layout = json.loads(done.stdout)
    assert layout["cursors"] == {"default": True, "replica_1": True}
    assert layout["prepare"] == {"default": None, "replica_1": None}
    # Without it, both as psycopg and Django have them.
    plain = json.loads(database_layout(tmp_path, DATABASE_URL=PG).stdout)
    assert plain["cursors"] == {"default": False}
    assert plain["prepare"] == {"default": "default"}


def test_replica_urls_add_aliases_the_router_and_the_middleware(tmp_path: Path) -> None:
    done = database_layout(
        tmp_path,
        DATABASE_URL=PG,
        CANPEI_REPLICA_URLS=" postgres://canpei@r1.example/canpei, postgres://canpei@r2.example/canpei ,",
    )
    assert done.returncode == 0, done.stderr
    layout = json.loads(done.stdout)
    assert layout["aliases"] == ["default", "replica_1", "replica_2"]
    assert layout["routers"] == ["canpei.replicas.ReplicaRouter"]
    assert layout["middleware"] is True
    assert layout["mirror"] == {"default": None, "replica_1": "default", "replica_2": "default"}
    plain = json.loads(database_layout(tmp_path, DATABASE_URL=PG).stdout)
    assert (plain["aliases"], plain["routers"], plain["middleware"]) == (["default"], [], False)


def test_replicas_need_postgresql(tmp_path: Path) -> None:
    done = database_layout(tmp_path, CANPEI_REPLICA_URLS="postgres://canpei@r1.example/canpei")
    assert done.returncode != 0
    assert "CANPEI_REPLICA_URLS needs DATABASE_URL to be PostgreSQL" in done.stderr
