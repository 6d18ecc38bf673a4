"""The audit officer's pages: the log, and the download of the signed head (the anchor), to keep
outside the system."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from canpei.accounts.models import signed_in_user
from canpei.accounts.roles import Perm
from canpei.audit.selectors import audit_entries
from canpei.audit.services import audit_anchor_download
from canpei.web.pages import requires, without_nul


@requires(Perm.AUDIT_READ)
def audit_list(request: HttpRequest) -> HttpResponse:
    clean, _errors = without_nul(request.GET)
    qs = audit_entries(user=signed_in_user(request), action=clean.get("action", "")[:64],
                       actor=clean.get("actor", "")[:150])
    page = Paginator(qs, 50).get_page(clean.get("page"))
    params = {k: v for k, v in clean.items() if k in ("action", "actor") and v}
    return render(request, "audit/audit_list.html", {"page": page, "query": urlencode(params)})


@requires(Perm.AUDIT_READ)
@require_POST
def audit_anchor(request: HttpRequest) -> HttpResponse:
    anchor = audit_anchor_download(actor=signed_in_user(request))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response = HttpResponse(anchor.to_json(), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="canpei-audit-anchor-{stamp}.json"'
    response["Cache-Control"] = "no-store"
    return response
