"""Computing the alerts into their table: the background job and what queues it.

`recompute(year)` runs every rule of `rules.RULES` over the year's records and brings the table in
step, under the year's row lock (AlertComputation), in one transaction:

- a finding whose fingerprint (rule, year, subject) has no alert yet raises one (open, with a
  「发现」 event);
- an alert found again gets the new sentence, links and records (its state is kept); a resolved
  one found again is reopened;
- an open alert not found any more is resolved (已消除): the data that raised it were corrected.
  A confirmed or dismissed alert keeps its decision either way.

The writes that affect the alerts announce `hooks.outcomes_changed` (persons, surveys,
enrolments, classes, applications); `records_changed` then queues the job for the years those
persons' training falls in, once the write commits. Inspections, sessions and designations are
picked up by the next run (any write of the year, or `canpei alerts recompute`). Pages never
compute: they read the table.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Iterable
from typing import Any
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models.functions import ExtractYear
from django.utils import timezone, translation
from django_tasks import task

from canpei.audit.actions import AuditAction
from canpei.audit.services import audit_record
from canpei.supervision.models import RAISE, Alert, AlertComputation, AlertEvent, AlertTown
from canpei.supervision.rules import RULES, Finding
from canpei.supervision.workflow import ALERT_WORKFLOW, AlertAction, AlertState
from canpei.training.models import Application, Enrollment, TrainingClass

logger = logging.getLogger(__name__)

CHUNK = 2000  # ids in one IN (...) list


def fingerprint(rule: str, year: int, subject: tuple[object, ...]) -> str:
    key = "|".join([rule, str(year), *(str(part) for part in subject)])
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass
class Outcome:
    year: int
    raised: int = 0
    resolved: int = 0
    reopened: int = 0
    open: int = 0
    skipped: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.raised or self.resolved or self.reopened)


def findings(year: int) -> dict[str, tuple[str, Finding]]:
    """Every rule's findings of the year: fingerprint -> (rule code, finding)."""
    found: dict[str, tuple[str, Finding]] = {}
    for code, spec in RULES.items():
        for finding in spec.find(year):
            found[fingerprint(code, year, finding.subject)] = (code, finding)
    return found


def _related_sets(year: int) -> dict[int, tuple[set[int], set[int], set[int]]]:
    """Each alert of the year: its classes, institutions and persons."""
    sets: dict[int, tuple[set[int], set[int], set[int]]] = {}
    for index, (through, column) in enumerate(_throughs()):
        for alert_id, other in through.objects.filter(alert__year=year).values_list(
                "alert_id", column).iterator(chunk_size=10000):
            sets.setdefault(alert_id, (set(), set(), set()))[index].add(other)
    return sets


def _throughs() -> list[tuple[Any, str]]:
    return [(Alert.classes.through, "trainingclass_id"),
            (Alert.institutions.through, "institution_id"),
            (Alert.persons.through, "person_id")]


def _write_related(rows: list[tuple[int, Finding]], *, replace: bool) -> None:
    """Set the classes, institutions and persons of these alerts."""
    if not rows:
        return
    ids = [pk for pk, _f in rows]
    for through, column in _throughs():
        if replace:
            for start in range(0, len(ids), CHUNK):
                through.objects.filter(alert_id__in=ids[start:start + CHUNK]).delete()
        values = {"trainingclass_id": "classes", "institution_id": "institutions",
                  "person_id": "persons"}[column]
        through.objects.bulk_create(
            [through(alert_id=pk, **{column: other})
             for pk, f in rows for other in sorted(getattr(f, values))], batch_size=5000)
    write_towns(ids, replace=replace)


