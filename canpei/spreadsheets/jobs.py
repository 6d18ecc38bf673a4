"""Running imports: the registry of import kinds, and the background job behind the upload page."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from canpei.accounts.roles import Perm, has_perm
from canpei.spreadsheets.importing import ImportResult, write_report
from canpei.spreadsheets.models import ImportJob

logger = logging.getLogger(__name__)

KIND_LABELS = {"persons": "人员名册", "surveys": "需求调查", "enrollments": "培训班花名册/考勤",
               "certificates": "培训证书"}

# What each kind needs of the user. Institutions keep their own classes' rosters and certificates
# (ROSTER_EDIT) without being registry importers (IMPORT_RUN); the importer checks again.
KIND_PERMS: dict[str, tuple[str, ...]] = {
    "persons": (Perm.IMPORT_RUN, Perm.PERSON_CREATE),
    "surveys": (Perm.IMPORT_RUN, Perm.SURVEY_EDIT),
    "enrollments": (Perm.ROSTER_EDIT,),
    "certificates": (Perm.ROSTER_EDIT,),
}


def kinds_for(user: Any) -> list[str]:
    """The import kinds `user` may run, in the order the upload page offers them."""
    return [kind for kind, perms in KIND_PERMS.items() if all(has_perm(user, p) for p in perms)]


def importer(kind: str) -> Callable[..., ImportResult]:
    # Imported here: the importers import the apps' models, which this module must not need at
    # start-up.
    if kind == "persons":
        from canpei.people.imports import persons_import

        return persons_import
    if kind == "surveys":
        from canpei.people.survey_imports import surveys_import

        return surveys_import
    if kind == "enrollments":
        from canpei.training.imports import enrollments_import

        return enrollments_import
    if kind == "certificates":
        from canpei.training.imports import certificates_import

        return certificates_import
    raise KeyError(kind)


def job_dir() -> Path:
    path = Path(settings.VAR_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def upload_path(job: ImportJob) -> Path:
    return job_dir() / f"{job.token}.upload"


def report_path(job: ImportJob) -> Path:
    return job_dir() / f"{job.token}.report.xlsx"


def run_job(job_id: int) -> None:
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    if job.finished:
        return
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.RUNNING)

    def progress(done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(done=done, total=total)

    try:
        data = upload_path(job).read_bytes()
        result = importer(job.kind)(actor=job.user, data=data, filename=job.filename,
                                    dry_run=job.dry_run, progress=progress)
        write_report(str(report_path(job)), result)
        state = ImportJob.State.DONE if result.ok else ImportJob.State.REJECTED
        ImportJob.objects.filter(pk=job.pk).update(
            state=state, result=result.as_dict(), done=result.total, total=result.total,
            finished_at=timezone.now())
    except Exception:
        # No personal data in the log: the exception's text may quote a cell.
        logger.error("import job %s failed", job.pk, exc_info=False)
        ImportJob.objects.filter(pk=job.pk).update(
            state=ImportJob.State.FAILED, finished_at=timezone.now(),
            result={"summary": "导入出错，未写入任何数据；请联系管理员"})
    finally:
        upload_path(job).unlink(missing_ok=True)


@task()
def run_import_job(job_id: int) -> None:
    run_job(job_id)


def job_start(*, actor: Any, kind: str, filename: str, data: bytes, dry_run: bool) -> ImportJob:
    """Store the upload and queue the import; the caller shows the job's page."""
    job = ImportJob.objects.create(kind=kind, user=actor, filename=filename[:200], dry_run=dry_run)
    upload_path(job).write_bytes(data)
    run_import_job.enqueue(job.pk)
    return job
