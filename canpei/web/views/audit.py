"""The audit officer's pages: the log in words, its export, and the download of the signed head
(the anchor), to keep outside the system."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from canpei.accounts.models import signed_in_user
from canpei.accounts.roles import Perm
from canpei.audit.actions import LABELS, AuditAction
from canpei.audit.readable import readable
from canpei.audit.selectors import AuditFilters, audit_entries
from canpei.audit.services import audit_anchor_download
from canpei.errors import InvalidInput
from canpei.spreadsheets.registry import Ledger, ledger_write
from canpei.web.pages import requires, without_nul

# The export is a ledger: its form is Chinese whatever the reader's language.
AUDIT_HEADERS = ["编号", "时间", "操作人", "账户", "角色", "操作", "对象", "摘要", "变更"]  # zh-data
AUDIT_WIDTHS = [8, 18, 12, 12, 14, 18, 18, 40, 60]


def _filters(request: HttpRequest) -> tuple[AuditFilters, list[tuple[str, str]]]:
    clean, _errors = without_nul(request.GET)
    try:
        return AuditFilters.from_params(clean), []
    except InvalidInput as exc:
        return AuditFilters(), exc.errors


@requires(Perm.AUDIT_READ)
def audit_list(request: HttpRequest) -> HttpResponse:
    filters, errors = _filters(request)
    qs = audit_entries(user=signed_in_user(request), filters=filters)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "audit/audit_list.html", {
        "page": page, "entries": [readable(e) for e in page], "filters": filters,
        "filter_errors": errors, "query": urlencode(filters.as_params()),
        "actions": sorted(((a.value, LABELS[a]) for a in AuditAction), key=lambda pair: pair[0]),
    })


def _rows(entries: Any) -> Iterator[list[Any]]:
    for e in entries.iterator(chunk_size=2000):
        r = readable(e)
        changes = "；".join(f"{c.field}：{c.before} → {c.after}" if c.before else f"{c.field}：{c.after}"
                           for c in r.changes)
        yield [e.pk, timezone.localtime(e.at), r.actor_name, e.actor_username, r.actor_role,
               r.action, r.object, e.summary, changes]


@requires(Perm.AUDIT_READ)
@require_GET
def audit_export(request: HttpRequest) -> HttpResponse | FileResponse:
    filters, errors = _filters(request)
    if errors:
        messages.error(request, "；".join(m for _f, m in errors))
        return redirect("audit")
    user = signed_in_user(request)
    spool = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it after streaming)
    ledger_write(actor=user, permission=Perm.AUDIT_READ, out=spool, ledger=Ledger(  # zh-data
        title="审计日志", headers=AUDIT_HEADERS, widths=AUDIT_WIDTHS,
        rows=_rows(audit_entries(user=user, filters=filters)), action=AuditAction.EXPORT_AUDIT,
        object_type="audit.auditentry", summary="导出审计日志", filters=filters.as_params()))
    spool.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return FileResponse(spool, as_attachment=True, filename=f"审计日志-{stamp}.xlsx")  # zh-data


@requires(Perm.AUDIT_READ)
@require_POST
def audit_anchor(request: HttpRequest) -> HttpResponse:
    anchor = audit_anchor_download(actor=signed_in_user(request))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response = HttpResponse(anchor.to_json(), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="canpei-audit-anchor-{stamp}.json"'
    response["Cache-Control"] = "no-store"
    return response
