"""The role × action × state matrix of the class lifecycle, written out from PRODUCT.md rather
than read from the code's table: every cell either takes effect or is refused, and a refusal
changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction

from canpei.errors import Conflict, Forbidden, NotFound
from canpei.training.classes import services
from canpei.training.models import ClassEvent, TrainingClass
from tests.training.conftest import CIZAO
from tests.training.fixtures import register_hours

STATES = [
    "draft",
    "submitted",
    "returned",
    "approved",
    "running",
    "completed",
    "audit_failed",
    "audited",
    "settled",
    "cancelled",
]

# action: (states it starts from, roles that take it) — PRODUCT.md, "Training class".
ALLOWED = {
    "submit": ({"draft", "returned"}, {"institution_staff"}),
    "approve": ({"submitted"}, {"city_admin"}),
    "return": ({"submitted"}, {"city_admin"}),
    "start": ({"approved"}, {"institution_staff"}),
    "complete": ({"running", "audit_failed"}, {"institution_staff"}),
    "pass_audit": ({"completed"}, {"city_admin"}),
    "fail_audit": ({"completed"}, {"city_admin"}),
    "settle": ({"audited"}, {"city_admin"}),
    "cancel": ({"draft", "submitted", "returned", "approved"}, {"institution_staff", "city_admin"}),
}
TARGET = {
    "submit": "submitted",
    "approve": "approved",
    "return": "returned",
    "start": "running",
    "complete": "completed",
    "pass_audit": "audited",
    "fail_audit": "audit_failed",
    "settle": "settled",
    "cancel": "cancelled",
}
ACTORS = [
    "city_admin",
    "town_staff",
    "other_town_staff",
    "institution_staff",
    "other_institution_staff",
    "employment_service",
    "auditor",
    "sys_admin",
    "security_admin",
    "audit_admin",
]


def expected(actor: str, action: str, state: str) -> str:
    if actor in ("sys_admin", "security_admin", "audit_admin"):
        return "forbidden"  # no business data at all
    if actor in ("other_town_staff", "other_institution_staff"):
        return "not_found"  # outside the scope: as if absent
    sources, roles = ALLOWED[action]
    if actor not in roles:
        return "forbidden"
    return "ok" if state in sources else "conflict"


class Rollback(Exception):
    pass


@pytest.mark.parametrize("state", STATES)
def test_every_role_and_action_in_this_state(
    state, users, make_class, trainee_factory, other_institution
):
    from canpei.accounts.models import User

    actors: dict[str, Any] = dict(users.by_role())
    actors["other_town_staff"] = users.other_town_staff
    actors["other_institution_staff"] = User.objects.create(
        username="other-school", role="institution_staff", institution=other_institution
    )
    # An 安海 trainee (the town staff's town) and a 磁灶-free roster: other_town_staff sees nothing.
    # Ending today, and registered in full when running: every step but the table's is allowed.
    training_class = make_class(
        state, persons=[trainee_factory()], end_date=dt.date.today().isoformat()
    )
    if state == "running":
        register_hours(users.institution_staff, training_class, None)
    events = ClassEvent.objects.filter(training_class=training_class).count()
    outcomes: dict[tuple[str, str], str] = {}
    for actor_name in ACTORS:
        for action in ALLOWED:
            got = "ok"
            try:
                with transaction.atomic():
                    result = services.class_transition(
                        training_class=training_class,
                        actor=actors[actor_name],
                        action=action,
                        comment="矩阵测试",
                    )
                    assert result.state == TARGET[action]
                    assert (
                        ClassEvent.objects.filter(training_class=training_class).count()
                        == events + 1
                    )
                    raise Rollback
            except Rollback:
                got = "ok"
            except Forbidden:
                got = "forbidden"
            except NotFound:
                got = "not_found"
            except Conflict:
                got = "conflict"
            outcomes[(actor_name, action)] = got
            assert TrainingClass.objects.get(pk=training_class.pk).state == state
    want = {(a, act): expected(a, act, state) for a in ACTORS for act in ALLOWED}
    assert outcomes == want
    assert ClassEvent.objects.filter(training_class=training_class).count() == events


def test_other_town_staff_see_a_class_once_their_town_has_a_trainee(
    users, make_class, trainee_factory
):
    from canpei.training.classes import selectors

    training_class = make_class(persons=[trainee_factory(), trainee_factory(town=CIZAO)])
    assert selectors.class_get(user=users.other_town_staff, class_id=training_class.pk)
    roster = selectors.roster(user=users.other_town_staff, training_class=training_class)
    assert [e.person.town_id for e in roster] == [CIZAO]


def test_town_staff_count_only_their_towns_trainees(users, make_class, trainee_factory):
    from canpei.training.classes import selectors

    training_class = make_class(
        persons=[trainee_factory(), trainee_factory(), trainee_factory(town=CIZAO)]
    )
    assert selectors.class_get(user=users.city_admin, class_id=training_class.pk).trainee_count == 3
    assert selectors.class_get(user=users.town_staff, class_id=training_class.pk).trainee_count == 2
    listed = selectors.class_list(user=users.other_town_staff).get(pk=training_class.pk)
    assert listed.trainee_count == 1
