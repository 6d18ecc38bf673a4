"""Plans (计划): a name and a period; the three targets are computed for it (reports/targets)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from canpei.api.common import MAX_PAGE_SIZE, ObjectIn, Page, api_user, errors, page_of
from canpei.reports import plans as plans
from canpei.reports.models import Plan

router = Router(tags=["plans"])


class PlanOut(Schema):
    id: int
    name: str
    period_start: dt.date
    period_end: dt.date
    document: str


class PlanPage(Page[PlanOut]):
    pass


class PlanIn(ObjectIn):
    name: str
    period_start: dt.date
    period_end: dt.date
    document: str = ""


class PlanPatch(ObjectIn):
    name: str | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    document: str | None = None


def plan_out(plan: Plan) -> PlanOut:
    return PlanOut(id=plan.pk, name=plan.name, period_start=plan.period_start,
                   period_end=plan.period_end, document=plan.document)


@router.get("", response={200: PlanPage, **errors(401, 403, 422)})
def plan_list(request: HttpRequest, page: int = Query(1, ge=1, le=1_000_000),
              page_size: int = Query(50, ge=1, le=MAX_PAGE_SIZE)) -> PlanPage:
    return page_of(PlanPage, plans.plan_list(user=api_user(request)), page, page_size, plan_out)


@router.post("", response={201: PlanOut, **errors(400, 401, 403, 422)})
def plan_create(request: HttpRequest, payload: PlanIn) -> Status[PlanOut]:
    plan = plans.plan_create(actor=api_user(request), data=payload.dict())
    return Status(201, plan_out(plan))


@router.get("/{plan_id}", response={200: PlanOut, **errors(401, 404, 422)})
def plan_detail(request: HttpRequest, plan_id: int) -> PlanOut:
    return plan_out(plans.plan_get(user=api_user(request), plan_id=plan_id))


@router.patch("/{plan_id}", response={200: PlanOut, **errors(400, 401, 403, 404, 422)})
def plan_update(request: HttpRequest, plan_id: int, payload: PlanPatch) -> PlanOut:
    user = api_user(request)
    plan = plans.plan_get(user=user, plan_id=plan_id)
    return plan_out(plans.plan_update(actor=user, plan=plan,
                                      data=payload.dict(exclude_unset=True)))
