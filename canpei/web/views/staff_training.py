"""Pages of the staff's online training (专干远程培训): list, form and record."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from canpei.accounts.models import signed_in_user
from canpei.accounts.roles import Perm, Role, has_perm
from canpei.training.applications import selectors, services
from canpei.training.applications.forms import StaffTrainingForm
from canpei.training.models import StaffTraining
from canpei.web.pages import (
    create_page, edit_page, list_context, requires, town_options,
)


@requires(Perm.STAFF_TRAINING_BROWSE)
def staff_training_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    context = list_context(
        request, selectors.StaffTrainingFilters,
        lambda filters: selectors.staff_training_list(user=user, filters=filters))
    return render(request, "applications/staff_training_list.html", {
        **context, "export_query": urlencode(context["filters"].as_params()),
        "towns": town_options(user, hidden_for=Role.TOWN_STAFF),
        "can_edit": has_perm(user, Perm.STAFF_TRAINING_EDIT),
        "can_export": has_perm(user, Perm.PERSON_EXPORT),
    })


@requires(Perm.STAFF_TRAINING_EDIT)
@require_http_methods(["GET", "POST"])
def staff_training_create(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = StaffTrainingForm(request.POST or None, user=user,
                             initial={"year": timezone.localdate().year, "fee_paid": "0"})
    return create_page(
        request, form, "applications/staff_training_form.html", {"record": None},
        lambda data: services.staff_training_create(actor=user, data=data),
        lambda record: f"已登记：{record.staff_name}", "staff-training-detail", "record_id")


@requires(Perm.STAFF_TRAINING_BROWSE)
def staff_training_detail(request: HttpRequest, record_id: int) -> HttpResponse:
    user = signed_in_user(request)
    record = selectors.staff_training_get(user=user, record_id=record_id)
    return render(request, "applications/staff_training_detail.html", {
        "record": record, "can_edit": has_perm(user, Perm.STAFF_TRAINING_EDIT)})


def _staff_initial(record: StaffTraining) -> dict[str, Any]:
    return {"town": record.town_id, "staff_name": record.staff_name, "position": record.position,
            "course": record.course, "year": str(record.year), "hours": str(record.hours),
            "completed": record.completed,
            "completed_on": record.completed_on.isoformat() if record.completed_on else "",
            "fee_paid": str(record.fee_paid)}


@requires(Perm.STAFF_TRAINING_EDIT)
@require_http_methods(["GET", "POST"])
def staff_training_edit(request: HttpRequest, record_id: int) -> HttpResponse:
    user = signed_in_user(request)
    record = selectors.staff_training_get(user=user, record_id=record_id)
    form = StaffTrainingForm(request.POST or None, user=user,
                             initial=_staff_initial(record))
    return edit_page(
        request, form, "applications/staff_training_form.html", {"record": record},
        lambda data: services.staff_training_update(actor=user, record=record, data=data),
        "staff-training-detail", record_id=record.pk)
