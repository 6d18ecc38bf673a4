"""The ledgers' download: one page for every registered export kind, as a workbook or CSV."""

from __future__ import annotations

import io
import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from canpei.accounts.models import signed_in_user
from canpei.accounts.roles import has_perm
from canpei.errors import Forbidden, InvalidInput, NotFound
from canpei.spreadsheets import registry


@login_required
def export(request: HttpRequest, kind: str) -> HttpResponse | FileResponse:
    user = signed_in_user(request)
    spec = registry.export_spec(kind)
    if spec is None or not has_perm(user, spec.permission):
        raise Http404()
    actor = user
    fmt = "csv" if request.GET.get("format") == "csv" else "xlsx"
    # Full ID numbers only when asked for, with a purpose (the list pages' small form).
    purpose = request.GET.get("purpose", "") if request.GET.get("full_numbers") else None
    # A spooled file: the workbook is written as a stream and sent without holding it in memory.
    spool = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it after streaming)
    try:
        if fmt == "csv":
            text = io.TextIOWrapper(spool, encoding="utf-8-sig", newline="")
            spec.run(actor=actor, out=text, fmt=fmt, params=request.GET, purpose=purpose)
            text.flush()
            text.detach()
        else:
            spec.run(actor=actor, out=spool, fmt=fmt, params=request.GET, purpose=purpose)
    except InvalidInput as exc:
        spool.close()
        messages.error(request, "；".join(m for _f, m in exc.errors) or exc.message)
        return redirect(spec.list_url)
    except Forbidden as exc:
        spool.close()
        messages.error(request, exc.message)
        return redirect(spec.list_url)
    except NotFound:
        # A filter naming a record outside the user's scope (another town): as its page answers.
        spool.close()
        raise Http404() from None
    spool.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return FileResponse(spool, as_attachment=True, filename=f"{spec.label}台账-{stamp}.{fmt}")
