"""The audit officer's download of the signed head (the anchor), to keep outside the system."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_POST

from canpei.accounts.roles import Perm
from canpei.audit.services import audit_anchor_download
from canpei.web.pages import requires


@requires(Perm.AUDIT_READ)
@require_POST
def audit_anchor(request: HttpRequest) -> HttpResponse:
    anchor = audit_anchor_download(actor=request.user)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response = HttpResponse(anchor.to_json(), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="canpei-audit-anchor-{stamp}.json"'
    response["Cache-Control"] = "no-store"
    return response
