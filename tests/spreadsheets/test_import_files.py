"""What an import leaves on disk (issue 8, item 4): the upload and the report are encrypted, mode
0600, removed after CANPEI_UPLOAD_RETENTION_DAYS by the worker; a job a killed worker left
running is failed on the next start and its files removed; the owner still downloads the report,
and `canpei import --report` masks the numbers for whom may not reveal them."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile

from canpei import cli
from canpei import settings as canpei_settings
from canpei.people import rules
from canpei.spreadsheets import jobs
from canpei.spreadsheets.models import ImportJob
from canpei.spreadsheets.sealed import SealedFileError, read_sealed, write_sealed
from tests.spreadsheets.files import PERSON_HEADER, an_id, person_row, read_back, xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    return tmp_path / "var"


def bad_id() -> str:
    good = an_id(13)
    return good[:17] + ("0" if good[17] != "0" else "1")


NUMBERS = [an_id(11), an_id(11) + "42", bad_id()]


def readable(data: bytes) -> list[bytes]:
    """The file's bytes, and every member's once unzipped when it is a zip (an .xlsx)."""
    found = [data]
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            found += [archive.read(name) for name in archive.namelist()]
    return found


def assert_no_number_on_disk(var_dir: Path) -> list[Path]:
    files = [p for p in (var_dir / "imports").rglob("*") if p.is_file()]
    for path in files:
        for blob in readable(path.read_bytes()):
            for number in NUMBERS:
                for encoding in ("utf-8", "utf-16-le"):
                    assert number.encode(encoding) not in blob, f"{number} readable in {path.name}"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    return files


def bad_file() -> bytes:
    return xlsx([PERSON_HEADER, person_row(11), person_row(13, id_number=bad_id(), cert_number="")])


def test_the_upload_waiting_for_the_worker_is_encrypted_and_private(users, var_dir, monkeypatch):
    monkeypatch.setattr(
        jobs, "run_import_job", SimpleNamespace(enqueue=lambda job_id: None)
    )  # the worker is away
    job = jobs.job_start(
        actor=users.city_admin, kind="persons", filename="名册.xlsx", data=bad_file(), dry_run=False
    )
    files = assert_no_number_on_disk(var_dir)
    assert [p.name for p in files] == [f"{job.token}.upload.enc"]
    assert stat.S_IMODE((var_dir / "imports").stat().st_mode) == 0o700
    assert read_sealed(files[0], f"{job.token}.upload") == bad_file()
    with pytest.raises(SealedFileError):  # bound to its job: not another job's upload
        read_sealed(files[0], "00000000-0000-0000-0000-000000000000.upload")


def test_the_report_is_encrypted_and_the_owner_downloads_it_in_clear(users, login, var_dir):
    client = login(users.city_admin)
    response = client.post(
        "/imports/new", {"kind": "persons", "file": SimpleUploadedFile("名册.xlsx", bad_file())}
    )
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.REJECTED
    files = assert_no_number_on_disk(var_dir)
    assert [p.name for p in files] == [f"{job.token}.report.enc"]  # the upload is gone
    report = client.get(f"/imports/{job.token}/report")
    assert report.status_code == 200 and "attachment" in report["Content-Disposition"]
    rows = read_back(b"".join(report.streaming_content))
    assert rows[0][0] == "已拒绝：1 处错误，未写入任何数据"
    assert rows[-1][2] == bad_id() and rows[-1][-1] == f"「身份证号」{rules.ID_CHECKSUM}"
    assert response.status_code == 302
    # Someone else's report is not found, like a report that does not exist.
    assert login(users.town_staff).get(f"/imports/{job.token}/report").status_code == 404


def test_a_report_that_does_not_authenticate_is_not_found(users, login, var_dir):
    client = login(users.city_admin)
    client.post(
        "/imports/new", {"kind": "persons", "file": SimpleUploadedFile("名册.xlsx", bad_file())}
    )
    job = ImportJob.objects.get()
    path = jobs.report_path(job)
    data = bytearray(path.read_bytes())
    data[40] ^= 1
    path.write_bytes(bytes(data))
    assert client.get(f"/imports/{job.token}/report").status_code == 404


# --- retention ---------------------------------------------------------------------------

DAY = 86400


def aged(path: Path, days: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        write_sealed(path, "x", b"data")
    when = time.time() - days * DAY
    os.utime(path, (when, when))
    return path


def test_the_sweep_removes_files_past_the_retention_period_and_keeps_newer_ones(var_dir, settings):
    settings.UPLOAD_RETENTION_DAYS = 7
    imports = var_dir / "imports"
    old_report = aged(imports / "a.report.enc", 7.01)
    old_upload = aged(imports / "b.upload.enc", 30)
    old_part = aged(imports / "c.report.enc.part", 8)
    kept_report = aged(imports / "d.report.enc", 6.99)
    kept_upload = aged(imports / "e.upload.enc", 0)
    assert jobs.sweep_import_files() == 3
    assert not any(p.exists() for p in (old_report, old_upload, old_part))
    assert kept_report.exists() and kept_upload.exists()
    settings.UPLOAD_RETENTION_DAYS = 1
    assert jobs.sweep_import_files() == 1 and not kept_report.exists() and kept_upload.exists()


def test_the_sweep_removes_clear_text_files_of_older_versions_at_once(var_dir):
    imports = var_dir / "imports"
    imports.mkdir(parents=True)
    (imports / "f.report.xlsx").write_bytes(xlsx([PERSON_HEADER, person_row(11)]))
    (imports / "g.upload").write_bytes(b"x")
    assert jobs.sweep_import_files() == 2 and not list(imports.iterdir())


def test_the_worker_sweeps_after_each_job(users, login, var_dir):
    old = aged(var_dir / "imports" / "h.report.enc", 10)
    login(users.city_admin).post(
        "/imports/new", {"kind": "persons", "file": SimpleUploadedFile("名册.xlsx", bad_file())}
    )
    assert not old.exists() and jobs.report_path(ImportJob.objects.get()).exists()


def test_a_swept_report_is_no_longer_offered(users, login, var_dir):
    client = login(users.city_admin)
    client.post(
        "/imports/new", {"kind": "persons", "file": SimpleUploadedFile("名册.xlsx", bad_file())}
    )
    job = ImportJob.objects.get()
    assert f"/imports/{job.token}/report" in client.get(f"/imports/{job.token}").content.decode()
    aged(jobs.report_path(job), 8)
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
    tag = jobs._process_tag(child.pid)
    child.wait()
    return tag


def test_a_job_left_running_by_a_killed_worker_is_failed_on_the_next_start(
    users, var_dir, monkeypatch
):
    monkeypatch.setattr(jobs, "run_import_job", SimpleNamespace(enqueue=lambda job_id: None))
    crashed = jobs.job_start(
        actor=users.city_admin, kind="persons", filename="名册.xlsx", data=bad_file(), dry_run=False
    )
    aged(var_dir / "imports" / f"{crashed.token}.report.enc.part", 0)
    ImportJob.objects.filter(pk=crashed.pk).update(
        state=ImportJob.State.RUNNING, worker=dead_worker_tag()
    )
    running = jobs.job_start(
        actor=users.city_admin, kind="persons", filename="名册.xlsx", data=bad_file(), dry_run=False
    )
    ImportJob.objects.filter(pk=running.pk).update(
        state=ImportJob.State.RUNNING, worker=jobs._process_tag(os.getpid())
    )
    queued = jobs.job_start(
        actor=users.city_admin, kind="persons", filename="名册.xlsx", data=bad_file(), dry_run=False
    )
    called = []
    monkeypatch.setattr("django.core.management.call_command", lambda *a, **k: called.append(a))
    monkeypatch.setattr(jobs, "start_periodic_sweep", lambda: None)
    assert cli.main(["worker"]) == 0 and called == [("db_worker",)]
    crashed.refresh_from_db()
    assert crashed.state == ImportJob.State.FAILED and crashed.finished_at is not None
    assert (
        crashed.result["summary"]
        == "导入被中断（后台进程意外停止），未写入任何数据；请重新上传导入"
    )
    assert not list((var_dir / "imports").glob(f"{crashed.token}.*"))
    # A job whose worker is alive, and one still queued, are left as they are.
    running.refresh_from_db()
    queued.refresh_from_db()
    assert (running.state, queued.state) == (ImportJob.State.RUNNING, ImportJob.State.QUEUED)
    assert jobs.upload_path(running).exists() and jobs.upload_path(queued).exists()


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
    assert not [
        p
        for p in (var / "imports").iterdir()
        if p.name.startswith(token) and p.name.endswith(".upload.enc")
    ]

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
    assert not list((var / "imports").glob(f"{token}.*"))
