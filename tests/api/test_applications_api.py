"""The `applications` and `staff-trainings` API: scope, roles, the workflow and its refusals."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from canpei.training import rules
from canpei.training.models import Application, ApplicationEvent, StaffTraining
from tests.api.test_openapi import OPENAPI, InProcessWSGI
from tests.conftest import ANHAI, CIZAO

TODAY = dt.date.today()
PROOF = {
    "certificate_type": "skill_level",
    "certificate_number": "S000012345",
    "certificate_date": TODAY.isoformat(),
    "certificate_issuer": "晋江市职业技能鉴定中心",
}
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


def body(person: Any, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "person": person.pk,
        "kind": "appraisal",
        "occupation": "保健按摩师",
        "institution_name": "泉州市职业技能鉴定指导中心",
        "level": "junior",
        "amount_requested": 800,
    }
    data.update(overrides)
    return data


def fields(response: Any) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


@pytest.fixture
def submitted(users: Any, person_in: Any, api: Any) -> dict[str, Any]:
    response = api(users.town_staff).post("/applications", body(person_in))
    assert response.status_code == 201, response.content
    return response.json()


def test_town_staff_submit_and_see_the_application(users: Any, person_in: Any, api: Any) -> None:
    response = api(users.town_staff).post("/applications", body(person_in))
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["state"] == "submitted"
    assert created["person_name"] == person_in.name
    assert created["person_id_number"] == person_in.id_number_masked
    assert person_in.id_number not in response.content.decode()
    assert created["amount_requested"] == "800.00"
    assert created["actions"] == []
    assert created["town"] == ANHAI


@pytest.mark.parametrize("role", [r for r in ROLES if r != "town_staff"])
def test_only_town_staff_may_submit(role: str, users: Any, person_in: Any, api: Any) -> None:
    response = api(users.by_role()[role]).post("/applications", body(person_in))
    assert response.status_code == 403
    assert not Application.objects.exists()


def test_a_person_of_another_town_is_named_as_not_found(
    users: Any, person_out: Any, api: Any
) -> None:
    response = api(users.town_staff).post("/applications", body(person_out))
    assert response.status_code == 422
    assert fields(response) == {"person": rules.APPLICANT_NOT_FOUND}


def test_person_without_certificate_is_refused(users: Any, person_out: Any, api: Any) -> None:
    response = api(users.other_town_staff).post("/applications", body(person_out))
    assert response.status_code == 422
    assert fields(response)["person"] == rules.APPLICANT_NO_CERTIFICATE.format(
        person=rules.describe_person(person_out)
    )


@pytest.mark.parametrize(
    "role,status",
    [
        ("city_admin", 200),
        ("town_staff", 200),
        ("other_town_staff", 404),
        ("institution_staff", 404),
        ("employment_service", 200),
        ("auditor", 200),
        ("sys_admin", 404),
        ("security_admin", 404),
        ("audit_admin", 404),
    ],
)
def test_detail_follows_the_scope(
    role: str, status: int, users: Any, submitted: Any, api: Any
) -> None:
    user = getattr(users, role)
    response = api(user).get(f"/applications/{submitted['id']}")
    assert response.status_code == status
    listed = api(user).get("/applications")
    if listed.status_code == 200:
        assert ([r["id"] for r in listed.json()["results"]] == [submitted["id"]]) is (status == 200)
    else:
        assert listed.status_code == 403


def test_list_filters(users: Any, submitted: Any, api: Any) -> None:
    client = api(users.city_admin)
    assert client.get("/applications", state="submitted").json()["count"] == 1
    assert client.get("/applications", state="approved").json()["count"] == 0
    assert client.get("/applications", kind="appraisal").json()["count"] == 1
    assert client.get("/applications", kind="upgrade").json()["count"] == 0
    assert client.get("/applications", town=ANHAI).json()["count"] == 1
    assert client.get("/applications", town=CIZAO).json()["count"] == 0
    assert client.get("/applications", year=str(TODAY.year)).json()["count"] == 1
    bad = client.get("/applications", state="open", year="x", town="1", kind="?")
    assert bad.status_code == 422
    assert set(fields(bad)) == {"state", "year", "town", "kind"}


def test_the_workflow_through_the_api(users: Any, submitted: Any, api: Any) -> None:
    city, town = api(users.city_admin), api(users.town_staff)
    path = f"/applications/{submitted['id']}/transitions"
    assert city.get(f"/applications/{submitted['id']}").json()["actions"] == ["approve", "reject"]
    approved = city.post(path, {"action": "approve", "comment": "同意", "amount_approved": "600"})
    assert approved.status_code == 200, approved.content
    assert (approved.json()["state"], approved.json()["amount_approved"]) == ("approved", "600.00")
    assert town.get(f"/applications/{submitted['id']}").json()["actions"] == ["complete"]
    # The proof is required, field by field.
    missing = town.post(path, {"action": "complete"})
    assert missing.status_code == 422
    assert set(fields(missing)) == {
        "certificate_type",
        "certificate_number",
        "certificate_date",
        "certificate_issuer",
    }
    done = town.post(path, {"action": "complete", **PROOF})
    assert done.status_code == 200, done.content
    assert done.json()["certificate_number"] == "S000012345"
    too_much = city.post(path, {"action": "reimburse", "amount_reimbursed": 600.01})
    assert too_much.status_code == 422
    assert fields(too_much) == {
        "amount_reimbursed": rules.AMOUNT_REIMBURSED_EXCEEDS.format(
            basis="核定金额", amount="600.00"
        )
    }
    paid = city.post(path, {"action": "reimburse", "amount_reimbursed": 600})
    assert paid.status_code == 200
    assert (paid.json()["state"], paid.json()["amount_reimbursed"]) == ("reimbursed", "600.00")
    history = town.get(path).json()
    assert [(e["action"], e["actor"]) for e in history["results"]] == [
        ("approve", "city"),
        ("complete", "anhai"),
        ("reimburse", "city"),
    ]
    assert history["count"] == 3


def test_refusals_have_their_status(users: Any, submitted: Any, api: Any) -> None:
    path = f"/applications/{submitted['id']}/transitions"
    town = api(users.town_staff)
    refused = town.post(path, {"action": "approve"})
    assert refused.status_code == 403
    assert refused.json()["detail"] == rules.application_role_refusal("approve")
    out_of_state = api(users.city_admin).post(path, {"action": "reimburse", "amount_reimbursed": 1})
    assert out_of_state.status_code == 409
    assert out_of_state.json()["detail"] == rules.application_transition_refusal(
        "submitted", "reimburse"
    )
    no_reason = api(users.city_admin).post(path, {"action": "reject"})
    assert no_reason.status_code == 422
    assert "comment" in fields(no_reason)
    assert (
        api(users.other_town_staff).post(path, {"action": "complete", **PROOF}).status_code == 404
    )
    assert api(users.auditor).post(path, {"action": "approve"}).status_code == 403
    assert api(users.sys_admin).post(path, {"action": "approve"}).status_code == 403
    unknown = api(users.city_admin).post(path, {"action": "settle"})
    assert unknown.status_code == 422
    assert not ApplicationEvent.objects.exists()
    assert Application.objects.get(pk=submitted["id"]).state == "submitted"


def test_patch_while_submitted_then_409(users: Any, submitted: Any, api: Any) -> None:
    town = api(users.town_staff)
    path = f"/applications/{submitted['id']}"
    changed = town.patch(path, {"amount_requested": "900.5", "reason": "补充说明"})
    assert changed.status_code == 200, changed.content
    assert changed.json()["amount_requested"] == "900.50"
    fixed = town.patch(path, {"person": 1, "state": "approved"})
    assert fixed.status_code == 422
    assert fields(fixed) == {
        "person": rules.APPLICANT_FIXED,
        "state": rules.APPLICATION_STATE_FIELD,
    }
    assert api(users.city_admin).patch(path, {"reason": "x"}).status_code == 403
    assert api(users.other_town_staff).patch(path, {"reason": "x"}).status_code == 404
    api(users.city_admin).post(f"{path}/transitions", {"action": "reject", "comment": "不符合"})
    late = town.patch(path, {"reason": "再改"})
    assert late.status_code == 409
    assert late.json()["detail"] == rules.APPLICATION_NOT_EDITABLE.format(state="未批准")


# ---- staff-trainings ------------------------------------------------------------------------------


def staff_body(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "staff_name": "王丽",
        "position": "counsellor",
        "course": "就业指导实务",
        "year": TODAY.year,
        "hours": 16,
    }
    data.update(overrides)
    return data


def test_town_staff_record_and_list_their_staff_training(users: Any, api: Any) -> None:
    town = api(users.town_staff)
    created = town.post("/staff-trainings", staff_body())
    assert created.status_code == 201, created.content
    record = created.json()
    assert (record["town"], record["hours"], record["fee_paid"]) == (ANHAI, "16.0", "0.00")
    listed = town.get("/staff-trainings", year=str(TODAY.year))
    assert [r["id"] for r in listed.json()["results"]] == [record["id"]]
    assert api(users.other_town_staff).get("/staff-trainings").json()["count"] == 0
    assert api(users.other_town_staff).get(f"/staff-trainings/{record['id']}").status_code == 404
    assert api(users.auditor).get(f"/staff-trainings/{record['id']}").status_code == 200
    patched = town.patch(
        f"/staff-trainings/{record['id']}",
        {"completed": True, "completed_on": TODAY.isoformat(), "fee_paid": "50"},
    )
    assert patched.status_code == 200, patched.content
    assert (patched.json()["completed"], patched.json()["fee_paid"]) == (True, "50.00")


def test_staff_training_refusals(users: Any, api: Any) -> None:
    town = api(users.town_staff)
    other = town.post("/staff-trainings", staff_body(town=CIZAO))
    assert other.status_code == 422
    assert fields(other) == {"town": rules.STAFF_TOWN_FIXED}
    bad = api(users.city_admin).post(
        "/staff-trainings", staff_body(town=CIZAO, position="boss", hours=0, year=1990, fee_paid=-1)
    )
    assert bad.status_code == 422
    assert set(fields(bad)) == {"position", "hours", "year", "fee_paid"}
    assert api(users.auditor).post("/staff-trainings", staff_body()).status_code == 403
    assert api(users.institution_staff).get("/staff-trainings").status_code == 403
    assert not StaffTraining.objects.exists()
    assert api(users.city_admin).get("/staff-trainings", town="x").status_code == 422


# ---- fuzzing the writes (tests/api/test_openapi.py fuzzes as city_admin on random ids) ----------

schema = schemathesis.openapi.from_wsgi(OPENAPI, InProcessWSGI()).include(
    path_regex=r"^/api/v1/(applications|staff-trainings)"
)


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_application_operations_conform_as_town_staff(
    case: Any, users: Any, person_in: Any, submitted: Any
) -> None:
    """As the town staff who may write, with ids pointing at real records two times in three:
    no 5xx, and every answer declared and matching its schema."""
    from canpei.accounts.services import token_issue

    record = StaffTraining.objects.filter(town_id=ANHAI).first() or StaffTraining.objects.create(
        town_id=ANHAI,
        staff_name="王丽",
        position="liaison",
        course="政策",
        year=TODAY.year,
        hours=8,
    )
    for name, real in (("application_id", submitted["id"]), ("record_id", record.pk)):
        value = (case.path_parameters or {}).get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value % 3:
            case.path_parameters[name] = real
    person = case.body.get("person") if isinstance(case.body, dict) else None
    if isinstance(person, int) and not isinstance(person, bool) and person % 3 == 1:
        case.body["person"] = person_in.pk
    token = token_issue(actor=users.town_staff, user=users.town_staff)
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
    )
