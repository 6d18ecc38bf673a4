"""The officers' second-factor pages: accessible, and usable by keyboard alone."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django_otp.oath import totp

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_binding_an_authenticator_by_keyboard(
    browser_session: Any, users: Any, settings: Any
) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.ADMIN_TOTP_REQUIRED = True
    s = browser_session
    s.login_as(users.sys_admin)
    s.goto("/admin/users")  # held at the binding page
    assert "/account/totp" in s.page.url
    s.assert_accessible("/account/totp")
    device = TOTPDevice.objects.get(user=users.sys_admin, confirmed=False)
    s.page.get_by_label("动态验证码").focus()
    s.page.keyboard.type("000000")
    with s.page.expect_navigation():
        s.page.keyboard.press("Enter")
    s.assert_accessible("/account/totp with an error")
    # A failure throttles the device for a moment (django-otp); a person would wait a second.
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    field = s.page.get_by_label("动态验证码")
    field.fill("")
    field.focus()
    s.page.keyboard.type(code)
    with s.page.expect_navigation(url=re.compile(r".*/admin/users$")):
        s.page.keyboard.press("Enter")
    assert TOTPDevice.objects.get(user=users.sys_admin).confirmed


def test_the_code_step_after_the_password(browser_session: Any, users: Any, settings: Any) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.ADMIN_TOTP_REQUIRED = True
    TOTPDevice.objects.create(user=users.audit_admin, name="authenticator", confirmed=True)
    s = browser_session
    s.login_as(users.audit_admin)
    s.goto("/audit")
    assert "/login/otp" in s.page.url
    s.assert_accessible("/login/otp")
