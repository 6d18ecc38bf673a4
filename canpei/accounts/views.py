from __future__ import annotations

from functools import wraps
from typing import Any
from collections.abc import Callable

import django_otp
from axes.exceptions import AxesBackendPermissionDenied
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.password_validation import password_validators_help_texts
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _, gettext_noop
from django.views.decorators.http import require_http_methods, require_POST

from canpei.accounts import otp, services
from canpei.accounts.forms import (
    LoginForm, OtpForm, PasswordChangeForm, RoleForm, UserCreateForm,
)
from canpei.accounts.models import RoleProposal, User, password_change_pending
from canpei.accounts.roles import OFFICER_ROLES, OfficerAction, officer_may
from canpei.errors import ServiceError
from canpei.forms import add_service_errors

# Messages, translated where they are shown (the constants stay Chinese for the tests).
LOGIN_FAILED = gettext_noop("用户名或密码错误")
LOCKED_OUT = gettext_noop("登录失败次数过多，账户已锁定 30 分钟")
# What a refused officer tried, as the audit log keeps it (Chinese, like every stored summary).
ATTEMPT_CREATE = "创建账户"  # zh-data
ATTEMPT_ROLE = "变更用户 {user_id} 的角色"  # zh-data
ATTEMPT_OWN_ROLE = "变更自己的角色"  # zh-data
ATTEMPT_ACTIVE = "停用或启用用户 {user_id}"  # zh-data
ATTEMPT_TOKENS = "撤销用户 {user_id} 的 API 令牌"  # zh-data
ATTEMPT_DECIDE = "处理角色变更申请 {proposal_id}"  # zh-data


