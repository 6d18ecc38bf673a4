"""Employment services given to persons (`employment-services`)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.utils.translation import gettext, gettext_noop
from ninja import Query, Router, Status

from canpei.accounts.roles import Perm, has_perm
from canpei.api.common import (
    MAX_PAGE_SIZE, ObjectIn, Page, PersonRecordOut, Text, api_user, errors, paginate, patch_of,
)
from canpei.employment.models import EmploymentService
from canpei.employment.support import selectors, services
from canpei.errors import Forbidden

router = Router(tags=["employment-services"])

NO_BROWSE = gettext_noop("当前角色不能查看就业服务")

# Dates arrive as text and are read by the service, which names the field of a bad one.
DateText = str | dt.date


class ServiceOut(PersonRecordOut):
    kind: str
    date: dt.date
    content: str
    employer: str
    position: str
    result: str
    provider: str


def service_out(service: EmploymentService) -> ServiceOut:
    person = service.person
    return ServiceOut(
        id=service.pk, person=person.pk, person_name=person.name,
        person_id_number=person.id_number_masked, town=service.town_id,
        town_name=service.town.name, kind=service.kind, date=service.date,
        content=service.content, employer=service.employer, position=service.position,
        result=service.result, provider=service.provider)


class ServicePage(Page[ServiceOut]):
    pass


class ServiceIn(ObjectIn):
    model_config = {"json_schema_extra": {"examples": [  # zh-data: example
        {"person": 1, "kind": "job_referral", "date": "2026-03-02", "content": "推荐面试",
         "employer": "晋江恒安集团", "position": "包装工", "result": "pending",
         "provider": "王指导员"},
        {"person": 1, "kind": "policy_consultation", "date": "2026-03-02",
         "content": "讲解残疾人就业补贴政策"}]}}

    # Each may be left out: the service then names it with its own message.
    person: int | None = None
    kind: str = ""
    date: DateText = ""
    content: str = ""
    employer: str = ""
    position: str = ""
    result: str = ""
    provider: str = ""


if TYPE_CHECKING:
    ServicePatch = ObjectIn  # what mypy sees: a body, read with .dict()
else:
    # `person` is refused with a 422 naming it: the person of a service is fixed.
    ServicePatch = patch_of(ServiceIn, "ServicePatch", refused={"person": int})


def _browse(request: HttpRequest) -> None:
    if not has_perm(api_user(request), Perm.SERVICE_BROWSE):
        raise Forbidden(gettext(NO_BROWSE))


@router.get("", response={200: ServicePage, **errors(401, 403, 422)})
def service_list(request: HttpRequest, page: int = Query(1, ge=1, le=1_000_000),
                 page_size: int = Query(50, ge=1, le=MAX_PAGE_SIZE), town: Text = "",
                 kind: Text = "", result: Text = "", year: Text = "", date_from: Text = "",
                 date_to: Text = "", person: Text = "", q: Text = "") -> ServicePage:
    """Newest first. Filters: `town`, `kind`, `result`, `year`, `date_from`/`date_to` (both
    included), `person` (id), `q` (the person's name, pinyin, initials or ID tail)."""
    _browse(request)
    filters = selectors.ServiceFilters.from_params({
        "town": town, "kind": kind, "result": result, "year": year, "date_from": date_from,
        "date_to": date_to, "person": person, "q": q})
    count, rows = paginate(selectors.service_list(user=api_user(request), filters=filters), page,
                           page_size)
    return ServicePage(count=count, results=[service_out(s) for s in rows])


@router.post("", response={201: ServiceOut, **errors(400, 401, 403, 422)})
def service_create(request: HttpRequest, payload: ServiceIn) -> Status[ServiceOut]:
    """Town staff for a person of their town; the employment service centre and the city for
    anyone in the city. A job referral needs `employer`, `position` and `result` (`hired`,
    `not_hired`, `pending`); the other kinds leave them empty."""
    user = api_user(request)
    if not has_perm(user, Perm.SERVICE_RECORD):
        raise Forbidden(services.NO_RECORD)
    service = services.service_create(actor=user, data=payload.dict())
    return Status(201, service_out(selectors.service_get(user=user, service_id=service.pk)))


@router.get("/{service_id}", response={200: ServiceOut, **errors(401, 404, 422)})
def service_detail(request: HttpRequest, service_id: int) -> ServiceOut:
    return service_out(selectors.service_get(user=api_user(request), service_id=service_id))


@router.patch("/{service_id}", response={200: ServiceOut, **errors(400, 401, 403, 404, 422)})
def service_update(request: HttpRequest, service_id: int, payload: ServicePatch) -> ServiceOut:
    user = api_user(request)
    # The right to record first: the refusal is the same whether or not the record exists.
    if not has_perm(user, Perm.SERVICE_RECORD):
        raise Forbidden(services.NO_RECORD)
    service = selectors.service_get(user=user, service_id=service_id)
    service = services.service_update(actor=user, service=service,
                                      data=payload.dict(exclude_unset=True))
    return service_out(selectors.service_get(user=user, service_id=service.pk))
