"""Pages of the annual needs survey, the skills dictionary, imports and exports."""

from __future__ import annotations

import tempfile
from functools import wraps
from typing import Any, Callable, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.forms import ChoiceField
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods

from canpei.accounts.models import signed_in_user
from canpei.accounts.roles import Perm, has_perm
from canpei.errors import InvalidInput, ServiceError
from canpei.people.surveys import selectors as selectors
from canpei.people.surveys import services as services
from canpei.people.models import Skill
from canpei.people.selectors import person_get, town_choices
from canpei.people.surveys.forms import ImportForm, SkillForm, SurveyForm
from canpei.spreadsheets import jobs, registry
from canpei.spreadsheets.models import ImportJob
from canpei.spreadsheets.reader import MAX_FILE_BYTES
from canpei.web.pages import requires
from canpei.forms import add_service_errors


def _year(request: HttpRequest) -> tuple[int, list[tuple[str, str]]]:
    this_year = timezone.localdate().year
    try:
        return selectors.parse_year(request.GET.get("year"), default=this_year) or this_year, []
    except InvalidInput as exc:
        return this_year, exc.errors


@requires(Perm.PERSON_BROWSE)
def survey_list(request: HttpRequest) -> HttpResponse:
    errors: list[tuple[str, str]] = []
    try:
        year = selectors.parse_year(request.GET.get("year"))
        town = selectors.parse_town(request.GET.get("town"))
    except InvalidInput as exc:
        errors, year, town = exc.errors, None, ""
    qs = selectors.survey_list(user=request.user, year=year, town=town)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    params = {k: v for k, v in request.GET.items() if k in ("year", "town") and v}
    return render(request, "surveys/survey_list.html", {
        "page": page, "year": year, "town": town, "filter_errors": errors,
        "query": urlencode(params),
        "towns": town_choices() if getattr(request.user, "role", "") != "town_staff" else [],
        "can_edit": has_perm(request.user, Perm.SURVEY_EDIT),
        "can_export": has_perm(request.user, Perm.PERSON_EXPORT),
    })


@requires(Perm.PERSON_BROWSE)
def survey_detail(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = selectors.survey_get(user=request.user, survey_id=survey_id)
    return render(request, "surveys/survey_detail.html", {
        "survey": survey, "can_edit": has_perm(request.user, Perm.SURVEY_EDIT)})


def _form_data(form: SurveyForm) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    if data.get("year") is None:
        data.pop("year", None)
    return data




@requires(Perm.SURVEY_EDIT)
@require_http_methods(["GET", "POST"])
def survey_create(request: HttpRequest) -> HttpResponse:
    person = person_get(user=request.user, person_id=request.GET.get("person", ""))
    form = SurveyForm(request.POST or None, initial={
        "year": timezone.localdate().year, "surveyed_on": timezone.localdate().isoformat(),
        "employment_form": person.employment_form, "not_working_reason": person.not_working_reason,
        "new_entrant": person.new_entrant, "registered_unemployed": person.registered_unemployed,
        "entrepreneurship_intention": person.entrepreneurship_intention,
        "surveyor": getattr(request.user, "first_name", "")})
    if request.method == "POST" and form.is_valid():
        try:
            survey = services.survey_create(actor=signed_in_user(request),
                                            data={**_form_data(form), "person": person.pk})
        except ServiceError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "已登记调查")
            return redirect("survey-detail", survey_id=survey.pk)
    return render(request, "surveys/survey_form.html", {"form": form, "person": person, "survey": None},
                  status=422 if form.errors else 200)


@requires(Perm.SURVEY_EDIT)
@require_http_methods(["GET", "POST"])
def survey_edit(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = selectors.survey_get(user=request.user, survey_id=survey_id)
    initial = {f: getattr(survey, f) for f in ("year", "employment_form", "not_working_reason",
                                               "employer", "wants_work", "new_entrant",
                                               "registered_unemployed", "entrepreneurship_intention",
                                               "training_need", "wanted_types", "preferred_mode",
                                               "accessibility_needs", "surveyor")}
    initial["surveyed_on"] = survey.surveyed_on.isoformat()
    chosen = list(survey.wanted_skills.all())
    initial["wanted_skills"] = [s.code for s in chosen]
    # A skill retired since stays offered (and checked), or saving would silently drop it.
    form = SurveyForm(request.POST or None, initial=initial, kept_skills=chosen)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in _form_data(form).items() if k in form.changed_data}
        try:
            services.survey_update(actor=signed_in_user(request), survey=survey, data=data)
        except ServiceError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("survey-detail", survey_id=survey.pk)
    return render(request, "surveys/survey_form.html",
                  {"form": form, "person": survey.person, "survey": survey},
                  status=422 if form.errors else 200)


