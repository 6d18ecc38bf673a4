"""The institutions API: every role × every operation × the caller's own institution and another.

Policy (PRODUCT.md, canpei.accounts.roles): city_admin registers, edits and designates; town
staff, employment service and auditors read every institution; an institution's staff read and
edit only their own (another answers 404, as if absent) and never take a designation step; the
three officers see nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from canpei.audit.models import AuditEntry
from canpei.institutions import rules
from canpei.institutions.models import DesignationEvent, Institution, Teacher
from tests.conftest import ANHAI, CIZAO, credit_code

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
OPS = ("list", "detail", "create", "edit", "transition", "history", "teachers", "teacher_add")
INSTITUTION_FIELDS = {
    "id",
    "name",
    "credit_code",
    "type",
    "town",
    "state",
    "designated_from",
    "designated_to",
}

READERS = {
    "list": (200, 200),
    "detail": (200, 200),
    "create": (403, 403),
    "edit": (403, 403),
    "transition": (403, 403),
    "history": (200, 200),
    "teachers": (200, 200),
    "teacher_add": (403, 403),
}
OFFICER = {
    "list": (403, 403),
    "detail": (404, 404),
    "create": (403, 403),
    "edit": (403, 403),
    "transition": (403, 403),
    "history": (404, 404),
    "teachers": (404, 404),
    "teacher_add": (403, 403),
}
# (own institution, another institution); for city-wide roles both are "inside".
EXPECTED: dict[str, dict[str, tuple[int, int]]] = {
    "city_admin": {
        "list": (200, 200),
        "detail": (200, 200),
        "create": (201, 201),
        "edit": (200, 200),
        "transition": (200, 200),
        "history": (200, 200),
        "teachers": (200, 200),
        "teacher_add": (201, 201),
    },
    "town_staff": READERS,
    "employment_service": READERS,
    "auditor": READERS,
    "institution_staff": {
        "list": (200, 200),
        "detail": (200, 404),
        "create": (403, 403),
        "edit": (200, 404),
        "transition": (403, 403),
        "history": (200, 404),
        "teachers": (200, 404),
        "teacher_add": (201, 404),
    },
    "sys_admin": OFFICER,
    "security_admin": OFFICER,
    "audit_admin": OFFICER,
}
VISIBLE_IN_LIST = {
    "city_admin": (True, True),
    "town_staff": (True, True),
    "employment_service": (True, True),
    "auditor": (True, True),
    "institution_staff": (True, False),
}

_codes = iter(range(10_000, 99_999))


def new_institution(**overrides: Any) -> dict[str, Any]:
    body = {
        "name": "晋江市新培训学校",
        "credit_code": credit_code(f"91350582MA2{next(_codes):05d}1"[:17]),
        "type": "enterprise",
        "town": ANHAI,
        "accessibility": ["step_free"],
    }
    body.update(overrides)
    return body


def run(op: str, client: Any, pk: int) -> Any:
    if op == "list":
        return client.get("/institutions", page_size=200)
    if op == "detail":
        return client.get(f"/institutions/{pk}")
    if op == "create":
        return client.post("/institutions", new_institution())
    if op == "edit":
        return client.patch(f"/institutions/{pk}", {"phone": "13905951234"})
    if op == "transition":
        return client.post(
            f"/institutions/{pk}/transitions", {"action": "suspend", "comment": "整改"}
        )
    if op == "history":
        return client.get(f"/institutions/{pk}/transitions")
    if op == "teachers":
        return client.get(f"/institutions/{pk}/teachers")
    if op == "teacher_add":
        return client.post(
            f"/institutions/{pk}/teachers", {"name": "许秀英", "specialty": "电子商务"}
        )
    raise AssertionError(op)


@pytest.mark.parametrize("where", ("own", "other"))
@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(
    role: str, op: str, where: str, users: Any, institution: Any, other_institution: Any, api: Any
) -> None:
    target = institution if where == "own" else other_institution
    expected = EXPECTED[role][op][0 if where == "own" else 1]
    before = Institution.objects.values().get(pk=target.pk)
    count_before = Institution.objects.count()
    teachers_before = Teacher.objects.count()

    response = run(op, api(users.by_role()[role]), target.pk)

    assert response.status_code == expected, (role, op, where, response.content)
    body = response.json()
    if expected >= 400:
        assert set(body) == {"detail", "errors"} and body["detail"]
        assert Institution.objects.values().get(pk=target.pk) == before
        assert Institution.objects.count() == count_before
        assert Teacher.objects.count() == teachers_before
        assert target.name not in response.content.decode()
        return
    if op == "list":
        ids = {row["id"] for row in body["results"]}
        assert (target.pk in ids) is VISIBLE_IN_LIST[role][0 if where == "own" else 1]
        assert body["count"] == len(body["results"])
        assert all(set(row) >= INSTITUTION_FIELDS for row in body["results"])
    elif op == "detail":
        assert set(body) >= INSTITUTION_FIELDS
        assert (body["id"], body["credit_code"], body["state"]) == (
            target.pk,
            target.credit_code,
            target.state,
        )
    elif op == "create":
        assert body["state"] == "applied" and Institution.objects.count() == count_before + 1
    elif op == "edit":
        assert body["phone"] == Institution.objects.get(pk=target.pk).phone == "13905951234"
    elif op == "transition":
        assert body["state"] == Institution.objects.get(pk=target.pk).state == "suspended"
        assert (
            DesignationEvent.objects.filter(institution=target, actor=users.city_admin).count() == 1
        )
    elif op == "teacher_add":
        assert body["institution"] == target.pk and Teacher.objects.count() == teachers_before + 1


@pytest.mark.parametrize("op", ("detail", "edit", "history", "teachers", "teacher_add"))
def test_another_institution_looks_exactly_like_an_absent_one_to_institution_staff(
    op: str, users: Any, other_institution: Any, api: Any
) -> None:
    client = api(users.institution_staff)
    hidden = run(op, client, other_institution.pk)
    absent = run(op, client, other_institution.pk + 1000)
    assert (
        (hidden.status_code, hidden.json())
        == (absent.status_code, absent.json())
        == (404, {"detail": "记录不存在", "errors": []})
    )


def test_institution_staff_list_only_their_own_whatever_the_filter(
    users: Any, institution: Any, other_institution: Any, api: Any
) -> None:
    client = api(users.institution_staff)
    for params in (
        {},
        {"town": CIZAO},
        {"q": other_institution.name},
        {"state": "designated"},
        {"type": "private"},
    ):
        body = client.get("/institutions", **params).json()
        assert other_institution.pk not in {r["id"] for r in body["results"]}, params
    assert [r["id"] for r in client.get("/institutions").json()["results"]] == [institution.pk]


@pytest.mark.parametrize("role", ["sys_admin", "security_admin", "audit_admin"])
def test_the_three_officers_see_no_institution_at_all(
    role: str, users: Any, institution: Any, api: Any
) -> None:
    client = api(users.by_role()[role])
    assert client.get("/institutions").status_code == 403
    for path in (
        f"/institutions/{institution.pk}",
        f"/institutions/{institution.pk}/teachers",
        f"/institutions/{institution.pk}/transitions",
    ):
        response = client.get(path)
        assert response.status_code == 404 and institution.name not in response.content.decode()


def test_the_filters_narrow_the_list(
    users: Any, institution: Any, other_institution: Any, api: Any
) -> None:
    client = api(users.city_admin)

    def ids(**params: Any) -> set[int]:
        body = client.get("/institutions", **params).json()
        assert body["count"] == len(body["results"])
        return {r["id"] for r in body["results"]}

    assert ids() == {institution.pk, other_institution.pk}
    assert ids(town=CIZAO) == {other_institution.pk}
    assert ids(type="vocational_college") == {institution.pk}
    assert ids(q="晋江市职业") == {institution.pk}
    assert ids(q="职业") == set()  # a prefix of the name, not a substring
    assert ids(state="applied") == set()
    page = client.get("/institutions", page_size=1, page=2).json()
    assert page["count"] == 2 and [r["id"] for r in page["results"]] == [other_institution.pk]


@pytest.mark.parametrize(
    "params,field",
    [
        ({"town": "anhai"}, "town"),
        ({"state": "closed"}, "state"),
        ({"type": "school"}, "type"),
        ({"q": "长" * 51}, "q"),
        ({"page_size": 201}, "page_size"),
        ({"page": 0}, "page"),
        ({"q": "晋\x00"}, "q"),
    ],
)
def test_bad_filters_are_a_422_naming_the_field(
    params: dict[str, Any], field: str, users: Any, api: Any
) -> None:
    response = api(users.city_admin).get("/institutions", **params)
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]


def test_a_duplicate_credit_code_is_a_409_naming_it(users: Any, institution: Any, api: Any) -> None:
    response = api(users.city_admin).post(
        "/institutions", new_institution(credit_code=institution.credit_code)
    )
    assert response.status_code == 409
    assert response.json()["errors"] == [
        {"field": "credit_code", "message": rules.CREDIT_CODE_DUPLICATE}
    ]


def test_a_bad_credit_code_is_a_422_naming_it(users: Any, api: Any) -> None:
    response = api(users.city_admin).post("/institutions", new_institution(credit_code="123"))
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "credit_code", "message": rules.CREDIT_CODE_FORMAT}
    ]


def test_institution_staff_cannot_patch_their_state(users: Any, institution: Any, api: Any) -> None:
    response = api(users.institution_staff).patch(
        f"/institutions/{institution.pk}", {"state": "demonstration"}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "state", "message": rules.DESIGNATION_FIELD}]
    assert Institution.objects.get(pk=institution.pk).state == "designated"


def test_a_transition_not_allowed_is_a_409_with_the_rule(
    users: Any, institution: Any, api: Any
) -> None:
    client = api(users.city_admin)
    assert (
        client.post(
            f"/institutions/{institution.pk}/transitions", {"action": "revoke", "comment": "撤销"}
        ).status_code
        == 200
    )
    response = client.post(f"/institutions/{institution.pk}/transitions", {"action": "reinstate"})
    assert response.status_code == 409
    message = rules.transition_refusal("revoked", "reinstate")
    assert response.json() == {
        "detail": message,
        "errors": [{"field": "action", "message": message}],
    }
    history = client.get(f"/institutions/{institution.pk}/transitions").json()
    assert [
        (e["action"], e["from_state"], e["to_state"], e["actor"]) for e in history["results"]
    ] == [("revoke", "designated", "revoked", users.city_admin.username)]


def test_designate_through_the_api_sets_the_validity(users: Any, api: Any) -> None:
    client = api(users.city_admin)
    created = client.post("/institutions", new_institution()).json()
    start = timezone.localdate()
    end = dt.date(start.year + 2, 12, 31)
    response = client.post(
        f"/institutions/{created['id']}/transitions",
        {
            "action": "designate",
            "comment": "定点",
            "designated_from": start.isoformat(),
            "designated_to": end.isoformat(),
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (
        body["state"],
        body["designated_from"],
        body["designated_to"],
        body["designation_valid"],
    ) == ("designated", start.isoformat(), end.isoformat(), True)
    assert AuditEntry.objects.filter(
        action="institution.designate", object_id=str(created["id"])
    ).exists()


@pytest.mark.parametrize(
    "body,field,status",
    [
        (
            {"action": "designate", "designated_from": "2026-02-30", "designated_to": "2027-01-01"},
            "designated_from",
            422,
        ),
        (
            {"action": "designate", "designated_from": "2027-01-01", "designated_to": "soon"},
            "designated_to",
            422,
        ),
        (
            {"action": "designate", "designated_from": "2028-01-01", "designated_to": "2027-01-01"},
            "designated_to",
            422,
        ),
        ({"action": "designate"}, "designated_from", 422),
        ({"action": "approve"}, "action", 422),
        ({"comment": "x"}, "action", 422),
    ],
)
def test_bad_transition_bodies_name_the_field(
    body: dict[str, Any], field: str, status: int, users: Any, api: Any
) -> None:
    created = api(users.city_admin).post("/institutions", new_institution()).json()
    response = api(users.city_admin).post(f"/institutions/{created['id']}/transitions", body)
    assert response.status_code == status, response.content
    assert field in [e["field"] for e in response.json()["errors"]]
    assert Institution.objects.get(pk=created["id"]).state == "applied"
    assert not DesignationEvent.objects.filter(institution_id=created["id"]).exists()


def test_teachers_are_listed_and_edited(users: Any, institution: Any, api: Any) -> None:
    client = api(users.institution_staff)
    added = client.post(
        f"/institutions/{institution.pk}/teachers", {"name": "蔡志明", "qualification": "高级讲师"}
    ).json()
    response = client.patch(
        f"/institutions/{institution.pk}/teachers/{added['id']}", {"active": False}
    )
    assert response.status_code == 200 and response.json()["active"] is False
    listed = client.get(f"/institutions/{institution.pk}/teachers").json()
    assert listed["count"] == 1 and listed["results"][0]["name"] == "蔡志明"
    bad = client.post(f"/institutions/{institution.pk}/teachers", {"name": ""})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "name"


def test_the_openapi_document_covers_the_institution_api(db: Any) -> None:
    from django.test import Client

    document = Client().get("/api/v1/openapi.json").json()
    operations = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }
    base = "/api/v1/institutions"
    assert {
        ("GET", base),
        ("POST", base),
        ("GET", base + "/{institution_id}"),
        ("PATCH", base + "/{institution_id}"),
        ("POST", base + "/{institution_id}/transitions"),
        ("GET", base + "/{institution_id}/transitions"),
        ("GET", base + "/{institution_id}/teachers"),
        ("POST", base + "/{institution_id}/teachers"),
    } <= operations
    assert (
        set(document["components"]["schemas"]["InstitutionOut"]["properties"]) >= INSTITUTION_FIELDS
    )
    actions = document["components"]["schemas"]["TransitionIn"]["properties"]["action"]
    assert set(actions["enum"]) == {"designate", "promote", "suspend", "reinstate", "revoke"}


@pytest.mark.parametrize("pk", [10**12, 2**63 - 1, 2**63, 10**30])
def test_huge_ids_are_a_404_not_a_500(pk: int, users: Any, institution: Any, api: Any) -> None:
    client = api(users.city_admin)
    for response in (
        client.get(f"/institutions/{pk}"),
        client.patch(f"/institutions/{pk}", {"phone": ""}),
        client.post(f"/institutions/{pk}/transitions", {"action": "promote"}),
        client.get(f"/institutions/{pk}/teachers"),
        client.patch(f"/institutions/{institution.pk}/teachers/{pk}", {"active": True}),
    ):
        assert response.status_code == 404, response.content
        assert set(response.json()) == {"detail", "errors"}
