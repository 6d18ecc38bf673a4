"""Pages of the annual needs survey and the skills dictionary."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from canpei.accounts.models import signed_in_user
from canpei.accounts.roles import Perm, Role, has_perm
from canpei.errors import Conflict, InvalidInput, ServiceError
from canpei.people.models import Skill, Survey
from canpei.people.selectors import person_get
from canpei.people.surveys import selectors as selectors
from canpei.people.surveys import services as services
from canpei.people.surveys.forms import SkillForm, SurveyForm
from canpei.web.charts import Cell, Chart, ChartRow
from canpei.web.pages import record_view, requires, town_options
from canpei.forms import add_service_errors


def _year(request: HttpRequest) -> tuple[int, list[tuple[str, str]]]:
    this_year = timezone.localdate().year
    try:
        return selectors.parse_year(request.GET.get("year"), default=this_year) or this_year, []
    except InvalidInput as exc:
        return this_year, exc.errors


@requires(Perm.PERSON_BROWSE)
def survey_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    errors: list[tuple[str, str]] = []
    # A clerk works on this year's round: the list opens on it; `?year=` (empty) lists every year.
    asked_year = request.GET.get("year", str(timezone.localdate().year))
    try:
        year = selectors.parse_year(asked_year)
        town = selectors.parse_town(request.GET.get("town"))
    except InvalidInput as exc:
        errors, year, town = exc.errors, None, ""
    qs = selectors.survey_list(user=user, year=year, town=town)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    params = {k: v for k, v in {"year": asked_year, "town": request.GET.get("town", "")}.items()
              if v}
    return render(request, "surveys/survey_list.html", {
        "page": page, "year": year, "town": town, "filter_errors": errors,
        "query": urlencode(params),
        "towns": town_options(user, hidden_for=Role.TOWN_STAFF),
        "can_edit": has_perm(user, Perm.SURVEY_EDIT),
        "can_export": has_perm(user, Perm.PERSON_EXPORT),
    })


survey_detail = record_view(Perm.PERSON_BROWSE, selectors.survey_get,
                            "surveys/survey_detail.html", "survey", edit_perm=Perm.SURVEY_EDIT)


def _form_data(form: SurveyForm) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    if data.get("year") is None:
        data.pop("year", None)
    return data




@requires(Perm.SURVEY_EDIT)
@require_http_methods(["GET", "POST"])
def survey_create(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    person = person_get(user=user, person_id=request.GET.get("person", ""))
    form = SurveyForm(request.POST or None, initial={
        "year": timezone.localdate().year, "surveyed_on": timezone.localdate().isoformat(),
        "employment_form": person.employment_form, "not_working_reason": person.not_working_reason,
        "new_entrant": person.new_entrant, "registered_unemployed": person.registered_unemployed,
        "entrepreneurship_intention": person.entrepreneurship_intention,
        "surveyor": user.first_name})
    existing = None
    if request.method == "POST" and form.is_valid():
        try:
            survey = services.survey_create(actor=user,
                                            data={**_form_data(form), "person": person.pk})
        except Conflict as exc:
            add_service_errors(form, exc)
            # The year's survey is already there: offer it instead of a dead end.
            year = form.cleaned_data.get("year") or str(form.cleaned_data.get("surveyed_on"))[:4]
            existing = selectors.survey_list(user=user, year=int(year), person=person.pk
                                             ).first() if str(year).isdigit() else None
        except ServiceError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已登记调查"))
            if "next" in request.POST:
                return _next_unsurveyed(request, survey)
            return redirect("survey-detail", survey_id=survey.pk)
    return render(request, "surveys/survey_form.html",
                  {"form": form, "person": person, "survey": None, "existing": existing},
                  status=422 if form.errors else 200)


def _next_unsurveyed(request: HttpRequest, survey: Survey) -> HttpResponse:
    """"保存并登记下一位": the next person of the same town not yet surveyed in the survey's year
    (after this one in the town's order, else from its start); the progress page once none is left."""
    user = signed_in_user(request)
    due = selectors.unsurveyed_persons(user=user, year=survey.year, town=survey.person.town_id)
    following = due.filter(pk__gt=survey.person_id).first() or due.first()
    if following is None:
        messages.info(request, _("%(year)s 年本镇街的应调查人员已全部调查") % {"year": survey.year})
        return redirect(f"{reverse('survey-progress')}?{urlencode({'year': survey.year})}")
    return redirect(f"{reverse('survey-create')}?{urlencode({'person': following.pk})}")


@requires(Perm.SURVEY_EDIT)
@require_http_methods(["GET", "POST"])
def survey_edit(request: HttpRequest, survey_id: int) -> HttpResponse:
    user = signed_in_user(request)
    survey = selectors.survey_get(user=user, survey_id=survey_id)
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
            services.survey_update(actor=user, survey=survey, data=data)
        except ServiceError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("survey-detail", survey_id=survey.pk)
    return render(request, "surveys/survey_form.html",
                  {"form": form, "person": survey.person, "survey": survey},
                  status=422 if form.errors else 200)


@requires(Perm.PERSON_BROWSE)
def survey_progress(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    year, errors = _year(request)
    order = request.GET.get("order", "town")
    towns = selectors.survey_progress(user=user, year=year, order=order)
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
                user=user, year=year, town=selectors.parse_town(town)), 50
            ).get_page(request.GET.get("page"))
        except InvalidInput as exc:
            errors += exc.errors
    return render(request, "surveys/progress.html", {
        "year": year, "towns": towns, "due": due, "surveyed": surveyed, "order": order,
        "chart": _progress_chart(year, towns, due, surveyed),
        "ratio": surveyed / due if due else 0, "town": town, "missing": missing,
        "town_name": next((t.town_name for t in towns if t.town == town), ""),
        "filter_errors": errors, "query": urlencode({"year": year, "town": town}),
    })


def _progress_chart(year: int, towns: list[selectors.TownProgress], due: int,
                    surveyed: int) -> Chart:
    """Surveyed and not yet surveyed per town, stacked to the town's due; a "not yet" bar opens
    that town's list of the persons not surveyed. Towns with nobody due are left out (the
    progress table below lists them)."""
    percent = round(100 * surveyed / due) if due else 0
    return Chart(
        key="survey-progress", stacked=True,
        title=_("各镇街调查进度图"),
        summary=_("%(year)s 年共应调查 %(due)s 人，已调查 %(surveyed)s 人（%(percent)s %%），"
                  "未调查 %(remaining)s 人；数据见下表，点击未调查人数查看名单。") % {
            "year": year, "due": due, "surveyed": surveyed, "percent": percent,
            "remaining": due - surveyed},
        category=_("镇街"), series=[_("已调查"), _("未调查")],
        rows=[ChartRow(t.town_name, [
            Cell(t.surveyed),
            Cell(t.remaining, url=(f"?{urlencode({'year': year, 'town': t.town})}#missing"
                                   if t.remaining else "")),
        ]) for t in towns if t.due])


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
            messages.success(request, _("技能目录已保存"))
            return redirect("skills")
    return render(request, "surveys/skills.html",
                  {"form": form, "skills": Skill.objects.all()}, status=422 if form.errors else 200)
