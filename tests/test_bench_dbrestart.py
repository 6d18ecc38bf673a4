"""bench/dbrestart.py: which failures of a load run fell outside the database's outage, and how
the local cluster is stopped and started (bench/load.py --restart-db)."""

from __future__ import annotations

import sys
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import dbrestart  # noqa: E402


def row(at: int, requests: int, failures: int, name: str = "Aggregated") -> dict[str, str]:
    return {
        "Timestamp": str(at),
        "Name": name,
        "Total Request Count": str(requests),
        "Total Failure Count": str(failures),
    }


def test_failures_are_split_at_the_outage_and_its_grace() -> None:
    # stopped at 100.5, started at 106.2, grace 5 s: the outage runs to 111.2.
    history = [
        row(98, 100, 0),
        row(99, 200, 1),  # before the stop: outside
        row(100, 300, 4),  # stamped 100, written in [100, 101): may hold the stop (100.5)
        row(100, 900, 900, name="GET /persons"),  # not an aggregate row: ignored
        row(104, 400, 50),
        row(106, 500, 60),  # the start's own second, still failing
        row(107, 600, 60),  # answered without a failure: recovered 0.8 s after the start
        row(111, 700, 63),  # inside the grace
        row(112, 800, 65),  # after it: outside
    ]
    result = dbrestart.outcome(history, stopped_at=100.5, started_at=106.2, grace=5.0)
    assert result.failures_during == 3 + 46 + 10 + 0 + 3
    assert result.failures_outside == 1 + 2
    assert result.recovered_after is not None
    assert abs(result.recovered_after - 0.8) < 1e-9
    assert [(round(s, 1), n) for s, n in result.outside_seconds] == [(-7.2, 1), (5.8, 2)]


def test_no_recovery_when_every_second_after_the_start_fails() -> None:
    history = [row(10, 10, 0), row(12, 20, 5), row(13, 30, 15)]
    result = dbrestart.outcome(history, stopped_at=11.0, started_at=12.5, grace=5.0)
    assert result.recovered_after is None
    assert result.failures_outside == 0
    assert result.failures_during == 15


def test_a_debian_cluster_is_driven_by_pg_ctlcluster_as_its_owner() -> None:
    with (
        mock.patch("shutil.which", return_value="/usr/bin/pg_ctlcluster"),
        mock.patch("os.geteuid", return_value=0),
        mock.patch.object(Path, "exists", return_value=True),
        mock.patch.object(Path, "owner", return_value="postgres"),
    ):
        cluster = dbrestart.local_cluster(
            "/var/lib/postgresql/15/main", "/etc/postgresql/15/main/postgresql.conf"
        )
    assert cluster.stop == [
        "runuser",
        "-u",
        "postgres",
        "--",
        "pg_ctlcluster",
        "15",
        "main",
        "stop",
        "-m",
        "fast",
    ]
    assert cluster.start == [
        "runuser",
        "-u",
        "postgres",
        "--",
        "pg_ctlcluster",
        "15",
        "main",
        "start",
    ]


def test_another_cluster_is_driven_by_pg_ctl_on_its_data_directory(tmp_path: Path) -> None:
    (tmp_path / "PG_VERSION").write_text("15\n")
    with mock.patch("os.geteuid", return_value=1000):
        cluster = dbrestart.local_cluster(str(tmp_path), str(tmp_path / "postgresql.conf"))
    assert cluster.stop[1:] == ["-D", str(tmp_path), "-m", "fast", "-w", "stop"]
    assert cluster.start[1:] == [
        "-D",
        str(tmp_path),
        "-l",
        str(tmp_path / "restart.log"),
        "-w",
        "start",
    ]
    assert cluster.stop[0].endswith("pg_ctl")
