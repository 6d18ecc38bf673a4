"""Several `canpei worker` processes on one queue (issue 14 item 4: background jobs safe with
several workers): each import job is claimed and run by exactly one of them."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import PASSWORD
from tests.people.test_person_import import many_rows
from tests.spreadsheets.files import PERSON_HEADER, xlsx

ROOT = Path(__file__).resolve().parent.parent.parent
TOWNS = ["350582101000", "350582102000", "350582103000"]


@pytest.mark.slow
def test_three_workers_racing_run_each_job_once(tmp_path: Path) -> None:
    var = tmp_path / "var"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CANPEI_USER", "CANPEI_TASKS")
    }
    env.update(CANPEI_VAR_DIR=str(var), CANPEI_PASSWORD=PASSWORD)

    def canpei(*argv: str) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "canpei", *argv],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr

    canpei("migrate")
    canpei("createuser", "city", "--role", "city_admin")
    # Nine files of five persons each, none of them in two files.
    rows = many_rows(45)
    files = []
    for n in range(9):
        chunk = [row[:5] + [TOWNS[n % 3]] + row[6:] for row in rows[n * 5 : n * 5 + 5]]
        path = tmp_path / f"town-{n}.xlsx"
        path.write_bytes(xlsx([PERSON_HEADER] + chunk))
        files.append(str(path))
    queued = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os, sys; os.environ['DJANGO_SETTINGS_MODULE'] = 'canpei.settings'; "
            "django.setup(); from canpei.accounts.models import User; "
            "from canpei.spreadsheets import jobs; city = User.objects.get(username='city'); "
            f"[jobs.job_start(actor=city, kind='persons', filename=f, data=open(f, 'rb').read(), "
            f"dry_run=False) for f in {files!r}]",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert queued.returncode == 0, queued.stderr
    database = var / "canpei.sqlite3"

    def states() -> list[str]:
        with sqlite3.connect(database, timeout=30) as db:
            return [r[0] for r in db.execute("SELECT state FROM spreadsheets_importjob")]

    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "canpei", "worker"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(3)
    ]
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and set(states()) != {"done"}:
            time.sleep(0.2)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=60)
    assert states() == ["done"] * 9
    with sqlite3.connect(database) as db:
        results = [
            json.loads(r[0]) for r in db.execute("SELECT result FROM spreadsheets_importjob")
        ]
        persons = db.execute(
            "SELECT count(*), count(DISTINCT id_hash) FROM people_person"
        ).fetchone()
        imports = db.execute(
            "SELECT count(*) FROM audit_auditentry WHERE action = 'import.persons'"
        ).fetchone()[0]
        tasks = db.execute(
            "SELECT status, count(*) FROM django_tasks_database_dbtaskresult GROUP BY status"
        ).fetchall()
    # Every file imported once: 45 persons, nine import entries, nine tasks run once each.
    assert [r["created"] for r in results] == [5] * 9
    assert persons == (45, 45)
    assert imports == 9
    assert tasks == [("SUCCESSFUL", 9)]
