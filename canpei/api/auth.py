from __future__ import annotations

from axes.exceptions import AxesBackendPermissionDenied
from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext, gettext_noop
from ninja import Router, Schema

from canpei.accounts.models import PasswordChangeRequired, password_change_pending
from canpei.accounts.otp import (
    NOT_ENROLLED, TOKEN_INVALID, confirmed_device, second_factor_required, totp_check,
)
from canpei.accounts.services import record_login, token_issue, token_revoke
from canpei.api.common import BearerAuth, ObjectIn, api_user, errors
from canpei.errors import ServiceError

router = Router(tags=["auth"])

LOGIN_FAILED = gettext_noop("用户名或密码错误")


class _Unauthorized(ServiceError):
    status = 401


class TokenIn(ObjectIn):
    username: str
    password: str
    otp: str = ""


class TokenOut(Schema):
    token: str


@router.post("/token", auth=None, response={200: TokenOut, **errors(400, 401, 403, 422)})
def token(request: HttpRequest, payload: TokenIn) -> TokenOut:
    try:
        user = authenticate(request, username=payload.username[:150], password=payload.password[:256])
    except AxesBackendPermissionDenied:
        user = None
    if user is None or not user.is_active:
        raise _Unauthorized(gettext(LOGIN_FAILED))
    second_factor = second_factor_required(user)
    if second_factor:
        # An officer's token needs the second factor as much as a browser session does.
        if confirmed_device(user) is None:
            raise _Unauthorized(NOT_ENROLLED, [("otp", NOT_ENROLLED)])
        if totp_check(user, payload.otp) is None:
            raise _Unauthorized(TOKEN_INVALID, [("otp", TOKEN_INVALID)])
    reason = password_change_pending(user)
    if reason:
        # An initial or expired password is changed on the web page first.
        raise PasswordChangeRequired(reason)
    record_login(user, channel="api", second_factor=second_factor)
    return TokenOut(token=token_issue(actor=user, user=user, second_factor=second_factor))


@router.delete("/token", auth=[BearerAuth()], response={204: None, **errors(401, 403)})
def revoke(request: HttpRequest) -> HttpResponse:
    """Revoke the token this request is made with (a sign-out for API clients)."""
    raw = request.headers.get("Authorization", "").partition(" ")[2].strip()
    token_revoke(actor=api_user(request), raw=raw)
    return HttpResponse(status=204)
