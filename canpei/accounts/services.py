"""Account writes: creating users, changing roles and scopes, issuing API tokens."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from canpei.accounts.models import ApiToken, User
from canpei.accounts.roles import Perm, Role, has_perm
from canpei.audit.services import audit_record
from canpei.errors import Conflict, Forbidden, InvalidInput
from canpei.institutions.models import Institution
from canpei.regions.models import Region

USERNAME_INVALID = "用户名须为 3 至 150 个字母、数字或 . _ - 字符"
USERNAME_TAKEN = "用户名已存在"
ROLE_INVALID = "角色不在可选范围内"
TOWN_REQUIRED_FOR_ROLE = "镇街专干须指定所属镇街"
INSTITUTION_REQUIRED_FOR_ROLE = "培训机构用户须指定所属机构"
SCOPE_NOT_ALLOWED = "该角色不设范围"
TOWN_UNKNOWN = "镇街不存在"
INSTITUTION_UNKNOWN = "机构不存在"


def _scope(role: str, town: str | None, institution: int | str | None
           ) -> tuple[Region | None, Institution | None, list[tuple[str, str]]]:
    errors: list[tuple[str, str]] = []
    region = inst = None
    if role not in Role.values:
        return None, None, [("role", ROLE_INVALID)]
    if role == Role.TOWN_STAFF:
        region = Region.objects.filter(code=str(town or ""), level=Region.Level.TOWN).first()
        if not town:
            errors.append(("town", TOWN_REQUIRED_FOR_ROLE))
        elif region is None:
            errors.append(("town", TOWN_UNKNOWN))
    elif town:
        errors.append(("town", SCOPE_NOT_ALLOWED))
    if role == Role.INSTITUTION_STAFF:
        if not institution:
            errors.append(("institution", INSTITUTION_REQUIRED_FOR_ROLE))
        else:
            try:
                inst = Institution.objects.filter(pk=int(institution)).first()
            except (TypeError, ValueError):
                inst = None
            if inst is None:
                errors.append(("institution", INSTITUTION_UNKNOWN))
    elif institution:
        errors.append(("institution", SCOPE_NOT_ALLOWED))
    return region, inst, errors


def user_create(*, actor: Any, username: str, password: str, role: str, town: str | None = None,
                institution: int | str | None = None, full_name: str = "") -> User:
    """Create an account. `actor` None means the command line run by the operator."""
    if actor is not None and not has_perm(actor, Perm.USERS_MANAGE):
        raise Forbidden()
    import re

    errors: list[tuple[str, str]] = []
    if not re.fullmatch(r"[A-Za-z0-9._-]{3,150}", username or ""):
        errors.append(("username", USERNAME_INVALID))
    region, inst, scope_errors = _scope(role, town, institution)
    errors += scope_errors
    try:
        validate_password(password, User(username=username))
    except ValidationError as exc:
        errors += [("password", message) for message in exc.messages]
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise Conflict(USERNAME_TAKEN, [("username", USERNAME_TAKEN)])
        user = User(username=username, role=role, town=region, institution=inst,
                    first_name=full_name[:150])
        user.set_password(password)
        user.save()
        audit_record(actor=actor, action="user.create", obj=user, summary=f"创建用户 {username}",
                     changes={"after": {"username": username, "role": role,
                                        "town": region.code if region else None,
                                        "institution": inst.pk if inst else None}})
    return user


def user_set_role(*, actor: Any, user: User, role: str, town: str | None = None,
                  institution: int | str | None = None) -> User:
    """Roles and scopes belong to the security officer (三员分立)."""
    if actor is not None and not has_perm(actor, Perm.ROLES_MANAGE):
        raise Forbidden()
    region, inst, errors = _scope(role, town, institution)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        before = {"role": locked.role, "town": locked.town_id, "institution": locked.institution_id}
        locked.role, locked.town, locked.institution = role, region, inst
        locked.save(update_fields=["role", "town", "institution"])
        audit_record(actor=actor, action="user.role", obj=locked, summary=f"变更用户 {locked.username} 角色",
                     changes={"before": before, "after": {"role": role, "town": locked.town_id,
                                                          "institution": locked.institution_id}})
    return locked


def user_set_active(*, actor: Any, user: User, active: bool) -> User:
    if actor is not None and not has_perm(actor, Perm.USERS_MANAGE):
        raise Forbidden()
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        before = locked.is_active
        locked.is_active = active
        locked.save(update_fields=["is_active"])
        audit_record(actor=actor, action="user.active", obj=locked,
                     summary=f"{'启用' if active else '停用'}用户 {locked.username}",
                     changes={"diff": {"is_active": [before, active]}})
    return locked


def token_issue(*, actor: Any, user: User) -> str:
    """Issue a bearer token; only its digest is stored, so it is returned once."""
    raw, digest = ApiToken.new_raw()
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, digest=digest)
        audit_record(actor=actor, action="token.issue", obj=token,
                     summary=f"为用户 {user.username} 签发 API 令牌")
    return raw
