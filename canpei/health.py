"""The health endpoint `/healthz` for monitoring, and the worker's heartbeat it reads.

`canpei worker` records a beat in the database (WorkerHeartbeat, a row per worker process) every
HEARTBEAT_INTERVAL seconds from a thread of its own, so that /healthz on any app node sees a
worker running on another machine. `/healthz` answers 200 when the database answers a query
and, with the database task backend, the newest beat is at most HEARTBEAT_STALE seconds old;
otherwise 503 with the reason. Unauthenticated, and it names no person, account or path: only
states and ages.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Max
from django.utils import timezone
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

HEARTBEAT_INTERVAL = 30
# Four missed beats: a worker busy with a long import still beats (the beat has its own thread).
HEARTBEAT_STALE = 120


# A worker that has not beaten for this long is gone: its row is removed at the next beat.
HEARTBEAT_FORGET = timedelta(days=1)


def heartbeat_beat() -> None:
    """Record that this worker process is alive now, and forget workers long gone."""
    from canpei.spreadsheets.jobs import process_tag
    from canpei.spreadsheets.models import WorkerHeartbeat

    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(worker=process_tag(os.getpid()),
                                             defaults={"beat_at": now})
    WorkerHeartbeat.objects.filter(beat_at__lt=now - HEARTBEAT_FORGET).delete()


def heartbeat_age(now: float | None = None) -> float | None:
    """Seconds since the newest beat of any worker; None when none has beaten."""
    from canpei.spreadsheets.models import WorkerHeartbeat

    beat = WorkerHeartbeat.objects.aggregate(newest=Max("beat_at"))["newest"]
    if beat is None:
        return None
    return max(0.0, (time.time() if now is None else now) - beat.timestamp())


def start_heartbeat() -> threading.Thread:
    """Beat now, then every HEARTBEAT_INTERVAL seconds while the worker process lives."""
    heartbeat_beat()

    def loop() -> None:
        while True:
            time.sleep(HEARTBEAT_INTERVAL)
            try:
                heartbeat_beat()
            except DatabaseError:
                logger.error("writing the worker heartbeat failed", exc_info=False)
            finally:
                connection.close()  # this thread's own connection: not held between beats

    thread = threading.Thread(target=loop, name="worker-heartbeat", daemon=True)
    thread.start()
    return thread


def worker_expected() -> bool:
    """Whether background jobs need `canpei worker` (CANPEI_TASKS=database, the default)."""
    return bool(settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    body: dict[str, Any] = {"status": "ok"}
    reasons: list[str] = []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        body["database"] = "ok"
    except DatabaseError:
        body["database"] = "error"
        reasons.append("database unreachable")
    if worker_expected() and body["database"] == "ok":
        age = heartbeat_age()
        body["worker_heartbeat_age_seconds"] = None if age is None else int(age)
        if age is None:
            body["worker"] = "missing"
            reasons.append("the worker has never sent a heartbeat")
        elif age > HEARTBEAT_STALE:
            body["worker"] = "stale"
            reasons.append(f"the worker's last heartbeat is {int(age)} s old "
                           f"(more than {HEARTBEAT_STALE} s)")
        else:
            body["worker"] = "ok"
    else:
        body["worker"] = "not used"  # CANPEI_TASKS=immediate: jobs run inside the request
    if reasons:
        body["status"] = "error"
        body["reason"] = "; ".join(reasons)
        return JsonResponse(body, status=503)
    return JsonResponse(body)
