"""The REST API at /api/v1/: routers only; the work is done by the apps' services and selectors."""

from __future__ import annotations

from functools import wraps
from typing import Any
from collections.abc import Callable

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, re_path
from django.utils.translation import gettext as _, gettext_noop
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from canpei.api import audit, auth, institutions, persons, surveys
from canpei.api import applications
from canpei.api import classes
from canpei.api import followups
from canpei.api import employment_services
from canpei.api import competitions
from canpei.api import indicators
from canpei.api import plans, reports
from canpei.api import funds
from canpei.api import alerts
from canpei.api.common import AUTH
from canpei.errors import ServiceError, Throttled

METHOD_NOT_ALLOWED = gettext_noop("不支持此请求方法")
NOT_FOUND = gettext_noop("记录不存在")
BODY_TOO_LARGE = gettext_noop("请求体过大（超过 2.5 MB）")
TOO_MANY_FIELDS = gettext_noop("请求体的字段或文件过多")


def _body_refused(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A body Django refuses to read (over DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields) would
    otherwise become Django's HTML 400 page: 413 or 400 in the API's shape instead."""
    message, status = ((_(BODY_TOO_LARGE), 413) if isinstance(exc, RequestDataTooBig)
                       else (_(TOO_MANY_FIELDS), 400))
    return api.create_response(request, {"detail": message,
                                         "errors": [{"field": "body", "message": message}]},
                               status=status)


def _json_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """ninja answers an unsupported method with a plain-text 405, and lets Django's refusal of an
    oversized body escape (read while authenticating, or by the parser); give both the API's
    error shape."""
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent) as exc:
            return _body_refused(request, exc)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
                "application/json"):
            allowed = response.get("Allow", "")
            response = api.create_response(request, {"detail": _(METHOD_NOT_ALLOWED), "errors": []},
                                           status=405)
            response["Allow"] = allowed
        return response
    return wrapped


class CanpeiAPI(NinjaAPI):
    """NinjaAPI whose every answer under /api/v1/ is JSON: unknown paths and methods included."""

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        patterns = super()._get_urls()
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                pattern.callback = _json_errors(pattern.callback)
        patterns.append(re_path(r"", csrf_exempt(self._unknown_path), name="unknown"))
        return patterns

    def _unknown_path(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.create_response(request, {"detail": _(NOT_FOUND), "errors": []}, status=404)


api = CanpeiAPI(  # zh-data: the OpenAPI description, the Chinese product name
    title="Canpei API",
    version="1",
    description="残培：残疾人职业技能培训管理系统 REST API",
    auth=AUTH,
    urls_namespace="api",
)

api.add_router("/auth", auth.router)
api.add_router("/persons", persons.router)
api.add_router("/surveys", surveys.router)
api.add_router("/institutions", institutions.router)
api.add_router("/classes", classes.router)
api.add_router("/enrollments", classes.enrollment_router)
api.add_router("/audit", audit.router)
api.add_router("/applications", applications.router)
api.add_router("/staff-trainings", applications.staff_router)
api.add_router("/followups", followups.router)
api.add_router("/employment-services", employment_services.router)
api.add_router("/competitions", competitions.router)
api.add_router("/entries", competitions.entry_router)
api.add_router("/cases", competitions.case_router)
api.add_router("/reports/indicators", indicators.router)
api.add_router("/reports/funds", funds.report)
api.add_router("/budgets", funds.budgets)
api.add_router("/subsidy-standards", funds.standards)
api.add_router("/donations", funds.donations)
api.add_router("/contracts", funds.contracts)
api.add_router("/disbursements", funds.disbursements)
api.add_router("/plans", plans.router)
api.add_router("/reports", reports.router)
api.add_router("/alerts", alerts.router)


def _loc_to_field(loc: Any) -> str:
    parts = [str(p) for p in (loc or []) if p not in ("body", "query", "path", "payload", "data")]
    return ".".join(parts) or "body"


# Chinese for the validation errors a client meets most (msgids, translated where they are
# answered); others keep pydantic's own text.
VALIDATION_MESSAGES = {  # zh-msgid
    "extra_forbidden": "不能识别的字段",
    "missing": "缺少必填字段",
    "string_type": "须为文本",
    "int_parsing": "须为整数",
    "int_type": "须为整数",
    "bool_parsing": "须为 true 或 false",
    "bool_type": "须为 true 或 false",
    "date_from_datetime_parsing": "日期格式须为 YYYY-MM-DD",
    "date_parsing": "日期格式须为 YYYY-MM-DD",
    "date_type": "日期格式须为 YYYY-MM-DD",
    "list_type": "须为列表",
    "literal_error": "取值不在可选范围内",
}


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields = [{"field": _loc_to_field(e.get("loc")),
               "message": _message(e)} for e in exc.errors]
    return api.create_response(request, {"detail": _("请求参数有误"), "errors": fields},
                               status=422)


def _message(error: dict[str, Any]) -> str:
    known = VALIDATION_MESSAGES.get(str(error.get("type")))
    return _(known) if known else str(error.get("msg", ""))


def _translated(message: Any) -> str:
    text = str(message)
    return _(text) if text else text  # gettext("") is the catalogue's header


@api.exception_handler(ServiceError)
def service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    # A service's message is translated where it is raised; one kept as a bare msgid (a
    # gettext_noop constant) is translated here, so no error reaches a client untranslated.
    body = {"detail": _translated(exc.message),
            "errors": [{"field": field, "message": _translated(message)}
                       for field, message in exc.errors]}
    response = api.create_response(request, body, status=exc.status)
    if isinstance(exc, Throttled):
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(RequestDataTooBig)
@api.exception_handler(TooManyFieldsSent)
@api.exception_handler(TooManyFilesSent)
def body_refused(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _body_refused(request, exc)


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, {"detail": _("未登录或令牌无效"), "errors": []}, status=401)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    detail = _("请求体不是有效的 JSON") if exc.status_code == 400 else str(exc)
    return api.create_response(request, {"detail": detail, "errors": []}, status=exc.status_code)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": _(NOT_FOUND), "errors": []}, status=404)
