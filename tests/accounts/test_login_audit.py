"""Sign-in events in the audit log (issue 8 item 16): logins, logouts, failed logins and
lockouts, from the login page and the token endpoint; never a password; the chain stays valid."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client, override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from canpei.audit.models import AuditEntry
from canpei.audit.services import audit_verify
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

WRONG = "Wrong-pass-2026"


def sign_in(client: Client, username: str, password: str) -> Any:
    return client.post("/login", {"username": username, "password": password})


def actions() -> list[str]:
    return list(AuditEntry.objects.order_by("id").values_list("action", flat=True))


def all_text() -> str:
    return json.dumps(
        list(AuditEntry.objects.values_list("summary", "changes")), ensure_ascii=False
    )


def test_a_login_and_a_logout_are_audited(users: Any) -> None:
    client = Client()
    assert sign_in(client, "city", PASSWORD).status_code == 302
    assert client.post("/logout").status_code == 302
    assert actions() == ["auth.login", "auth.logout"]
    login, logout = AuditEntry.objects.order_by("id")
    assert login.actor_id == logout.actor_id == users.city_admin.pk
    assert login.changes["channel"] == "web"
    assert "用户 city 登录" in login.summary and "用户 city 退出登录" in logout.summary
    assert PASSWORD not in all_text()


def test_a_failed_login_is_audited_with_the_username_but_never_the_password(users: Any) -> None:
    assert sign_in(Client(), "city", WRONG).status_code == 401
    assert sign_in(Client(), "nobody", WRONG).status_code == 401
    failed = list(AuditEntry.objects.filter(action="auth.login_failed").order_by("id"))
    assert [e.changes["username"] for e in failed] == ["city", "（未知用户名）"]
    assert failed[0].object_id == str(users.city_admin.pk) and failed[1].object_id == ""
    assert all(e.actor_id is None for e in failed)
    assert "登录失败：用户名 city" in failed[0].summary
    assert WRONG not in all_text()


def test_a_username_that_names_no_account_is_not_logged(users: Any) -> None:
    """It is often a password, or an ID number, typed into the wrong field."""
    sign_in(Client(), "Secret-pass-2026", WRONG)
    sign_in(Client(), "350582199003070012", WRONG)
    assert AuditEntry.objects.filter(action="auth.login_failed").count() == 2
    assert "Secret-pass-2026" not in all_text() and "350582199003070012" not in all_text()


def test_a_lockout_is_audited(users: Any) -> None:
    for _ in range(5):
        sign_in(Client(), "city", WRONG)
    assert sign_in(Client(), "city", PASSWORD).status_code == 429
    lockouts = AuditEntry.objects.filter(action="auth.lockout")
    assert lockouts.exists()
    assert "账户 city 因连续登录失败被锁定" in lockouts.first().summary  # type: ignore[union-attr]
    assert AuditEntry.objects.filter(action="auth.login_failed").count() >= 5
    assert not AuditEntry.objects.filter(action="auth.login").exists()
    assert PASSWORD not in all_text() and WRONG not in all_text()
    assert audit_verify().ok


def test_api_token_logins_and_failures_are_audited(users: Any) -> None:
    def post(password: str) -> Any:
        return Client().post(
            "/api/v1/auth/token",
            json.dumps({"username": "city", "password": password}),
            content_type="application/json",
        )

    assert post(WRONG).status_code == 401
    assert post(PASSWORD).status_code == 200
    assert actions() == ["auth.login_failed", "auth.login", "token.issue"]
    failed, login = AuditEntry.objects.order_by("id")[:2]
    assert failed.changes["channel"] == login.changes["channel"] == "api"


def test_the_second_factor_step_is_audited(users: Any) -> None:
    device = TOTPDevice.objects.create(user=users.audit_admin, name="a", confirmed=True)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    with override_settings(ADMIN_TOTP_REQUIRED=True):
        client = Client()
        sign_in(client, "auditadmin", PASSWORD)
        assert client.post("/login/otp", {"token": code}).status_code == 302
    assert actions() == ["auth.login", "auth.otp"]


def test_the_audit_officer_sees_sign_in_events(users: Any, login: Any) -> None:
    sign_in(Client(), "anhai", WRONG)
    sign_in(Client(), "anhai", PASSWORD)
    page = login(users.audit_admin).get("/audit", {"action": "auth.login_failed"})
    assert page.status_code == 200 and "登录失败：用户名 anhai" in page.content.decode()
    assert audit_verify().ok
