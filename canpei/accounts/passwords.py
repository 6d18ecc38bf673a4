from __future__ import annotations

import string

from django.core.exceptions import ValidationError

PASSWORD_KINDS = "密码须包含大写字母、小写字母、数字、符号中的至少三类"


class CharacterKindsValidator:
    """At least three of: upper case, lower case, digits, symbols (等保 2.0 password rule)."""

    def validate(self, password: str, user: object = None) -> None:
        kinds = [
            any(c in string.ascii_uppercase for c in password),
            any(c in string.ascii_lowercase for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
        if sum(kinds) < 3:
            raise ValidationError(PASSWORD_KINDS, code="password_kinds")

    def get_help_text(self) -> str:
        return PASSWORD_KINDS


PASSWORD_HAS_USERNAME = "密码不能与用户名相同，也不能包含用户名"


class UsernameValidator:
    """The password neither equals nor contains the username, in any letter case."""

    def validate(self, password: str, user: object = None) -> None:
        username = (getattr(user, "username", "") or "").casefold()
        if username and username in (password or "").casefold():
            raise ValidationError(PASSWORD_HAS_USERNAME, code="password_has_username")

    def get_help_text(self) -> str:
        return PASSWORD_HAS_USERNAME
