"""TOTP second factor for the officer roles: enrolment and verification."""

from __future__ import annotations

import base64

import django_otp
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_noop
from django_otp.plugins.otp_totp.models import TOTPDevice

from canpei.accounts.models import ApiToken, User, signed_in_user
from canpei.accounts.roles import SECOND_FACTOR_ROLES
from canpei.audit.actions import AuditAction
from canpei.audit.services import audit_record

# Messages, translated where they are shown (the constants stay Chinese for the tests).
TOKEN_INVALID = gettext_noop("动态验证码不正确或已过期")
TOKEN_FORMAT = gettext_noop("动态验证码为 6 位数字")
NOT_ENROLLED = gettext_noop("请先在网页上绑定动态验证码（双因素认证）")


def second_factor_required(user: User) -> bool:
    return bool(settings.ADMIN_TOTP_REQUIRED) and user.role in SECOND_FACTOR_ROLES


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def enrolment_device(user: User) -> TOTPDevice:
    """The unconfirmed device being set up; one per user, reused until confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def secret_base32(device: TOTPDevice) -> str:
    """The key as authenticator apps take it when typed in, in groups of four."""
    raw = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def _clean(token: str) -> str | None:
    token = (token or "").strip().replace(" ", "")
    return token if len(token) == 6 and token.isdigit() else None


def totp_enrol(*, actor: User, token: str) -> TOTPDevice | None:
    """Confirm the enrolment device with a first code; audited. None when the code is wrong."""
    code = _clean(token)
    if code is None:
        return None
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=actor, confirmed=False).first()
        if device is None or not device.verify_token(code):
            return None
        TOTPDevice.objects.filter(user=actor, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        # Tokens issued before this device (before the second factor, or under a device now
        # replaced) end with the binding.
        revoked = ApiToken.objects.filter(user=actor, revoked_at__isnull=True).update(
            revoked_at=timezone.now())
        audit_record(actor=actor, action=AuditAction.USER_TOTP_ENROL, obj=actor,  # zh-data
                     summary=f"用户 {actor.username} 绑定动态验证码",
                     changes={"tokens_revoked": revoked})
    return device


def totp_check(user: User, token: str) -> TOTPDevice | None:
    code = _clean(token)
    device = confirmed_device(user)
    if code is None or device is None:
        return None
    with transaction.atomic():
        # verify_token records the last used step; lock it so one code is not used twice.
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        return locked if locked.verify_token(code) else None


def totp_login(request: HttpRequest, token: str) -> bool:
    device = totp_check(signed_in_user(request), token)
    if device is None:
        return False
    django_otp.login(request, device)
    return True
