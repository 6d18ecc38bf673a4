"""The API answers in the client's language (issue 13): under `Accept-Language: en` its generic
errors (unknown or missing field, wrong type, not found, body too large, bad JSON, method, token)
and the endpoints' own refusals are English, with no Chinese left; without the header they are
the Chinese they always were."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db

HAN = re.compile(r"[\u4e00-\u9fff]")


def send(
    users: Any, api: Any, role: str, method: str, path: str, body: Any = None, *, lang: str = "en"
) -> Any:
    client = api(getattr(users, role))
    headers = {**client.headers, "HTTP_ACCEPT_LANGUAGE": lang}
    call = getattr(client.client, method)
    if body is None:
        return call("/api/v1" + path, **headers)
    text = body if isinstance(body, str) else json.dumps(body)
    return call("/api/v1" + path, text, content_type="application/json", **headers)


# (role, method, path, body) -> (status, English detail, English field errors, Chinese detail,
# Chinese field errors)
CASES = [
    pytest.param(
        ("town_staff", "patch", "/persons/{person}", {"adress": "x"}),
        (422, "Invalid request parameters", {"adress": "Unknown field"}),
        ("请求参数有误", {"adress": "不能识别的字段"}),
        id="unknown field",
    ),
    pytest.param(
        ("institution_staff", "post", "/persons/lookup", {}),
        (422, "Invalid request parameters", {"id_number": "Required field missing"}),
        ("请求参数有误", {"id_number": "缺少必填字段"}),
        id="missing field",
    ),
    pytest.param(
        ("city_admin", "get", "/persons?page=abc", None),
        (422, "Invalid request parameters", {"page": "Must be an integer"}),
        ("请求参数有误", {"page": "须为整数"}),
        id="type error",
    ),
    pytest.param(
        ("city_admin", "get", "/persons/999999999", None),
        (404, "Record not found", {}),
        ("记录不存在", {}),
        id="record not found",
    ),
    pytest.param(
        ("city_admin", "get", "/no-such-thing", None),
        (404, "Record not found", {}),
        ("记录不存在", {}),
        id="unknown path",
    ),
    pytest.param(
        ("city_admin", "delete", "/persons", None),
        (405, "Method not allowed", {}),
        ("不支持此请求方法", {}),
        id="method not allowed",
    ),
    pytest.param(
        ("institution_staff", "post", "/persons/lookup", '{"id_number": '),
        (400, "The request body is not valid JSON", {}),
        ("请求体不是有效的 JSON", {}),
        id="malformed JSON",
    ),
    pytest.param(
        ("institution_staff", "post", "/persons/lookup", "[1, 2]"),
        (422, "Invalid request parameters", None),
        ("请求参数有误", None),
        id="not an object",
    ),
    pytest.param(
        ("institution_staff", "post", "/persons/lookup", {"id_number": "1" * 3_000_000}),
        (
            413,
            "Request body too large (over 2.5 MB)",
            {"body": "Request body too large (over 2.5 MB)"},
        ),
        ("请求体过大（超过 2.5 MB）", {"body": "请求体过大（超过 2.5 MB）"}),
        id="body too large",
    ),
    pytest.param(
        ("auditor", "get", "/audit", None),
        (403, "Only the audit administrator can view the audit log", {}),
        ("只有审计管理员可以查看审计日志", {}),
        id="forbidden",
    ),
]


@pytest.mark.parametrize(("request_", "english", "chinese"), CASES)
def test_the_generic_errors_speak_the_clients_language(
    users: Any, api: Any, person_in: Any, request_: Any, english: Any, chinese: Any
) -> None:
    role, method, path, body = request_
    path = path.format(person=person_in.pk)
    status, detail, fields = english
    response = send(users, api, role, method, path, body)
    assert response.status_code == status, response.content[:300]
    answer = response.json()
    assert answer["detail"] == detail
    if fields is not None:
        assert {e["field"]: e["message"] for e in answer["errors"]} == fields
    assert not HAN.search(response.content.decode()), response.content.decode()

    zh_detail, zh_fields = chinese
    response = send(users, api, role, method, path, body, lang="zh-hans")
    assert response.status_code == status
    answer = response.json()
    assert answer["detail"] == zh_detail
    if zh_fields is not None:
        assert {e["field"]: e["message"] for e in answer["errors"]} == zh_fields


def test_a_missing_token_and_a_wrong_password_are_english() -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.get("/api/v1/persons")
    assert response.status_code == 401
    assert response.json()["detail"] == "Not logged in or the token is invalid"
    response = client.post(
        "/api/v1/auth/token",
        json.dumps({"username": "nobody", "password": "wrong"}),
        content_type="application/json",
    )
    assert response.status_code == 401
    assert response.json()["detail"] == "Wrong username or password"
    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get("/api/v1/persons")
    assert chinese.json()["detail"] == "未登录或令牌无效"


# A sample of endpoints refusing a role they are not for: the refusal is the endpoint's own
# message, in English.
REFUSALS = [
    ("sys_admin", "/institutions", "Your role cannot view training institutions"),
    ("sys_admin", "/classes", "Your role cannot view training classes"),
    ("institution_staff", "/surveys", "Your role cannot view needs surveys"),
    ("institution_staff", "/employment-services", "Your role cannot view employment services"),
    ("sys_admin", "/reports/indicators", "Your role cannot view statistical reports"),
    ("sys_admin", "/persons", "Your role cannot browse the register of persons"),
]


@pytest.mark.parametrize(("role", "path", "message"), REFUSALS)
def test_an_endpoints_own_refusal_is_english(
    users: Any, api: Any, role: str, path: str, message: str
) -> None:
    response = send(users, api, role, "get", path)
    assert response.status_code == 403, response.content[:300]
    assert response.json()["detail"] == message
    assert settings.LANGUAGE_CODE == "zh-hans"
