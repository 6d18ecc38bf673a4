from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext_noop
from ninja import Query, Router, Schema, Status

from canpei.accounts.models import User
from canpei.accounts.roles import Perm
from canpei.api.common import (
    MAX_PAGE_SIZE, ObjectIn, Page, OneOf, Text, WorkflowEventOut, api_user, errors, page_of,
    workflow_event_fields,
)
from canpei.institutions import rules, selectors, services
from canpei.institutions.models import DesignationEvent, Institution, Teacher

router = Router(tags=["institutions"])

NO_BROWSE = gettext_noop("当前角色不能查看培训机构")


class InstitutionOut(Schema):
    id: int
    name: str
    credit_code: str
    type: str
    town: str
    town_name: str
    address: str
    license_number: str
    specialties: str
    accessibility: list[str]
    contact_person: str
    phone: str
    state: str
    designated_from: dt.date | None
    designated_to: dt.date | None
    designation_valid: bool


def _requested_institution(request: HttpRequest, institution_id: int,
                           perm: str | None = None) -> tuple[User, Institution]:
    """The acting user (with `perm`, if given: refused before the institution is looked up) and
    the institution of the path, within their scope (404 otherwise)."""
    user = api_user(request, perm)
    return user, selectors.institution_get(user=user, institution_id=institution_id)


def institution_out(institution: Institution) -> InstitutionOut:
    return InstitutionOut(
        id=institution.pk, name=institution.name, credit_code=institution.credit_code,
        type=institution.type, town=institution.town_id, town_name=institution.town.name,
        address=institution.address, license_number=institution.license_number,
        specialties=institution.specialties, accessibility=list(institution.accessibility or []),
        contact_person=institution.contact_person, phone=institution.phone,
        state=institution.state, designated_from=institution.designated_from,
        designated_to=institution.designated_to,
        designation_valid=institution.designation_valid_today,
    )


class InstitutionPage(Page[InstitutionOut]):
    pass


class InstitutionIn(ObjectIn):
    model_config = {"json_schema_extra": {"examples": [{  # zh-data: example
        "name": "晋江市残疾人职业技能培训中心", "credit_code": "91350582MA2XXXXX0U",
        "type": "private", "town": "350582101000", "address": "晋江市安海镇安平路 8 号",
        "license_number": "135058270000123", "specialties": "盲人保健按摩、电子商务",
        "accessibility": ["step_free", "accessible_toilet"], "contact_person": "林老师",
        "phone": "0595-85123456"}]}}

    name: str
    credit_code: str
    type: str
    town: str
    address: str = ""
    license_number: str = ""
    specialties: str = ""
    accessibility: list[str] = []
    contact_person: str = ""
    phone: str = ""


class InstitutionPatch(ObjectIn):
    name: str | None = None
    credit_code: str | None = None
    type: str | None = None
    town: str | None = None
    address: str | None = None
    license_number: str | None = None
    specialties: str | None = None
    accessibility: list[str] | None = None
    contact_person: str | None = None
    phone: str | None = None
    # Refused with a 422 that points to /transitions: the designation has its own lifecycle.
    state: str | None = None
    designated_from: str | None = None
    designated_to: str | None = None


class TransitionIn(ObjectIn):
    model_config = {"json_schema_extra": {"examples": [  # zh-data: example
        {"action": "designate", "comment": "2026 年度定点认定", "designated_from": "2026-01-01",
         "designated_to": "2028-12-31"},
        {"action": "suspend", "comment": "过程检查发现出勤造假，暂停整改"}]}}

    action: Annotated[str, OneOf(rules.DESIGNATION_WORKFLOW.action_values)]
    comment: str = ""
    designated_from: dt.date | None = None
    designated_to: dt.date | None = None


class EventOut(WorkflowEventOut):
    id: int
    designated_from: dt.date | None
    designated_to: dt.date | None


def event_out(event: DesignationEvent) -> EventOut:
    return EventOut(id=event.pk, designated_from=event.designated_from,
                    designated_to=event.designated_to, **workflow_event_fields(event))


class EventPage(Page[EventOut]):
    pass


class TeacherOut(Schema):
    id: int
    institution: int
    name: str
    specialty: str
    qualification: str
    active: bool


def teacher_out(teacher: Teacher) -> TeacherOut:
    return TeacherOut(id=teacher.pk, institution=teacher.institution_id, name=teacher.name,
                      specialty=teacher.specialty, qualification=teacher.qualification,
                      active=teacher.active)


class TeacherPage(Page[TeacherOut]):
    pass


class TeacherIn(ObjectIn):
    model_config = {"json_schema_extra": {"examples": [{  # zh-data: example
        "name": "许秀英", "specialty": "盲人保健按摩", "qualification": "高级保健按摩师"}]}}

    name: str
    specialty: str = ""
    qualification: str = ""


