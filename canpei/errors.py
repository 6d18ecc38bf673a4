"""Errors a service raises; the API and the pages turn them into responses and messages.

A message is translated when the error is raised, in the language of the request (the API's
Accept-Language, the pages' language cookie: LocaleMiddleware activates it), so `message` and
`errors` hold plain text whatever their source: a rule's `Message` constant, a lazy msgid, or
text built at raise time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy

# A module's message constants that translate when shown, typed as the str they stand for,
# which the shared helpers (canpei.errors, canpei.validation, canpei.workflows) take: imported
# as `_` (and `format_lazy`) where a module's messages are lazy msgids rather than `Message`s.
lazy_message = cast("Callable[[str], str]", gettext_lazy)
lazy_format = cast("Callable[..., str]", format_lazy)


class Message(str):
    """A rule's message constant (imported as `_`, so the source scan reads `_("…")` as its
    msgid): the Chinese msgid as text, shown in the active language.

    As a str it is the Chinese source text, so comparisons (`==`, `in`), joins, JSON and the
    audit see the Chinese whatever the language; `str()`, `format()`, `%` and f-strings give it
    translated, at the moment they are called (a refusal is built at raise time, in the
    request's language). `partial` fills placeholders of the msgid when the constant is made
    (a workflow's noun), each translated in turn when shown.
    """

    msgid: str
    partial: dict[str, Any]

    def __new__(cls, msgid: str, **partial: Any) -> Message:
        # The text is the Chinese throughout: a Message filled in stays its own Chinese.
        text = msgid.format(**{key: _source(value) for key, value in partial.items()}) \
            if partial else msgid
        message = super().__new__(cls, text)
        message.msgid = msgid
        message.partial = partial
        return message

    def translated(self) -> str:
        text = gettext(self.msgid)
        if self.partial:
            text = text.format(**{key: str(value) for key, value in self.partial.items()})
        return text

    def __str__(self) -> str:
        return self.translated()

    def __format__(self, spec: str) -> str:
        return format(self.translated(), spec)

    def format(self, *args: Any, **kwargs: Any) -> str:
        return self.translated().format(*args, **kwargs)

    def __mod__(self, values: Any) -> str:
        return self.translated() % values

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.msgid, self.partial))


class Listed(str):
    """Values listed in a message ("a、b、c"), as a `Message`'s part: the Chinese as text, the
    separator of the active language when shown. The values are codes, the same in every
    language."""

    values: tuple[str, ...]

    def __new__(cls, values: Any) -> Listed:
        items = tuple(str(value) for value in values)
        listed = super().__new__(cls, "、".join(items))
        listed.values = items
        return listed

    def __str__(self) -> str:
        return gettext("、").join(self.values)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Listed, (self.values,))


def _rebuild(msgid: str, partial: dict[str, Any]) -> Message:
    return Message(msgid, **partial)


def _source(value: Any) -> str:
    return str.__str__(value) if isinstance(value, str) else str(value)


class ServiceError(Exception):
    status = 400

    def __init__(self, message: str, errors: list[tuple[str, str]] | None = None):
        # str() translates a Message or a lazy msgid now, in the request's language.
        text = str(message)
        super().__init__(text)
        self.message = text
        self.errors = [(field, str(error)) for field, error in errors or []]


class InvalidInput(ServiceError):
    """One or more fields are wrong; nothing was written."""

    status = 422

    def __init__(self, errors: list[tuple[str, str]], message: str | None = None):
        super().__init__(INVALID_INPUT if message is None else message, errors)


class Conflict(ServiceError):
    """The request clashes with what is stored (a duplicate, a state that forbids the step)."""

    status = 409


class NotFound(ServiceError):
    """Absent, or outside the caller's scope: the two are indistinguishable on purpose."""

    status = 404

    def __init__(self, message: str | None = None):
        super().__init__(NOT_FOUND if message is None else message)


class Forbidden(ServiceError):
    status = 403

    def __init__(self, message: str | None = None):
        super().__init__(FORBIDDEN if message is None else message)


class Throttled(ServiceError):
    """Too many requests of a kind in a short time (persons/lookup); nothing was looked up."""

    status = 429

    def __init__(self, message: str, retry_after: int = 60):
        super().__init__(message)
        self.retry_after = retry_after


_ = Message
INVALID_INPUT = _("输入有误，请检查标出的字段")
NOT_FOUND = _("记录不存在")
FORBIDDEN = _("无权执行此操作")
