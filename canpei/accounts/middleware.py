from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import quote

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from canpei.accounts.models import password_change_pending
from canpei.accounts.otp import confirmed_device, second_factor_required

# Pages an officer may open between the password and the second factor.
OPEN_PATHS = ("/login", "/logout", "/account/totp", "/static/", "/i18n/")


# The session key holding when its expiry was last moved on (seconds since the epoch).
RENEWED_KEY = "_renewed"


class SlidingSessionMiddleware:
    """The idle timeout: a session in use has its expiry moved on (saved, so the database row's
    expiry date is now + SESSION_COOKIE_AGE) when it was last moved on SESSION_RENEW_AFTER seconds
    ago or more; the requests in between write nothing. An empty session (no one signed in) is
    left alone, as Django leaves it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and not session.modified and not session.is_empty():
            now = int(time.time())
            if now - int(session.get(RENEWED_KEY, 0)) >= settings.SESSION_RENEW_AFTER:
                session[RENEWED_KEY] = now
        return response


class SecondFactorMiddleware:
    """An officer signed in with a password only is held at the second-factor pages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated and second_factor_required(user)
                and not user.is_verified() and not request.path.startswith(OPEN_PATHS)):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": _("须先完成双因素认证"), "errors": []}, status=401)
            target = "/login/otp" if confirmed_device(user) else "/account/totp"
            return redirect(f"{target}?next={quote(request.get_full_path())}")
        return self.get_response(request)


PASSWORD_PAGE = "/account/password"
# Pages a user who must change their password may still open.
PASSWORD_OPEN_PATHS = OPEN_PATHS + (PASSWORD_PAGE,)


class PasswordChangeMiddleware:
    """A user with an initial (or, for officers, expired) password is held at the change page;
    the API answers such a session with a 403 naming the reason."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated
                and not request.path.startswith(PASSWORD_OPEN_PATHS)):
            reason = password_change_pending(user)
            if reason and request.path.startswith("/api/"):
                # A bearer token is checked by the API's own authentication; this is a session.
                if not request.headers.get("Authorization"):
                    return JsonResponse({"detail": reason, "errors": []}, status=403,
                                        json_dumps_params={"ensure_ascii": False})
            elif reason:
                return redirect(f"{PASSWORD_PAGE}?next={quote(request.get_full_path())}")
        return self.get_response(request)
