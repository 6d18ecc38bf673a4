"""Reactions of one app to another's writes, registered explicitly at start-up.

A lower app announces what happened (`person_moved`); a higher app that must follow registers a
receiver from its AppConfig.ready(). So `people` never imports `training`, yet a moved person's
enrolments still follow them in the same transaction. Not Django signals: the service calls the
hook where the rule says, not every save().
"""

from __future__ import annotations

from collections.abc import Callable

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
