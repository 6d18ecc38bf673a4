from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from canpei.codes import CodedDisplay, code_table


ImportState = code_table("ImportState", "import_state")


class ImportJob(CodedDisplay, models.Model):
    """An upload being imported in the background; its page shows progress and the result."""

    State = ImportState

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=20)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=200)
    dry_run = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The worker process running the job ("host:pid:start"): a job left running by a worker
    # that has died is marked failed when the next one starts.
    worker = models.CharField(max_length=120, blank=True, default="")
    # The language of the page the file was uploaded from: the worker writes the row errors and
    # the report in it ("" for jobs from before it was kept: the default language).
    language = models.CharField(max_length=16, blank=True, default="")

    class Meta:
        ordering = ["-id"]

    @property
    def finished(self) -> bool:
        return self.state in {self.State.DONE, self.State.REJECTED, self.State.FAILED}

    @property
    def has_report(self) -> bool:
        return self.finished and ImportFile.objects.filter(
            job=self, what=ImportFile.What.REPORT, number=0).exists()

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0


class ImportFile(CodedDisplay, models.Model):
    """One segment of an import's sealed file (canpei.spreadsheets.sealed): the upload until the
    worker has read it, the report until the retention period ends. In the database, so that the
    node that took the upload, the worker that runs the job and the node that serves the report
    may be three different machines."""

    class What(models.TextChoices):
        UPLOAD = "upload", _("上传文件")
        REPORT = "report", _("导入报告")

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="+")
    what = models.CharField(max_length=6, choices=What.choices)
    number = models.PositiveIntegerField()  # 0: the header; then the sealed segments in order
    data = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "what", "number"],
                                               name="import_file_segment_once")]


class WorkerHeartbeat(models.Model):
    """When each `canpei worker` last beat (canpei.health): in the database, so that /healthz on
    any app node sees a worker running on another."""

    worker = models.CharField(max_length=120, unique=True)  # "host:pid:start"
    beat_at = models.DateTimeField()