@requires(Perm.PERSON_BROWSE)
def survey_progress(request: HttpRequest) -> HttpResponse:
    year, errors = _year(request)
    order = request.GET.get("order", "town")
    towns = selectors.survey_progress(user=request.user, year=year, order=order)
    due = sum(t.due for t in towns)
    surveyed = sum(t.surveyed for t in towns)
    town = request.GET.get("town", "")
    missing = None
    # Only a town of the table opens its list: another town's code is as good as an unknown one.
    if town and town not in {t.town for t in towns}:
        try:
            selectors.parse_town(town)
        except InvalidInput as exc:
            errors += exc.errors
        town = ""
    if town:
        try:
            missing = Paginator(selectors.unsurveyed_persons(
                user=request.user, year=year, town=selectors.parse_town(town)), 50
            ).get_page(request.GET.get("page"))
        except InvalidInput as exc:
            errors += exc.errors
    return render(request, "surveys/progress.html", {
        "year": year, "towns": towns, "due": due, "surveyed": surveyed, "order": order,
        "ratio": surveyed / due if due else 0, "town": town, "missing": missing,
        "town_name": next((t.town_name for t in towns if t.town == town), ""),
        "filter_errors": errors, "query": urlencode({"year": year, "town": town}),
    })


@requires(Perm.SKILLS_EDIT)
@require_http_methods(["GET", "POST"])
def skills(request: HttpRequest) -> HttpResponse:
    form = SkillForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # The page edits by code ("填写已有代码即修改该技能"): an existing code is that skill.
        edited = Skill.objects.filter(code=form.cleaned_data["code"].strip()).first()
        try:
            services.skill_save(actor=signed_in_user(request), skill=edited, **form.cleaned_data)
        except ServiceError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "技能目录已保存")
            return redirect("skills")
    return render(request, "surveys/skills.html",
                  {"form": form, "skills": Skill.objects.all()}, status=422 if form.errors else 200)


FILE_TOO_LARGE = "文件超过 {limit} MB 的上限"


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
    specs = registry.import_kinds_for(request.user)
    kinds = [spec.kind for spec in specs]
    wanted = request.GET.get("kind", "")
    form = ImportForm(request.POST or None, request.FILES or None,
                      initial={"kind": wanted if wanted in kinds else kinds[0]})
    # The page offers only the kinds this user may run; another kind posted is an invalid choice.
    cast(ChoiceField, form.fields["kind"]).choices = [(spec.kind, spec.label) for spec in specs]
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            form.add_error("file", FILE_TOO_LARGE.format(limit=MAX_FILE_BYTES // (1024 * 1024)))
        else:
            kind = form.cleaned_data["kind"]
            job = jobs.job_start(actor=signed_in_user(request), kind=kind, filename=upload.name,
                                 data=upload.read(), dry_run=form.cleaned_data["dry_run"])
            return redirect("import-detail", token=job.token)
    return render(request, "imports/import_new.html",
                  {"form": form, "limit_mb": MAX_FILE_BYTES // (1024 * 1024),
                   # Each kind's help, a line shared by several kinds shown once.
                   "kind_help": list(dict.fromkeys(line for spec in specs for line in spec.help))},
                  status=422 if form.errors else 200)


def _own_job(request: HttpRequest, token: str) -> ImportJob:
    job = ImportJob.objects.filter(token=token, user_id=getattr(request.user, "pk", 0)).first()
    if job is None:
        raise Http404()
    return job


@_may_import
def import_detail(request: HttpRequest, token: str) -> HttpResponse:
    job = _own_job(request, token)
    template = "imports/_status.html" if request.headers.get("HX-Request") else "imports/import_detail.html"
    spec = next((s for s in registry.import_specs() if s.kind == job.kind), None)
    return render(request, template, {"job": job, "kind_label": spec.label if spec else job.kind})


@_may_import
def import_report(request: HttpRequest, token: str) -> StreamingHttpResponse:
    job = _own_job(request, token)
    # Stored encrypted; decrypted as it is sent.
    chunks = jobs.open_report(job)
    if chunks is None:
        raise Http404()
    response = StreamingHttpResponse(
        chunks, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = content_disposition_header(True, f"导入报告-{job.pk}.xlsx")
    return response


@login_required
def export(request: HttpRequest, kind: str) -> HttpResponse | FileResponse:
    spec = registry.export_spec(kind)
    if spec is None or not has_perm(request.user, spec.permission):
        raise Http404()
    actor = signed_in_user(request)
    fmt = "csv" if request.GET.get("format") == "csv" else "xlsx"
    # A spooled file: the workbook is written as a stream and sent without holding it in memory.
    spool = tempfile.TemporaryFile()
    try:
        if fmt == "csv":
            import io

            text = io.TextIOWrapper(spool, encoding="utf-8-sig", newline="")
            spec.run(actor=actor, out=text, fmt=fmt, params=request.GET)
            text.flush()
            text.detach()
        else:
            spec.run(actor=actor, out=spool, fmt=fmt, params=request.GET)
    except InvalidInput as exc:
        spool.close()
        messages.error(request, "；".join(m for _f, m in exc.errors) or exc.message)
        return redirect(spec.list_url)
    spool.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return FileResponse(spool, as_attachment=True, filename=f"{spec.label}台账-{stamp}.{fmt}")
