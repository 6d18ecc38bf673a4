from __future__ import annotations

from typing import Callable
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from canpei.accounts.otp import confirmed_device, second_factor_required

# Pages an officer may open between the password and the second factor.
OPEN_PATHS = ("/login", "/logout", "/account/totp", "/static/", "/i18n/")


class SecondFactorMiddleware:
    """An officer signed in with a password only is held at the second-factor pages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated and second_factor_required(user)
                and not user.is_verified() and not request.path.startswith(OPEN_PATHS)):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": "须先完成双因素认证", "errors": []}, status=401)
            target = "/login/otp" if confirmed_device(user) else "/account/totp"
            return redirect(f"{target}?next={quote(request.get_full_path())}")
        return self.get_response(request)
