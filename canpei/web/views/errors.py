"""The answer to an unhandled error: 503 while the database cannot be reached, 500 otherwise.

While PostgreSQL restarts (or a failover runs) every request fails to connect. That is not a
fault of the request: the client is told to come back (503 with Retry-After) in words a clerk
understands, and the API answers in JSON. Django calls this view from inside its exception
handler, so the exception is still `sys.exc_info()`; the page is rendered without the request's
context or the database, like the 500 page.
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults

# Seconds a client should wait before trying again: about what a restart of the cluster takes.
RETRY_AFTER = 5


def database_unreachable() -> bool:
    return isinstance(sys.exc_info()[1], OperationalError | InterfaceError)


def server_error(request: HttpRequest) -> HttpResponse:
    if not database_unreachable():
        return defaults.server_error(request)
    message = _("数据库暂时无法连接，请稍后重试。")
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=503)
    else:
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    return response