class TeacherPatch(ObjectIn):
    name: str | None = None
    specialty: str | None = None
    qualification: str | None = None
    active: bool | None = None


PAGE = Query(1, ge=1, le=1_000_000)
PAGE_SIZE = Query(50, ge=1, le=MAX_PAGE_SIZE)


@router.get("", response={200: InstitutionPage, **errors(401, 403, 422)})
def institution_list(request: HttpRequest, page: int = PAGE, page_size: int = PAGE_SIZE,
                     town: Text = "", state: Text = "", type: Text = "",
                     q: Text = "") -> InstitutionPage:
    user = api_user(request, Perm.INSTITUTION_BROWSE, NO_BROWSE)
    filters = selectors.InstitutionFilters.from_params(
        {"town": town, "state": state, "type": type, "q": q})
    return page_of(
        InstitutionPage, selectors.institution_list(user=user, filters=filters),
        page, page_size, institution_out)


@router.post("", response={201: InstitutionOut, **errors(400, 401, 403, 409, 422)})
def institution_create(request: HttpRequest, payload: InstitutionIn) -> Status[InstitutionOut]:
    user = api_user(request)
    institution = services.institution_create(actor=user, data=payload.dict())
    return Status(201, institution_out(selectors.institution_get(user=user, institution_id=institution.pk)))


@router.get("/{institution_id}", response={200: InstitutionOut, **errors(401, 404, 422)})
def institution_detail(request: HttpRequest, institution_id: int) -> InstitutionOut:
    return institution_out(selectors.institution_get(user=api_user(request),
                                                     institution_id=institution_id))


@router.patch("/{institution_id}",
              response={200: InstitutionOut, **errors(400, 401, 403, 404, 409, 422)})
def institution_update(request: HttpRequest, institution_id: int,
                       payload: InstitutionPatch) -> InstitutionOut:
    # The right to edit first: the refusal is the same whether or not the record exists.
    user, institution = _requested_institution(request, institution_id, Perm.INSTITUTION_EDIT)
    data: dict[str, Any] = payload.dict(exclude_unset=True)
    institution = services.institution_update(actor=user, institution=institution, data=data)
    return institution_out(selectors.institution_get(user=user, institution_id=institution.pk))


@router.get("/{institution_id}/transitions", response={200: EventPage, **errors(401, 404, 422)})
def institution_history(request: HttpRequest, institution_id: int, page: int = PAGE,
                        page_size: int = PAGE_SIZE) -> EventPage:
    user, institution = _requested_institution(request, institution_id)
    return page_of(
        EventPage, selectors.designation_history(user=user, institution=institution),
        page, page_size, event_out)


@router.post("/{institution_id}/transitions",
             response={200: InstitutionOut, **errors(400, 401, 403, 404, 409, 422)})
def institution_transition(request: HttpRequest, institution_id: int,
                           payload: TransitionIn) -> InstitutionOut:
    """Apply one step of the designation lifecycle. 409 when the current state does not allow it."""
    user, institution = _requested_institution(request, institution_id, Perm.INSTITUTION_DESIGNATE)
    institution = services.institution_transition(
        institution=institution, actor=user, action=payload.action, comment=payload.comment,
        designated_from=payload.designated_from, designated_to=payload.designated_to)
    return institution_out(selectors.institution_get(user=user, institution_id=institution.pk))


@router.get("/{institution_id}/teachers", response={200: TeacherPage, **errors(401, 404, 422)})
def teacher_list(request: HttpRequest, institution_id: int, page: int = PAGE,
                 page_size: int = PAGE_SIZE) -> TeacherPage:
    user, institution = _requested_institution(request, institution_id)
    return page_of(
        TeacherPage, selectors.teacher_list(user=user, institution=institution),
        page, page_size, teacher_out)


@router.post("/{institution_id}/teachers",
             response={201: TeacherOut, **errors(400, 401, 403, 404, 422)})
def teacher_add(request: HttpRequest, institution_id: int,
                payload: TeacherIn) -> Status[TeacherOut]:
    user, institution = _requested_institution(request, institution_id, Perm.INSTITUTION_EDIT)
    teacher = services.teacher_add(actor=user, institution=institution, data=payload.dict())
    return Status(201, teacher_out(teacher))


@router.patch("/{institution_id}/teachers/{teacher_id}",
              response={200: TeacherOut, **errors(400, 401, 403, 404, 422)})
def teacher_update(request: HttpRequest, institution_id: int, teacher_id: int,
                   payload: TeacherPatch) -> TeacherOut:
    user, institution = _requested_institution(request, institution_id, Perm.INSTITUTION_EDIT)
    teacher = selectors.teacher_get(user=user, institution=institution, teacher_id=teacher_id)
    teacher = services.teacher_update(actor=user, teacher=teacher,
                                      data=payload.dict(exclude_unset=True))
    return teacher_out(teacher)