def write_towns(alert_ids: Iterable[int], *, replace: bool = True) -> None:
    """Set the towns of these alerts (AlertTown) from their persons' current towns."""
    ids = sorted(set(alert_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        if replace:
            AlertTown.objects.filter(alert_id__in=chunk).delete()
        pairs = set(Alert.persons.through.objects.filter(alert_id__in=chunk)
                    .values_list("alert_id", "person__town_id"))
        AlertTown.objects.bulk_create([AlertTown(alert_id=alert, town=town)
                                       for alert, town in sorted(pairs)], batch_size=5000)


def alerts_follow_town(moved: dict[int, str]) -> None:
    """The receiver of hooks.person_moved: the alerts about a moved person now concern their
    new town (and still any other town one of their persons lives in), in the mover's
    transaction: the new town's staff see them at once, the old town's no longer."""
    person_ids = sorted(moved)
    alerts: set[int] = set()
    for start in range(0, len(person_ids), CHUNK):
        alerts |= set(Alert.persons.through.objects.filter(
            person_id__in=person_ids[start:start + CHUNK]).values_list("alert_id", flat=True))
    write_towns(alerts)


def _event(alert: Alert, action: str, before: str, now: dt.datetime) -> AlertEvent:
    return AlertEvent(alert=alert, action=action, from_state=before, to_state=alert.state,
                      actor=None, at=now)


def recompute(year: int, *, queued_at: dt.datetime | None = None) -> Outcome:
    """Bring the alerts of `year` in step with the records (see the module's docstring).
    `queued_at`: when the job was queued; a run started since then has already seen the writes
    that queued it, and this one returns at once."""
    outcome = Outcome(year=year)
    # The alerts keep each sentence's Chinese (summary): rendered under the source language.
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        AlertComputation.objects.get_or_create(year=year)
        run = AlertComputation.objects.select_for_update().get(year=year)
        if queued_at is not None and run.started_at is not None and run.started_at > queued_at:
            outcome.skipped = True
            return outcome
        now = timezone.now()
        run.started_at = now
        found = findings(year)
        existing = {a.fingerprint: a for a in Alert.objects.filter(year=year)}
        today = timezone.localdate()
        events: list[AlertEvent] = []
        new_alerts = [Alert(rule=code, fingerprint=fp, year=year, summary=f.summary,
                            message=f.message, params=f.params,
                            links=[link.as_json() for link in f.links], on_date=f.on_date,
                            raised_on=today, updated_at=now)
                      for fp, (code, f) in found.items() if fp not in existing]
        Alert.objects.bulk_create(new_alerts, batch_size=2000)
        for alert in new_alerts:
            events.append(_event(alert, RAISE, "", now))
        _write_related([(a.pk, found[a.fingerprint][1]) for a in new_alerts], replace=False)
        outcome.raised = len(new_alerts)

        kept = [a for fp, a in existing.items() if fp in found]
        current = _related_sets(year)
        changed: list[Alert] = []
        relink: list[tuple[int, Finding]] = []
        for alert in kept:
            f = found[alert.fingerprint][1]
            links = [link.as_json() for link in f.links]
            before = alert.state
            if alert.state == AlertState.RESOLVED:
                alert.state = ALERT_WORKFLOW.target(before, AlertAction.REOPEN) or before
                events.append(_event(alert, AlertAction.REOPEN, before, now))
                outcome.reopened += 1
            summary, params = f.summary, f.params
            if (alert.state != before or alert.summary != summary or alert.links != links
                    or alert.message != f.message or alert.params != params
                    or alert.on_date != f.on_date):
                alert.summary, alert.links, alert.on_date = summary, links, f.on_date
                alert.message, alert.params = f.message, params
                alert.updated_at = now
                changed.append(alert)
            if current.get(alert.pk, (set(), set(), set())) != (f.classes, f.institutions,
                                                                 f.persons):
                relink.append((alert.pk, f))
        for fp, alert in existing.items():
            if fp not in found and alert.state == AlertState.OPEN:
                alert.state = ALERT_WORKFLOW.target(AlertState.OPEN, AlertAction.RESOLVE) or ""
                alert.updated_at = now
                changed.append(alert)
                events.append(_event(alert, AlertAction.RESOLVE, AlertState.OPEN, now))
                outcome.resolved += 1
        Alert.objects.bulk_update(changed, ["state", "summary", "message", "params", "links",
                                            "on_date", "updated_at"], batch_size=2000)
        _write_related(relink, replace=True)
        AlertEvent.objects.bulk_create(events, batch_size=5000)
        outcome.open = Alert.objects.filter(year=year, state=AlertState.OPEN).count()
        run.finished_at = timezone.now()
        run.raised = len(found)
        run.save()
        if outcome.changed:
            audit_record(actor=None, action=AuditAction.ALERT_RECOMPUTE,  # zh-data: audit words
                         object_type="supervision.alert", object_id=year,
                         summary=(f"{year} 年度监管预警：新发现 {outcome.raised} 条，"
                                  f"消除 {outcome.resolved} 条，重新出现 {outcome.reopened} 条"),
                         changes={"year": year, "raised": outcome.raised,
                                  "resolved": outcome.resolved, "reopened": outcome.reopened})
    return outcome


def data_years() -> list[int]:
    """The years with classes or individual applications, and this year."""
    years = {timezone.localdate().year}
    years |= set(TrainingClass.objects.annotate(y=ExtractYear("start_date"))
                 .values_list("y", flat=True).distinct())
    years |= set(Application.objects.exclude(planned_start=None)
                 .annotate(y=ExtractYear("planned_start")).values_list("y", flat=True)
                 .distinct())
    return sorted(years)


def recompute_all(years: Iterable[int] | None = None) -> list[Outcome]:
    return [recompute(year) for year in (sorted(set(years)) if years else data_years())]


@task()
def recompute_alerts(year: int, queued_at: str) -> None:
    outcome = recompute(year, queued_at=dt.datetime.fromisoformat(queued_at))
    if not outcome.skipped:
        logger.info("alerts of %s: %s raised, %s resolved, %s reopened", year, outcome.raised,
                    outcome.resolved, outcome.reopened)


def queue(years: Iterable[int]) -> None:
    """Queue the job for these years once the current transaction commits."""
    queued_at = timezone.now().isoformat()
    for year in sorted(set(years)):
        transaction.on_commit(_enqueue(year, queued_at))


def _enqueue(year: int, queued_at: str) -> Callable[[], None]:
    def run() -> None:
        recompute_alerts.enqueue(year, queued_at)
    return run


def records_changed(person_ids: list[int]) -> None:
    """The receiver of hooks.outcomes_changed: queue the years of these persons' training."""
    if not settings.ALERT_AUTO_RECOMPUTE:
        return
    years = {timezone.localdate().year}
    for start in range(0, len(person_ids), CHUNK):
        chunk = person_ids[start:start + CHUNK]
        years |= set(Enrollment.objects.filter(person_id__in=chunk)
                     .annotate(y=ExtractYear("training_class__start_date"))
                     .values_list("y", flat=True).distinct())
        years |= set(Application.objects.filter(person_id__in=chunk)
                     .exclude(planned_start=None).annotate(y=ExtractYear("planned_start"))
                     .values_list("y", flat=True).distinct())
    queue(years)
