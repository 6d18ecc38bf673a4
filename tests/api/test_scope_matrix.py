"""Every role × every person operation × a person inside and outside the role's scope (API).

The policy under test (PRODUCT.md "Users and what each may see", canpei.accounts.roles):

- city_admin: everything;
- town_staff: their own town only; another town's person answers 404 (detail, identity, edit,
  lookup) and is absent from every list; creating in another town is refused on `town`;
- institution_staff: never browses (list 403, detail 404) but looks a person up by full ID
  number and then sees only id, name, masked ID, category and grade;
- employment_service, auditor: read-only, city-wide; no full numbers;
- sys_admin, security_admin, audit_admin: no person at all;
- only audit_admin reads the audit log.

A record outside the caller's scope must look exactly like a record that does not exist: same
status, same body.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from canpei.audit.models import AuditEntry
from canpei.people import rules
from canpei.people.models import Person
from tests.conftest import ANHAI, CIZAO, make_id, person_data

ROLES = (
    "city_admin",
    "town_staff",
    "institution_staff",
    "employment_service",
    "auditor",
    "sys_admin",
    "security_admin",
    "audit_admin",
)
OPS = ("list", "detail", "identity", "lookup", "create", "edit")
WHERE = ("in", "out")

# Expected status per role and operation, for the person inside and the person outside the
# role's scope (for city-wide roles both are inside). For `list`, the status of GET /persons;
# whether each person appears in it is in VISIBLE_IN_LIST.
EXPECTED: dict[str, dict[str, tuple[int, int]]] = {
    "city_admin": {
        "list": (200, 200),
        "detail": (200, 200),
        "identity": (200, 200),
        "lookup": (200, 200),
        "create": (201, 201),
        "edit": (200, 200),
    },
    "town_staff": {
        "list": (200, 200),
        "detail": (200, 404),
        "identity": (200, 404),
        "lookup": (200, 404),
        "create": (201, 422),
        "edit": (200, 404),
    },
    "institution_staff": {
        "list": (403, 403),
        "detail": (404, 404),
        "identity": (404, 404),
        "lookup": (200, 200),
        "create": (403, 403),
        "edit": (403, 403),
    },
    "employment_service": {
        "list": (200, 200),
        "detail": (200, 200),
        "identity": (404, 404),
        "lookup": (200, 200),
        "create": (403, 403),
        "edit": (403, 403),
    },
    "auditor": {
        "list": (200, 200),
        "detail": (200, 200),
        "identity": (404, 404),
        "lookup": (200, 200),
        "create": (403, 403),
        "edit": (403, 403),
    },
    "sys_admin": {
        "list": (403, 403),
        "detail": (404, 404),
        "identity": (404, 404),
        "lookup": (404, 404),
        "create": (403, 403),
        "edit": (403, 403),
    },
    "security_admin": {
        "list": (403, 403),
        "detail": (404, 404),
        "identity": (404, 404),
        "lookup": (404, 404),
        "create": (403, 403),
        "edit": (403, 403),
    },
    "audit_admin": {
        "list": (403, 403),
        "detail": (404, 404),
        "identity": (404, 404),
        "lookup": (404, 404),
        "create": (403, 403),
        "edit": (403, 403),
    },
}
VISIBLE_IN_LIST = {
    "city_admin": (True, True),
    "town_staff": (True, False),
    "employment_service": (True, True),
    "auditor": (True, True),
}

PERSON_FIELDS = {
    "id",
    "name",
    "id_number",
    "cert_number",
    "gender",
    "birth_date",
    "category",
    "grade",
    "town",
    "village",
    "address",
    "phone",
    "education",
    "hardship",
    "employment_form",
    "new_entrant",
    "registered_unemployed",
    "entrepreneurship_intention",
    "status",
    "working_age",
}
LOOKUP_FIELDS = {"id", "name", "id_number", "category", "grade"}

# Valid ID numbers that nobody is registered under.
_fresh = itertools.count(1)


def fresh_id() -> str:
    return make_id(f"35058219920101{next(_fresh):03d}")


UNREGISTERED_ID = make_id("35058219790505999")


@pytest.fixture
def absent_id(person_in: Any, person_out: Any) -> int:
    return max(person_in.pk, person_out.pk) + 1000


def run(
    op: str, client: Any, person: Any, *, town: str, absent: bool = False, absent_id: int = 0
) -> Any:
    """Perform `op` on `person` (or, with absent=True, on a record that does not exist)."""
    pk = absent_id if absent else person.pk
    if op == "list":
        return client.get("/persons", page_size=200)
    if op == "detail":
        return client.get(f"/persons/{pk}")
    if op == "identity":
        return client.get(f"/persons/{pk}/identity")
    if op == "lookup":
        return client.post(
            "/persons/lookup", {"id_number": UNREGISTERED_ID if absent else person.id_number}
        )
    if op == "create":
        return client.post(
            "/persons", person_data(name="王五", id_number=fresh_id(), cert_number="", town=town)
        )
    if op == "edit":
        return client.patch(f"/persons/{pk}", {"address": "晋江市安海镇新街 8 号"})
    raise AssertionError(op)


def reveal_count(user: Any) -> int:
    return AuditEntry.objects.filter(action="person.reveal", actor_username=user.username).count()


@pytest.mark.parametrize("where", WHERE)
@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("role", ROLES)
def test_scope_matrix(
    role: str,
    op: str,
    where: str,
    users: Any,
    person_in: Any,
    person_out: Any,
    api: Any,
    absent_id: int,
) -> None:
    user = users.by_role()[role]
    client = api(user)
    person = person_in if where == "in" else person_out
    town = ANHAI if where == "in" else CIZAO
    expected = EXPECTED[role][op][0 if where == "in" else 1]
    persons_before = Person.objects.count()
    reveals_before = reveal_count(user)
    stored_before = Person.objects.get(pk=person.pk).address

    response = run(op, client, person, town=town)

    assert response.status_code == expected, (role, op, where, response.content)
    body = response.json()
    if expected >= 400:
        assert set(body) == {"detail", "errors"}, body
        assert isinstance(body["detail"], str) and body["detail"]

    if op == "list" and expected == 200:
        ids = {row["id"] for row in body["results"]}
        assert (person.pk in ids) is VISIBLE_IN_LIST[role][0 if where == "in" else 1]
        assert body["count"] == len(body["results"])
        for row in body["results"]:
            assert set(row) >= PERSON_FIELDS
            assert row["id_number"] == rules.mask_id_number(
                Person.objects.get(pk=row["id"]).id_number
            )
        if role == "town_staff":
            assert {row["town"] for row in body["results"]} == {ANHAI}
    elif op == "detail" and expected == 200:
        assert set(body) >= PERSON_FIELDS
        assert body["id"] == person.pk
        assert body["id_number"] == rules.mask_id_number(person.id_number)
        assert body["id_number"] != person.id_number
        assert body["cert_number"] == (
            rules.mask_cert_number(person.cert_number) if person.cert_number else ""
        )
    elif op == "identity":
        if expected == 200:
            assert body["id"] == person.pk
            assert body["id_number"] == person.id_number
            assert body["cert_number"] == person.cert_number
            assert reveal_count(user) == reveals_before + 1
            entry = AuditEntry.objects.filter(action="person.reveal").latest("id")
            assert entry.actor_username == user.username
            assert entry.object_type == "people.person" and entry.object_id == str(person.pk)
        else:
            assert reveal_count(user) == reveals_before
    elif op == "lookup" and expected == 200:
        assert set(body) == LOOKUP_FIELDS
        assert body == {
            "id": person.pk,
            "name": person.name,
            "id_number": rules.mask_id_number(person.id_number),
            "category": person.category,
            "grade": person.grade,
        }
    elif op == "create":
        if expected == 201:
            assert Person.objects.count() == persons_before + 1
            assert body["town"] == town
            assert body["id_number"] == rules.mask_id_number(
                Person.objects.get(pk=body["id"]).id_number
            )
        else:
            assert Person.objects.count() == persons_before
            if expected == 422:
                assert [e["field"] for e in body["errors"]] == ["town"]
                assert body["errors"][0]["message"] == rules.TOWN_OUT_OF_SCOPE
    elif op == "edit":
        stored = Person.objects.get(pk=person.pk).address
        if expected == 200:
            assert body["address"] == stored == "晋江市安海镇新街 8 号"
            assert AuditEntry.objects.filter(
                action="person.update", object_id=str(person.pk), actor_username=user.username
            ).exists()
        else:
            assert stored == stored_before


@pytest.mark.parametrize("op", ("detail", "identity", "lookup", "edit"))
@pytest.mark.parametrize("role", ROLES)
def test_a_record_out_of_scope_looks_exactly_like_an_absent_one(
    role: str, op: str, users: Any, person_in: Any, person_out: Any, api: Any, absent_id: int
) -> None:
    """Whatever the role answers for a person it may not see, it answers for one that is not there."""
    client = api(users.by_role()[role])
    for where, person in (("in", person_in), ("out", person_out)):
        if EXPECTED[role][op][0 if where == "in" else 1] not in (403, 404):
            continue
        hidden = run(op, client, person, town=ANHAI)
        absent = run(op, client, person, town=ANHAI, absent=True, absent_id=absent_id)
        assert (hidden.status_code, hidden.json()) == (absent.status_code, absent.json()), (
            role,
            op,
            where,
        )


def test_town_staff_cannot_find_another_towns_person_by_any_filter(
    users: Any, person_in: Any, person_out: Any, api: Any
) -> None:
    client = api(users.town_staff)
    for params in (
        {"town": CIZAO},
        {"q": person_out.name},
        {"q": "lisi"},
        {"q": "ls"},
        {"q": person_out.id_number[-4:]},
        {"q": person_out.id_number},
        {"category": person_out.category, "grade": person_out.grade},
        {"status": "active", "town": CIZAO},
    ):
        response = client.get("/persons", **params)
        assert response.status_code == 200, params
        assert person_out.pk not in {r["id"] for r in response.json()["results"]}, params
        if "town" in params or params.get("q") in (person_out.name, "lisi", "ls"):
            assert response.json()["count"] == 0, params
    # The other town's staff sees exactly the mirror image.
    mirror = api(users.other_town_staff).get("/persons").json()
    assert {r["id"] for r in mirror["results"]} == {person_out.pk}


def test_town_staff_cannot_move_their_person_into_another_town(
    users: Any, person_in: Any, api: Any
) -> None:
    response = api(users.town_staff).patch(f"/persons/{person_in.pk}", {"town": CIZAO})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["town"]
    assert Person.objects.get(pk=person_in.pk).town_id == ANHAI


def test_town_staff_cannot_change_the_status_of_another_towns_person(
    users: Any, person_out: Any, api: Any
) -> None:
    response = api(users.town_staff).patch(
        f"/persons/{person_out.pk}", {"status": "deceased", "comment": "x"}
    )
    assert response.status_code == 404
    assert Person.objects.get(pk=person_out.pk).status == "active"


def test_a_role_without_edit_rights_is_refused_before_anything_is_looked_up(
    users: Any, person_in: Any, api: Any, absent_id: int
) -> None:
    """403 for an existing and for an absent id alike: the refusal tells nothing about the record."""
    for role in (
        "institution_staff",
        "employment_service",
        "auditor",
        "sys_admin",
        "security_admin",
        "audit_admin",
    ):
        client = api(users.by_role()[role])
        existing = client.patch(f"/persons/{person_in.pk}", {"status": "deceased", "comment": "x"})
        absent = client.patch(f"/persons/{absent_id}", {"status": "deceased", "comment": "x"})
        assert existing.status_code == absent.status_code == 403, role
        assert existing.json() == absent.json()
    assert Person.objects.get(pk=person_in.pk).status == "active"


@pytest.mark.parametrize("role", ROLES)
def test_only_the_audit_officer_reads_the_audit_log(
    role: str, users: Any, person_in: Any, api: Any
) -> None:
    api(users.city_admin).get(f"/persons/{person_in.pk}/identity")
    response = api(users.by_role()[role]).get("/audit")
    if role != "audit_admin":
        assert response.status_code == 403
        assert set(response.json()) == {"detail", "errors"}
        return
    assert response.status_code == 200
    body = response.json()
    actions = [e["action"] for e in body["results"]]
    assert "person.reveal" in actions and "person.create" in actions
    reveal = next(e for e in body["results"] if e["action"] == "person.reveal")
    assert reveal["actor"] == users.city_admin.username
    assert reveal["object_id"] == str(person_in.pk)
    # The audit officer sees who looked, never the numbers themselves.
    assert person_in.id_number not in response.content.decode()
    assert person_in.id_number[:17] not in response.content.decode()


def test_the_audit_log_filters_by_action_and_actor(users: Any, person_in: Any, api: Any) -> None:
    api(users.city_admin).get(f"/persons/{person_in.pk}/identity")
    api(users.town_staff).get(f"/persons/{person_in.pk}/identity")
    client = api(users.audit_admin)
    reveals = client.get("/audit", action="person.reveal").json()
    assert reveals["count"] == 2
    mine = client.get("/audit", action="person.reveal", actor=users.town_staff.username).json()
    assert [e["actor"] for e in mine["results"]] == [users.town_staff.username]


def test_every_reveal_is_audited_even_when_repeated(users: Any, person_in: Any, api: Any) -> None:
    client = api(users.town_staff)
    for _ in range(3):
        assert client.get(f"/persons/{person_in.pk}/identity").status_code == 200
    assert reveal_count(users.town_staff) == 3


def test_institution_staff_lookup_is_audited_and_tells_nothing_more(
    users: Any, person_in: Any, api: Any
) -> None:
    client = api(users.institution_staff)
    response = client.post("/persons/lookup", {"id_number": person_in.id_number.lower()})
    assert response.status_code == 200
    assert set(response.json()) == LOOKUP_FIELDS
    text = response.content.decode()
    for secret in (
        person_in.id_number,
        person_in.cert_number,
        person_in.address or "\0",
        person_in.birth_date.isoformat(),
    ):
        assert secret not in text
    assert AuditEntry.objects.filter(
        action="person.lookup", actor_username=users.institution_staff.username
    ).exists()
    # Having looked a person up does not open the record to browsing.
    assert client.get(f"/persons/{person_in.pk}").status_code == 404
    assert client.get(f"/persons/{person_in.pk}/identity").status_code == 404


def test_lookup_with_an_invalid_number_names_the_field(users: Any, api: Any) -> None:
    response = api(users.institution_staff).post("/persons/lookup", {"id_number": "12345"})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["id_number"]


# ---- training classes --------------------------------------------------------------------------
#
# The same matrix for classes and everything under them. "in" is a class of the users'
# institution with a trainee of 安海镇; "out" a class of another institution with a trainee of
# 磁灶镇 only. Institutions run their own classes; the city decides, inspects and keeps any
# roster; town staff read the classes their town's trainees are on; employment service and
# auditors read everything; the officers see nothing. A role that may never take a write is
# refused (403) before the record is looked up, so the refusal tells nothing about it.

CLASS_OPS = (
    "list",
    "detail",
    "edit",
    "step",
    "history",
    "roster",
    "enrol",
    "enrollment",
    "enrollment_edit",
    "register",
    "record",
    "inspections",
    "inspect",
)
# These act on a running class; the others on a draft.
RUNNING_OPS = frozenset({"record", "inspect"})

_CLASS_READER = {
    "list": (200, 200),
    "detail": (200, 200),
    "edit": (403, 403),
    "step": (403, 403),
    "history": (200, 200),
    "roster": (200, 200),
    "enrol": (403, 403),
    "enrollment": (200, 200),
    "enrollment_edit": (403, 403),
    "register": (200, 200),
    "record": (403, 403),
    "inspections": (200, 200),
    "inspect": (403, 403),
}
_CLASS_OFFICER = {
    "list": (403, 403),
    "detail": (404, 404),
    "edit": (403, 403),
    "step": (403, 403),
    "history": (404, 404),
    "roster": (404, 404),
    "enrol": (403, 403),
    "enrollment": (404, 404),
    "enrollment_edit": (403, 403),
    "register": (404, 404),
    "record": (403, 403),
    "inspections": (404, 404),
    "inspect": (403, 403),
}
CLASS_EXPECTED: dict[str, dict[str, tuple[int, int]]] = {
    "city_admin": {
        "list": (200, 200),
        "detail": (200, 200),
        "edit": (200, 200),
        "step": (200, 200),
        "history": (200, 200),
        "roster": (200, 200),
        "enrol": (201, 201),
        "enrollment": (200, 200),
        "enrollment_edit": (200, 200),
        "register": (200, 200),
        "record": (201, 201),
        "inspections": (200, 200),
        "inspect": (201, 201),
    },
    "town_staff": {
        "list": (200, 200),
        "detail": (200, 404),
        "edit": (403, 403),
        "step": (403, 403),
        "history": (200, 404),
        "roster": (200, 404),
        "enrol": (403, 403),
        "enrollment": (200, 404),
        "enrollment_edit": (403, 403),
        "register": (200, 404),
        "record": (403, 403),
        "inspections": (200, 404),
        "inspect": (403, 403),
    },
    "institution_staff": {
        "list": (200, 200),
        "detail": (200, 404),
        "edit": (200, 404),
        "step": (200, 404),
        "history": (200, 404),
        "roster": (200, 404),
        "enrol": (201, 404),
        "enrollment": (200, 404),
        "enrollment_edit": (200, 404),
        "register": (200, 404),
        "record": (201, 404),
        "inspections": (200, 404),
        "inspect": (403, 403),
    },
    "employment_service": _CLASS_READER,
    "auditor": _CLASS_READER,
    "sys_admin": _CLASS_OFFICER,
    "security_admin": _CLASS_OFFICER,
    "audit_admin": _CLASS_OFFICER,
}
CLASS_VISIBLE_IN_LIST = {
    "city_admin": (True, True),
    "town_staff": (True, False),
    "institution_staff": (True, False),
    "employment_service": (True, True),
    "auditor": (True, True),
}
CLASS_CORE_FIELDS = {
    "id",
    "code",
    "name",
    "institution",
    "training_type",
    "mode",
    "occupation",
    "level",
    "appraisal",
    "filing_number",
    "start_date",
    "end_date",
    "hours",
    "capacity",
    "state",
}


class ClassWorld:
    """The classes of the matrix, built on first use: a test builds only what its op touches."""

    def __init__(self, users: Any, institution: Any, other_institution: Any) -> None:
        import datetime as dt

        from canpei.accounts.models import User

        today = dt.date.today()
        for designated in (institution, other_institution):
            designated.state = "designated"
            designated.designated_from = today - dt.timedelta(days=400)
            designated.designated_to = today + dt.timedelta(days=400)
            designated.save()
        self.users = users
        self.institutions = {"in": institution, "out": other_institution}
        self.staff = {
            "in": users.institution_staff,
            "out": User.objects.create(
                username="other-school", role="institution_staff", institution=other_institution
            ),
        }
        self.towns = {"in": ANHAI, "out": CIZAO}
        self._built: dict[tuple[str, str], Any] = {}

    def trainee(self, where: str) -> Any:
        from canpei.people.services import person_create

        # Born in 1987: no ID number here clashes with the persons of the tests above.
        number = make_id(f"35058219870707{next(_fresh):03d}")
        return person_create(
            actor=self.users.city_admin,
            data=person_data(
                name="培训学员", id_number=number, cert_number=number + "42", town=self.towns[where]
            ),
        )

    def training_class(self, where: str, state: str) -> Any:
        if (where, state) in self._built:
            return self._built[where, state]
        import datetime as dt

        from canpei.training.classes import services

        today = dt.date.today()
        city, staff = self.users.city_admin, self.staff[where]
        training_class = services.class_create(
            actor=city,
            data={
                "name": "电子商务培训班",
                "institution": self.institutions[where].pk,
                "training_type": "employment_skills",
                "mode": "centralized",
                "occupation": "电子商务师",
                "level": "junior",
                "start_date": today - dt.timedelta(days=5),
                "end_date": today + dt.timedelta(days=25),
                "hours": 40,
                "capacity": 30,
            },
        )
        services.enrollment_add(
            actor=city, training_class=training_class, person=self.trainee(where).id_number
        )
        if state == "running":
            for actor, action in ((staff, "submit"), (city, "approve"), (staff, "start")):
                # Filed after its start date: with its reason (issue 12).
                services.class_transition(
                    training_class=training_class, actor=actor, action=action, comment="开班后补报"
                )
        self._built[where, state] = training_class
        return training_class


@pytest.fixture
def class_world(users: Any, institution: Any, other_institution: Any) -> ClassWorld:
    return ClassWorld(users, institution, other_institution)


def run_class_op(
    op: str, client: Any, world: ClassWorld, where: str, *, absent: bool = False
) -> Any:
    """Perform `op` on the class of `where` (or, with absent=True, on ids that do not exist)."""
    import datetime as dt

    training_class = world.training_class(where, "running" if op in RUNNING_OPS else "draft")
    enrollment = training_class.enrollments.get()
    pk = training_class.pk + 10_000 if absent else training_class.pk
    enrollment_pk = enrollment.pk + 10_000 if absent else enrollment.pk
    today = dt.date.today().isoformat()
    if op == "list":
        world.training_class("in", "draft")
        world.training_class("out", "draft")
        return client.get("/classes", page_size=200)
    if op == "detail":
        return client.get(f"/classes/{pk}")
    if op == "edit":
        return client.patch(f"/classes/{pk}", {"venue": "安海镇文化中心"})
    if op == "step":
        return client.post(f"/classes/{pk}/transitions", {"action": "cancel", "comment": "撤回"})
    if op == "history":
        return client.get(f"/classes/{pk}/transitions")
    if op == "roster":
        return client.get(f"/classes/{pk}/enrollments")
    if op == "enrol":
        return client.post(f"/classes/{pk}/enrollments", {"person": world.trainee(where).id_number})
    if op == "enrollment":
        return client.get(f"/enrollments/{enrollment_pk}")
    if op == "enrollment_edit":
        return client.patch(
            f"/enrollments/{enrollment_pk}", {"status": "withdrawn", "withdraw_reason": "外出务工"}
        )
    if op == "register":
        return client.get(f"/classes/{pk}/sessions")
    if op == "record":
        return client.post(
            f"/classes/{pk}/sessions",
            {"date": today, "hours": 2, "attendance": {str(enrollment_pk): 2}},
        )
    if op == "inspections":
        return client.get(f"/classes/{pk}/inspections")
    if op == "inspect":
        return client.post(f"/classes/{pk}/inspections", {"present": 1})
    raise AssertionError(op)


def class_snapshot(training_class: Any) -> tuple[Any, ...]:
    """What any write of the matrix would change."""
    from canpei.training.models import TrainingClass

    stored = TrainingClass.objects.get(pk=training_class.pk)
    return (
        stored.state,
        stored.venue,
        sorted(stored.enrollments.values_list("person_id", "status")),
        stored.sessions.count(),
        stored.inspections.count(),
    )


@pytest.mark.parametrize("where", WHERE)
@pytest.mark.parametrize("op", CLASS_OPS)
@pytest.mark.parametrize("role", ROLES)
def test_class_scope_matrix(
    role: str, op: str, where: str, users: Any, class_world: ClassWorld, api: Any
) -> None:
    user = users.by_role()[role]
    client = api(user)
    expected = CLASS_EXPECTED[role][op][0 if where == "in" else 1]
    training_class = class_world.training_class(where, "running" if op in RUNNING_OPS else "draft")
    before = class_snapshot(training_class)
    audit_before = AuditEntry.objects.filter(actor_username=user.username).count()

    response = run_class_op(op, client, class_world, where)

    assert response.status_code == expected, (role, op, where, response.content)
    body = response.json()
    if expected >= 400:
        assert set(body) == {"detail", "errors"}, body
        assert isinstance(body["detail"], str) and body["detail"]
        # A refusal writes nothing, not even an audit entry.
        assert class_snapshot(training_class) == before
        assert AuditEntry.objects.filter(actor_username=user.username).count() == audit_before
        return
    if op == "list":
        ids = {row["id"] for row in body["results"]}
        assert (training_class.pk in ids) is CLASS_VISIBLE_IN_LIST[role][0 if where == "in" else 1]
        assert body["count"] == len(body["results"])
        assert all(set(row) >= CLASS_CORE_FIELDS for row in body["results"])
    elif op == "detail":
        assert set(body) >= CLASS_CORE_FIELDS
        assert body["id"] == training_class.pk
    elif op in ("roster", "enrollment"):
        rows = body["results"] if op == "roster" else [body]
        assert [row["class"] for row in rows] == [training_class.pk]
        for row in rows:
            person = Person.objects.get(pk=row["person"])
            assert row["person_summary"] == {
                "name": person.name,
                "id_number": rules.mask_id_number(person.id_number),
                "category": person.category,
                "grade": person.grade,
            }
            assert person.id_number not in response.content.decode()
    elif op in ("edit", "step", "enrol", "enrollment_edit", "record", "inspect"):
        # The write took effect, and is on the audit log under the caller's name.
        assert class_snapshot(training_class) != before
        assert AuditEntry.objects.filter(actor_username=user.username).count() > audit_before


@pytest.mark.parametrize(
    "op",
    (
        "detail",
        "edit",
        "step",
        "history",
        "roster",
        "enrol",
        "enrollment",
        "enrollment_edit",
        "register",
        "record",
        "inspections",
        "inspect",
    ),
)
@pytest.mark.parametrize("role", ROLES)
def test_a_class_out_of_scope_looks_exactly_like_an_absent_one(
    role: str, op: str, users: Any, class_world: ClassWorld, api: Any
) -> None:
    """Whatever the role answers for a class (or roster row) it may not see, it answers for one
    that is not there."""
    client = api(users.by_role()[role])
    for where in WHERE:
        if CLASS_EXPECTED[role][op][0 if where == "in" else 1] not in (403, 404):
            continue
        hidden = run_class_op(op, client, class_world, where)
        absent = run_class_op(op, client, class_world, where, absent=True)
        assert (hidden.status_code, hidden.json()) == (absent.status_code, absent.json()), (
            role,
            op,
            where,
        )
