"""Account writes: creating users, changing roles and scopes, passwords, API tokens.

Who may do which is `canpei.accounts.roles.OFFICER_MATRIX` (三员分立); an `actor` of None is
the operator at the command line (installation), who may do anything these services offer.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_noop

from canpei.accounts.models import ApiToken, RoleProposal, User
from canpei.accounts.roles import OFFICER_ROLES, OfficerAction, Role, officer_may
from canpei.audit.actions import AuditAction
from canpei.audit.services import audit_record
from canpei.errors import Conflict, Forbidden, InvalidInput
from canpei.institutions.models import Institution
from canpei.regions.models import Region

# Messages, translated where they are raised: the constants stay Chinese (the tests', and
# the audit log's, which keeps a refusal's reason as written).
USERNAME_INVALID = gettext_noop("用户名须为 3 至 150 个字母、数字或 . _ - 字符")
USERNAME_TAKEN = gettext_noop("用户名已存在")
ROLE_INVALID = gettext_noop("角色不在可选范围内")
TOWN_REQUIRED_FOR_ROLE = gettext_noop("镇街专干须指定所属镇街")
INSTITUTION_REQUIRED_FOR_ROLE = gettext_noop("培训机构用户须指定所属机构")
SCOPE_NOT_ALLOWED = gettext_noop("该角色不设范围")
TOWN_UNKNOWN = gettext_noop("镇街不存在")
INSTITUTION_UNKNOWN = gettext_noop("机构不存在")
OFFICER_ROLE_AT_CREATION = gettext_noop("系统管理员只能创建未分配角色的账户；角色与范围由安全管理员分配")
OWN_ROLE = gettext_noop("不能变更自己的角色或范围")
OFFICER_NEEDS_TWO = gettext_noop("管理员角色（系统、安全、审计管理员）的授予或变更须经双人程序："
                                 "安全管理员提出，系统管理员或审计管理员确认")
PROPOSAL_NOT_PENDING = gettext_noop("该申请已处理")
PROPOSAL_SELF = gettext_noop("不能确认与自己账户有关的角色变更")
PROPOSAL_DUPLICATE = gettext_noop("该用户已有待确认的角色变更申请")
OWN_ACCOUNT_ACTIVE = gettext_noop("不能停用或启用自己的账户")
OFFICER_ACTIVE = gettext_noop("管理员账户的停用与启用只能由运维人员在命令行执行（canpei user deactivate）")
OLD_PASSWORD_WRONG = gettext_noop("原密码不正确")
PASSWORD_MISMATCH = gettext_noop("两次输入的新密码不一致")
PASSWORD_UNCHANGED = gettext_noop("新密码不能与原密码相同")
LAST_OFFICER = gettext_noop("「{role}」只剩这一个在用账户，不能变更其角色；请先为该角色另设一名管理员")


def record_denied(*, actor: User, attempt: str, target: User | None, reason: str = "") -> None:
    """An officer's refused attempt, kept in the audit log for the audit officer to see.

    Written in a transaction of its own, so that it stays when the refused service rolls back;
    callers record outside their own transaction for the same reason."""
    name = actor.username
    with transaction.atomic():
        audit_record(actor=actor, action=AuditAction.SECURITY_DENIED, obj=target,  # zh-data
                     object_type="" if target is not None else "accounts.user",
                     summary=f"已拒绝 {name} 的操作：{attempt}" + (f"（{reason}）" if reason else ""),
                     changes={"attempt": attempt, "reason": reason})


def _deny(actor: User, attempt: str, target: User | None, reason: str = "") -> Forbidden:
    """Record the refused attempt, then give the Forbidden error for the caller to raise."""
    record_denied(actor=actor, attempt=attempt, target=target, reason=reason)
    return Forbidden(_(reason)) if reason else Forbidden()


def _scope(role: str, town: str | None, institution: int | str | None
           ) -> tuple[Region | None, Institution | None, list[tuple[str, str]]]:
    errors: list[tuple[str, str]] = []
    region = inst = None
    if role not in Role.values:
        return None, None, [("role", _(ROLE_INVALID))]
    if role == Role.TOWN_STAFF:
        region = Region.objects.filter(code=str(town or ""), level=Region.Level.TOWN).first()
        if not town:
            errors.append(("town", _(TOWN_REQUIRED_FOR_ROLE)))
        elif region is None:
            errors.append(("town", _(TOWN_UNKNOWN)))
    elif town:
        errors.append(("town", _(SCOPE_NOT_ALLOWED)))
    if role == Role.INSTITUTION_STAFF:
        if not institution:
            errors.append(("institution", _(INSTITUTION_REQUIRED_FOR_ROLE)))
        else:
            try:
                inst = Institution.objects.filter(pk=int(institution)).first()
            except (TypeError, ValueError):
                inst = None
            if inst is None:
                errors.append(("institution", _(INSTITUTION_UNKNOWN)))
    elif institution:
        errors.append(("institution", _(SCOPE_NOT_ALLOWED)))
    return region, inst, errors


def _validated_password(password: str, username: str, field: str = "password"
                        ) -> list[tuple[str, str]]:
    try:
        validate_password(password, User(username=username))
    except ValidationError as exc:
        return [(field, message) for message in exc.messages]
    return []


def user_create(*, actor: User | None, username: str, password: str, role: str = "",
                town: str | None = None, institution: int | str | None = None,
                full_name: str = "") -> User:
    """Create an account with an initial password, to be changed at the first sign-in.

    The system officer creates accounts without a role (the security officer assigns it);
    only the operator at the command line (`actor` None, at installation) gives a role here,
    officer roles included.
    """
    if actor is not None:
        if not officer_may(actor, OfficerAction.CREATE_USER):
            raise _deny(actor, "创建账户", None)  # zh-data
        if role in OFFICER_ROLES and not officer_may(actor, OfficerAction.CREATE_OFFICER):
            raise _deny(actor, f"创建带角色 {role} 的账户", None, OFFICER_ROLE_AT_CREATION)  # zh-data
        if role or town or institution:
            raise _deny(actor, f"创建带角色或范围的账户（{role or '-'}）", None,  # zh-data
                        OFFICER_ROLE_AT_CREATION)
    errors: list[tuple[str, str]] = []
    if not re.fullmatch(r"[A-Za-z0-9._-]{3,150}", username or ""):
        errors.append(("username", _(USERNAME_INVALID)))
    region = inst = None
    if role or actor is None:
        region, inst, scope_errors = _scope(role, town, institution)
        errors += scope_errors
    errors += _validated_password(password, username)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise Conflict(_(USERNAME_TAKEN), [("username", _(USERNAME_TAKEN))])
        user = User(username=username, role=role, town=region, institution=inst,
                    first_name=full_name[:150], must_change_password=True)
        user.set_password(password)
        user.save()
        audit_record(actor=actor, action=AuditAction.USER_CREATE, obj=user, summary=f"创建用户 {username}",  # zh-data
                     changes={"after": {"username": username, "role": role,
                                        "town": region.code if region else None,
                                        "institution": inst.pk if inst else None}})
    return user


def _officer_change(user: User, role: str) -> bool:
    return role in OFFICER_ROLES or user.role in OFFICER_ROLES


def _check_role_change(actor: User | None, user: User, role: str, town: str | None,
                       institution: int | str | None, action: str
                       ) -> tuple[Any, Any]:
    if actor is not None:
        if actor.pk == user.pk and not officer_may(
                actor, OfficerAction.CHANGE_OWN_ROLE):
            raise _deny(actor, f"变更自己的角色为 {role}", user, OWN_ROLE)  # zh-data
        if not officer_may(actor, action):
            raise _deny(actor, f"变更用户 {user.username} 的角色为 {role}", user)  # zh-data
        if _officer_change(user, role) and action == OfficerAction.ASSIGN_BUSINESS_ROLE:
            raise _deny(actor, f"单人变更用户 {user.username} 的角色为 {role}", user,  # zh-data
                        OFFICER_NEEDS_TWO)
    region, inst, errors = _scope(role, town, institution)
    if errors:
        raise InvalidInput(errors)
    return region, inst


def _last_officer_error(user: User, role: str) -> Conflict | None:
    """An officer role must keep at least one active holder: without an audit officer nobody
    reads the audit log, without a security officer nobody assigns roles (三员分立). The
    holders are locked, so two confirmations cannot each remove "the other" holder."""
    if user.role not in OFFICER_ROLES or role == user.role:
        return None
    holders = list(User.objects.select_for_update().filter(role=user.role, is_active=True)
                   .order_by("pk").values_list("pk", flat=True))
    if any(pk != user.pk for pk in holders):
        return None
    return Conflict(_(LAST_OFFICER).format(role=Role(user.role).label))


def _apply_role(actor: User | None, locked: User, role: str, region: Any, inst: Any,
                summary: str, extra: dict[str, Any] | None = None) -> None:
    before = {"role": locked.role, "town": locked.town_id, "institution": locked.institution_id}
    locked.role, locked.town, locked.institution = role, region, inst
    locked.save(update_fields=["role", "town", "institution"])
    # A token issued under the old role must not carry on under the new one.
    revoked = _revoke_all(locked)
    audit_record(actor=actor, action=AuditAction.USER_ROLE, obj=locked, summary=summary,
                 changes={"before": before, "after": {"role": role, "town": locked.town_id,
                                                      "institution": locked.institution_id},
                          "tokens_revoked": revoked, **(extra or {})})


def user_set_role(*, actor: User | None, user: User, role: str, town: str | None = None,
                  institution: int | str | None = None) -> User:
    """The security officer gives a business role and scope (三员分立). Nobody changes their
    own; a change that makes or unmakes an officer goes through `role_propose`."""
    region, inst = _check_role_change(actor, user, role, town, institution,
                                      OfficerAction.ASSIGN_BUSINESS_ROLE)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        # Checked again under the lock: the role may have changed since the check above.
        if actor is not None and _officer_change(locked, role):
            raise Forbidden(_(OFFICER_NEEDS_TWO))
        _apply_role(actor, locked, role, region, inst, f"变更用户 {locked.username} 角色")  # zh-data
    return locked


def role_propose(*, actor: User, user: User, role: str, town: str | None = None,
                 institution: int | str | None = None) -> RoleProposal:
    """First step of the two-officer procedure: the security officer proposes; nothing changes
    until another officer confirms."""
    region, inst = _check_role_change(actor, user, role, town, institution,
                                      OfficerAction.PROPOSE_OFFICER_ROLE)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if RoleProposal.objects.filter(user=locked, state=RoleProposal.State.PENDING).exists():
            raise Conflict(_(PROPOSAL_DUPLICATE))
        last = _last_officer_error(locked, role)
        if last is not None:
            raise last
        proposal = RoleProposal.objects.create(user=locked, role=role, town=region,
                                               institution=inst, proposed_by=actor)
        audit_record(actor=actor, action=AuditAction.USER_ROLE_PROPOSE, obj=locked,  # zh-data
                     summary=f"提出变更用户 {locked.username} 角色（待确认）",
                     changes={"proposal": proposal.pk,
                              "before": {"role": locked.role, "town": locked.town_id,
                                         "institution": locked.institution_id},
                              "after": {"role": role, "town": region.code if region else None,
                                        "institution": inst.pk if inst else None}})
    return proposal


def role_decide(*, actor: User, proposal: RoleProposal, confirm: bool) -> RoleProposal:
    """Second step: the system or audit officer confirms (the change is applied) or rejects."""
    if not officer_may(actor, OfficerAction.CONFIRM_OFFICER_ROLE):
        raise _deny(actor, f"处理角色变更申请 {proposal.pk}", proposal.user)  # zh-data
    if actor.pk in (proposal.user_id, proposal.proposed_by_id):
        raise _deny(actor, f"处理与自己账户有关的角色变更申请 {proposal.pk}", proposal.user,  # zh-data
                    PROPOSAL_SELF)
    with transaction.atomic():
        locked = RoleProposal.objects.select_for_update().get(pk=proposal.pk)
        if locked.state != RoleProposal.State.PENDING:
            raise Conflict(_(PROPOSAL_NOT_PENDING))
        if actor.pk in (locked.user_id, locked.proposed_by_id):
            raise Forbidden(_(PROPOSAL_SELF))
        target = User.objects.select_for_update().get(pk=locked.user_id)
        last = _last_officer_error(target, locked.role) if confirm else None
        if last is not None:
            raise last
        locked.state = RoleProposal.State.CONFIRMED if confirm else RoleProposal.State.REJECTED
        locked.decided_by, locked.decided_at = actor, timezone.now()
        locked.save(update_fields=["state", "decided_by", "decided_at"])
        if confirm:
            _apply_role(actor, target, locked.role, locked.town, locked.institution,  # zh-data
                        f"确认变更用户 {target.username} 角色（双人程序）",
                        {"proposal": locked.pk, "proposed_by": locked.proposed_by_id})
        else:
            audit_record(actor=actor, action=AuditAction.USER_ROLE_REJECT, obj=target,  # zh-data
                         summary=f"驳回用户 {target.username} 的角色变更申请",
                         changes={"proposal": locked.pk, "role": locked.role})
    return locked


def user_set_active(*, actor: User | None, user: User, active: bool) -> User:
    """Deactivate (which ends the user's API tokens) or reactivate an account."""
    if actor is not None:
        attempt = f"{'启用' if active else '停用'}用户 {user.username}"  # zh-data
        if not officer_may(actor, OfficerAction.DEACTIVATE_USER):
            raise _deny(actor, attempt, user)
        if actor.pk == user.pk:
            raise _deny(actor, attempt, user, OWN_ACCOUNT_ACTIVE)
        if user.role in OFFICER_ROLES:
            raise _deny(actor, attempt, user, OFFICER_ACTIVE)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if actor is not None and locked.role in OFFICER_ROLES:
            raise Forbidden(_(OFFICER_ACTIVE))
        before = locked.is_active
        locked.is_active = active
        locked.save(update_fields=["is_active"])
        revoked = 0 if active else _revoke_all(locked)
        audit_record(actor=actor, action=AuditAction.USER_ACTIVE, obj=locked,  # zh-data
                     summary=f"{'启用' if active else '停用'}用户 {locked.username}",
                     changes={"diff": {"is_active": [before, active]}, "tokens_revoked": revoked})
    return locked


def password_change(*, actor: User, old: str, new: str, repeat: str) -> User:
    """A user changes their own password: the old one, the new one twice, the policy.

    Ends every API token of the user and lifts the first-sign-in obligation."""
    errors: list[tuple[str, str]] = []
    if not actor.check_password(old or ""):
        errors.append(("old_password", _(OLD_PASSWORD_WRONG)))
    if new != repeat:
        errors.append(("new_password2", _(PASSWORD_MISMATCH)))
    elif new == old:
        errors.append(("new_password1", _(PASSWORD_UNCHANGED)))
    else:
        errors += _validated_password(new, actor.username, "new_password1")
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=actor.pk)
        locked.set_password(new)
        locked.must_change_password = False
        locked.password_changed_at = timezone.now()
        locked.save(update_fields=["password", "must_change_password", "password_changed_at"])
        revoked = _revoke_all(locked)
        audit_record(actor=locked, action=AuditAction.USER_PASSWORD_CHANGE, obj=locked,  # zh-data
                     summary=f"用户 {locked.username} 更改密码",
                     changes={"tokens_revoked": revoked})
    return locked


