from __future__ import annotations

from typing import Any

import django_otp
from axes.exceptions import AxesBackendPermissionDenied
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from canpei.accounts import otp, services
from canpei.accounts.forms import LoginForm, OtpForm, RoleForm, UserCreateForm
from canpei.accounts.models import User
from canpei.accounts.roles import Perm, has_perm
from canpei.errors import ServiceError
from canpei.web.forms import add_service_errors

LOGIN_FAILED = "用户名或密码错误"
LOCKED_OUT = "登录失败次数过多，账户已锁定 30 分钟"


def locked_out(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    if request.path.startswith("/api/"):
        # POST /api/v1/auth/token: the API's own error shape and a status its contract lists.
        return JsonResponse({"detail": LOCKED_OUT, "errors": []}, status=403,
                            json_dumps_params={"ensure_ascii": False})
    form = LoginForm(request.POST or None)
    form.errors.clear()
    return render(request, "accounts/login.html", {"form": form, "error": LOCKED_OUT}, status=429)


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            user = authenticate(request, username=form.cleaned_data["username"],
                                password=form.cleaned_data["password"])
        except AxesBackendPermissionDenied:
            return locked_out(request)
        if user is not None and user.is_active:
            login(request, user)
            target = request.POST.get("next") or request.GET.get("next") or "/"
            if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
                target = "/"
            return redirect(target)
        if getattr(request, "axes_locked_out", False):
            return locked_out(request)
        error = LOGIN_FAILED
    elif request.method == "POST":
        error = LOGIN_FAILED
    return render(request, "accounts/login.html",
                  {"form": form, "error": error, "next": request.GET.get("next", "")},
                  status=401 if error else 200)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("/login")


def _user_admin(request: HttpRequest) -> bool:
    return has_perm(request.user, Perm.USERS_MANAGE) or has_perm(request.user, Perm.ROLES_MANAGE)


@require_http_methods(["GET", "POST"])
def users_view(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect(f"/login?next={request.path}")
    if not _user_admin(request):
        raise Http404()
    can_create = has_perm(request.user, Perm.USERS_MANAGE)
    form = UserCreateForm(request.POST or None) if can_create else None
    if request.method == "POST" and form is not None and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_create(actor=request.user, username=data["username"],
                                        password=data["password"], role=data["role"],
                                        town=data["town"] or None,
                                        institution=data["institution"] or None,
                                        full_name=data["full_name"])
        except ServiceError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"已创建用户 {user.username}")
            return redirect("users")
    users = Paginator(User.objects.select_related("town", "institution").order_by("username"), 50)
    return render(request, "accounts/users.html", {
        "page": users.get_page(request.GET.get("page")), "form": form, "can_create": can_create,
        "can_set_role": has_perm(request.user, Perm.ROLES_MANAGE),
    }, status=422 if form is not None and form.errors else 200)


@require_http_methods(["GET", "POST"])
def user_role_view(request: HttpRequest, user_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect(f"/login?next={request.path}")
    if not has_perm(request.user, Perm.ROLES_MANAGE):
        raise Http404()
    target = User.objects.filter(pk=user_id).first()
    if target is None:
        raise Http404()
    form = RoleForm(request.POST or None, initial={
        "role": target.role, "town": target.town_id or "",
        "institution": str(target.institution_id or "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.user_set_role(actor=request.user, user=target, role=data["role"],
                                   town=data["town"] or None, institution=data["institution"] or None)
        except ServiceError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"已变更 {target.username} 的角色")
            return redirect("users")
    return render(request, "accounts/user_role.html", {"form": form, "target": target},
                  status=422 if form.errors else 200)


def _next_target(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        return "/"
    return target


@require_http_methods(["GET", "POST"])
def otp_view(request: HttpRequest) -> HttpResponse:
    """The second step of an officer's login: the 6-digit code of their authenticator."""
    if not request.user.is_authenticated:
        return redirect("/login")
    if not otp.second_factor_required(request.user) or request.user.is_verified():  # type: ignore[union-attr,attr-defined]
        return redirect(_next_target(request))
    if otp.confirmed_device(request.user) is None:
        return redirect("/account/totp")
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if otp.totp_login(request, form.cleaned_data["token"]):
            return redirect(_next_target(request))
        form.add_error("token", otp.TOKEN_INVALID)
    return render(request, "accounts/otp.html", {"form": form, "next": _next_target(request)},
                  status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def totp_setup_view(request: HttpRequest) -> HttpResponse:
    """Binding an authenticator app: the key to type in, then a first code to confirm it."""
    if not request.user.is_authenticated:
        return redirect("/login")
    if not otp.second_factor_required(request.user):
        raise Http404()
    if otp.confirmed_device(request.user) is not None and not request.user.is_verified():  # type: ignore[union-attr,attr-defined]
        # Re-binding needs the current factor first.
        return redirect("/login/otp?next=/account/totp")
    device = otp.enrolment_device(request.user)
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        confirmed = otp.totp_enrol(actor=request.user, token=form.cleaned_data["token"])
        if confirmed is not None:
            # The code just proved the user holds the device; it marks this session verified.
            django_otp.login(request, confirmed)
            messages.success(request, "动态验证码已绑定")
            return redirect(_next_target(request))
        form.add_error("token", otp.TOKEN_INVALID)
    return render(request, "accounts/totp_setup.html", {
        "form": form, "secret": otp.secret_base32(device), "config_url": device.config_url,
        "next": _next_target(request)}, status=422 if form.errors else 200)

