from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext, gettext_lazy as _, gettext_noop
from django.http import HttpRequest
from django.utils import timezone
from canpei.codes import CodedDisplay, Codes

from canpei.accounts.roles import OFFICER_ROLES, Role
from canpei.errors import ServiceError


class User(AbstractUser):
    """A Canpei account: one role and, for town and institution staff, one scope."""

    # Empty: an account the system officer created, waiting for the security officer to give
    # it a role and scope; it sees nothing until then.
    role = models.CharField(_("角色"), max_length=24, choices=Role.choices, blank=True, default="")
    town = models.ForeignKey("regions.Region", verbose_name=_("所属镇街"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    institution = models.ForeignKey("institutions.Institution", verbose_name=_("所属机构"), null=True,
                                    blank=True, on_delete=models.PROTECT, related_name="staff")
    # Set for an account created with an initial password: every page but the change-password
    # page is closed to it, and its API tokens are refused, until the user chooses their own.
    must_change_password = models.BooleanField(_("须更改密码"), default=False)
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="user_scope_matches_role",
                condition=(
                    models.Q(role=Role.TOWN_STAFF, town__isnull=False, institution__isnull=True)
                    | models.Q(role=Role.INSTITUTION_STAFF, institution__isnull=False, town__isnull=True)
                    | (~models.Q(role__in=[Role.TOWN_STAFF, Role.INSTITUTION_STAFF])
                       & models.Q(town__isnull=True, institution__isnull=True))
                ),
            ),
        ]

    @property
    def role_label(self) -> str:
        # Shown on pages in the reader's language (the CLI's is Chinese).
        return gettext(Role(self.role).label) if self.role in Role.values else gettext("未分配角色")


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


# Messages, translated where they are raised (the constants stay Chinese for the tests).
TOKEN_EXPIRED = gettext_noop("API 令牌已过期，请重新获取")
TOKEN_WITHOUT_SECOND_FACTOR = gettext_noop(
    "该令牌签发时未经动态验证码认证，已失效；请以用户名、密码和动态验证码重新获取")
PASSWORD_CHANGE_REQUIRED = gettext_noop("须先在网页上修改初始密码（/account/password），之后才能使用 API")
PASSWORD_EXPIRED = gettext_noop("密码已过期，须先在网页上更改密码（/account/password），之后才能使用 API")


class TokenRefused(ServiceError):
    """A token that exists but may not be used (any more): the API answers with its reason."""

    status = 401


class PasswordChangeRequired(ServiceError):
    status = 403


def password_expired(user: User) -> bool:
    """An officer's password older than CANPEI_PASSWORD_MAX_DAYS (off when 0)."""
    days = settings.PASSWORD_MAX_DAYS
    if not days or user.role not in OFFICER_ROLES:
        return False
    changed = user.password_changed_at or user.date_joined
    return changed is None or changed < timezone.now() - dt.timedelta(days=days)


def password_change_pending(user: User) -> str:
    """Why the user must change their password before anything else ('' when they need not)."""
    if user.must_change_password:
        return gettext(PASSWORD_CHANGE_REQUIRED)
    if password_expired(user):
        return gettext(PASSWORD_EXPIRED)
    return ""


class ApiTokenManager(models.Manager["ApiToken"]):
    def authenticate(self, raw: str) -> User | None:
        """The token's user; None for an unknown or revoked token or an inactive user.

        A token that exists but may not be used raises, so the client learns why: expired,
        an officer's token issued without the second factor, a password to change first.
        """
        from canpei.accounts.otp import second_factor_required

        if not raw or len(raw) > 200:
            return None
        token = (self.select_related("user").filter(digest=_digest(raw), revoked_at__isnull=True)
                 .first())
        if token is None or not token.user.is_active:
            return None
        if token.expires_at is None or token.expires_at <= timezone.now():
            raise TokenRefused(gettext(TOKEN_EXPIRED))
        if second_factor_required(token.user) and not token.second_factor:
            raise TokenRefused(gettext(TOKEN_WITHOUT_SECOND_FACTOR))
        reason = password_change_pending(token.user)
        if reason:
            raise PasswordChangeRequired(reason)
        return token.user


class ApiToken(models.Model):
    """A bearer token; only its SHA-256 digest is stored, the token itself is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    # CANPEI_TOKEN_HOURS after issue; a token without one (issued before expiry existed) is dead.
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Issued after the user passed a TOTP check: an officer's token is good only with it.
    second_factor = models.BooleanField(default=False)

    objects = ApiTokenManager()

    @staticmethod
    def new_raw() -> tuple[str, str]:
        raw = "cp_" + secrets.token_urlsafe(32)
        return raw, _digest(raw)

    @staticmethod
    def digest_of(raw: str) -> str:
        return _digest(raw)


class RoleProposal(CodedDisplay, models.Model):
    """The two-officer procedure: a change of role that makes or unmakes an officer.

    The security officer proposes; the system officer or the audit officer (not the account
    concerned) confirms, and only then is it applied. Rejected or confirmed, it stays as record.
    """

    class State(Codes):
        PENDING = "pending", "待确认"
        CONFIRMED = "confirmed", "已确认"
        REJECTED = "rejected", "已驳回"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_proposals")
    role = models.CharField(_("角色"), max_length=24, choices=Role.choices)
    town = models.ForeignKey("regions.Region", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    institution = models.ForeignKey("institutions.Institution", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    proposed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]

    @property
    def role_label(self) -> str:
        return gettext(Role(self.role).label)


def signed_in_user(request: HttpRequest) -> User:
    """The user a page request acts as, typed for the services. Pages behind login_required
    (canpei.web.pages.requires) only get here signed in; anyone else is refused."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user
