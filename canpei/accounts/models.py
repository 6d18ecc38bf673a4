from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone

from canpei.accounts.roles import Role


class User(AbstractUser):
    """A Canpei account: one role and, for town and institution staff, one scope."""

    role = models.CharField("角色", max_length=24, choices=Role.choices)
    town = models.ForeignKey("regions.Region", verbose_name="所属镇街", null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    institution = models.ForeignKey("institutions.Institution", verbose_name="所属机构", null=True,
                                    blank=True, on_delete=models.PROTECT, related_name="staff")


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
        return Role(self.role).label if self.role in Role.values else ""


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenManager(models.Manager["ApiToken"]):
    def authenticate(self, raw: str) -> User | None:
        if not raw or len(raw) > 200:
            return None
        token = (self.select_related("user").filter(digest=_digest(raw), revoked_at__isnull=True)
                 .first())
        if token is None or not token.user.is_active:
            return None
        return token.user


class ApiToken(models.Model):
    """A bearer token; only its SHA-256 digest is stored, the token itself is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenManager()

    @staticmethod
    def new_raw() -> tuple[str, str]:
        raw = "cp_" + secrets.token_urlsafe(32)
        return raw, _digest(raw)
