"""What an import keeps (issue 8, item 4; issue 14, item 4): the upload and the report are
sealed (encrypted, bound to their job) and stored in the database, so that any app node and any
worker reads them, and nothing lands on the local disk; removed after
CANPEI_UPLOAD_RETENTION_DAYS by the worker; a job a killed worker left running is failed on the
next start and its files removed; the owner still downloads the report, and
`canpei import --report` masks the numbers for whom may not reveal them."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import zipfile
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from canpei import cli
from canpei import settings as canpei_settings
from canpei.people import rules
from canpei.spreadsheets import jobs
from canpei.spreadsheets.models import ImportFile, ImportJob
from canpei.spreadsheets.sealed import SEGMENT, SealedFileError, SealedWriter, read_sealed
from tests.spreadsheets.files import PERSON_HEADER, an_id, person_row, read_back, xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    return tmp_path / "var"


def bad_id() -> str:
    good = an_id(13)
    return good[:17] + ("0" if good[17] != "0" else "1")


NUMBERS = [an_id(11), an_id(11) + "42", bad_id()]


def readable(data: bytes) -> list[bytes]:
    """The bytes, and every member's once unzipped when they are a zip (an .xlsx)."""
    found = [data]
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            found += [archive.read(name) for name in archive.namelist()]
    return found


def stored_files(var_dir: Path) -> list[tuple[str, str]]:
    """(job token, what) of every file stored, after checking that no segment holds a number in
    clear and that nothing was written to the local disk."""
    for token, number, data in ImportFile.objects.values_list("job__token", "number", "data"):
        for blob in readable(bytes(data)):
            for number_ in NUMBERS:
                for encoding in ("utf-8", "utf-16-le"):
                    assert number_.encode(encoding) not in blob, f"{number_} in {token}:{number}"
    assert [p for p in var_dir.rglob("*") if p.is_file()] == []
    return sorted(
        (str(t), w)
        for t, w in ImportFile.objects.filter(number=0).values_list("job__token", "what")
    )


def bad_file() -> bytes:
    return xlsx([PERSON_HEADER, person_row(11), person_row(13, id_number=bad_id(), cert_number="")])


def test_the_upload_waiting_for_the_worker_is_sealed_in_the_database(users, var_dir, monkeypatch):
    monkeypatch.setattr(
        jobs, "run_import_job", SimpleNamespace(enqueue=lambda job_id: None)
    )  # the worker is away
    job = jobs.job_start(
        actor=users.city_admin, kind="persons", filename="名册.xlsx", data=bad_file(), dry_run=False
    )
    assert stored_files(var_dir) == [(str(job.token), "upload")]
    segments = list(jobs._segments(job, "upload"))
    assert read_sealed(segments, f"{job.token}.upload") == bad_file()
    with pytest.raises(SealedFileError):  # bound to its job: not another job's upload
        read_sealed(segments, "00000000-0000-0000-0000-000000000000.upload")


def test_the_report_is_sealed_and_the_owner_downloads_it_in_clear(users, login, var_dir):
    client = login(users.city_admin)
    response = client.post(
        "/imports/new", {"kind": "persons", "file": SimpleUploadedFile("名册.xlsx", bad_file())}
    )
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.REJECTED
    assert stored_files(var_dir) == [(str(job.token), "report")]  # the upload is gone
    report = client.get(f"/imports/{job.token}/report")
    assert report.status_code == 200 and "attachment" in report["Content-Disposition"]
    rows = read_back(b"".join(report.streaming_content))
    assert rows[0][0] == "已拒绝：1 处错误，未写入任何数据"
    assert rows[-1][2] == bad_id() and rows[-1][-1] == f"「身份证号」{rules.ID_CHECKSUM}"
    assert response.status_code == 302
    # Someone else's report is not found, like a report that does not exist.
    assert login(users.town_staff).get(f"/imports/{job.token}/report").status_code == 404