def locked_out(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    if request.path.startswith("/api/"):
        # POST /api/v1/auth/token: the API's own error shape and a status its contract lists.
        return JsonResponse({"detail": _(LOCKED_OUT), "errors": []}, status=403,
                            json_dumps_params={"ensure_ascii": False})
    form = LoginForm(request.POST or None)
    form.errors.clear()
    return render(request, "accounts/login.html", {"form": form, "error": _(LOCKED_OUT)}, status=429)


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
            services.record_login(user, channel="web")
            target = request.POST.get("next") or request.GET.get("next") or "/"
            if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
                target = "/"
            return redirect(target)
        if getattr(request, "axes_locked_out", False):
            return locked_out(request)
        error = _(LOGIN_FAILED)
    elif request.method == "POST":
        error = _(LOGIN_FAILED)
    return render(request, "accounts/login.html",
                  {"form": form, "error": error, "next": request.GET.get("next", "")},
                  status=401 if error else 200)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        services.record_logout(request.user)
    logout(request)
    return redirect("login")


def _refuse_post(request: HttpRequest, actor: User, attempt: str) -> Http404:
    """Not found to a signed-in user without the right, as everywhere; a POST is an attempt
    to act, so it is kept in the audit log for the audit officer as well."""
    if request.method == "POST":
        services.record_denied(actor=actor, attempt=attempt, target=None)
    return Http404()


def _sign_in_first(request: HttpRequest) -> HttpResponse:
    return redirect(f"{reverse('login')}?next={request.path}")


def _button(request: HttpRequest, back: str, done: str, act: Callable[[], object]) -> HttpResponse:
    """A one-button action of the account pages: back to the page named `back`, with `done`
    once `act` succeeded, or its refusal."""
    try:
        act()
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect(back)


OfficerView = Callable[..., HttpResponse]


def _officer_page(action: str, attempt: str) -> Callable[[OfficerView], OfficerView]:
    """An account page for the officers the matrix allows `action`: the anonymous are sent to
    sign in, anyone else gets a 404 (a POST of theirs kept as `attempt`, filled in with the
    URL's arguments). The view is given the signed-in officer after the request."""
    def decorator(view: OfficerView) -> OfficerView:
        @wraps(view)
        def wrapped(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return _sign_in_first(request)
            if not officer_may(request.user, action):
                raise _refuse_post(request, request.user, attempt.format(**kwargs))
            return view(request, request.user, **kwargs)
        return wrapped
    return decorator


@require_http_methods(["GET", "POST"])
@_officer_page(OfficerAction.LIST_USERS, ATTEMPT_CREATE)
def users_view(request: HttpRequest, actor: User) -> HttpResponse:
    can_create = officer_may(actor, OfficerAction.CREATE_USER)
    if request.method == "POST" and not can_create:
        raise _refuse_post(request, actor, ATTEMPT_CREATE)
    form = UserCreateForm(request.POST or None) if can_create else None
    status = 200
    if request.method == "POST" and form is not None and form.is_valid():
        data = form.cleaned_data
        try:
            # Whatever role or scope is posted goes to the service, which refuses it: the
            # system officer creates accounts without one.
            user = services.user_create(actor=actor, username=data["username"],
                                        password=data["password"],
                                        role=request.POST.get("role", ""),
                                        town=request.POST.get("town") or None,
                                        institution=request.POST.get("institution") or None,
                                        full_name=data["full_name"])
        except ServiceError as exc:
            add_service_errors(form, exc)
            status = exc.status
        else:
            messages.success(request, _("已创建用户 %(name)s，待安全管理员分配角色")
                             % {"name": user.username})
            return redirect("users")
    if form is not None and form.errors and status == 200:
        status = 422
    accounts = User.objects.select_related("town", "institution").order_by("username")
    # ?role=none: the accounts still waiting for a role (the officers' home page links here).
    without_role = request.GET.get("role") == "none"
    if without_role:
        accounts = accounts.filter(role="")
    users = Paginator(accounts, 50)
    return render(request, "accounts/users.html", {
        "page": users.get_page(request.GET.get("page")), "form": form, "can_create": can_create,
        "without_role": without_role, "query": "role=none" if without_role else "",
        "can_set_role": officer_may(actor, OfficerAction.ASSIGN_BUSINESS_ROLE),
        "can_deactivate": officer_may(actor, OfficerAction.DEACTIVATE_USER),
        "can_revoke": officer_may(actor, OfficerAction.REVOKE_TOKENS),
        "officer_roles": [str(r) for r in OFFICER_ROLES],
    }, status=status)


@require_http_methods(["GET", "POST"])
@_officer_page(OfficerAction.ASSIGN_BUSINESS_ROLE, ATTEMPT_ROLE)
def user_role_view(request: HttpRequest, actor: User, user_id: int) -> HttpResponse:
    """The security officer's role and scope page. A change that makes or unmakes an officer
    becomes a proposal for the system or audit officer to confirm (the two-officer procedure)."""
    target = get_object_or_404(User, pk=user_id)
    if target.pk == actor.pk:
        if request.method == "POST":
            services.record_denied(actor=actor, attempt=ATTEMPT_OWN_ROLE, target=target,
                                   reason=services.OWN_ROLE)
        return render(request, "accounts/user_role.html", {
            "target": target, "form": None, "refusal": _(services.OWN_ROLE)}, status=403)
    form = RoleForm(request.POST or None, initial={
        "role": target.role, "town": target.town_id or "",
        "institution": str(target.institution_id or "")})
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        args = {"actor": actor, "user": target, "role": data["role"],
                "town": data["town"] or None, "institution": data["institution"] or None}
        try:
            if data["role"] in OFFICER_ROLES or target.role in OFFICER_ROLES:
                services.role_propose(**args)
                done = _("已提交 %(name)s 的角色变更，待系统管理员或审计管理员确认后生效")
            else:
                services.user_set_role(**args)
                done = _("已变更 %(name)s 的角色")
        except ServiceError as exc:
            add_service_errors(form, exc)
            status = exc.status
        else:
            messages.success(request, done % {"name": target.username})
            return redirect("users")
    if form.errors and status == 200:
        status = 422
    pending = RoleProposal.objects.filter(user=target, state=RoleProposal.State.PENDING).first()
    return render(request, "accounts/user_role.html", {
        "form": form, "target": target, "pending": pending,
        "officer_change": target.role in OFFICER_ROLES}, status=status)


@require_POST
@_officer_page(OfficerAction.DEACTIVATE_USER, ATTEMPT_ACTIVE)
def user_active_view(request: HttpRequest, actor: User, user_id: int) -> HttpResponse:
    """The system officer deactivates (ending the API tokens) or reactivates an account."""
    target = get_object_or_404(User, pk=user_id)
    active = request.POST.get("active") == "1"
    done = (_("已启用用户 %(name)s") if active else _("已停用用户 %(name)s")) % {"name": target.username}
    return _button(request, "users", done,
                   lambda: services.user_set_active(actor=actor, user=target, active=active))


@require_POST
@_officer_page(OfficerAction.REVOKE_TOKENS, ATTEMPT_TOKENS)
def user_tokens_view(request: HttpRequest, actor: User, user_id: int) -> HttpResponse:
    """The security officer ends all API tokens of a user."""
    target = get_object_or_404(User, pk=user_id)
    count = services.tokens_revoke_all(actor=actor, user=target)
    messages.success(request, _("已撤销用户 %(name)s 的 %(count)s 个 API 令牌")
                     % {"name": target.username, "count": count})
    return redirect("users")


@require_http_methods(["GET"])
@_officer_page(OfficerAction.CONFIRM_OFFICER_ROLE, "")  # a GET only: no attempt to keep
def role_proposals_view(request: HttpRequest, actor: User) -> HttpResponse:
    """Officer-role changes proposed by the security officer, for the system or audit officer."""
    rows = RoleProposal.objects.select_related(
        "user", "town", "institution", "proposed_by", "decided_by")
    # ?state=pending (or confirmed, rejected): one state only; anything else shows them all.
    state = request.GET.get("state", "")
    if state in RoleProposal.State.values:
        rows = rows.filter(state=state)
    else:
        state = ""
    proposals = Paginator(rows, 50)
    return render(request, "accounts/role_proposals.html", {
        "page": proposals.get_page(request.GET.get("page")), "state": state,
        "query": f"state={state}" if state else ""})


@require_POST
@_officer_page(OfficerAction.CONFIRM_OFFICER_ROLE, ATTEMPT_DECIDE)
def role_decide_view(request: HttpRequest, actor: User, proposal_id: int) -> HttpResponse:
    proposal = get_object_or_404(RoleProposal, pk=proposal_id)
    confirm = request.POST.get("decision") == "confirm"
    return _button(request, "role-proposals",
                   _("已确认，角色变更已生效") if confirm else _("已驳回该角色变更"),
                   lambda: services.role_decide(actor=actor, proposal=proposal, confirm=confirm))


@require_http_methods(["GET", "POST"])
def password_view(request: HttpRequest) -> HttpResponse:
    """Every user changes their own password here; a user with an initial or expired password
    is held here until they do."""
    if not request.user.is_authenticated:
        return _sign_in_first(request)
    form = PasswordChangeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.password_change(actor=request.user, old=data["old_password"],
                                            new=data["new_password1"],
                                            repeat=data["new_password2"])
        except ServiceError as exc:
            add_service_errors(form, exc)
            status = exc.status
        else:
            # The password hash is part of the session: keep this one, end the others.
            update_session_auth_hash(request, user)
            messages.success(request, _("密码已修改"))
            return redirect(_next_target(request))
    elif request.method == "POST":
        status = 422
    return render(request, "accounts/password.html", {
        "form": form, "reason": password_change_pending(request.user),
        "policy": password_validators_help_texts(), "next": _next_target(request)},
        status=status)


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
        return redirect("login")
    if not otp.second_factor_required(request.user) or request.user.is_verified():  # type: ignore[union-attr,attr-defined]
        return redirect(_next_target(request))
    if otp.confirmed_device(request.user) is None:
        return redirect("totp-setup")
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if otp.totp_login(request, form.cleaned_data["token"]):
            services.record_second_factor(request.user)
            return redirect(_next_target(request))
        form.add_error("token", _(otp.TOKEN_INVALID))
    return render(request, "accounts/otp.html", {"form": form, "next": _next_target(request)},
                  status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def totp_setup_view(request: HttpRequest) -> HttpResponse:
    """Binding an authenticator app: the key to type in, then a first code to confirm it."""
    if not request.user.is_authenticated:
        return redirect("login")
    if not otp.second_factor_required(request.user):
        raise Http404()
    if otp.confirmed_device(request.user) is not None and not request.user.is_verified():  # type: ignore[union-attr,attr-defined]
        # Re-binding needs the current factor first.
        return redirect(f"{reverse('login-otp')}?next={reverse('totp-setup')}")
    device = otp.enrolment_device(request.user)
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        confirmed = otp.totp_enrol(actor=request.user, token=form.cleaned_data["token"])
        if confirmed is not None:
            # The code just proved the user holds the device; it marks this session verified.
            django_otp.login(request, confirmed)
            messages.success(request, _("动态验证码已绑定"))
            return redirect(_next_target(request))
        form.add_error("token", _(otp.TOKEN_INVALID))
    return render(request, "accounts/totp_setup.html", {
        "form": form, "secret": otp.secret_base32(device), "config_url": device.config_url,
        "next": _next_target(request)}, status=422 if form.errors else 200)

