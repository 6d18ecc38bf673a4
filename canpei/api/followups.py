"""/api/v1/followups: follow-ups of completers at 3 and 6 months (就业跟踪)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import create_model

from canpei.accounts.roles import Perm, has_perm
from canpei.api.common import MAX_PAGE_SIZE, ObjectIn, Page, Text, api_user, errors, page_of
from canpei.employment.followups import selectors, services
from canpei.employment.models import FollowUp
from canpei.errors import Forbidden

router = Router(tags=["followups"])


class FollowUpOut(Schema):
    id: int
    person: int
    person_name: str
    id_number: str
    town: str
    enrollment: int | None
    application: int | None
    months: int
    ended_on: dt.date
    due_on: dt.date
    status: str
    date: dt.date | None
    method: str
    employed: bool | None
    employment_form: str
    employer: str
    position: str
    contract_signed: bool | None
    social_insurance: bool | None
    monthly_income: str | None
    business_started: bool | None
    not_working_reason: str
    note: str


def followup_out(f: FollowUp) -> FollowUpOut:
    from django.utils import timezone

    return FollowUpOut(
        id=f.pk, person=f.person_id, person_name=f.person.name,
        id_number=f.person.id_number_masked, town=f.town_id, enrollment=f.enrollment_id,
        application=f.application_id, months=f.months, ended_on=f.ended_on, due_on=f.due_on,
        status=selectors.followup_status(f, timezone.localdate()), date=f.date, method=f.method,
        employed=f.employed, employment_form=f.employment_form, employer=f.employer,
        position=f.position, contract_signed=f.contract_signed,
        social_insurance=f.social_insurance,
        monthly_income=None if f.monthly_income is None else str(f.monthly_income),
        business_started=f.business_started, not_working_reason=f.not_working_reason,
        note=f.note)


class FollowUpPage(Page[FollowUpOut]):
    pass


# Values are taken as sent (text, numbers, booleans) and judged by the service, which names the
# field of each refusal in Chinese; the schema only shapes the body: the fields the service
# records, each optional.
if TYPE_CHECKING:
    FollowUpRecord = ObjectIn
else:
    FollowUpRecord = create_model("FollowUpRecord", __base__=ObjectIn,
                                  **dict.fromkeys(services.RECORD_FIELDS, (Any, None)))


class FollowUpIn(FollowUpRecord):
    enrollment: Any = None
    application: Any = None
    months: Any = None


@router.get("", response={200: FollowUpPage, **errors(401, 403, 422)})
def followup_list(request: HttpRequest, page: int = Query(1, ge=1, le=1_000_000),
                  page_size: int = Query(50, ge=1, le=MAX_PAGE_SIZE), town: Text = "",
                  status: Text = "", months: Text = "", year: Text = "",
                  outcome: Text = "") -> FollowUpPage:
    user = api_user(request, Perm.FOLLOWUP_BROWSE)
    filters = selectors.FollowUpFilters.from_params(
        {"town": town, "status": status, "months": months, "year": year, "outcome": outcome})
    return page_of(
        FollowUpPage, selectors.followup_list(user=user, filters=filters),
        page, page_size, followup_out)


def _given(payload: ObjectIn) -> dict[str, Any]:
    return payload.dict(exclude_unset=True)


@router.post("", response={201: FollowUpOut, **errors(400, 401, 403, 409, 422)})
def followup_create(request: HttpRequest, payload: FollowUpIn) -> Status[FollowUpOut]:
    user = api_user(request)
    saved = services.followup_create(actor=user, data=_given(payload))
    return Status(201, followup_out(selectors.followup_get(user=user, followup_id=saved.pk)))


@router.get("/{followup_id}", response={200: FollowUpOut, **errors(401, 404, 422)})
def followup_detail(request: HttpRequest, followup_id: int) -> FollowUpOut:
    return followup_out(selectors.followup_get(user=api_user(request), followup_id=followup_id))


@router.patch("/{followup_id}", response={200: FollowUpOut, **errors(400, 401, 403, 404, 409, 422)})
def followup_update(request: HttpRequest, followup_id: int,
                    payload: FollowUpRecord) -> FollowUpOut:
    user = api_user(request)
    followup = selectors.followup_get(user=user, followup_id=followup_id)
    if not has_perm(user, Perm.FOLLOWUP_RECORD):
        raise Forbidden()
    services.followup_record(actor=user, followup=followup, data=_given(payload))
    return followup_out(selectors.followup_get(user=user, followup_id=followup_id))