def test_a_report_that_does_not_authenticate_is_not_found(users, login):
    client = login(users.city_admin)
    client.post(
        "/imports/new", {"kind": "persons", "file": SimpleUploadedFile("名册.xlsx", bad_file())}
    )
    job = ImportJob.objects.get()
    segment = ImportFile.objects.get(job=job, what="report", number=1)
    data = bytearray(bytes(segment.data))
    data[20] ^= 1
    ImportFile.objects.filter(pk=segment.pk).update(data=bytes(data))
    assert client.get(f"/imports/{job.token}/report").status_code == 404


def test_segments_are_sealed_in_order_and_a_file_cut_off_does_not_open(settings):
    stored: dict[int, bytes] = {}
    data = os.urandom(SEGMENT * 2 + 10)
    with SealedWriter(stored.__setitem__, "t.report") as out:
        out.write(data)
    assert sorted(stored) == [0, 1, 2, 3]  # the header, two full segments, the short last one
    assert read_sealed([stored[n] for n in range(4)], "t.report") == data
    with pytest.raises(SealedFileError, match="cut off"):
        read_sealed([stored[n] for n in range(3)], "t.report")
    with pytest.raises(SealedFileError):  # reordered
        read_sealed([stored[0], stored[2], stored[1], stored[3]], "t.report")
    with pytest.raises(SealedFileError, match="not a sealed file"):
        read_sealed([], "t.report")


# --- retention ---------------------------------------------------------------------------


def aged(job: ImportJob, what: str, days: float, *, complete: bool = True) -> ImportJob:
    """`job`'s file `what`, stored `days` ago (cut off before its last segment if not complete)."""
    writer = SealedWriter(jobs._sink(job, what), f"{job.token}.{what}")
    writer.write(b"data")
    if complete:
        writer.close()
    ImportFile.objects.filter(job=job, what=what).update(
        created_at=timezone.now() - timedelta(days=days)
    )
    return job


def a_job(users, state=ImportJob.State.DONE) -> ImportJob:
    return ImportJob.objects.create(
        kind="persons", user=users.city_admin, filename="名册.xlsx", state=state
    )


def kept(job: ImportJob, what: str) -> bool:
    return ImportFile.objects.filter(job=job, what=what).exists()


def test_the_sweep_removes_files_past_the_retention_period_and_keeps_newer_ones(users, settings):
    settings.UPLOAD_RETENTION_DAYS = 7
    old_report = aged(a_job(users), "report", 7.01)
    old_upload = aged(a_job(users), "upload", 30)
    old_part = aged(a_job(users), "report", 8, complete=False)
    kept_report = aged(a_job(users), "report", 6.99)
    kept_upload = aged(a_job(users), "upload", 0)
    assert jobs.sweep_import_files() == 3
    assert not kept(old_report, "report") and not kept(old_upload, "upload")
    assert not kept(old_part, "report")
    assert kept(kept_report, "report") and kept(kept_upload, "upload")
    settings.UPLOAD_RETENTION_DAYS = 1
    assert jobs.sweep_import_files() == 1
    assert not kept(kept_report, "report") and kept(kept_upload, "upload")


def test_the_sweep_removes_files_older_versions_left_on_the_local_disk(var_dir):
    imports = var_dir / "imports"
    imports.mkdir()
    (imports / "f.report.xlsx").write_bytes(xlsx([PERSON_HEADER, person_row(11)]))
    (imports / "g.upload.enc").write_bytes(b"x")
    assert jobs.sweep_import_files() == 0 and not list(imports.iterdir())


def test_the_worker_sweeps_after_each_job(users, login):
    old = aged(a_job(users), "report", 10)
    login(users.city_admin).post(
        "/imports/new", {"kind": "persons", "file": SimpleUploadedFile("名册.xlsx", bad_file())}
    )
    assert not kept(old, "report")
    assert kept(ImportJob.objects.exclude(pk=old.pk).get(), "report")


