"""Running imports: the background job behind the upload page (the kinds are in the registry)."""

from __future__ import annotations

import itertools
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone, translation
from django_tasks import task
from django.utils.translation import gettext_noop

from canpei.accounts.models import User
from canpei.spreadsheets.importing import write_report
from canpei.spreadsheets.models import ImportFile, ImportJob
from canpei.spreadsheets.registry import import_spec
from canpei.spreadsheets.sealed import SealedFileError, SealedWriter, iter_sealed, read_sealed, write_sealed

logger = logging.getLogger(__name__)

# An import's files, both sealed (canpei.spreadsheets.sealed) and kept in the database
# (ImportFile, a row per segment): the upload until the worker has read it, the report until the
# retention period (CANPEI_UPLOAD_RETENTION_DAYS) ends.
UPLOAD = ImportFile.What.UPLOAD
REPORT = ImportFile.What.REPORT


def _purpose(job: ImportJob, what: str) -> str:
    return f"{job.token}.{what}"


def _sink(job: ImportJob, what: str) -> Callable[[int, bytes], None]:
    def store(number: int, data: bytes) -> None:
        ImportFile.objects.create(job=job, what=what, number=number, data=data)
    return store


def _segments(job: ImportJob, what: str) -> Iterator[bytes]:
    """The stored segments in order, one query each: a report of many megabytes is never in
    memory whole, with or without server-side cursors (PgBouncer)."""
    number = 0
    while True:
        data = ImportFile.objects.filter(job=job, what=what, number=number).values_list(
            "data", flat=True).first()
        if data is None:
            return
        yield bytes(data)
        number += 1


def remove_files(job: ImportJob, what: str | None = None) -> None:
    files = ImportFile.objects.filter(job=job)
    (files if what is None else files.filter(what=what)).delete()


def has_file(job: ImportJob, what: str) -> bool:
    return ImportFile.objects.filter(job=job, what=what, number=0).exists()


def open_report(job: ImportJob) -> Iterator[bytes] | None:
    """The job's report workbook, decrypted as it is read; None when there is none (not
    finished, swept after the retention period, or unreadable with the current field key)."""
    if not job.finished or not has_file(job, REPORT):
        return None
    chunks = iter_sealed(_segments(job, REPORT), _purpose(job, REPORT))
    try:
        first = next(chunks, b"")  # authenticates the header and the first segment now
    except SealedFileError:
        return None
    return itertools.chain([first], chunks)


# Stored as the job's summary in the source language; its page translates them when shown.
JOB_FAILED = gettext_noop("导入出错，未写入任何数据；请联系管理员")
JOB_INTERRUPTED = gettext_noop("导入被中断（后台进程意外停止），未写入任何数据；请重新上传导入")


def process_tag(pid: int) -> str:
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
    return process_tag(pid) == tag


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


def sweep_import_files(*, now: float | None = None) -> int:
    """Remove the imports' files stored longer than the retention period; return how many
    (a file counts once, whatever its segments). The worker runs this at start, after each job
    and every hour. Files an older version kept in CANPEI_VAR_DIR/imports are removed too."""
    moment = timezone.now() if now is None else datetime.fromtimestamp(now, tz=UTC)
    cutoff = moment - timedelta(days=settings.UPLOAD_RETENTION_DAYS)
    old = ImportFile.objects.filter(number=0, created_at__lt=cutoff).values_list("job_id", "what")
    removed = 0
    for job_id, what in list(old):
        ImportFile.objects.filter(job_id=job_id, what=what).delete()
        removed += 1
    _remove_legacy_files()
    return removed


def _remove_legacy_files() -> None:
    """Before the import files moved into the database they lay, sealed, in the var directory."""
    legacy = settings.VAR_DIR / "imports"
    if legacy.is_dir():
        for path in legacy.iterdir():
            if path.is_file():
                path.unlink(missing_ok=True)


SWEEP_INTERVAL = 3600.0


def start_periodic_sweep() -> threading.Thread:
    """Sweep every SWEEP_INTERVAL seconds while the worker waits for jobs (on this thread's own
    database connection, closed after each sweep)."""
    from django.db import connection

    def loop() -> None:
        while True:
            time.sleep(SWEEP_INTERVAL)
            try:
                sweep_import_files()
            except (OSError, DatabaseError):
                logger.error("sweeping the import files failed", exc_info=False)
            finally:
                connection.close()

    thread = threading.Thread(target=loop, name="import-file-sweep", daemon=True)
    thread.start()
    return thread


def run_job(job_id: int) -> None:
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    if job.finished:
        return
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.RUNNING,
                                               worker=process_tag(os.getpid()))

    def progress(done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(done=done, total=total)

    try:
        data = read_sealed(_segments(job, UPLOAD), _purpose(job, UPLOAD))
        remove_files(job, UPLOAD)  # read: no longer needed
        with translation.override(job.language or settings.LANGUAGE_CODE):
            result = import_spec(job.kind).run(actor=job.user, data=data, filename=job.filename,
                                               dry_run=job.dry_run, progress=progress)
            del data
            try:
                with SealedWriter(_sink(job, REPORT), _purpose(job, REPORT)) as out:
                    write_report(out, result)
            except BaseException:
                remove_files(job, REPORT)  # segments without their last one never open: drop them
                raise
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
        remove_files(job, UPLOAD)
    try:
        sweep_import_files()
    except (OSError, DatabaseError):
        logger.error("sweeping the import files failed", exc_info=False)


@task()
def run_import_job(job_id: int) -> None:
    run_job(job_id)


def job_start(*, actor: User, kind: str, filename: str, data: bytes, dry_run: bool) -> ImportJob:
    """Store the upload and queue the import; the caller shows the job's page."""
    with transaction.atomic():
        job = ImportJob.objects.create(kind=kind, user=actor, filename=filename[:200],
                                       dry_run=dry_run, language=translation.get_language() or "")
        write_sealed(_sink(job, UPLOAD), _purpose(job, UPLOAD), data)
    run_import_job.enqueue(job.pk)
    return job
