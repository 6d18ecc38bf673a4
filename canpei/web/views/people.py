"""Pages of the persons' roster: list, record, identity reveal, status, lookup by ID number.

Thin like every page: parse the request, call one selector or service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from canpei.reports import matching
from canpei.accounts.models import User, signed_in_user
from canpei.accounts.roles import Perm, Role, has_perm
from canpei.employment.support.selectors import person_timeline
from canpei.errors import InvalidInput, NotFound, ServiceError, Throttled
from canpei.people import rules, selectors, services
from canpei.people.forms import LookupForm, PersonForm, StatusForm
from canpei.people.models import Person
from canpei.people.surveys.selectors import person_surveys
from canpei.training.lookup_limit import lookup_count
from canpei.training.classes.selectors import person_trainings
from canpei.web.pages import (
    edit_view, list_view, on_record, register_page, requires,
)


person_list = list_view(
    Perm.PERSON_BROWSE, "people/person_list.html", selectors.PersonFilters,
    selectors.person_list, towns_hidden_for=Role.TOWN_STAFF, count=selectors.person_count,
    context={"categories": rules.Category.choices, "grades": rules.Grade.choices,
             "employment_forms": rules.EmploymentForm.choices,
             "statuses": rules.PersonStatus.choices},
    perms={"can_create": Perm.PERSON_CREATE})


@requires(Perm.PERSON_BROWSE)
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    user = signed_in_user(request)
    return _person_page(request, selectors.person_get(user=user, person_id=person_id))


@requires(Perm.PERSON_REVEAL)
@require_POST
def person_identity(request: HttpRequest, person_id: int) -> HttpResponse:
    user = signed_in_user(request)
    identity = services.person_reveal_identity(actor=user, person_id=person_id)
    person = selectors.person_get(user=user, person_id=person_id)
    return _person_page(request, person, identity=identity)


def _person_page(request: HttpRequest, person: Person,
                 identity: services.Identity | None = None) -> HttpResponse:
    user = signed_in_user(request)
    age = person.age
    # Read once and shared: the surveys feed the table, the timeline and the fitting classes;
    # the enrolments the trainings table and the timeline.
    surveys = list(person_surveys(person))
    trainings = (list(person_trainings(user=user, person_id=person.pk))
                 if has_perm(user, Perm.CLASS_BROWSE) else None)
    return render(request, "people/person_detail.html", {
        "person": person,
        "age_warning": _("年龄 %(age)s 岁，超过 %(limit)s 岁：请核对身份证号中的出生日期") % {
            "age": age, "limit": rules.PLAUSIBLE_AGE} if rules.age_implausible(age) else "",
        "identity": identity,
        "can_edit": has_perm(user, Perm.PERSON_EDIT),
        "can_reveal": has_perm(user, Perm.PERSON_REVEAL),
        "status_form": StatusForm(initial={"status": person.status}),
        "surveys": surveys,
        "can_survey": has_perm(user, Perm.SURVEY_EDIT),
        "trainings": trainings,
        "can_apply": has_perm(user, Perm.APPLICATION_SUBMIT),
        "can_record_service": has_perm(user, Perm.SERVICE_RECORD),
        "timeline": person_timeline(user=user, person=person, surveys=surveys,
                                    trainings=trainings),
        "fitting_classes": matching.classes_for_person(user=user, person=person, surveys=surveys),
        "can_roster": has_perm(user, Perm.ROSTER_EDIT),
    })




@requires(Perm.PERSON_CREATE)
@require_http_methods(["GET", "POST"])
def person_create(request: HttpRequest) -> HttpResponse:
    return register_page(request, PersonForm, "people/person_form.html", "person",
                         services.person_create, "person-detail", "person_id",
                         label=lambda person: person.name)


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


person_edit = edit_view(
    Perm.PERSON_EDIT, selectors.person_get, "people/person_form.html",
    form=lambda data, person, user: PersonForm(data, user=user, initial=_initial(person)),
    context=lambda person: {"person": person},
    update=lambda user, person, changed: services.person_update(actor=user, person=person,
                                                                data=changed),
    detail="person-detail")


@on_record(Perm.PERSON_EDIT, selectors.person_get)
def person_status(request: HttpRequest, user: User, person: Person) -> HttpResponse:
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.person_change_status(actor=user, person=person,
                                          status=form.cleaned_data["status"],
                                          comment=form.cleaned_data["comment"])
        except ServiceError as exc:
            messages.error(request, "；".join(m for _f, m in exc.errors) or exc.message)
        else:
            messages.success(request, _("状态已变更"))
    else:
        messages.error(request, _("变更状态须选择状态并填写说明"))
    return redirect("person-detail", person_id=person.pk)


@requires(Perm.PERSON_LOOKUP)
@require_http_methods(["GET", "POST"])
def person_lookup(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = LookupForm(request.POST or None)
    found = None
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            # Active persons only, at most CANPEI_LOOKUP_RATE a minute (as the API's lookup).
            lookup_count(user)
            found = services.person_lookup(actor=user, id_number=form.cleaned_data["id_number"])
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