def test_a_swept_report_is_no_longer_offered(users, login):
    client = login(users.city_admin)
    client.post(
        "/imports/new", {"kind": "persons", "file": SimpleUploadedFile("名册.xlsx", bad_file())}
    )
    job = ImportJob.objects.get()
    assert f"/imports/{job.token}/report" in client.get(f"/imports/{job.token}").content.decode()
    ImportFile.objects.filter(job=job).update(created_at=timezone.now() - timedelta(days=8))
    jobs.sweep_import_files()
    assert (
        f"/imports/{job.token}/report" not in client.get(f"/imports/{job.token}").content.decode()
    )
    assert client.get(f"/imports/{job.token}/report").status_code == 404


@pytest.mark.parametrize("raw, days", [("1", 1), ("7", 7), (" 30 ", 30), ("3650", 3650)])
def test_the_retention_setting_takes_whole_days(raw, days):
    assert canpei_settings._retention_days(raw) == days


@pytest.mark.parametrize("raw", ["0", "-1", "7.5", "seven", "", "3651"])
def test_a_bad_retention_setting_stops_start_up(raw):
    with pytest.raises(ImproperlyConfigured, match="CANPEI_UPLOAD_RETENTION_DAYS"):
        canpei_settings._retention_days(raw)


# --- a worker killed in the middle of a job ------------------------------------------------


def dead_worker_tag() -> str:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    tag = jobs.process_tag(child.pid)
    child.wait()
    return tag


def test_a_job_left_running_by_a_killed_worker_is_failed_on_the_next_start(users, monkeypatch):
    monkeypatch.setattr(jobs, "run_import_job", SimpleNamespace(enqueue=lambda job_id: None))
    crashed = jobs.job_start(
        actor=users.city_admin, kind="persons", filename="名册.xlsx", data=bad_file(), dry_run=False
    )
    aged(crashed, "report", 0, complete=False)  # killed while writing its report
    ImportJob.objects.filter(pk=crashed.pk).update(
        state=ImportJob.State.RUNNING, worker=dead_worker_tag()
    )
    running = jobs.job_start(
        actor=users.city_admin, kind="persons", filename="名册.xlsx", data=bad_file(), dry_run=False
    )
    ImportJob.objects.filter(pk=running.pk).update(
        state=ImportJob.State.RUNNING, worker=jobs.process_tag(os.getpid())
    )
    queued = jobs.job_start(
        actor=users.city_admin, kind="persons", filename="名册.xlsx", data=bad_file(), dry_run=False
    )
    called = []
    monkeypatch.setattr("django.core.management.call_command", lambda *a, **k: called.append(a))
    monkeypatch.setattr(jobs, "start_periodic_sweep", lambda: None)
    monkeypatch.setattr("canpei.health.start_heartbeat", lambda: None)
    assert cli.main(["worker"]) == 0 and called == [("db_worker",)]
    crashed.refresh_from_db()
    assert crashed.state == ImportJob.State.FAILED and crashed.finished_at is not None
    assert (
        crashed.result["summary"]
        == "导入被中断（后台进程意外停止），未写入任何数据；请重新上传导入"
    )
    assert not ImportFile.objects.filter(job=crashed).exists()
    # A job whose worker is alive, and one still queued, are left as they are.
    running.refresh_from_db()
    queued.refresh_from_db()
    assert (running.state, queued.state) == (ImportJob.State.RUNNING, ImportJob.State.QUEUED)
    assert kept(running, "upload") and kept(queued, "upload")


# --- the report the command line writes where the operator asked --------------------------


