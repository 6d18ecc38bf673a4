from __future__ import annotations

import string
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _, gettext_noop

if TYPE_CHECKING:
    from canpei.accounts.models import User

# Messages, translated where they are raised (the constants stay Chinese for the tests).
PASSWORD_KINDS = gettext_noop("密码须包含大写字母、小写字母、数字、符号中的至少三类")
PASSWORD_TOO_SHORT = gettext_noop("密码至少须有 %(min_length)s 个字符")


class MinimumLengthValidator:
    """At least `min_length` characters. Django's own validator is not used: its message
    changed in Django 5.2 and the bundled Chinese catalogue still has the old text, so the
    Chinese UI showed it in English."""

    def __init__(self, min_length: int = 8) -> None:
        self.min_length = min_length

    def validate(self, password: str, user: User | None = None) -> None:
        if len(password or "") < self.min_length:
            raise ValidationError(_(PASSWORD_TOO_SHORT) % {"min_length": self.min_length},
                                  code="password_too_short")

    def get_help_text(self) -> str:
        return _(PASSWORD_TOO_SHORT) % {"min_length": self.min_length}


class CharacterKindsValidator:
    """At least three of: upper case, lower case, digits, symbols (等保 2.0 password rule)."""

    def validate(self, password: str, user: User | None = None) -> None:
        kinds = [
            any(c in string.ascii_uppercase for c in password),
            any(c in string.ascii_lowercase for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
        if sum(kinds) < 3:
            raise ValidationError(_(PASSWORD_KINDS), code="password_kinds")

    def get_help_text(self) -> str:
        return _(PASSWORD_KINDS)


PASSWORD_HAS_USERNAME = gettext_noop("密码不能与用户名相同，也不能包含用户名")


class UsernameValidator:
    """The password neither equals nor contains the username, in any letter case."""

    def validate(self, password: str, user: User | None = None) -> None:
        username = (user.username if user is not None else "").casefold()
        if username and username in (password or "").casefold():
            raise ValidationError(_(PASSWORD_HAS_USERNAME), code="password_has_username")

    def get_help_text(self) -> str:
        return _(PASSWORD_HAS_USERNAME)
