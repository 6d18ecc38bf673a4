"""Pages of the staff's online training (专干远程培训): list, form and record."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from canpei.accounts.models import signed_in_user
from canpei.accounts.roles import Perm, Role
from canpei.training.applications import selectors, services
from canpei.training.applications.forms import StaffTrainingForm
from canpei.training.models import StaffTraining
from canpei.web.pages import (
    edit_page, list_view, record_view, register_page, requires,
)


staff_training_list = list_view(
    Perm.STAFF_TRAINING_BROWSE, "applications/staff_training_list.html",
    selectors.StaffTrainingFilters, selectors.staff_training_list,
    towns_hidden_for=Role.TOWN_STAFF, exported=True,
    perms={"can_edit": Perm.STAFF_TRAINING_EDIT})


@requires(Perm.STAFF_TRAINING_EDIT)
@require_http_methods(["GET", "POST"])
def staff_training_create(request: HttpRequest) -> HttpResponse:
    return register_page(request, StaffTrainingForm, "applications/staff_training_form.html",
                         "record", services.staff_training_create, "staff-training-detail",
                         "record_id", label=lambda record: record.staff_name,
                         initial={"year": timezone.localdate().year, "fee_paid": "0"})


staff_training_detail = record_view(
    Perm.STAFF_TRAINING_BROWSE, selectors.staff_training_get,
    "applications/staff_training_detail.html", "record", edit_perm=Perm.STAFF_TRAINING_EDIT)


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
