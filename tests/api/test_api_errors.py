"""Every answer under /api/v1/ keeps the API's error shape {"detail", "errors"}, whatever the body:
a body over DATA_UPLOAD_MAX_MEMORY_SIZE is a JSON 413, not Django's HTML 400 page."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from canpei.api.router import BODY_TOO_LARGE

pytestmark = pytest.mark.django_db

LIMIT = settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def error_shape(response: Any) -> dict[str, Any]:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = response.json()
    assert set(body) == {"detail", "errors"} and isinstance(body["errors"], list)
    return body


def big_json() -> str:
    return json.dumps({"id_number": "1" * (LIMIT + 10)})


def test_an_oversized_body_answers_413_in_the_api_shape(users, api):
    client = api(users.institution_staff)
    response = client.client.post(
        "/api/v1/persons/lookup", big_json(), content_type="application/json", **client.headers
    )
    assert response.status_code == 413
    assert error_shape(response) == {
        "detail": BODY_TOO_LARGE,
        "errors": [{"field": "body", "message": BODY_TOO_LARGE}],
    }
    assert BODY_TOO_LARGE == "请求体过大（超过 2.5 MB）"


def test_a_body_just_under_the_limit_is_read(users, api):
    client = api(users.institution_staff)
    body = json.dumps({"id_number": "1" * (LIMIT - 100)})
    assert len(body) <= LIMIT
    response = client.client.post(
        "/api/v1/persons/lookup", body, content_type="application/json", **client.headers
    )
    assert response.status_code == 422  # read, and refused as an ID number, not for its size
    assert error_shape(response)["errors"][0]["field"] == "id_number"


@pytest.mark.parametrize("method", ["post", "patch", "put"])
def test_oversized_bodies_keep_the_shape_on_every_path(users, api, method):
    client = api(users.city_admin)
    send = getattr(client.client, method)
    for path in (
        "/api/v1/classes",
        "/api/v1/persons/1",
        "/api/v1/no-such-path",
        "/api/v1/auth/token",
    ):
        response = send(path, big_json(), content_type="application/json", **client.headers)
        assert response.status_code in (404, 405, 413), (path, response.status_code)
        error_shape(response)


def test_an_oversized_form_body_and_an_anonymous_one_keep_the_shape(users):
    anonymous = Client()
    response = anonymous.post("/api/v1/auth/token", {"username": "x" * (LIMIT + 10)})
    assert response.status_code == 413
    assert error_shape(response)["detail"] == BODY_TOO_LARGE
    response = anonymous.post("/api/v1/persons/lookup", big_json(), content_type="application/json")
    assert response.status_code in (401, 413)
    error_shape(response)


def test_an_oversized_body_through_a_session_keeps_the_shape(users, login):
    client = login(users.institution_staff)
    response = client.post(
        "/api/v1/persons/lookup", "x" * (LIMIT + 10), content_type="application/json"
    )
    assert response.status_code == 413
    error_shape(response)
    checked = Client(enforce_csrf_checks=True)
    checked.force_login(users.institution_staff)
    checked.get("/persons/lookup")  # the CSRF cookie, as a browser holds it
    response = checked.post("/api/v1/persons/lookup", {"id_number": "1" * (LIMIT + 10)})
    assert response.status_code == 413
    assert error_shape(response)["detail"] == BODY_TOO_LARGE


def test_malformed_json_keeps_the_shape(users, api):
    client = api(users.institution_staff)
    response = client.client.post(
        "/api/v1/persons/lookup",
        '{"id_number": ',
        content_type="application/json",
        **client.headers,
    )
    assert response.status_code == 400
    assert error_shape(response)["detail"] == "请求体不是有效的 JSON"


def test_a_form_body_with_too_many_fields_keeps_the_shape(users):
    # Read as a form while checking a session's CSRF token (as a browser's request is checked).
    from canpei.api.router import TOO_MANY_FIELDS

    client = Client(enforce_csrf_checks=True)
    client.force_login(users.institution_staff)
    client.get("/persons/lookup")  # the CSRF cookie, as a browser holds it
    body = "&".join(f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    response = client.post(
        "/api/v1/persons/lookup", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert error_shape(response)["detail"] == TOO_MANY_FIELDS == "请求体的字段或文件过多"
