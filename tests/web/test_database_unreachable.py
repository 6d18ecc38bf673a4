"""While the database cannot be reached (PostgreSQL restarting), pages and the API answer 503
with Retry-After in words a clerk understands; any other unhandled error is still the 500 page."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client

pytestmark = pytest.mark.django_db


def client_of(user: Any) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "error", [OperationalError("connection refused"), InterfaceError("closed")]
)
def test_a_page_says_the_database_is_unreachable_and_when_to_retry(
    users: Any, error: Exception
) -> None:
    with mock.patch("canpei.people.selectors.persons_visible_to", side_effect=error):
        response = client_of(users.city_admin).get("/persons")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    text = response.content.decode()
    assert "暂时无法服务" in text
    assert "数据库暂时无法连接，请稍后重试。" in text
    assert "connection refused" not in text


def test_the_api_answers_503_in_json(users: Any) -> None:
    with mock.patch(
        "canpei.people.selectors.person_list", side_effect=OperationalError("connection refused")
    ):
        response = client_of(users.city_admin).get("/api/v1/persons")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {"detail": "数据库暂时无法连接，请稍后重试。"}


def test_any_other_error_is_still_the_server_error_page(users: Any) -> None:
    with mock.patch("canpei.people.selectors.persons_visible_to", side_effect=ValueError("bug")):
        response = client_of(users.city_admin).get("/persons")
    assert response.status_code == 500
    assert "Retry-After" not in response
    assert "服务器错误" in response.content.decode()
