"""The `employment-services` API: fields, filters, the rules with their messages, scope (404
outside it), the roles that may write, and a fuzz of every operation as the town staff."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from canpei.audit.models import AuditEntry
from canpei.employment.models import EmploymentService
from tests.api.test_openapi import OPENAPI, InProcessWSGI
from tests.conftest import ANHAI, CIZAO

TODAY = dt.date.today()
FIELDS = {
    "id",
    "person",
    "kind",
    "date",
    "content",
    "employer",
    "position",
    "result",
    "provider",
    "town",
}


def body(who: Any, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "person": who.pk,
        "kind": "job_referral",
        "date": TODAY.isoformat(),
        "content": "推荐参加面试",
        "employer": "晋江恒安集团",
        "position": "包装工",
        "result": "pending",
        "provider": "林专干",
    }
    data.update(overrides)
    return data


def fields(response: Any) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


@pytest.fixture
def created(users: Any, person_in: Any, api: Any) -> dict[str, Any]:
    response = api(users.town_staff).post("/employment-services", body(person_in))
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def theirs(users: Any, person_out: Any, api: Any) -> dict[str, Any]:
    response = api(users.other_town_staff).post(
        "/employment-services",
        body(person_out, kind="career_guidance", employer="", position="", result=""),
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_create_answers_the_contracts_fields(created: Any, person_in: Any) -> None:
    assert set(created) >= FIELDS
    assert created["person"] == person_in.pk
    assert created["town"] == ANHAI
    assert created["kind"] == "job_referral"
    assert created["date"] == TODAY.isoformat()
    assert (created["employer"], created["position"], created["result"]) == (
        "晋江恒安集团",
        "包装工",
        "pending",
    )
    assert created["person_id_number"] == person_in.id_number_masked
    assert AuditEntry.objects.filter(action="employment_service.create").count() == 1


def test_get_and_patch(users: Any, created: Any, api: Any) -> None:
    client = api(users.employment_service)
    assert client.get(f"/employment-services/{created['id']}").json() == created
    response = client.patch(f"/employment-services/{created['id']}", {"result": "hired"})
    assert response.status_code == 200, response.content
    assert response.json()["result"] == "hired"
    entry = AuditEntry.objects.get(action="employment_service.update")
    assert entry.changes["diff"] == {"result": ["pending", "hired"]}


def test_list_filters(users: Any, created: Any, theirs: Any, api: Any) -> None:
    client = api(users.city_admin)

    def ids(**params: Any) -> list[int]:
        response = client.get("/employment-services", **params)
        assert response.status_code == 200, response.content
        return [r["id"] for r in response.json()["results"]]

    assert sorted(ids()) == sorted([created["id"], theirs["id"]])
    assert ids(town=ANHAI) == [created["id"]]
    assert ids(town=CIZAO) == [theirs["id"]]
    assert ids(kind="job_referral", result="pending") == [created["id"]]
    assert ids(result="hired") == []
    assert ids(q="lisi") == [theirs["id"]]
    assert sorted(ids(year=str(TODAY.year))) == sorted([created["id"], theirs["id"]])
    assert ids(date_from=(TODAY + dt.timedelta(days=1)).isoformat()) == []
    response = client.get("/employment-services", kind="x", date_to="x")
    assert response.status_code == 422
    assert set(fields(response)) == {"kind", "date_to"}


# ---- scope -------------------------------------------------------------------------------------


def test_another_towns_records_answer_404(
    users: Any, created: Any, theirs: Any, person_out: Any, api: Any
) -> None:
    client = api(users.town_staff)
    assert [r["id"] for r in client.get("/employment-services").json()["results"]] == [
        created["id"]
    ]
    absent = client.get("/employment-services/99999999")
    foreign = client.get(f"/employment-services/{theirs['id']}")
    assert foreign.status_code == absent.status_code == 404
    assert foreign.json() == absent.json()
    patched = client.patch(f"/employment-services/{theirs['id']}", {"result": "hired"})
    assert patched.status_code == 404
    response = client.post("/employment-services", body(person_out))
    assert response.status_code == 422
    assert fields(response) == {"person": "服务对象不存在或不属于本人管辖范围"}
    assert EmploymentService.objects.count() == 2


@pytest.mark.parametrize(
    ("role", "status"),
    [("institution_staff", 403), ("sys_admin", 403), ("security_admin", 403), ("audit_admin", 403)],
)
def test_roles_without_services_see_nothing(
    role: str, status: int, users: Any, created: Any, api: Any
) -> None:
    client = api(users.by_role()[role])
    assert client.get("/employment-services").status_code == status
    assert client.get(f"/employment-services/{created['id']}").status_code == 404


@pytest.mark.parametrize("role", ["auditor", "institution_staff", "sys_admin", "audit_admin"])
def test_only_recorders_write(
    role: str, users: Any, created: Any, person_in: Any, api: Any
) -> None:
    client = api(users.by_role()[role])
    response = client.post("/employment-services", body(person_in))
    assert response.status_code == 403
    assert response.json()["detail"] == "当前角色不能登记就业服务"
    assert (
        client.patch(f"/employment-services/{created['id']}", {"result": "hired"}).status_code
        == 403
    )
    assert EmploymentService.objects.count() == 1
    assert EmploymentService.objects.get().result == "pending"


def test_the_auditor_reads_city_wide(users: Any, created: Any, theirs: Any, api: Any) -> None:
    assert api(users.auditor).get("/employment-services").json()["count"] == 2


# ---- the rules, each named with its message; nothing stored --------------------------------------


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"kind": ""}, {"kind": "请选择服务类别"}),
        (
            {"kind": "x"},
            {"kind": "服务类别须为政策咨询、职业指导、职业介绍、创业指导与服务、维权服务之一"},
        ),
        ({"date": ""}, {"date": "请填写服务日期"}),
        ({"date": "2025-02-30"}, {"date": "服务日期格式须为 YYYY-MM-DD"}),
        ({"date": (TODAY + dt.timedelta(days=1)).isoformat()}, {"date": "服务日期不能晚于今天"}),
        ({"date": "1999-12-31"}, {"date": "服务日期不能早于 2000-01-01"}),
        ({"employer": ""}, {"employer": "职业介绍须填写推荐单位"}),
        ({"position": ""}, {"position": "职业介绍须填写推荐岗位"}),
        ({"result": ""}, {"result": "职业介绍须选择推荐结果（已录用、未录用或待定）"}),
        ({"result": "yes"}, {"result": "推荐结果须为已录用、未录用、待定之一"}),
        (
            {"kind": "rights_protection", "employer": "", "position": ""},
            {"result": "推荐结果仅用于职业介绍，维权服务不填"},
        ),
        ({"person": None}, {"person": "请选择服务对象"}),
        ({"person": 99999999}, {"person": "服务对象不存在或不属于本人管辖范围"}),
    ],
)
def test_bad_input_is_a_422_naming_the_field(
    overrides: dict[str, Any], expected: dict[str, str], users: Any, person_in: Any, api: Any
) -> None:
    response = api(users.town_staff).post("/employment-services", body(person_in, **overrides))
    assert response.status_code == 422, response.content
    assert fields(response) == expected
    assert not EmploymentService.objects.exists()


def test_missing_fields_are_named_by_the_service(users: Any, api: Any) -> None:
    response = api(users.town_staff).post("/employment-services", {})
    assert response.status_code == 422
    assert fields(response) == {
        "person": "请选择服务对象",
        "kind": "请选择服务类别",
        "date": "请填写服务日期",
    }


def test_patch_refuses_the_person_and_unknown_fields(
    users: Any, created: Any, person_in: Any, api: Any
) -> None:
    client = api(users.town_staff)
    response = client.patch(f"/employment-services/{created['id']}", {"person": person_in.pk})
    assert response.status_code == 422
    assert fields(response) == {"person": "服务对象登记后不能更换"}
    response = client.patch(f"/employment-services/{created['id']}", {"town": CIZAO})
    assert response.status_code == 422
    assert fields(response) == {"town": "不能识别的字段"}
    response = client.patch(f"/employment-services/{created['id']}", {"date": None})
    assert fields(response) == {"date": "请填写服务日期"}
    assert not AuditEntry.objects.filter(action="employment_service.update").exists()


# ---- fuzzing the operations as the town staff ----------------------------------------------------

schema = schemathesis.openapi.from_wsgi(OPENAPI, InProcessWSGI()).include(
    path_regex=r"^/api/v1/employment-services"
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
def test_service_operations_conform_as_town_staff(
    case: Any, users: Any, person_in: Any, created: Any
) -> None:
    from canpei.accounts.services import token_issue

    value = (case.path_parameters or {}).get("service_id")
    if isinstance(value, int) and not isinstance(value, bool) and value % 3:
        case.path_parameters["service_id"] = created["id"]
    if isinstance(case.body, dict):
        person = case.body.get("person")
        if isinstance(person, int) and not isinstance(person, bool) and person % 3 == 1:
            case.body["person"] = person_in.pk
        if len(repr(case.body)) % 2:
            case.body["date"] = TODAY.isoformat()
    token = token_issue(actor=users.town_staff, user=users.town_staff)
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
    )
