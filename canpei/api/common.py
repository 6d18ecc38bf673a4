"""Shared pieces of the REST API: authentication, error shape, paging."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Schema
from ninja.security import HttpBearer, SessionAuth

from canpei.accounts.models import ApiToken

MAX_PAGE_SIZE = 200


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return ApiToken.objects.authenticate(token.strip())


class ActiveSessionAuth(SessionAuth):
    """Browser sessions, CSRF-checked; an inactive user's session counts for nothing."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        if user.is_authenticated and user.is_active:
            return user
        return None


AUTH = [BearerAuth(), ActiveSessionAuth()]


class FieldError(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[FieldError] = []


def errors(*codes: int) -> dict[int, type[ErrorOut]]:
    return {code: ErrorOut for code in codes}


def actor_of(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def paginate(qs: QuerySet[Any], page: int, page_size: int) -> tuple[int, list[Any]]:
    """An exact count and one page. Two queries whatever the page size."""
    count = qs.count()
    start = (page - 1) * page_size
    return count, list(qs[start:start + page_size])
