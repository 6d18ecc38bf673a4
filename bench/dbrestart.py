"""Restarting the local PostgreSQL cluster in the middle of a load run (bench/load.py --restart-db).

QUALITY.md: with PostgreSQL restarted under load, the app recovers by itself, no request hangs
past its timeout, and errors happen only while the database is down. This module knows how to
stop and start the cluster that DATABASE_URL points at (on the machine the benchmark runs on),
and how to read locust's per-second history to say which failures fell outside the outage.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

# After the cluster is back, connections already handed out may still fail once (a dead
# connection is only detected when used) and requests queued during the outage are still being
# answered: failures this long after the start count as part of the outage.
GRACE_SECONDS = 5.0


@dataclass(frozen=True)
class Cluster:
    """How to stop and start one local cluster: two argv lists."""

    stop: list[str]
    start: list[str]


def local_cluster(data_directory: str, config_file: str) -> Cluster:
    """The commands for the cluster whose `SHOW data_directory` and `SHOW config_file` these are.

    A Debian cluster (configuration under /etc/postgresql/VERSION/NAME) is driven with
    pg_ctlcluster; any other with its own version's pg_ctl on the data directory. As root, the
    commands run as the data directory's owner, since PostgreSQL refuses to run as root.
    """
    parts = Path(config_file).parts
    if (
        parts[:3] == ("/", "etc", "postgresql")
        and len(parts) >= 6
        and shutil.which("pg_ctlcluster")
    ):
        version, name = parts[3], parts[4]
        stop = ["pg_ctlcluster", version, name, "stop", "-m", "fast"]
        start = ["pg_ctlcluster", version, name, "start"]
    else:
        version_file = Path(data_directory) / "PG_VERSION"
        version = version_file.read_text().strip() if version_file.exists() else ""
        pg_ctl = f"/usr/lib/postgresql/{version}/bin/pg_ctl"
        if not Path(pg_ctl).exists():
            pg_ctl = shutil.which("pg_ctl") or "pg_ctl"
        log_file = str(Path(data_directory) / "restart.log")
        stop = [pg_ctl, "-D", data_directory, "-m", "fast", "-w", "stop"]
        start = [pg_ctl, "-D", data_directory, "-l", log_file, "-w", "start"]
    if os.geteuid() == 0:
        owner = Path(data_directory).owner() if Path(data_directory).exists() else "postgres"
        if owner != "root":
            stop = ["runuser", "-u", owner, "--", *stop]
            start = ["runuser", "-u", owner, "--", *start]
    return Cluster(stop=stop, start=start)


@dataclass
class Restart:
    """Stops the cluster `after` seconds from `begin()`, keeps it down `down` seconds, starts it.

    Records the wall-clock times (time.time(), as locust's history) of the stop and of the
    moment the cluster accepted connections again.
    """

    cluster: Cluster
    after: float
    down: float
    stopped_at: float = 0.0
    started_at: float = 0.0
    errors: list[str] = field(default_factory=list)
    _thread: threading.Thread | None = None

    def begin(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        time.sleep(self.after)
        self.stopped_at = time.time()
        stopped = subprocess.run(self.cluster.stop, capture_output=True, text=True)
        if stopped.returncode:
            self.errors.append(
                f"stop failed ({stopped.returncode}): {stopped.stderr.strip()[:300]}"
            )
            return
        time.sleep(self.down)
        started = subprocess.run(self.cluster.start, capture_output=True, text=True)
        if started.returncode:
            self.errors.append(
                f"start failed ({started.returncode}): {started.stderr.strip()[:300]}"
            )
            return
        self.started_at = time.time()

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()


@dataclass(frozen=True)
class Outcome:
    failures_during: int
    failures_outside: int
    recovered_after: float | None  # seconds from the start until requests succeeded again
    # (seconds from the start of the cluster, failures) of each second with failures outside
    # the outage: negative before the stop
    outside_seconds: tuple[tuple[float, int], ...] = ()


def outcome(
    history: list[dict[str, str]],
    stopped_at: float,
    started_at: float,
    grace: float = GRACE_SECONDS,
) -> Outcome:
    """Split the run's failures into those during the outage and those outside it.

    `history` is locust's `_stats_history.csv` (one row a second per endpoint, with cumulative
    "Total Request Count" and "Total Failure Count"); only its "Aggregated" rows are read. The
    outage runs from `stopped_at` to `started_at + grace`. A second's new failures are counted
    in the window that second ends in; locust writes the row's time in whole seconds, cut down,
    so a row stamped `t` was written in [t, t + 1). Recovery is the first second after `started_at` that
    answered requests without a failure.
    """
    rows = sorted(
        (float(r["Timestamp"]), int(r["Total Request Count"]), int(r["Total Failure Count"]))
        for r in history
        if r["Name"] == "Aggregated"
    )
    during = outside = 0
    outside_seconds: list[tuple[float, int]] = []
    recovered: float | None = None
    requests_before = failures_before = 0
    for at, requests, failures in rows:
        new_failures = failures - failures_before
        new_requests = requests - requests_before
        if stopped_at < at + 1 and at <= started_at + grace:
            during += new_failures
        else:
            outside += new_failures
            if new_failures:
                outside_seconds.append((at - started_at, new_failures))
        if recovered is None and at > started_at and new_requests > 0 and new_failures == 0:
            recovered = at - started_at
        requests_before, failures_before = requests, failures
    return Outcome(
        failures_during=during,
        failures_outside=outside,
        recovered_after=recovered,
        outside_seconds=tuple(outside_seconds),
    )
