"""The API against its own OpenAPI document (QUALITY.md, Reliability: API fuzzing).

Schemathesis generates requests for every operation of /api/v1/openapi.json — valid ones and
deliberately invalid ones — and sends them in-process as city_admin. Every answer must be a
non-5xx, with a status the document declares and a body that matches the declared schema.

The requests go through Django's own test handler (the one django.test.Client uses), so they
run inside the test's transaction: what the fuzzer writes is rolled back like any other test
data, and the append-only audit log needs no flush.

The plain tests below pin the behaviour of bad input that INTERFACES.md promises.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

import pytest
import schemathesis
from django.test import Client
from django.test.client import ClientHandler
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from tests.conftest import CIZAO, make_id, person_data

OPENAPI = "/api/v1/openapi.json"
ERROR_KEYS = {"detail", "errors"}


class InProcessWSGI:
    """A WSGI application that runs Django exactly as the test client does.

    django.core.handlers.wsgi.WSGIHandler would close the database connection at the end of
    each request (close_old_connections), which inside a test's transaction marks it broken;
    ClientHandler disconnects that signal for the duration of the request.
    """

    def __init__(self) -> None:
        self.handler = ClientHandler(enforce_csrf_checks=True)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        response: Any = self.handler(environ)
        headers = list(response.items())
        headers += [
            ("Set-Cookie", cookie.output(header="").strip()) for cookie in response.cookies.values()
        ]
        start_response(f"{response.status_code} {response.reason_phrase}", headers)
        if response.streaming:
            return (b"".join(response.streaming_content),)  # type: ignore[arg-type]
        return [response.content]


@pytest.fixture
def city_token(users: Any, person_in: Any, person_out: Any) -> str:
    """A bearer token for city_admin, with two persons on the registry for the fuzzer to hit."""
    from canpei.accounts.services import token_issue

    return token_issue(actor=users.city_admin, user=users.city_admin)


@pytest.fixture
def audit_token(users: Any) -> str:
    from canpei.accounts.services import token_issue

    return token_issue(actor=users.audit_admin, user=users.audit_admin)


@pytest.fixture
def fuzz_classes(users: Any, make_class: Any, trainee_factory: Any) -> dict[str, Any]:
    """A running class (register, inspections, hours) and a draft one (edits, roster), each
    with trainees, and an inspection that asks for rectification: the records the fuzzer's
    class, enrollment and inspection ids are pointed at."""
    from canpei.training.classes import services

    # Born on a day no other person of these tests is, so their ID numbers never clash.
    running = make_class("running", persons=[trainee_factory(birth="19880808") for _ in range(2)])
    draft = make_class("draft", persons=[trainee_factory(birth="19880808")])
    inspection = services.inspection_record(
        actor=users.city_admin,
        training_class=running,
        data={"present": 1, "rectification_required": True},
    )
    return {
        "institution": running.institution_id,
        "class": {1: running.pk, 2: draft.pk},
        "enrollment": {1: running.enrollments.first().pk, 2: draft.enrollments.first().pk},
        "inspection": {1: inspection.pk, 2: inspection.pk},
    }


def _aim(case: Any, name: str, targets: dict[int, int]) -> None:
    """Point two in three generated ids at real records; the third stays random (a 404)."""
    value = (case.path_parameters or {}).get(name)
    if isinstance(value, int) and not isinstance(value, bool) and value % 3:
        case.path_parameters[name] = targets[value % 3]


def _aim_body(case: Any, values: dict[str, Any]) -> None:
    """Two in three generated bodies get these fields set to values that exist (an institution,
    a person, today), so that the operations' success answers are fuzzed too."""
    body = case.body
    if isinstance(body, dict) and len(repr(body)) % 3:
        body.update({key: value for key, value in values.items() if key in body})