def _revoke_all(user: User) -> int:
    """Revoke every live token of `user`, inside the caller's transaction."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now())


def tokens_revoke_all(*, actor: User | None, user: User) -> int:
    """End all of a user's API tokens: the security officer, or the operator (`canpei token
    NAME --revoke-all`)."""
    if actor is not None and not officer_may(actor, OfficerAction.REVOKE_TOKENS):
        raise _deny(actor, f"撤销用户 {user.username} 的 API 令牌", user)  # zh-data
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        revoked = _revoke_all(locked)
        audit_record(actor=actor, action=AuditAction.TOKEN_REVOKE_ALL, obj=locked,  # zh-data
                     summary=f"撤销用户 {locked.username} 的全部 API 令牌",
                     changes={"tokens_revoked": revoked})
    return revoked


def token_revoke(*, actor: User, raw: str) -> bool:
    """A user revokes the token they are using (`DELETE /api/v1/auth/token`)."""
    with transaction.atomic():
        token = (ApiToken.objects.select_for_update()
                 .filter(digest=ApiToken.digest_of(raw), user=actor, revoked_at__isnull=True)
                 .first())
        if token is None:
            return False
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action=AuditAction.TOKEN_REVOKE, obj=token,  # zh-data
                     summary=f"用户 {actor.username} 撤销自己的 API 令牌")
    return True


def token_issue(*, actor: User | None, user: User, second_factor: bool = False) -> str:
    """Issue a bearer token, valid CANPEI_TOKEN_HOURS; only its digest is stored, so it is
    returned once. `second_factor`: the user has just passed a TOTP check."""
    raw, digest = ApiToken.new_raw()
    now = timezone.now()
    expires = now + dt.timedelta(hours=settings.TOKEN_HOURS)
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, digest=digest, created_at=now,
                                        expires_at=expires, second_factor=second_factor)
        audit_record(actor=actor, action=AuditAction.TOKEN_ISSUE, obj=token,  # zh-data
                     summary=f"为用户 {user.username} 签发 API 令牌",
                     changes={"expires_at": expires.isoformat(),
                              "second_factor": second_factor})
    return raw


# Sign-in events (等保 2.0 security audit): written to the audit log like any other write.

def _channel(request: Any) -> str:
    return "api" if getattr(request, "path", "").startswith("/api/") else "web"


def safe_username(raw: Any) -> str:
    """A typed username as it may be logged: cut to 150 characters, and a long run of digits
    (someone typing an ID number into the wrong field) masked."""
    text = str(raw or "")[:150]
    return re.sub(r"\d{6,}", lambda m: m.group()[:2] + "*" * (len(m.group()) - 2), text)


def record_login(user: User, *, channel: str, second_factor: bool = False) -> None:
    with transaction.atomic():
        audit_record(actor=user, action=AuditAction.AUTH_LOGIN, obj=user,  # zh-data
                     summary=f"用户 {user.username} 登录（{channel}）",
                     changes={"channel": channel, "second_factor": second_factor})


def record_second_factor(user: User) -> None:
    with transaction.atomic():
        audit_record(actor=user, action=AuditAction.AUTH_OTP, obj=user,  # zh-data
                     summary=f"用户 {user.username} 通过动态验证码认证")


def record_logout(user: User) -> None:
    with transaction.atomic():
        audit_record(actor=user, action=AuditAction.AUTH_LOGOUT, obj=user,  # zh-data
                     summary=f"用户 {user.username} 退出登录")


def _record_typed_account(action: AuditAction, username: Any, request: Any, summary: str) -> None:
    """A sign-in event about a typed username: the account if it names one, never the password.

    A username that names no account is not logged: it is often a password typed into the
    wrong field. `summary` has `{name}` and `{channel}` to fill in."""
    user = User.objects.filter(username=str(username or "")[:150]).first() if username else None
    name = safe_username(user.username) if user else "（未知用户名）"  # zh-data
    channel = _channel(request)
    with transaction.atomic():
        audit_record(actor=None, action=action, object_type="accounts.user",
                     object_id=user.pk if user else "",
                     summary=summary.format(name=name, channel=channel),
                     changes={"username": name, "channel": channel})


def record_login_failed(username: Any, request: Any) -> None:
    _record_typed_account(AuditAction.AUTH_LOGIN_FAILED, username, request,  # zh-data
                          "登录失败：用户名 {name}（{channel}）")


def record_lockout(username: Any, request: Any) -> None:
    _record_typed_account(AuditAction.AUTH_LOCKOUT, username, request,  # zh-data
                          "账户 {name} 因连续登录失败被锁定（{channel}）")
