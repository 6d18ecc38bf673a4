"""Changing a password (issue 8 item 6): the page for every user, forced at the first sign-in
of an account created with an initial password, officers' password expiry, and a password
that contains the username refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.utils import timezone

from canpei import cli
from canpei.accounts.models import PASSWORD_EXPIRED, User
from canpei.accounts.passwords import PASSWORD_HAS_USERNAME, UsernameValidator
from canpei.audit.models import AuditEntry
from canpei.audit.services import audit_verify
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW = "Other-pass-2027"


def signed_in(username: str, password: str = PASSWORD) -> Client:
    client = Client()
    response = client.post("/login", {"username": username, "password": password})
    assert response.status_code == 302, response.status_code
    return client


def change(client: Client, old: str, new: str, repeat: str | None = None, **extra: Any) -> Any:
    return client.post(
        "/account/password",
        {
            "old_password": old,
            "new_password1": new,
            "new_password2": new if repeat is None else repeat,
        },
        **extra,
    )


@pytest.mark.parametrize(
    "role",
    [
        "city_admin",
        "town_staff",
        "institution_staff",
        "employment_service",
        "auditor",
        "sys_admin",
        "security_admin",
        "audit_admin",
    ],
)
def test_every_user_has_a_change_password_page_with_the_policy(role: str, users: Any) -> None:
    username = users.by_role()[role].username
    client = signed_in(username)
    page = client.get("/account/password")
    assert page.status_code == 200
    text = page.content.decode()
    for name in ("old_password", "new_password1", "new_password2"):
        assert f'name="{name}"' in text
    assert "密码须包含大写字母、小写字母、数字、符号中的至少三类" in text
    assert PASSWORD_HAS_USERNAME in text
    assert 'href="/account/password"' in client.get("/").content.decode()
    response = change(client, PASSWORD, NEW)
    assert response.status_code == 302
    # The new password signs in, the old one no longer does; this session goes on.
    assert client.get("/").status_code == 200
    assert Client().post("/login", {"username": username, "password": PASSWORD}).status_code == 401
    signed_in(username, NEW)
    user = User.objects.get(username=username)
    assert user.password_changed_at is not None and not user.must_change_password
    assert AuditEntry.objects.filter(action="user.password_change", actor=user).count() == 1
    assert NEW not in str(list(AuditEntry.objects.values_list("changes", "summary")))


@pytest.mark.parametrize(
    "old, new, repeat, field, message",
    [
        ("Wrong-pass-2026", NEW, None, "old_password", "原密码不正确"),
        (PASSWORD, NEW, NEW + "x", "new_password2", "两次输入的新密码不一致"),
        (PASSWORD, PASSWORD, None, "new_password1", "新密码不能与原密码相同"),
        (PASSWORD, "short1A", None, "new_password1", "密码至少须有 8 个字符"),
        (
            PASSWORD,
            "alllowercase",
            None,
            "new_password1",
            "密码须包含大写字母、小写字母、数字、符号中的至少三类",
        ),
        (PASSWORD, "City-2027-pass", None, "new_password1", PASSWORD_HAS_USERNAME),
    ],
)
def test_a_bad_change_is_refused_and_changes_nothing(
    old: str, new: str, repeat: str | None, field: str, message: str | None, users: Any
) -> None:
    client = signed_in("city")
    before = User.objects.get(username="city").password
    response = change(client, old, new, repeat)
    assert response.status_code == 422
    text = response.content.decode()
    assert f'id="id_{field}_error"' in text
    if message:
        assert message in text
    assert User.objects.get(username="city").password == before
    assert not AuditEntry.objects.filter(action="user.password_change").exists()


# The username inside the password.


@pytest.mark.parametrize("password", ["Anhai@2027", "x-ANHAI-2027", "anhai", "My.AnHai.9"])
def test_a_password_containing_the_username_is_refused(password: str) -> None:
    with pytest.raises(ValidationError) as refused:
        validate_password(password, User(username="anhai"))
    assert PASSWORD_HAS_USERNAME in refused.value.messages
    assert "密码不能与用户名相同，也不能包含用户名" in refused.value.messages


def test_a_password_without_the_username_passes_that_rule() -> None:
    UsernameValidator().validate("Anha1-2027x", User(username="anhai"))
    UsernameValidator().validate("Anything-2027", None)


def test_createuser_refuses_a_password_containing_the_username(
    capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CANPEI_PASSWORD", "Lin-county-2027")
    assert cli.main(["createuser", "Lin", "--role", "city_admin"]) == 1
    assert PASSWORD_HAS_USERNAME in capsys.readouterr().err
    assert not User.objects.filter(username="Lin").exists()


# Forced at the first sign-in.


def test_an_account_made_by_the_system_officer_must_change_its_password_first(
    users: Any, login: Any
) -> None:
    login(users.sys_admin).post("/admin/users", {"username": "newbie", "password": "Initial-2027x"})
    assert User.objects.get(username="newbie").must_change_password
    client = signed_in("newbie", "Initial-2027x")
    for path in ("/", "/persons", "/admin/users", "/audit"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/account/password?next=")
    held = client.get("/account/password").content.decode()
    assert "请先更改密码，之后才能使用系统。" in held
    # The API, with this session, says why.
    api = client.get("/api/v1/persons")
    assert api.status_code == 403 and "修改初始密码" in api.json()["detail"]
    assert client.post("/logout").status_code == 302


def test_after_the_change_the_user_goes_where_they_were_going(users: Any, login: Any) -> None:
    login(users.sys_admin).post("/admin/users", {"username": "newbie", "password": "Initial-2027x"})
    client = signed_in("newbie", "Initial-2027x")
    response = change(client, "Initial-2027x", NEW, QUERY_STRING="next=/")
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert not User.objects.get(username="newbie").must_change_password
    assert audit_verify().ok


def test_createuser_makes_the_operator_chosen_password_an_initial_one(
    capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CANPEI_PASSWORD", "Initial-2027x")
    assert cli.main(["createuser", "firstsec", "--role", "security_admin"]) == 0
    user = User.objects.get(username="firstsec")
    assert (user.role, user.must_change_password) == ("security_admin", True)


@pytest.mark.slow
def test_demo_accounts_are_not_held_at_the_change_page() -> None:
    from canpei.demo import demo_load

    demo_load(persons=20, seed=1)
    assert not User.objects.filter(must_change_password=True).exists()
    client = signed_in("city", "Canpei@2026")
    assert client.get("/").status_code == 200


# Officers' password expiry.


def test_an_officers_password_expires_after_canpei_password_max_days(users: Any) -> None:
    old = timezone.now() - dt.timedelta(days=91)
    User.objects.filter(pk__in=[users.audit_admin.pk, users.city_admin.pk]).update(
        password_changed_at=old
    )
    with override_settings(PASSWORD_MAX_DAYS=90):
        officer = signed_in("auditadmin")
        response = officer.get("/audit")
        assert response.status_code == 302 and response["Location"].startswith("/account/password")
        # A business role is not subject to it.
        assert signed_in("city").get("/persons").status_code == 200
        token = Client().post(
            "/api/v1/auth/token",
            {"username": "auditadmin", "password": PASSWORD},
            content_type="application/json",
        )
        assert token.status_code == 403 and token.json()["detail"] == PASSWORD_EXPIRED
        assert "密码已过期" in token.json()["detail"]
        assert change(officer, PASSWORD, NEW).status_code == 302
        assert officer.get("/audit").status_code == 200
    # Off by default.
    User.objects.filter(pk=users.audit_admin.pk).update(password_changed_at=old)
    assert signed_in("auditadmin", NEW).get("/audit").status_code == 200


@pytest.mark.parametrize(
    "raw, ok",
    [("", True), ("0", True), ("90", True), ("-1", False), ("ninety", False), ("99999", False)],
)
def test_canpei_password_max_days_is_parsed_strictly(
    monkeypatch: pytest.MonkeyPatch, raw: str, ok: bool
) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from canpei import settings as canpei_settings

    monkeypatch.setenv("CANPEI_PASSWORD_MAX_DAYS", raw)
    if ok:
        canpei_settings._env_int("CANPEI_PASSWORD_MAX_DAYS", 0, low=0, high=3650)
    else:
        with pytest.raises(ImproperlyConfigured):
            canpei_settings._env_int("CANPEI_PASSWORD_MAX_DAYS", 0, low=0, high=3650)
