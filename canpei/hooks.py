"""Reactions of one app to another's writes, registered explicitly at start-up.

A lower app announces what happened (`person_moved`); a higher app that must follow registers a
receiver from its AppConfig.ready(). So `people` never imports `training`, yet a moved person's
enrolments still follow them in the same transaction. Not Django signals: the service calls the
hook where the rule says, not every save().
"""

from __future__ import annotations

from typing import Any
from collections.abc import Callable, Iterable

from django.db import connection

# person id -> the person's new town code
PersonMoved = Callable[[dict[int, str]], None]

_person_moved: list[PersonMoved] = []


def on_person_moved(receiver: PersonMoved) -> None:
    """Register `receiver` for `person_moved` (once, however often ready() runs)."""
    if receiver not in _person_moved:
        _person_moved.append(receiver)


def person_moved(moved: dict[int, str]) -> None:
    """Tell the receivers that these persons now live in another town. The people services call
    it inside their transaction, so what the receivers write commits or rolls back with them."""
    if not moved:
        return
    if not connection.in_atomic_block:
        raise RuntimeError("person_moved must run inside the transaction that moved the persons")
    for receiver in _person_moved:
        receiver(moved)


# What training completed, finally: the enrolments (status completed) of a class whose completion
# the city has audited, and individual applications registered as completed.
TrainingCompleted = Callable[[list[int], list[int]], None]

_training_completed: list[TrainingCompleted] = []


def on_training_completed(receiver: TrainingCompleted) -> None:
    """Register `receiver` for `training_completed` (once, however often ready() runs)."""
    if receiver not in _training_completed:
        _training_completed.append(receiver)


def training_completed(*, enrollments: list[int] | None = None,
                       applications: list[int] | None = None) -> None:
    """Tell the receivers that these enrolments and applications are now finally completed. The
    training services call it inside the transaction of the step (class audit passed, application
    completed), so what the receivers write (the follow-ups due) commits or rolls back with it."""
    enrollment_ids, application_ids = list(enrollments or []), list(applications or [])
    if not enrollment_ids and not application_ids:
        return
    if not connection.in_atomic_block:
        raise RuntimeError("training_completed must run inside the transaction that completed them")
    for receiver in _training_completed:
        receiver(enrollment_ids, application_ids)


# What the outcome figures read changed for these persons: a person's own fields (status, birth
# date, gender, town, hardship flags), their surveys, enrolments (or the classes they sit in),
# individual applications or follow-ups. The reports keep summaries of the plan's targets and of
# the indicators per person, updated by their receivers in the writer's transaction.
OutcomesChanged = Callable[[list[int]], None]

_outcomes_changed: list[OutcomesChanged] = []


def on_outcomes_changed(receiver: OutcomesChanged) -> None:
    """Register `receiver` for `outcomes_changed` (once, however often ready() runs)."""
    if receiver not in _outcomes_changed:
        _outcomes_changed.append(receiver)


def outcomes_changed(person_ids: Iterable[int]) -> None:
    """Tell the receivers that what the outcome figures read changed for these persons. Every
    service writing a person, survey, enrolment, class, application or follow-up calls it inside
    its transaction (after its writes), so the summaries commit or roll back with the write."""
    ids = sorted({int(pk) for pk in person_ids})
    if not ids:
        return
    if not connection.in_atomic_block:
        raise RuntimeError("outcomes_changed must run inside the transaction that wrote them")
    for receiver in _outcomes_changed:
        receiver(ids)


# New persons on the registry (created one by one or imported): only the registry's summary
# counts them until they are surveyed or trained, which announce outcomes_changed.
PersonsAdded = Callable[[list[int]], None]

_persons_added: list[PersonsAdded] = []


def on_persons_added(receiver: PersonsAdded) -> None:
    """Register `receiver` for `persons_added` (once, however often ready() runs)."""
    if receiver not in _persons_added:
        _persons_added.append(receiver)


def persons_added(person_ids: Iterable[int]) -> None:
    """Tell the receivers that these persons are new on the registry, inside the transaction
    that created them."""
    ids = sorted({int(pk) for pk in person_ids})
    if not ids:
        return
    if not connection.in_atomic_block:
        raise RuntimeError("persons_added must run inside the transaction that created them")
    for receiver in _persons_added:
        receiver(ids)


def follow_town(moved: dict[int, str], *models: type[Any]) -> None:
    """A `person_moved` receiver's work: copy each moved person's new town onto the `town` of
    their records of `models` (each with a `person` and a `town`), in the caller's transaction."""
    by_town: dict[str, list[int]] = {}
    for person_id, town in moved.items():
        by_town.setdefault(town, []).append(person_id)
    for town, ids in by_town.items():
        for start in range(0, len(ids), 1000):
            chunk = ids[start:start + 1000]
            for model in models:
                model._default_manager.filter(person_id__in=chunk).update(town_id=town)
