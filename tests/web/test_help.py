"""/help (the manuals of docs/, rendered) and /healthz (the database and the worker's heartbeat)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import DatabaseError
from django.test import Client, override_settings
from django.utils import timezone

from canpei import health
from canpei.spreadsheets import jobs
from canpei.spreadsheets.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _client_for(user: Any, language: str = "zh-hans") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("role", "manual"),
    [
        ("city_admin", "manual-city-admin"),
        ("town_staff", "manual-town-staff"),
        ("institution_staff", "manual-institution"),
        ("employment_service", "manual-employment"),
        ("auditor", "manual-auditor"),
        ("sys_admin", "manual-officers"),
        ("security_admin", "manual-officers"),
        ("audit_admin", "manual-officers"),
    ],
)
def test_every_role_reads_help_and_its_header_links_its_manual(
    users: Any, role: str, manual: str
) -> None:
    client = _client_for(users.by_role()[role])
    home = client.get("/")
    assert f'href="/help/{manual}#home"' in home.content.decode()
    index = client.get("/help")
    assert index.status_code == 200
    assert "<h1" in index.content.decode() and "残培 使用与运维文档" in index.content.decode()
    page = client.get(f"/help/{manual}")
    body = page.content.decode()
    assert page.status_code == 200
    assert 'id="home"' in body and 'id="first-task"' in body
    assert "{#" not in body  # the anchors became ids, not text


def test_the_header_links_the_section_of_the_page(users: Any) -> None:
    client = _client_for(users.city_admin)
    assert 'href="/help/manual-city-admin#classes"' in client.get("/classes").content.decode()
    assert 'href="/help/manual-city-admin#persons"' in client.get("/persons").content.decode()


def test_help_renders_links_tables_and_diagrams(users: Any) -> None:
    client = _client_for(users.auditor)
    index = client.get("/help").content.decode()
    # Links between the documents are /help links; tables scroll in a labelled box.
    assert 'href="/help/operations"' in index
    assert 'href="/help/en"' in index  # the English guide, whatever the interface language
    assert "Shorter English version" in client.get("/help/en").content.decode()
    assert 'href="/help/manual-city-admin"' in index
    assert 'class="table-scroll" tabindex="0" role="region"' in index
    workflows = client.get("/help/workflows").content.decode()
    # Mermaid is not vendored: its source sits in a disclosure, the same steps as a table.
    assert '<details class="help-diagram">' in workflows
    assert "提交开班申请" in workflows and "<table>" in workflows


def test_help_is_for_signed_in_users_and_knows_only_its_pages(users: Any) -> None:
    assert Client().get("/help").status_code == 302
    client = _client_for(users.town_staff)
    assert client.get("/help/no-such-page").status_code == 404
    assert client.get("/help/img/none.png").status_code == 404


def test_help_in_english_is_the_shorter_english_guide(users: Any) -> None:
    client = _client_for(users.city_admin, "en")
    body = client.get("/help").content.decode()
    assert "Shorter English version" in body
    # A manual without an English version is shown in Chinese, marked as such.
    manual = client.get("/help/manual-city-admin").content.decode()
    assert "This page exists in Chinese only" in manual and 'lang="zh-CN"' in manual


def test_help_serves_the_manuals_pictures(users: Any, tmp_path: Path) -> None:
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "shot.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (tmp_path / "README.md").write_text("# 目录\n\n![图](img/shot.png)\n", encoding="utf-8")
    with override_settings(DOCS_DIR=tmp_path):
        client = _client_for(users.city_admin)
        assert 'src="/help/img/shot.png"' in client.get("/help").content.decode()
        picture = client.get("/help/img/shot.png")
        assert picture.status_code == 200 and picture["Content-Type"] == "image/png"


# ---- /healthz -------------------------------------------------------------------------------


def test_healthz_is_ok_with_a_fresh_heartbeat() -> None:
    with override_settings(TASKS=DATABASE_TASKS):
        health.heartbeat_beat()
        response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "worker": "ok",
        "worker_heartbeat_age_seconds": 0,
    }


def test_healthz_answers_503_when_the_worker_is_silent() -> None:
    with override_settings(TASKS=DATABASE_TASKS):
        missing = Client().get("/healthz")
        health.heartbeat_beat()
        WorkerHeartbeat.objects.update(
            beat_at=timezone.now() - timedelta(seconds=health.HEARTBEAT_STALE + 5)
        )
        stale = Client().get("/healthz")
    assert missing.status_code == 503
    assert missing.json()["worker"] == "missing" and "never" in missing.json()["reason"]
    assert stale.status_code == 503
    assert stale.json()["worker"] == "stale" and "heartbeat" in stale.json()["reason"]
    assert stale.json()["worker_heartbeat_age_seconds"] == health.HEARTBEAT_STALE + 5


def test_healthz_on_any_node_sees_a_worker_beating_on_another_machine() -> None:
    """The beat is in the database, not on the worker's disk: a web node without a worker of
    its own reads the newest beat of any worker."""
    WorkerHeartbeat.objects.create(
        worker="worker-node-2:4242:99", beat_at=timezone.now() - timedelta(seconds=10)
    )
    WorkerHeartbeat.objects.create(
        worker="worker-node-3:77:12", beat_at=timezone.now() - timedelta(hours=3)
    )
    with override_settings(TASKS=DATABASE_TASKS):
        response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json()["worker_heartbeat_age_seconds"] == 10


def test_a_beat_records_this_worker_once_and_forgets_workers_gone_a_day() -> None:
    gone = WorkerHeartbeat.objects.create(
        worker="old-node:1:1", beat_at=timezone.now() - timedelta(days=1, seconds=1)
    )
    recent = WorkerHeartbeat.objects.create(
        worker="other-node:2:2", beat_at=timezone.now() - timedelta(hours=23)
    )
    health.heartbeat_beat()
    health.heartbeat_beat()
    workers = set(WorkerHeartbeat.objects.values_list("worker", flat=True))
    assert workers == {recent.worker, jobs.process_tag(os.getpid())}
    assert gone.worker not in workers


def test_healthz_answers_503_when_the_database_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise DatabaseError("connection refused")

    health.heartbeat_beat()
    monkeypatch.setattr(health.connection, "cursor", broken)
    with override_settings(TASKS=DATABASE_TASKS):
        response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "error"
    assert response.json()["reason"] == "database unreachable"


def test_healthz_without_a_worker_backend_checks_only_the_database() -> None:
    response = Client().get("/healthz")  # the tests run jobs inline (CANPEI_TASKS=immediate)
    assert response.status_code == 200
    assert response.json()["worker"] == "not used"


def test_the_worker_command_starts_the_heartbeat(monkeypatch: pytest.MonkeyPatch) -> None:
    from canpei import cli

    started = []
    monkeypatch.setattr(health, "start_heartbeat", lambda: started.append(True))
    monkeypatch.setattr(jobs, "recover_interrupted_jobs", lambda: None)
    monkeypatch.setattr(jobs, "sweep_import_files", lambda: None)
    monkeypatch.setattr(jobs, "start_periodic_sweep", lambda: None)
    monkeypatch.setattr("django.core.management.call_command", lambda *a, **k: None)
    assert cli.main(["worker"]) == 0
    assert started == [True]
