"""Errors a service raises; the API and the pages turn them into responses and messages."""

from __future__ import annotations


class ServiceError(Exception):
    status = 400

    def __init__(self, message: str, errors: list[tuple[str, str]] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or []


class InvalidInput(ServiceError):
    """One or more fields are wrong; nothing was written."""

    status = 422

    def __init__(self, errors: list[tuple[str, str]], message: str = "输入有误，请检查标出的字段"):
        super().__init__(message, errors)


class Conflict(ServiceError):
    """The request clashes with what is stored (a duplicate, a state that forbids the step)."""

    status = 409


class NotFound(ServiceError):
    """Absent, or outside the caller's scope: the two are indistinguishable on purpose."""

    status = 404

    def __init__(self, message: str = "记录不存在"):
        super().__init__(message)


class Forbidden(ServiceError):
    status = 403

    def __init__(self, message: str = "无权执行此操作"):
        super().__init__(message)


class Throttled(ServiceError):
    """Too many requests of a kind in a short time (persons/lookup); nothing was looked up."""

    status = 429

    def __init__(self, message: str, retry_after: int = 60):
        super().__init__(message)
        self.retry_after = retry_after
