"""Pages. Thin: parse the request, call one selector or service, render."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from canpei.accounts.models import User
from canpei.accounts.roles import Perm, has_perm
from canpei.audit.selectors import audit_entries
from canpei.errors import InvalidInput, NotFound, ServiceError, Throttled
from canpei.people import rules, selectors, services
from canpei.people.forms import LookupForm, PersonForm, StatusForm
from canpei.people.models import Person
from canpei.people.survey_selectors import survey_list
from canpei.reports.selectors import dashboard_for
from canpei.training.lookup_limit import lookup_count
from canpei.training.classes.selectors import person_trainings
from canpei.web.pages import (
    edit_page, form_page, list_context, requires, saved, without_nul,
)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]  # login_required: never anonymous
    return render(request, "web/dashboard.html",
                  {"dashboard": dashboard_for(user=user, today=timezone.localdate())})


@requires(Perm.PERSON_BROWSE)
def person_list(request: HttpRequest) -> HttpResponse:
    context = list_context(
        request, selectors.PersonFilters,
        lambda filters: selectors.person_list(user=request.user, filters=filters),
        count=lambda filters: selectors.person_count(user=request.user, filters=filters))
    return render(request, "people/person_list.html", {
        **context,
        "towns": ([] if getattr(request.user, "role", "") == "town_staff"
                  else selectors.town_choices()),
        "categories": rules.Category.choices,
        "grades": rules.Grade.choices,
        "employment_forms": rules.EmploymentForm.choices,
        "statuses": rules.PersonStatus.choices,
        "can_create": has_perm(request.user, Perm.PERSON_CREATE),
        "can_export": has_perm(request.user, Perm.PERSON_EXPORT),
    })


@requires(Perm.PERSON_BROWSE)
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    return _person_page(request, selectors.person_get(user=request.user, person_id=person_id))


@requires(Perm.PERSON_REVEAL)
@require_POST
def person_identity(request: HttpRequest, person_id: int) -> HttpResponse:
    identity = services.person_reveal_identity(actor=request.user, person_id=person_id)
    person = selectors.person_get(user=request.user, person_id=person_id)
    return _person_page(request, person, identity=identity)


def _person_page(request: HttpRequest, person: Person,
                 identity: services.Identity | None = None) -> HttpResponse:
    return render(request, "people/person_detail.html", {
        "person": person,
        "identity": identity,
        "can_edit": has_perm(request.user, Perm.PERSON_EDIT),
        "can_reveal": has_perm(request.user, Perm.PERSON_REVEAL),
        "status_form": StatusForm(initial={"status": person.status}),
        "surveys": survey_list(user=request.user, person=person.pk),
        "can_survey": has_perm(request.user, Perm.SURVEY_EDIT),
        "trainings": (person_trainings(user=request.user, person_id=person.pk)
                      if has_perm(request.user, Perm.CLASS_BROWSE) else None),
        "can_apply": has_perm(request.user, Perm.APPLICATION_SUBMIT),
    })




@requires(Perm.PERSON_CREATE)
@require_http_methods(["GET", "POST"])
def person_create(request: HttpRequest) -> HttpResponse:
    form = PersonForm(request.POST or None, user=request.user)
    return form_page(
        request, form, "people/person_form.html", {"person": None},
        save=lambda: services.person_create(actor=request.user, data=form.service_data()),
        done=lambda person: saved(request, f"已登记：{person.name}", "person-detail",
                                  person_id=person.pk))


def _initial(person: Person) -> dict[str, Any]:
    # The numbers are shown masked, as everywhere else: the full ones only through the audited
    # reveal. A masked value posted back unchanged is not in changed_data, so it is not written;
    # typing a whole new number replaces it.
    return {
        "name": person.name, "id_number": person.id_number_masked,
        "cert_number": person.cert_number_masked,
        "category": person.category, "grade": person.grade, "town": person.town_id,
        "address": person.address, "phone": person.phone, "education": person.education,
        "hardship": person.hardship, "employment_form": person.employment_form,
        "not_working_reason": person.not_working_reason, "new_entrant": person.new_entrant,
        "registered_unemployed": person.registered_unemployed,
        "entrepreneurship_intention": person.entrepreneurship_intention,
    }


@requires(Perm.PERSON_EDIT)
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, person_id: int) -> HttpResponse:
    person = selectors.person_get(user=request.user, person_id=person_id)
    form = PersonForm(request.POST or None, user=request.user, initial=_initial(person))
    return edit_page(
        request, form, "people/person_form.html", {"person": person},
        lambda data: services.person_update(actor=request.user, person=person, data=data),
        "person-detail", person_id=person.pk)


@requires(Perm.PERSON_EDIT)
@require_POST
def person_status(request: HttpRequest, person_id: int) -> HttpResponse:
    person = selectors.person_get(user=request.user, person_id=person_id)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.person_change_status(actor=request.user, person=person,
                                          status=form.cleaned_data["status"],
                                          comment=form.cleaned_data["comment"])
        except ServiceError as exc:
            messages.error(request, "；".join(m for _f, m in exc.errors) or exc.message)
        else:
            messages.success(request, "状态已变更")
    else:
        messages.error(request, "变更状态须选择状态并填写说明")
    return redirect("person-detail", person_id=person.pk)


@requires(Perm.PERSON_LOOKUP)
@require_http_methods(["GET", "POST"])
def person_lookup(request: HttpRequest) -> HttpResponse:
    form = LookupForm(request.POST or None)
    found = None
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            # Active persons only, at most CANPEI_LOOKUP_RATE a minute (as the API's lookup).
            lookup_count(request.user)
            found = services.person_lookup(actor=request.user, id_number=form.cleaned_data["id_number"])
        except Throttled as exc:
            form.add_error("id_number", exc.message)
            status = exc.status
        except InvalidInput as exc:
            for field, message in exc.errors:
                form.add_error(field, message)
        except NotFound as exc:
            form.add_error("id_number", exc.message)
    return render(request, "people/person_lookup.html", {"form": form, "found": found},
                  status=status)


@requires(Perm.AUDIT_READ)
def audit_list(request: HttpRequest) -> HttpResponse:
    clean, _errors = without_nul(request.GET)
    qs = audit_entries(user=request.user, action=clean.get("action", "")[:64],
                       actor=clean.get("actor", "")[:150])
    page = Paginator(qs, 50).get_page(clean.get("page"))
    params = {k: v for k, v in clean.items() if k in ("action", "actor") and v}
    return render(request, "audit/audit_list.html", {"page": page, "query": urlencode(params)})