# Loaded once, at collection, from the running application (serving the document touches no
# table). schemathesis.pytest.from_fixture would defer this to a fixture, but it sets
# `Function._nodeid`, which pytest 9 no longer has.
schema = schemathesis.openapi.from_wsgi(OPENAPI, InProcessWSGI())


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_conforms_to_its_schema(
    case: Any,
    city_token: str,
    audit_token: str,
    person_in: Any,
    person_out: Any,
    institution: Any,
    request: pytest.FixtureRequest,
) -> None:
    # Random ids almost never exist; point two in three at real records, so that the detail,
    # identity and PATCH operations are fuzzed on the paths that read and write a person.
    person_id = (case.path_parameters or {}).get("person_id")
    if isinstance(person_id, int) and not isinstance(person_id, bool) and person_id % 3:
        case.path_parameters["person_id"] = person_in.pk if person_id % 3 == 1 else person_out.pk
    # The same for institutions: the city's own record, most of the time.
    institution_id = (case.path_parameters or {}).get("institution_id")
    if (
        isinstance(institution_id, int)
        and not isinstance(institution_id, bool)
        and institution_id % 3
    ):
        case.path_parameters["institution_id"] = institution.pk
    # Classes and their roster, register and inspections: built only for those operations.
    if case.operation.path.startswith(("/api/v1/classes/", "/api/v1/enrollments/")):
        records = request.getfixturevalue("fuzz_classes")
        _aim(case, "class_id", records["class"])
        _aim(case, "enrollment_id", records["enrollment"])
        _aim(case, "inspection_id", records["inspection"])
    if case.operation.path.startswith("/api/v1/classes"):
        today = dt.date.today().isoformat()
        _aim_body(case, {"date": today, "rectified_on": today, "present": 1, "hours": 2})
        _aim_body(
            case,
            {
                "person": person_in.id_number,
                "institution": request.getfixturevalue("fuzz_classes")["institution"],
            },
        )
    # city_admin everywhere, except the audit log: only the audit officer gets its 200 answer.
    token = audit_token if case.operation.path == "/api/v1/audit" else city_token
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
    )


# ---- the document itself ---------------------------------------------------------------------


def test_the_openapi_document_is_served_and_covers_the_person_api(db: Any) -> None:
    response = Client().get(OPENAPI)
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    operations = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }
    assert {
        ("GET", "/api/v1/persons"),
        ("POST", "/api/v1/persons"),
        ("GET", "/api/v1/persons/{person_id}"),
        ("PATCH", "/api/v1/persons/{person_id}"),
        ("GET", "/api/v1/persons/{person_id}/identity"),
        ("POST", "/api/v1/persons/lookup"),
        ("GET", "/api/v1/audit"),
        ("POST", "/api/v1/auth/token"),
    } <= operations
    # Every error an operation may answer is declared with the one error shape.
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, declared in operation["responses"].items():
                if status.startswith("4"):
                    ref = declared["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorOut"), (method, path, status)
            if method in ("post", "patch"):
                assert "400" in operation["responses"], (method, path)
            if operation.get("security"):
                assert "401" in operation["responses"], (method, path)
    person = document["components"]["schemas"]["PersonOut"]["properties"]
    assert {
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
    } <= set(person)


# ---- bad input, one promise at a time ---------------------------------------------------------


