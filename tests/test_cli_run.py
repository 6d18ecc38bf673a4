"""`canpei run` as a service manager stops it: gunicorn and the background worker go with it."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _descendants(pid: int) -> set[int]:
    """Every process below `pid`, from /proc (Linux)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command name may hold spaces; the parent pid follows the closing bracket.
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process tree from /proc")
def test_sigterm_to_canpei_run_stops_the_server_and_the_worker(tmp_path: Path) -> None:
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(CANPEI_VAR_DIR=str(tmp_path), CANPEI_SECURE_COOKIES="0")
    run = subprocess.Popen(
        [sys.executable, "-m", "canpei", "run", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as page:
                    assert page.status == 200
                break
            except OSError:
                assert run.poll() is None, "canpei run ended before serving"
                assert time.monotonic() < deadline, "canpei run did not serve in time"
                time.sleep(0.5)
        children = _descendants(run.pid)
        # gunicorn's master, its worker and `canpei worker`.
        assert len(children) >= 3
        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=60) == 0
        deadline = time.monotonic() + 30
        while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in children if _alive(pid)]
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2)
    finally:
        # Whatever is left of the session the test started (all of it, were the bug back).
        with contextlib.suppress(OSError):
            os.killpg(run.pid, signal.SIGKILL)
        run.wait(timeout=10)


def test_canpei_run_starts_the_worker_only_for_the_database_task_backend(settings) -> None:
    from canpei.cli import worker_needed

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    assert worker_needed(no_worker=False) is True
    assert worker_needed(no_worker=True) is False
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    assert worker_needed(no_worker=False) is False
