"""The scope table itself: for every role and every kind of record an app declares a scope for,
which of two records — one of 安海镇 and the users' institution ("ours"), one of 磁灶镇 and
another institution ("theirs") — the role sees. One table, read as the README states it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from canpei.accounts.models import User
from canpei.institutions.selectors import INSTITUTION_SCOPE
from canpei.people.selectors import PERSON_SCOPE
from canpei.regions.scope import ScopePaths, visible_to
from canpei.training.applications.selectors import APPLICATION_SCOPE, STAFF_TRAINING_SCOPE
from canpei.training.applications.services import application_create, staff_training_create
from canpei.training.classes.selectors import CLASS_SCOPE, ENROLLMENT_SCOPE
from canpei.training.classes.services import class_create, enrollment_add
from tests.conftest import CIZAO, Users
from tests.training.conftest import class_data

SCOPES: dict[str, ScopePaths[Any]] = {
    "person": PERSON_SCOPE,
    "institution": INSTITUTION_SCOPE,
    "class": CLASS_SCOPE,
    "enrollment": ENROLLMENT_SCOPE,
    "application": APPLICATION_SCOPE,
    "staff_training": STAFF_TRAINING_SCOPE,
}

BOTH, OURS, THEIRS, NONE = {"ours", "theirs"}, {"ours"}, {"theirs"}, set[str]()
CITY_WIDE = {kind: BOTH for kind in SCOPES}
NOTHING = {kind: NONE for kind in SCOPES}

# role -> kind of record -> which of the two records it sees. town_staff is 安海镇's, and
# other_town_staff 磁灶镇's; institution_staff belongs to the institution of "ours".
SEES: dict[str, dict[str, set[str]]] = {
    "city_admin": CITY_WIDE,
    "employment_service": CITY_WIDE,
    "auditor": CITY_WIDE,
    "town_staff": {
        "person": OURS,
        "institution": BOTH,
        "class": OURS,
        "enrollment": OURS,
        "application": OURS,
        "staff_training": OURS,
    },
    "other_town_staff": {
        "person": THEIRS,
        "institution": BOTH,
        "class": THEIRS,
        "enrollment": THEIRS,
        "application": THEIRS,
        "staff_training": THEIRS,
    },
    "institution_staff": {
        "person": NONE,
        "institution": OURS,
        "class": OURS,
        "enrollment": OURS,
        "application": NONE,
        "staff_training": NONE,
    },
    # The three officers (三员) see no business record at all.
    "sys_admin": NOTHING,
    "security_admin": NOTHING,
    "audit_admin": NOTHING,
}


def _user(users: Users, role: str) -> User:
    return users.other_town_staff if role == "other_town_staff" else users.by_role()[role]


@pytest.fixture
def records(
    users: Users,
    designated: Any,
    other_institution: Any,
    make_class: Callable[..., Any],
    trainee_factory: Callable[..., Any],
) -> dict[str, dict[str, Any]]:
    """Two records of every kind: "ours" (安海镇, the users' institution), "theirs" (磁灶镇,
    another institution)."""
    ours_person, theirs_person = trainee_factory(), trainee_factory(town=CIZAO)
    ours_class = make_class(persons=[ours_person])
    other_institution.designated_from = designated.designated_from
    other_institution.designated_to = designated.designated_to
    other_institution.save()
    other_staff = User.objects.create(
        username="other-school", role="institution_staff", institution=other_institution
    )
    theirs_class = class_create(actor=other_staff, data=class_data(name="另一机构的班"))
    enrollment_add(actor=other_staff, training_class=theirs_class, person=theirs_person.id_number)
    today = dt.date.today().isoformat()

    def application(actor: User, person: Any) -> Any:
        return application_create(
            actor=actor,
            data={
                "person": person.pk,
                "kind": "self_directed",
                "institution_name": "泉州市某职业培训学校",
                "training_type": "employment_skills",
                "occupation": "电子商务师",
                "level": "junior",
                "planned_start": today,
                "planned_end": today,
                "amount_requested": "1500",
                "reason": "自主选择培训机构",
            },
        )

    def staff_training(actor: User) -> Any:
        return staff_training_create(
            actor=actor,
            data={
                "town": "",
                "staff_name": "王丽",
                "position": "liaison",
                "course": "就业政策",
                "year": dt.date.today().year,
                "hours": "24",
                "completed": False,
                "fee_paid": "0",
            },
        )

    return {
        "person": {"ours": ours_person, "theirs": theirs_person},
        "institution": {"ours": designated, "theirs": other_institution},
        "class": {"ours": ours_class, "theirs": theirs_class},
        "enrollment": {
            "ours": ours_class.enrollments.get(),
            "theirs": theirs_class.enrollments.get(),
        },
        "application": {
            "ours": application(users.town_staff, ours_person),
            "theirs": application(users.other_town_staff, theirs_person),
        },
        "staff_training": {
            "ours": staff_training(users.town_staff),
            "theirs": staff_training(users.other_town_staff),
        },
    }


def test_the_table_covers_every_role_and_every_declared_scope(users: Users) -> None:
    assert set(SEES) == set(users.by_role()) | {"other_town_staff"}
    assert all(set(row) == set(SCOPES) for row in SEES.values())


@pytest.mark.parametrize("role", sorted(SEES))
def test_each_role_sees_exactly_its_own_records_of_every_kind(
    role: str, users: Users, records: dict[str, dict[str, Any]]
) -> None:
    user = _user(users, role)
    seen = {}
    for kind, paths in SCOPES.items():
        visible = set(visible_to(user, paths).values_list("pk", flat=True))
        seen[kind] = {which for which, record in records[kind].items() if record.pk in visible}
    assert seen == SEES[role]


def test_a_signed_out_visitor_sees_nothing(records: dict[str, dict[str, Any]]) -> None:
    for paths in SCOPES.values():
        assert not visible_to(AnonymousUser(), paths).exists()


def test_a_deactivated_account_sees_nothing(
    users: Users, records: dict[str, dict[str, Any]]
) -> None:
    users.city_admin.is_active = False
    for paths in SCOPES.values():
        assert not visible_to(users.city_admin, paths).exists()
