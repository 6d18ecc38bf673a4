"""Shared pieces of the REST API: authentication, error shape, paging."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Generic, Protocol, TypeVar, get_type_hints

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext, gettext_noop
from ninja import Schema
from ninja.errors import AuthenticationError
from ninja.schema import DjangoGetter
from ninja.security import HttpBearer, SessionAuth
from pydantic import (
    AfterValidator, BaseModel, ConfigDict, GetCoreSchemaHandler, create_model, field_validator,
    model_validator,
)
from pydantic_core import core_schema

from canpei.accounts.models import ApiToken, User
from canpei.accounts.roles import has_perm
from canpei.errors import Forbidden
from canpei.validation import NUL_IN_TEXT

MAX_PAGE_SIZE = 200


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return ApiToken.objects.authenticate(token.strip())


class ActiveSessionAuth(SessionAuth):
    """Browser sessions, CSRF-checked; an inactive user's session counts for nothing."""

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = request.user
        if isinstance(user, User) and user.is_active:
            return user
        return None


AUTH = [BearerAuth(), ActiveSessionAuth()]


NOT_AN_OBJECT = gettext_noop("请求体须为 JSON 对象")


def _contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, (list, tuple, set)):
        return any(_contains_nul(item) for item in value)
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    return False


def _no_nul(value: Any) -> Any:
    # PostgreSQL cannot store or even compare a text containing U+0000: without this check such a
    # value reaches a query and the database's DataError becomes a 500.
    if _contains_nul(value):
        raise ValueError(NUL_IN_TEXT)
    return value


# A text query parameter: anything but U+0000.
Text = Annotated[str, AfterValidator(_no_nul)]


class ObjectIn(Schema):
    """A request body: a JSON object, nothing else.

    ninja's Schema validates "from attributes", so without this a body of `[]`, `42` or `null`
    would pass as an object whose every field is missing (a PATCH answering 200 to garbage).
    Unknown keys are refused, not ignored: a misspelt field must not look like a saved one.
    """

    model_config = {"extra": "forbid"}

    @model_validator(mode="before")
    @classmethod
    def _json_object_only(cls, value: Any) -> Any:
        # Schema's own (outer) validator has already wrapped the input in a DjangoGetter.
        raw = value._obj if isinstance(value, DjangoGetter) else value
        if not isinstance(raw, dict):
            raise ValueError(gettext(NOT_AN_OBJECT))
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _text_without_nul(cls, value: Any) -> Any:
        return _no_nul(value)


def patch_of(schema: type[ObjectIn], name: str, *, refused: Mapping[str, Any]) -> type[ObjectIn]:
    """A PATCH body of `schema`'s record: each of its fields (but those `refused` names) of its
    own type or null, and left out when not sent, followed by the `refused` fields (name: type),
    which the body may hold only for the service to refuse them with a 422 naming each."""
    hints = get_type_hints(schema, include_extras=True)
    fields: dict[str, Any] = {key: (hints[key] | None, None) for key in schema.model_fields
                              if key not in refused}
    fields.update({key: (kind | None, None) for key, kind in refused.items()})
    patch: type[ObjectIn] = create_model(name, __base__=ObjectIn, __module__=schema.__module__,
                                         **fields)
    return patch


class PersonRecordOut(Schema):
    """The first fields of a record about one person (an application, an employment service):
    the person, masked ID number, and the town the record counts in."""

    id: int
    person: int
    person_name: str
    person_id_number: str
    town: str
    town_name: str


class PlainOut(BaseModel):
    """A response schema built by the view from values it already holds (not from a model
    instance): pydantic's own validation, without ninja Schema's per-object DjangoGetter pass,
    which costs ten times as much (a list of a few hundred rows spent tens of milliseconds in
    it: the indicators, the uncovered lists, the alert desk, issue 10's and 12's bars)."""

    model_config = ConfigDict(from_attributes=True)


class WorkflowEventOut(PlainOut):
    """One step of a lifecycle's history (a canpei.workflows.WorkflowEvent row), as each workflow's
    API shows it; a workflow adds what its own events carry."""

    action: str
    from_state: str
    to_state: str
    actor: str | None
    at: dt.datetime
    comment: str


class _Event(Protocol):
    """What every workflow's event row has (its model adds the states to WorkflowEvent's)."""

    @property
    def action(self) -> str: ...
    @property
    def from_state(self) -> str: ...
    @property
    def to_state(self) -> str: ...
    @property
    def actor(self) -> User | None: ...
    @property
    def at(self) -> dt.datetime: ...
    @property
    def comment(self) -> str: ...


def workflow_event_fields(event: _Event) -> dict[str, Any]:
    """The values of WorkflowEventOut's fields, read from an event row."""
    return {"action": event.action, "from_state": event.from_state, "to_state": event.to_state,
            "actor": event.actor.username if event.actor else None, "at": event.at,
            "comment": event.comment}


class FieldError(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[FieldError] = []


def errors(*codes: int) -> dict[int, type[ErrorOut]]:
    return {code: ErrorOut for code in codes}


def api_user(request: HttpRequest, perm: str | None = None, refusal: str | None = None) -> User:
    """The user an API request acts as, typed for the services and selectors: what AUTH's
    token or session check found (ninja keeps it as request.auth). Only an endpoint declared
    without auth gets here without one, and it must not ask. With `perm`, a user without that
    permission is refused (403) before anything is read: with `refusal` (a msgid) as its
    message, else the generic one."""
    user = getattr(request, "auth", None)  # set by ninja, unknown to HttpRequest's type
    if not isinstance(user, User):
        raise AuthenticationError()
    if perm is not None and not has_perm(user, perm):
        raise Forbidden(None if refusal is None else gettext(refusal))
    return user


def paginate(qs: QuerySet[Any], page: int, page_size: int,
             count: int | None = None) -> tuple[int, list[Any]]:
    """An exact count and one page: queries independent of the page size.

    `count`, when given, is the caller's own exact count of `qs` (counted a cheaper way).
    """
    if count is None:
        count = qs.count()
    start = (page - 1) * page_size
    return count, list(qs[start:start + page_size])


P = TypeVar("P")
T = TypeVar("T")


class Page(Schema, Generic[T]):
    """A list endpoint's answer: the exact count and one page of rows. Each list names its own,
    `class ThingPage(Page[ThingOut])`, which the document shows under that name."""

    count: int
    results: list[T]


def page_of(page_class: Callable[..., P], qs: QuerySet[Any], page: int, page_size: int,
            out: Callable[[Any], Any]) -> P:
    """A list endpoint's answer: the exact count of `qs` and its page's rows, each through
    `out` (the row's response schema)."""
    count, rows = paginate(qs, page, page_size)
    return page_class(count=count, results=[out(row) for row in rows])


@dataclass(frozen=True)
class OneOf:
    """Annotated metadata for a str field: one of `values`, validated and documented exactly as
    a Literal of them (an enum in the schema, a 422 `literal_error` otherwise), but read from a
    table at run time, e.g. `Annotated[str, OneOf(rules.CLASS_WORKFLOW.action_values)]`."""

    values: tuple[str, ...]

    def __get_pydantic_core_schema__(self, source: Any,
                                     handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.literal_schema(list(self.values))
