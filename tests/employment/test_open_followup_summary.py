"""The open follow-ups' summary (OpenFollowUpCell) stays equal to the follow-ups themselves
after random writes (scheduling, records, moves), and the home pages' counts read from it equal
the counts made from the records alone."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

import pytest

from canpei.employment.followups import selectors, services
from canpei.employment.followups.summary import open_followup_differences, rebuild_open_followups
from canpei.employment.models import FollowUp, OpenFollowUpCell
from canpei.people.models import Person
from canpei.people.services import person_update
from tests.conftest import ANHAI, CIZAO, Users
from tests.employment.fixtures import good_record

pytestmark = pytest.mark.django_db


def _from_records(user: Any, today: dt.date) -> tuple[int, int]:
    """Due this month and overdue, counted from the follow-ups alone (the definition)."""
    visible = selectors.followups_visible_to(user)
    due = visible.filter(selectors.status_q("due", today)).count()
    overdue = visible.filter(selectors.status_q("overdue", today)).count()
    return due, overdue


def _agree(users: Users, today: dt.date) -> None:
    assert open_followup_differences() == []
    for user in (
        users.city_admin,
        users.employment_service,
        users.town_staff,
        users.other_town_staff,
    ):
        counts = selectors.followup_counts(user=user, today=today, done=False)
        assert (counts.due_this_month, counts.overdue) == _from_records(user, today), user.role


def test_the_summary_follows_random_writes(
    users: Users, audited_class: Any, make_completed_application: Callable[..., Any]
) -> None:
    rng = random.Random(7)
    today = dt.date.today()
    for _ in range(4):
        make_completed_application(issued=today - dt.timedelta(days=rng.randrange(95, 400)))
    assert OpenFollowUpCell.objects.exists()
    _agree(users, today)
    for _step in range(10):
        action = rng.choice(["record", "move", "new"])
        if action == "record":
            due = list(FollowUp.objects.filter(date__isnull=True, due_on__lte=today))
            if due:
                services.followup_record(
                    actor=users.city_admin, followup=rng.choice(due), data=good_record()
                )
        elif action == "move":
            person = Person.objects.get(
                pk=rng.choice(list(FollowUp.objects.values_list("person_id", flat=True)))
            )
            town = CIZAO if person.town_id == ANHAI else ANHAI
            person_update(actor=users.city_admin, person=person, data={"town": town})
        else:
            make_completed_application(issued=today - dt.timedelta(days=rng.randrange(95, 400)))
        _agree(users, today)
        # Another day of the month, and the first of the next: the split between the cells
        # (months before) and the records (this month) moves, the counts must not.
        _agree(users, today.replace(day=1))
        _agree(users, (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1))


def test_a_rebuild_after_a_bulk_write_restores_the_summary(
    users: Users, make_completed_application: Callable[..., Any]
) -> None:
    today = dt.date.today()
    make_completed_application(issued=today - dt.timedelta(days=200))
    FollowUp.objects.update(town_id=CIZAO)  # behind the services' back, as a bulk load
    assert open_followup_differences() != []
    rebuild_open_followups()
    assert open_followup_differences() == []
    assert selectors.followup_counts(user=users.town_staff, today=today).overdue == 0
    assert selectors.followup_counts(user=users.other_town_staff, today=today).overdue == 2


def test_a_reader_without_follow_ups_counts_none(users: Users, audited_class: Any) -> None:
    counts = selectors.followup_counts(user=users.institution_staff, today=dt.date.today())
    assert (counts.due_this_month, counts.overdue, counts.done) == (0, 0, 0)