def test_the_command_line_report_masks_numbers_for_whom_may_not_reveal_them(
    users, make_class, trainee_factory, tmp_path, capsys
):
    draft = make_class("draft", trainees=0)
    person = trainee_factory()
    sheet = tmp_path / "花名册.xlsx"
    sheet.write_bytes(
        xlsx(
            [
                ["班级编号", "身份证号", "姓名"],
                [draft.code, person.id_number, person.name],
                [draft.code, bad_id(), "李四"],
            ]
        )
    )
    report = tmp_path / "报告.xlsx"
    code = cli.main(
        [
            "import",
            "enrollments",
            str(sheet),
            "--report",
            str(report),
            "--as",
            users.institution_staff.username,
        ]
    )
    capsys.readouterr()
    assert code == 1
    rows = read_back(report.read_bytes())
    assert [r[2] for r in rows[3:]] == [
        rules.mask_id_number(person.id_number),
        rules.mask_id_number(bad_id()),
    ]
    assert person.id_number.encode() not in b"".join(readable(report.read_bytes()))
    # City staff may reveal numbers: their report keeps the file as it was.
    code = cli.main(
        [
            "import",
            "enrollments",
            str(sheet),
            "--report",
            str(report),
            "--as",
            users.city_admin.username,
        ]
    )
    capsys.readouterr()
    assert [r[2] for r in read_back(report.read_bytes())[3:]] == [person.id_number, bad_id()]


@pytest.mark.slow
def test_a_worker_killed_mid_import_leaves_a_failed_job_and_no_file_after_the_next_start(tmp_path):
    """The real thing: `canpei worker` killed with SIGKILL while it validates a file."""
    import signal
    import sqlite3

    from tests.conftest import CIZAO, PASSWORD
    from tests.people.test_person_import import many_rows

    root = Path(__file__).resolve().parent.parent.parent
    var = tmp_path / "var"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CANPEI_USER", "CANPEI_TASKS")
    }
    env.update(CANPEI_VAR_DIR=str(var), CANPEI_PASSWORD=PASSWORD)

    def canpei(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "canpei", *argv],
            env=env,
            cwd=root,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert canpei("migrate").returncode == 0
    assert canpei("createuser", "city", "--role", "city_admin").returncode == 0
    big = tmp_path / "big.xlsx"
    big.write_bytes(xlsx([PERSON_HEADER] + many_rows(20000, town=CIZAO)))
    queued = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os, sys; os.environ['DJANGO_SETTINGS_MODULE'] = 'canpei.settings'; django.setup();"
            "from canpei.accounts.models import User; from canpei.spreadsheets import jobs;"
            "job = jobs.job_start(actor=User.objects.get(username='city'), kind='persons', filename='big.xlsx',"
            f" data=open({str(big)!r}, 'rb').read(), dry_run=False); print(job.token)",
        ],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert queued.returncode == 0, queued.stderr
    token = queued.stdout.strip()
    database = var / "canpei.sqlite3"

    def job_state() -> str:
        with sqlite3.connect(database) as db:
            return db.execute("SELECT state FROM spreadsheets_importjob").fetchone()[0]

    def wait_for(state: str) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and job_state() != state:
            time.sleep(0.05)
        assert job_state() == state

    worker = subprocess.Popen(
        [sys.executable, "-m", "canpei", "worker"],
        env=env,
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for("running")
        time.sleep(0.5)
        assert job_state() == "running", (
            "the import finished before it could be killed; use a bigger file"
        )
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    with sqlite3.connect(database) as db:  # the worker read the upload and removed it at once
        assert db.execute(
            "SELECT count(*) FROM spreadsheets_importfile WHERE what = 'upload'"
        ).fetchone() == (0,)

    again = subprocess.Popen(
        [sys.executable, "-m", "canpei", "worker"],
        env=env,
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for("failed")
    finally:
        again.terminate()
        again.wait(timeout=30)
    with sqlite3.connect(database) as db:
        summary = db.execute("SELECT result FROM spreadsheets_importjob").fetchone()[0]
        assert db.execute("SELECT count(*) FROM people_person").fetchone()[0] == 0
    assert (
        json.loads(summary)["summary"]
        == "导入被中断（后台进程意外停止），未写入任何数据；请重新上传导入"
    )
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM spreadsheets_importfile").fetchone() == (0,)
    assert token
