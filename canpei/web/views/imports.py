"""Pages of spreadsheet imports: the upload, the job's progress and its report."""

from __future__ import annotations

import io
from functools import wraps
from typing import Any, cast
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.forms import ChoiceField
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods
from django.utils.translation import gettext as _

from canpei.accounts.models import signed_in_user
from canpei.people.surveys.forms import ImportForm
from canpei.spreadsheets import jobs, registry
from canpei.spreadsheets.models import ImportJob
from canpei.spreadsheets.reader import FILE_TOO_LARGE, MAX_FILE_BYTES
from canpei.spreadsheets.templates import write_template

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _may_import(view: Callable[..., Any]) -> Callable[..., Any]:
    """Signed in and allowed at least one registered import kind; others get a 404."""
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not registry.import_kinds_for(request.user):
            raise Http404()
        return view(request, *args, **kwargs)
    return wrapped


@_may_import
@require_http_methods(["GET", "POST"])
def import_new(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    specs = registry.import_kinds_for(user)
    kinds = [spec.kind for spec in specs]
    wanted = request.GET.get("kind", "")
    form = ImportForm(request.POST or None, request.FILES or None,
                      initial={"kind": wanted if wanted in kinds else kinds[0]})
    # The page offers only the kinds this user may run; another kind posted is an invalid choice.
    cast(ChoiceField, form.fields["kind"]).choices = [(spec.kind, spec.display_label) for spec in specs]
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            form.add_error("file", _(FILE_TOO_LARGE).format(limit=MAX_FILE_BYTES // (1024 * 1024)))
        else:
            kind = form.cleaned_data["kind"]
            job = jobs.job_start(actor=user, kind=kind, filename=upload.name,
                                 data=upload.read(), dry_run=form.cleaned_data["dry_run"])
            return redirect("import-detail", token=job.token)
    return render(request, "imports/import_new.html",
                  {"form": form, "limit_mb": MAX_FILE_BYTES // (1024 * 1024),
                   "kinds": [(spec, spec.column_help()) for spec in specs],
                   # Each kind's help, a line shared by several kinds shown once.
                   "kind_help": list(dict.fromkeys(line for spec in specs for line in spec.help))},
                  status=422 if form.errors else 200)


def _own_job(request: HttpRequest, token: str) -> ImportJob:
    job = ImportJob.objects.filter(token=token, user=signed_in_user(request)).first()
    if job is None:
        raise Http404()
    return job


@_may_import
def import_detail(request: HttpRequest, token: str) -> HttpResponse:
    job = _own_job(request, token)
    template = "imports/_status.html" if request.headers.get("HX-Request") else "imports/import_detail.html"
    spec = next((s for s in registry.import_specs() if s.kind == job.kind), None)
    return render(request, template, {"job": job, "kind_label": spec.display_label if spec else job.kind})


@_may_import
def import_report(request: HttpRequest, token: str) -> StreamingHttpResponse:
    job = _own_job(request, token)
    # Stored encrypted; decrypted as it is sent.
    chunks = jobs.open_report(job)
    if chunks is None:
        raise Http404()
    response = StreamingHttpResponse(
        chunks, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = content_disposition_header(
        True, _("导入报告-%(number)s.xlsx") % {"number": job.pk})
    return response


@_may_import
@require_http_methods(["GET"])
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    """The template workbook of a kind the user may import; any other kind is not found."""
    spec = next((s for s in registry.import_kinds_for(request.user) if s.kind == kind), None)
    if spec is None:
        raise Http404()
    out = io.BytesIO()
    write_template(out, spec)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(
        True, _("%(label)s导入模板.xlsx") % {"label": spec.display_label})
    return response
