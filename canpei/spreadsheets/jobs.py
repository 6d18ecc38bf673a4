"""Running imports: the background job behind the upload page (the kinds are in the registry)."""

from __future__ import annotations

import itertools
import logging
import os
import socket
import threading
import time
from pathlib import Path
from collections.abc import Iterator

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from canpei.accounts.models import User
from canpei.spreadsheets.importing import write_report
from canpei.spreadsheets.models import ImportJob
from canpei.spreadsheets.registry import import_spec
from canpei.spreadsheets.sealed import (
    SealedFileError, SealedWriter, iter_sealed, private_dir, read_sealed, write_sealed,
)

logger = logging.getLogger(__name__)

def job_dir() -> Path:
    return private_dir(Path(settings.VAR_DIR) / "imports")


# An import's files, both sealed (canpei.spreadsheets.sealed): the upload until the worker has
# read it, the report until the retention period (CANPEI_UPLOAD_RETENTION_DAYS) ends.
def upload_path(job: ImportJob) -> Path:
    return job_dir() / f"{job.token}.upload.enc"


def report_path(job: ImportJob) -> Path:
    return job_dir() / f"{job.token}.report.enc"


def _purpose(job: ImportJob, what: str) -> str:
    return f"{job.token}.{what}"


def remove_files(job: ImportJob) -> None:
    for path in job_dir().glob(f"{job.token}.*"):
        path.unlink(missing_ok=True)


def open_report(job: ImportJob) -> Iterator[bytes] | None:
    """The job's report workbook, decrypted as it is read; None when there is none (not
    finished, swept after the retention period, or unreadable with the current field key)."""
    path = report_path(job)
    if not job.finished or not path.exists():
        return None
    chunks = iter_sealed(path, _purpose(job, "report"))
    try:
        first = next(chunks, b"")  # authenticates the header and the first segment now
    except (SealedFileError, OSError):
        return None
    return itertools.chain([first], chunks)


JOB_FAILED = "导入出错，未写入任何数据；请联系管理员"
JOB_INTERRUPTED = "导入被中断（后台进程意外停止），未写入任何数据；请重新上传导入"


def _process_tag(pid: int) -> str:
    """`pid`, with its start time where /proc tells it, so a reused pid is not taken for the
    process that died: "host:pid:start"."""
    start = ""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            start = stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        pass
    return f"{socket.gethostname()}:{pid}:{start}"


def _alive(tag: str) -> bool:
    host, _, rest = tag.partition(":")
    pid_text, _, _start = rest.partition(":")
    if host != socket.gethostname():
        return True  # another machine's worker: not ours to judge
    if not pid_text.isdigit():
        return False
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return _process_tag(pid) == tag


def recover_interrupted_jobs() -> int:
    """Jobs left running by a worker of this machine that has died (killed, crashed): marked
    failed, their files removed. The database rolled their writes back already."""
    count = 0
    for job in ImportJob.objects.filter(state=ImportJob.State.RUNNING):
        if job.worker and _alive(job.worker):
            continue
        if ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.RUNNING).update(
                state=ImportJob.State.FAILED, finished_at=timezone.now(),
                result={"summary": JOB_INTERRUPTED}):
            remove_files(job)
            count += 1
            logger.warning("import job %s was interrupted; marked failed", job.pk)
    return count


# Files of imports before they were sealed: clear text, removed at the first sweep.
_CLEAR_TEXT = (".upload", ".report.xlsx")


def sweep_import_files(*, now: float | None = None) -> int:
    """Remove the imports' files older than the retention period, and any clear-text file an
    older version left; return how many. The worker runs this at start, after each job and
    every hour."""
    cutoff = (time.time() if now is None else now) - settings.UPLOAD_RETENTION_DAYS * 86400
    removed = 0
    for path in job_dir().iterdir():
        try:
            if not path.is_file():
                continue
            if path.name.endswith(_CLEAR_TEXT) or path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed


SWEEP_INTERVAL = 3600.0


def start_periodic_sweep() -> threading.Thread:
    """Sweep every SWEEP_INTERVAL seconds while the worker waits for jobs (files only: no
    database connection in this thread)."""

    def loop() -> None:
        while True:
            time.sleep(SWEEP_INTERVAL)
            try:
                sweep_import_files()
            except OSError:
                logger.error("sweeping the import files failed", exc_info=False)

    thread = threading.Thread(target=loop, name="import-file-sweep", daemon=True)
    thread.start()
    return thread


def run_job(job_id: int) -> None:
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    if job.finished:
        return
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.RUNNING,
                                               worker=_process_tag(os.getpid()))

    def progress(done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(done=done, total=total)

    try:
        data = read_sealed(upload_path(job), _purpose(job, "upload"))
        upload_path(job).unlink(missing_ok=True)  # read: no longer needed on disk
        result = import_spec(job.kind).run(actor=job.user, data=data, filename=job.filename,
                                           dry_run=job.dry_run, progress=progress)
        del data
        with SealedWriter(report_path(job), _purpose(job, "report")) as out:
            write_report(out, result)
        state = ImportJob.State.DONE if result.ok else ImportJob.State.REJECTED
        ImportJob.objects.filter(pk=job.pk).update(
            state=state, result=result.as_dict(), done=result.total, total=result.total,
            finished_at=timezone.now())
    except Exception:
        # No personal data in the log: the exception's text may quote a cell.
        logger.error("import job %s failed", job.pk, exc_info=False)
        ImportJob.objects.filter(pk=job.pk).update(
            state=ImportJob.State.FAILED, finished_at=timezone.now(),
            result={"summary": JOB_FAILED})
        remove_files(job)
    finally:
        upload_path(job).unlink(missing_ok=True)
    try:
        sweep_import_files()
    except OSError:
        logger.error("sweeping the import files failed", exc_info=False)


@task()
def run_import_job(job_id: int) -> None:
    run_job(job_id)


def job_start(*, actor: User, kind: str, filename: str, data: bytes, dry_run: bool) -> ImportJob:
    """Store the upload and queue the import; the caller shows the job's page."""
    job = ImportJob.objects.create(kind=kind, user=actor, filename=filename[:200], dry_run=dry_run)
    write_sealed(upload_path(job), _purpose(job, "upload"), data)
    run_import_job.enqueue(job.pk)
    return job