def raw(
    client: Client,
    method: str,
    path: str,
    body: str | bytes,
    token: str,
    content_type: str = "application/json",
) -> Any:
    return getattr(client, method)(
        "/api/v1" + path, body, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def assert_error(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == ERROR_KEYS, body
    assert isinstance(body["detail"], str) and body["detail"]
    assert all(set(e) == {"field", "message"} for e in body["errors"]), body
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
    return body


@pytest.mark.parametrize(
    "method,path",
    [
        ("post", "/persons"),
        ("post", "/persons/lookup"),
        ("patch", "/persons/{id}"),
        ("post", "/auth/token"),
    ],
)
@pytest.mark.parametrize("body", ['{"name": ', "not json", "[1, 2", "\xff\xfe", '{"a": 1}}'])
def test_malformed_json_is_a_400_with_the_error_shape(
    method: str, path: str, body: str, city_token: str, person_in: Any
) -> None:
    response = raw(
        Client(), method, path.format(id=person_in.pk), body.encode("latin-1"), city_token
    )
    assert_error(response, 400)


@pytest.mark.parametrize(
    "method,path", [("post", "/persons"), ("post", "/persons/lookup"), ("patch", "/persons/{id}")]
)
@pytest.mark.parametrize("body", ["[]", '"text"', "42", "null"])
def test_json_that_is_not_an_object_is_refused_with_the_error_shape(
    method: str, path: str, body: str, city_token: str, person_in: Any
) -> None:
    response = raw(Client(), method, path.format(id=person_in.pk), body, city_token)
    assert response.status_code in (400, 422)
    assert_error(response, response.status_code)


def test_unknown_query_parameters_are_ignored(users: Any, person_in: Any, api: Any) -> None:
    client = api(users.city_admin)
    plain = client.get("/persons").json()
    noisy = client.get("/persons", colour="blue", order_by="name; DROP TABLE x", page_sizes="9")
    assert noisy.status_code == 200
    assert noisy.json() == plain
    assert client.get("/audit", colour="blue").status_code == 403


@pytest.mark.parametrize("size", [201, 1000, 10**9])
def test_page_size_over_200_is_a_422_naming_page_size(size: int, users: Any, api: Any) -> None:
    assert_error(api(users.city_admin).get("/persons", page_size=size), 422, "page_size")
    assert_error(api(users.audit_admin).get("/audit", page_size=size), 422, "page_size")


def test_page_size_200_is_allowed(users: Any, api: Any) -> None:
    assert api(users.city_admin).get("/persons", page_size=200).status_code == 200


@pytest.mark.parametrize(
    "params,field",
    [
        ({"page": "abc"}, "page"),
        ({"page": "0"}, "page"),
        ({"page": "-1"}, "page"),
        ({"page": "1.5"}, "page"),
        ({"page_size": "x"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
        ({"town": "anhai"}, "town"),
        ({"category": "9"}, "category"),
        ({"grade": "0"}, "grade"),
        ({"working_age": "maybe"}, "working_age"),
        ({"status": "gone"}, "status"),
        ({"employment_form": "8"}, "employment_form"),
        ({"q": "长" * 31}, "q"),
    ],
)
def test_wrong_query_values_are_a_422_naming_the_field(
    params: dict[str, str], field: str, users: Any, api: Any
) -> None:
    assert_error(api(users.city_admin).get("/persons", **params), 422, field)


@pytest.mark.parametrize(
    "body,field",
    [
        ({"name": 123}, "name"),
        ({"category": ["4"]}, "category"),
        ({"hardship": "dibao"}, "hardship"),
        ({"new_entrant": "perhaps"}, "new_entrant"),
        ({"village": {"a": 1}}, "village"),
        ({"id_number": None}, "id_number"),
    ],
)
def test_wrong_body_types_are_a_422_naming_the_field(
    body: dict[str, Any], field: str, users: Any, api: Any
) -> None:
    data = person_data(id_number=make_id("35058219920101011"), cert_number="")
    data.update(body)
    assert_error(api(users.city_admin).post("/persons", data), 422, field)


def test_missing_required_fields_are_named(users: Any, api: Any) -> None:
    body = assert_error(api(users.city_admin).post("/persons", {}), 422)
    assert {"name", "id_number", "category", "grade", "town"} <= {
        e["field"] for e in body["errors"]
    }


@pytest.mark.parametrize(
    "body,field",
    [
        ({"name": 5}, "name"),
        ({"status": 7}, "status"),
        ({"new_entrant": "x"}, "new_entrant"),
        ({"hardship": [1, {}]}, "hardship.0"),
    ],
)
def test_wrong_patch_types_are_a_422_naming_the_field(
    body: dict[str, Any], field: str, users: Any, person_in: Any, api: Any
) -> None:
    response = api(users.city_admin).patch(f"/persons/{person_in.pk}", body)
    error = assert_error(response, 422)
    assert any(
        e["field"] == field or e["field"].startswith(field.split(".")[0]) for e in error["errors"]
    ), error


def test_a_patch_with_invalid_values_names_every_field_and_changes_nothing(
    users: Any, person_in: Any, api: Any
) -> None:
    response = api(users.city_admin).patch(
        f"/persons/{person_in.pk}", {"phone": "123", "grade": "9", "town": "999999999999"}
    )
    body = assert_error(response, 422)
    assert {"phone", "grade", "town"} <= {e["field"] for e in body["errors"]}
    from canpei.people.models import Person

    stored = Person.objects.get(pk=person_in.pk)
    assert (stored.phone, stored.grade) == (person_in.phone, person_in.grade)


def test_a_duplicate_id_number_is_a_409_naming_the_field(
    users: Any, person_out: Any, api: Any
) -> None:
    data = person_data(id_number=person_out.id_number, cert_number="", town=CIZAO)
    assert_error(api(users.city_admin).post("/persons", data), 409, "id_number")


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/persons"),
        ("post", "/persons"),
        ("get", "/persons/1"),
        ("patch", "/persons/1"),
        ("get", "/persons/1/identity"),
        ("post", "/persons/lookup"),
        ("get", "/audit"),
    ],
)
@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer nonsense", "Token abc", "Bearer " + "x" * 5000, "Basic Y2l0eTpwYXNz"],
)
def test_no_or_bad_auth_is_a_401(
    method: str, path: str, authorization: str | None, db: Any
) -> None:
    headers: dict[str, Any] = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    client = Client()
    if method == "get":
        response = client.get("/api/v1" + path, **headers)
    else:
        response = getattr(client, method)(
            "/api/v1" + path, "{}", content_type="application/json", **headers
        )
    assert_error(response, 401)


def test_a_revoked_or_inactive_users_token_is_a_401(users: Any, api: Any) -> None:
    client = api(users.town_staff)
    assert client.get("/persons").status_code == 200
    users.town_staff.is_active = False
    users.town_staff.save()
    assert_error(client.get("/persons"), 401)


def test_a_session_write_without_csrf_is_refused(users: Any, person_in: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(users.city_admin)
    assert client.get(f"/api/v1/persons/{person_in.pk}").status_code == 200
    response = client.patch(
        f"/api/v1/persons/{person_in.pk}",
        json.dumps({"address": "x"}),
        content_type="application/json",
    )
    assert response.status_code in (401, 403)
    assert set(response.json()) == ERROR_KEYS


@pytest.mark.parametrize("person_id", [10**12, 2**63 - 1, 2**63, 10**30, 10**200])
def test_huge_ids_are_a_404_not_a_500(person_id: int, users: Any, api: Any) -> None:
    client = api(users.city_admin)
    for response in (
        client.get(f"/persons/{person_id}"),
        client.get(f"/persons/{person_id}/identity"),
        client.patch(f"/persons/{person_id}", {"address": "x"}),
    ):
        assert_error(response, 404)


@pytest.mark.parametrize("person_id", ["-1", "abc", "1.5", "0x10", "%00"])
def test_ids_that_are_not_integers_answer_with_the_error_shape(
    person_id: str, users: Any, api: Any
) -> None:
    response = api(users.city_admin).get(f"/persons/{person_id}")
    assert response.status_code in (404, 422)
    assert_error(response, response.status_code)


def test_huge_integers_in_query_and_body_are_refused_not_a_500(users: Any, api: Any) -> None:
    client = api(users.city_admin)
    assert_error(client.get("/persons", page=10**30), 422, "page")
    assert_error(client.get("/persons", page_size=-(10**30)), 422, "page_size")
    response = client.post(
        "/persons",
        person_data(id_number=make_id("35058219920101029"), cert_number="", category=10**30),
    )
    assert_error(response, 422, "category")


def test_a_wrong_content_type_is_refused_with_the_error_shape(city_token: str) -> None:
    response = raw(
        Client(),
        "post",
        "/persons",
        "name=x",
        city_token,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code in (400, 415, 422)
    assert_error(response, response.status_code)


def test_the_token_endpoint_answers_401_with_the_error_shape(users: Any) -> None:
    client = Client()
    good = client.post(
        "/api/v1/auth/token",
        {"username": "city", "password": "Test-pass-2026"},
        content_type="application/json",
    )
    assert good.status_code == 200 and good.json()["token"].startswith("cp_")
    bad = client.post(
        "/api/v1/auth/token",
        {"username": "city", "password": "wrong"},
        content_type="application/json",
    )
    assert_error(bad, 401)
    assert_error(
        client.post("/api/v1/auth/token", {"username": "city"}, content_type="application/json"),
        422,
        "password",
    )


@pytest.mark.parametrize(
    "method,path",
    [
        ("delete", "/persons/{id}"),
        ("put", "/persons"),
        ("post", "/persons/{id}"),
        ("delete", "/audit"),
        ("get", "/auth/token"),
        ("put", "/persons/lookup"),
    ],
)
def test_an_unsupported_method_is_a_405_with_the_error_shape(
    method: str, path: str, city_token: str, person_in: Any
) -> None:
    response = getattr(Client(), method)(
        "/api/v1" + path.format(id=person_in.pk), HTTP_AUTHORIZATION=f"Bearer {city_token}"
    )
    assert_error(response, 405)
    assert response["Allow"]


@pytest.mark.parametrize(
    "path", ["/nope", "/persons/", "/persons/1/identity/", "/persons/1/x", "/v2/persons"]
)
def test_an_unknown_api_path_is_a_json_404(path: str, city_token: str) -> None:
    for method in ("get", "post"):
        response = getattr(Client(), method)(
            "/api/v1" + path, HTTP_AUTHORIZATION=f"Bearer {city_token}"
        )
        assert_error(response, 404)


def test_the_interactive_docs_load_only_our_own_scripts(db: Any) -> None:
    """The Content-Security-Policy allows scripts from this site only, and no inline script."""
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    page = response.content.decode()
    assert "cdn." not in page and "https://" not in page.replace("https://django-ninja.dev", "")
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    assert scripts
    for attributes, _body in scripts:
        assert "src=" in attributes or 'type="application/json"' in attributes, attributes
        assert "src=" not in attributes or '"/static/' in attributes, attributes


def test_a_locked_out_account_gets_the_api_error_shape_on_the_token_endpoint(users: Any) -> None:
    client = Client()
    statuses = []
    for _ in range(6):
        response = client.post(
            "/api/v1/auth/token",
            {"username": "city", "password": "wrong"},
            content_type="application/json",
        )
        statuses.append(response.status_code)
        assert set(response.json()) == ERROR_KEYS
    assert statuses[0] == 401 and statuses[-1] == 403
    # Locked: even the right password gets no token until the cool-off ends.
    response = client.post(
        "/api/v1/auth/token",
        {"username": "city", "password": "Test-pass-2026"},
        content_type="application/json",
    )
    assert_error(response, 403)


def test_text_with_a_nul_character_is_a_422_naming_the_field_not_a_database_error(
    users: Any, person_in: Any, api: Any
) -> None:
    """PostgreSQL refuses U+0000 in any text it stores or compares; it must never get that far."""
    city = api(users.city_admin)
    assert_error(city.get("/persons", q="张\x00"), 422, "q")
    assert_error(city.get("/persons", town="\x00"), 422, "town")
    assert_error(api(users.audit_admin).get("/audit", action="person.\x00"), 422, "action")
    assert_error(api(users.audit_admin).get("/audit", actor="\x00"), 422, "actor")
    data = person_data(id_number=make_id("35058219920101037"), cert_number="", town="\x00")
    assert_error(city.post("/persons", data), 422, "town")
    assert_error(
        city.post("/persons", {**data, "town": CIZAO, "hardship": ["dibao\x00"]}), 422, "hardship"
    )
    assert_error(city.patch(f"/persons/{person_in.pk}", {"village": "3505\x00"}), 422, "village")
    assert_error(city.post("/persons/lookup", {"id_number": "\x00" * 18}), 422, "id_number")
    response = Client().post(
        "/api/v1/auth/token",
        {"username": "city\x00", "password": "x"},
        content_type="application/json",
    )
    assert_error(response, 422, "username")


def test_an_unknown_body_field_is_refused_by_name(users: Any, person_in: Any, api: Any) -> None:
    client = api(users.city_admin)
    response = client.patch(f"/persons/{person_in.pk}", {"adress": "安海镇安平路 1 号"})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "adress", "message": "不能识别的字段"}]
    person_in.refresh_from_db()
    assert person_in.address == ""
