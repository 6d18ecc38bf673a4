"""The officers' TOTP second factor (QUALITY.md: "TOTP second factor for admin roles")."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from canpei.accounts import otp
from canpei.audit.models import AuditEntry
from tests.conftest import PASSWORD


@pytest.fixture(autouse=True)
def totp_required(settings: Any) -> None:
    settings.ADMIN_TOTP_REQUIRED = True


def code_for(device: TOTPDevice, offset: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):06d}"


def password_login(user: Any) -> Client:
    client = Client()
    response = client.post("/login", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def enrol(user: Any) -> TOTPDevice:
    device = otp.enrolment_device(user)
    assert otp.totp_enrol(actor=user, token=code_for(device)) is not None
    device.refresh_from_db()
    # A code is good once: let the next test step use the next time step's code.
    device.last_t = -1
    device.save(update_fields=["last_t"])
    return device


def test_an_officer_without_a_device_is_sent_to_bind_one(users):
    client = password_login(users.sys_admin)
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/totp")
    page = client.get("/account/totp")
    assert page.status_code == 200
    assert "密钥" in page.content.decode()


def test_binding_with_the_right_code_verifies_the_session_and_is_audited(users):
    client = password_login(users.sys_admin)
    client.get("/account/totp")
    device = TOTPDevice.objects.get(user=users.sys_admin, confirmed=False)
    response = client.post("/account/totp", {"token": code_for(device), "next": "/admin/users"})
    assert response.status_code == 302 and response["Location"] == "/admin/users"
    assert client.get("/admin/users").status_code == 200
    assert TOTPDevice.objects.get(user=users.sys_admin).confirmed
    assert AuditEntry.objects.filter(action="user.totp_enrol", actor=users.sys_admin).count() == 1


def test_binding_with_a_wrong_code_is_refused(users):
    client = password_login(users.audit_admin)
    client.get("/account/totp")
    response = client.post("/account/totp", {"token": "000000"})
    assert response.status_code == 422
    assert otp.TOKEN_INVALID in response.content.decode()
    assert not TOTPDevice.objects.filter(user=users.audit_admin, confirmed=True).exists()


def test_an_enrolled_officer_must_give_the_code_after_the_password(users):
    device = enrol(users.security_admin)
    client = password_login(users.security_admin)
    response = client.get("/admin/users")
    assert response.status_code == 302 and response["Location"].startswith("/login/otp")
    wrong = client.post(
        "/login/otp", {"token": "123456" if code_for(device) != "123456" else "654321"}
    )
    assert wrong.status_code == 422 and otp.TOKEN_INVALID in wrong.content.decode()
    assert client.get("/admin/users").status_code == 302
    # A failure throttles the device for a moment (django-otp); the user would wait a second.
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )
    right = client.post("/login/otp", {"token": code_for(device), "next": "/admin/users"})
    assert right.status_code == 302
    assert client.get("/admin/users").status_code == 200


def test_an_unverified_officer_session_gets_401_from_the_api(users):
    enrol(users.audit_admin)
    client = password_login(users.audit_admin)
    response = client.get("/api/v1/audit")
    assert response.status_code == 401
    assert response.json()["detail"]


def test_business_roles_are_not_asked_for_a_second_factor(users):
    client = password_login(users.city_admin)
    assert client.get("/persons").status_code == 200


def test_an_officer_token_needs_the_code(users):
    device = enrol(users.audit_admin)
    client = Client()

    def ask(code: str) -> Any:
        return client.post(
            "/api/v1/auth/token",
            json.dumps({"username": "auditadmin", "password": PASSWORD, "otp": code}),
            content_type="application/json",
        )

    refused = ask("")
    assert refused.status_code == 401
    assert refused.json()["errors"] == [{"field": "otp", "message": otp.TOKEN_INVALID}]
    granted = ask(code_for(device))
    assert granted.status_code == 200 and granted.json()["token"]


def test_an_officer_without_a_device_gets_no_token(users):
    response = Client().post(
        "/api/v1/auth/token",
        json.dumps({"username": "sysadmin", "password": PASSWORD}),
        content_type="application/json",
    )
    assert response.status_code == 401
    assert response.json()["errors"] == [{"field": "otp", "message": otp.NOT_ENROLLED}]


def test_a_code_cannot_be_used_twice(users):
    device = enrol(users.sys_admin)
    code = code_for(device)
    assert otp.totp_check(users.sys_admin, code) is not None
    assert otp.totp_check(users.sys_admin, code) is None
