"""API tokens that die (issue 8 item 5): expiry, revocation by the caller, the security officer
and the operator, revocation on password change and deactivation, officers' tokens without the
second factor, and deactivation from the system officer's page and the command line."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from canpei import cli
from canpei.accounts.models import (
    PASSWORD_CHANGE_REQUIRED,
    TOKEN_EXPIRED,
    TOKEN_WITHOUT_SECOND_FACTOR,
    ApiToken,
    User,
)
from canpei.accounts.services import token_issue
from canpei.audit.models import AuditEntry
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def bearer(raw: str) -> dict[str, Any]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def persons(raw: str) -> Any:
    return Client().get("/api/v1/persons", **bearer(raw))


def post_token(username: str, password: str, otp: str = "") -> Any:
    body: dict[str, str] = {"username": username, "password": password}
    if otp:
        body["otp"] = otp
    return Client().post("/api/v1/auth/token", json.dumps(body), content_type="application/json")


# Expiry.


def test_a_token_expires_after_the_configured_hours(users: Any) -> None:
    with override_settings(TOKEN_HOURS=12):
        raw = post_token("city", PASSWORD).json()["token"]
    token = ApiToken.objects.get(digest=ApiToken.digest_of(raw))
    assert token.expires_at is not None
    assert (
        dt.timedelta(hours=11, minutes=59)
        < token.expires_at - timezone.now()
        <= dt.timedelta(hours=12)
    )
    assert persons(raw).status_code == 200
    # Eleven hours later it still works; twelve hours and a second later it does not.
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() + dt.timedelta(hours=1))
    assert persons(raw).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = persons(raw)
    assert response.status_code == 401
    assert response.json()["detail"] == "API 令牌已过期，请重新获取" == TOKEN_EXPIRED


def test_canpei_token_hours_sets_the_lifetime(users: Any) -> None:
    with override_settings(TOKEN_HOURS=1):
        raw = token_issue(actor=None, user=users.city_admin)
    token = ApiToken.objects.get(digest=ApiToken.digest_of(raw))
    assert token.expires_at is not None
    assert dt.timedelta(minutes=59) < token.expires_at - timezone.now() <= dt.timedelta(hours=1)


def test_a_token_without_an_expiry_is_refused(users: Any) -> None:
    """Tokens issued before expiry existed (the migration gives them one; none is no token)."""
    raw = token_issue(actor=None, user=users.city_admin)
    ApiToken.objects.filter(digest=ApiToken.digest_of(raw)).update(expires_at=None)
    assert persons(raw).status_code == 401


@pytest.mark.parametrize(
    "raw, hours, ok",
    [
        ("12", 12, True),
        ("1", 1, True),
        ("0", None, False),
        ("-3", None, False),
        ("twelve", None, False),
        ("", 12, True),
    ],
)
def test_canpei_token_hours_is_parsed_strictly(
    monkeypatch: pytest.MonkeyPatch, raw: str, hours: int | None, ok: bool
) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from canpei import settings as canpei_settings

    monkeypatch.setenv("CANPEI_TOKEN_HOURS", raw)
    if ok:
        assert canpei_settings._env_int("CANPEI_TOKEN_HOURS", 12, low=1, high=24 * 90) == hours
    else:
        with pytest.raises(ImproperlyConfigured):
            canpei_settings._env_int("CANPEI_TOKEN_HOURS", 12, low=1, high=24 * 90)


# Revocation by the caller.


def test_delete_auth_token_revokes_the_callers_token_only(users: Any) -> None:
    raw = post_token("city", PASSWORD).json()["token"]
    other = post_token("city", PASSWORD).json()["token"]
    response = Client().delete("/api/v1/auth/token", **bearer(raw))
    assert response.status_code == 204
    assert persons(raw).status_code == 401
    assert persons(other).status_code == 200
    # Once revoked, it cannot revoke again.
    assert Client().delete("/api/v1/auth/token", **bearer(raw)).status_code == 401
    assert AuditEntry.objects.filter(action="token.revoke", actor=users.city_admin).count() == 1


def test_delete_auth_token_needs_a_token(users: Any) -> None:
    assert Client().delete("/api/v1/auth/token").status_code == 401


# Revocation by the security officer and the operator.


def test_the_security_officer_revokes_a_users_tokens(users: Any, login: Any) -> None:
    raws = [token_issue(actor=None, user=users.town_staff) for _ in range(2)]
    kept = token_issue(actor=None, user=users.city_admin)
    response = login(users.security_admin).post(
        f"/admin/users/{users.town_staff.pk}/tokens/revoke", follow=True
    )
    assert "已撤销用户 anhai 的 2 个 API 令牌" in response.content.decode()
    assert all(persons(raw).status_code == 401 for raw in raws)
    assert persons(kept).status_code == 200
    entry = AuditEntry.objects.get(action="token.revoke_all")
    assert entry.actor_id == users.security_admin.pk and entry.changes["tokens_revoked"] == 2


def test_canpei_token_revoke_all(users: Any, capsys: Any) -> None:
    raw = token_issue(actor=None, user=users.town_staff)
    assert cli.main(["token", "anhai", "--revoke-all"]) == 0
    assert "已撤销用户 anhai 的 1 个 API 令牌" in capsys.readouterr().out
    assert persons(raw).status_code == 401
    assert cli.main(["token", "nobody", "--revoke-all"]) == 1


# Password change and deactivation end the tokens.


def test_a_password_change_revokes_all_tokens(users: Any) -> None:
    raw = post_token("city", PASSWORD).json()["token"]
    client = Client()
    client.post("/login", {"username": "city", "password": PASSWORD})
    response = client.post(
        "/account/password",
        {
            "old_password": PASSWORD,
            "new_password1": "Other-pass-2027",
            "new_password2": "Other-pass-2027",
        },
    )
    assert response.status_code == 302
    assert persons(raw).status_code == 401
    assert post_token("city", "Other-pass-2027").status_code == 200


def test_deactivation_from_the_system_officers_page_revokes_tokens(users: Any, login: Any) -> None:
    raw = token_issue(actor=None, user=users.town_staff)
    client = login(users.sys_admin)
    response = client.post(
        f"/admin/users/{users.town_staff.pk}/active", {"active": "0"}, follow=True
    )
    assert "已停用用户 anhai" in response.content.decode()
    users.town_staff.refresh_from_db()
    assert not users.town_staff.is_active
    assert ApiToken.objects.get(digest=ApiToken.digest_of(raw)).revoked_at is not None
    # Reactivated: the account signs in again, the old token stays dead.
    client.post(f"/admin/users/{users.town_staff.pk}/active", {"active": "1"})
    users.town_staff.refresh_from_db()
    assert users.town_staff.is_active
    assert persons(raw).status_code == 401
    assert post_token("anhai", PASSWORD).status_code == 200
    assert list(
        AuditEntry.objects.filter(action="user.active")
        .order_by("id")
        .values_list("changes__diff__is_active", flat=True)
    ) == [[True, False], [False, True]]


def test_a_deactivated_users_session_ends(users: Any, login: Any) -> None:
    client = login(users.town_staff)
    assert client.get("/persons").status_code == 200
    login(users.sys_admin).post(f"/admin/users/{users.town_staff.pk}/active", {"active": "0"})
    response = client.get("/persons")
    assert response.status_code == 302 and response["Location"].startswith("/login")


def test_canpei_user_deactivate_and_activate(users: Any, capsys: Any) -> None:
    raw = token_issue(actor=None, user=users.security_admin)
    assert cli.main(["user", "deactivate", "secadmin"]) == 0
    assert "已停用用户 secadmin" in capsys.readouterr().out
    assert not User.objects.get(pk=users.security_admin.pk).is_active
    assert persons(raw).status_code == 401
    assert cli.main(["user", "activate", "secadmin"]) == 0
    assert User.objects.get(pk=users.security_admin.pk).is_active
    assert cli.main(["user", "deactivate", "nobody"]) == 1


# An officer's token issued before TOTP was enforced.


def _confirmed_device(user: Any) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_an_officers_token_from_before_totp_was_enforced_stops_working(users: Any) -> None:
    # TOTP off (as a plain-HTTP demo runs): the audit officer gets a token with a password only.
    with override_settings(ADMIN_TOTP_REQUIRED=False):
        raw = post_token("auditadmin", PASSWORD).json()["token"]
        assert Client().get("/api/v1/audit", **bearer(raw)).status_code == 200
    with override_settings(ADMIN_TOTP_REQUIRED=True):
        response = Client().get("/api/v1/audit", **bearer(raw))
        assert response.status_code == 401
        assert response.json()["detail"] == TOKEN_WITHOUT_SECOND_FACTOR
        assert "未经动态验证码认证" in response.json()["detail"]
        # A token had with the code works.
        device = _confirmed_device(users.audit_admin)
        fresh = post_token("auditadmin", PASSWORD, _code(device))
        assert fresh.status_code == 200
        assert Client().get("/api/v1/audit", **bearer(fresh.json()["token"])).status_code == 200


def test_a_business_users_token_does_not_need_the_second_factor(users: Any) -> None:
    with override_settings(ADMIN_TOTP_REQUIRED=True):
        raw = post_token("city", PASSWORD).json()["token"]
        assert persons(raw).status_code == 200


def test_a_token_issued_before_a_promotion_to_officer_dies(users: Any, login: Any) -> None:
    """A business token does not survive its user becoming an officer (role change revokes)."""
    from canpei.accounts.services import role_decide, role_propose

    raw = token_issue(actor=None, user=users.auditor)
    proposal = role_propose(actor=users.security_admin, user=users.auditor, role="audit_admin")
    role_decide(actor=users.sys_admin, proposal=proposal, confirm=True)
    assert Client().get("/api/v1/audit", **bearer(raw)).status_code == 401


def test_canpei_token_refuses_an_officer_when_totp_is_required(users: Any, capsys: Any) -> None:
    with override_settings(ADMIN_TOTP_REQUIRED=True):
        assert cli.main(["token", "auditadmin"]) == 1
    assert "动态验证码" in capsys.readouterr().err
    assert not ApiToken.objects.exists()


# Tokens of a user who must change an initial password.


def test_a_user_with_an_initial_password_gets_no_token_and_old_tokens_are_refused(
    users: Any,
) -> None:
    raw = token_issue(actor=None, user=users.city_admin)
    User.objects.filter(pk=users.city_admin.pk).update(must_change_password=True)
    refused = persons(raw)
    assert refused.status_code == 403
    assert refused.json()["detail"] == PASSWORD_CHANGE_REQUIRED
    assert "须先在网页上修改初始密码" in refused.json()["detail"]
    response = post_token("city", PASSWORD)
    assert response.status_code == 403
    assert response.json()["detail"] == PASSWORD_CHANGE_REQUIRED
    assert ApiToken.objects.count() == 1


def test_binding_a_totp_device_ends_the_tokens_issued_before_it(users: Any) -> None:
    from canpei.accounts.otp import enrolment_device, totp_enrol

    with override_settings(ADMIN_TOTP_REQUIRED=False):
        raw = post_token("auditadmin", PASSWORD).json()["token"]
    device = enrolment_device(users.audit_admin)
    assert totp_enrol(actor=users.audit_admin, token=_code(device)) is not None
    assert ApiToken.objects.get(digest=ApiToken.digest_of(raw)).revoked_at is not None
    with override_settings(ADMIN_TOTP_REQUIRED=False):
        assert Client().get("/api/v1/audit", **bearer(raw)).status_code == 401
    assert AuditEntry.objects.get(action="user.totp_enrol").changes["tokens_revoked"] == 1
