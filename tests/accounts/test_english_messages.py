"""The account pages and the API's token refusals speak the reader's language (issue 13);
in Chinese they read exactly as before."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone, translation

from canpei.accounts.models import ApiToken
from canpei.accounts.services import USERNAME_TAKEN, token_issue, user_create
from canpei.errors import Conflict
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _client(language: str) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def test_a_wrong_password_is_told_in_english(users: Any) -> None:
    response = _client("en").post("/login", {"username": "city", "password": "Wrong-pass-1"})
    assert response.status_code == 401
    page = response.content.decode()
    assert "Wrong username or password" in page and "用户名或密码错误" not in page


def test_a_wrong_password_is_told_in_chinese_as_before(users: Any) -> None:
    response = _client("zh-hans").post("/login", {"username": "city", "password": "Wrong-1"})
    assert response.status_code == 401
    assert "用户名或密码错误" in response.content.decode()


def _change_password(client: Client, user: Any) -> str:
    client.force_login(user)
    response = client.post(
        "/account/password",
        {"old_password": PASSWORD, "new_password1": "Other-pass-2027", "new_password2": "Other-2"},
    )
    assert response.status_code == 422
    return str(response.content.decode())


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "The two new passwords do not match"), ("zh-hans", "两次输入的新密码不一致")],
)
def test_a_password_change_error_is_in_the_readers_language(
    users: Any, language: str, message: str
) -> None:
    page = _change_password(_client(language), users.city_admin)
    assert message in page


def test_an_expired_token_is_refused_in_the_language_asked_for(users: Any) -> None:
    raw = token_issue(actor=users.city_admin, user=users.city_admin)
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    english = Client().get("/api/v1/persons", HTTP_ACCEPT_LANGUAGE="en", **headers)
    assert english.status_code == 401
    assert english.json()["detail"] == "The API token has expired; please obtain a new one"
    chinese = Client().get("/api/v1/persons", HTTP_ACCEPT_LANGUAGE="zh-hans", **headers)
    assert chinese.json()["detail"] == "API 令牌已过期，请重新获取"


def test_a_taken_username_is_refused_in_the_active_language(users: Any) -> None:
    with translation.override("en"), pytest.raises(Conflict) as english:
        user_create(actor=None, username="city", password="Another-pass-2027", role="auditor")
    assert english.value.message == "The username already exists"
    assert english.value.errors == [("username", "The username already exists")]
    with pytest.raises(Conflict) as chinese:
        user_create(actor=None, username="city", password="Another-pass-2027", role="auditor")
    assert chinese.value.message == USERNAME_TAKEN == "用户名已存在"
