"""Individual applications (`applications`) and the staff's online training (`staff-trainings`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

from django.http import HttpRequest
from django.utils.translation import gettext_noop
from ninja import Query, Router, Schema, Status

from canpei.accounts.models import User
from canpei.accounts.roles import Perm
from canpei.api.common import (
    MAX_PAGE_SIZE, ObjectIn, Page, OneOf, PersonRecordOut, Text, WorkflowEventOut, api_user, errors,
    page_of, paginate, patch_of, workflow_event_fields,
)
from canpei.training import rules
from canpei.training.applications import selectors, services
from canpei.training.models import Application, ApplicationEvent, StaffTraining

router = Router(tags=["applications"])
staff_router = Router(tags=["staff-trainings"])

NO_BROWSE = gettext_noop("当前角色不能查看个人申请")
NO_SUBMIT = gettext_noop("个人申请由镇街专干提交")
NO_STAFF_BROWSE = gettext_noop("当前角色不能查看专干远程培训")

# Amounts arrive as JSON numbers or strings ("1200.50"); the service parses and bounds them.
Amount = str | int | float


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


class ApplicationOut(PersonRecordOut):
    kind: str
    institution: int | None
    institution_name: str
    training_type: str
    occupation: str
    level: str
    planned_start: dt.date | None
    planned_end: dt.date | None
    amount_requested: str
    amount_approved: str | None
    reason: str
    state: str
    certificate_type: str
    certificate_level: str
    certificate_number: str
    certificate_date: dt.date | None
    certificate_issuer: str
    amount_reimbursed: str | None
    created_at: dt.datetime
    actions: list[str]


def _requested_application(request: HttpRequest, application_id: int, perm: str | None = None,
                           refusal: str | None = None) -> tuple[User, Application]:
    """The acting user (with `perm`, if given: refused before the application is looked up)
    and the application of the path, within their scope (404 otherwise)."""
    user = api_user(request, perm, refusal)
    return user, selectors.application_get(user=user, application_id=application_id)


def application_out(application: Application, user: User) -> ApplicationOut:
    person = application.person
    return ApplicationOut(
        id=application.pk, person=person.pk, person_name=person.name,
        person_id_number=person.id_number_masked, town=person.town_id,
        town_name=person.town.name, kind=application.kind,
        institution=application.institution_id, institution_name=application.institution_name,
        training_type=application.training_type, occupation=application.occupation,
        level=application.level, planned_start=application.planned_start,
        planned_end=application.planned_end,
        amount_requested=str(application.amount_requested),
        amount_approved=_money(application.amount_approved), reason=application.reason,
        state=application.state, certificate_type=application.certificate_type,
        certificate_level=application.certificate_level,
        certificate_number=application.certificate_number,
        certificate_date=application.certificate_date,
        certificate_issuer=application.certificate_issuer,
        amount_reimbursed=_money(application.amount_reimbursed),
        created_at=application.created_at,
        actions=services.application_actions_available(application, user),
    )


class ApplicationPage(Page[ApplicationOut]):
    pass


class ApplicationIn(ObjectIn):
    model_config = {"json_schema_extra": {"examples": [{  # zh-data: example
        "person": 1, "kind": "self_directed", "institution_name": "泉州市某职业培训学校",
        "training_type": "employment_skills", "occupation": "电子商务师", "level": "junior",
        "planned_start": "2026-03-01", "planned_end": "2026-04-30", "amount_requested": "1500",
        "reason": "自主选择培训机构学习电子商务"}]}}

    person: int
    kind: str
    institution: int | None = None
    institution_name: str = ""
    training_type: str = ""
    occupation: str
    level: str = ""
    planned_start: dt.date | None = None
    planned_end: dt.date | None = None
    amount_requested: Amount = "0"
    reason: str = ""


if TYPE_CHECKING:
    ApplicationPatch = ObjectIn  # what mypy sees: a body, read with .dict()
else:
    # `person` and `state` are refused with a 422 naming them: the applicant is fixed, the state
    # has its own workflow.
    ApplicationPatch = patch_of(ApplicationIn, "ApplicationPatch",
                                refused={"person": int, "state": str})


class ApplicationTransitionIn(ObjectIn):
    model_config = {"json_schema_extra": {"examples": [  # zh-data: example
        {"action": "approve", "comment": "符合自主择校培训补贴条件", "amount_approved": "1200"},
        {"action": "reject", "comment": "该职业不在补贴目录内"},
        {"action": "complete", "certificate_type": "skill_level", "certificate_level": "junior",
         "certificate_number": "S202600012345", "certificate_date": "2026-05-10",
         "certificate_issuer": "泉州市职业技能鉴定指导中心"},
        {"action": "reimburse", "amount_reimbursed": "1200"}]}}

    action: Annotated[str, OneOf(rules.APPLICATION_WORKFLOW.action_values)]
    comment: str = ""
    amount_approved: Amount | None = None
    amount_reimbursed: Amount | None = None
    certificate_type: str | None = None
    certificate_level: str | None = None
    certificate_number: str | None = None
    certificate_date: dt.date | None = None
    certificate_issuer: str | None = None


class ApplicationEventOut(WorkflowEventOut):
    id: int


def event_out(event: ApplicationEvent) -> ApplicationEventOut:
    return ApplicationEventOut(id=event.pk, **workflow_event_fields(event))


class ApplicationEventPage(Page[ApplicationEventOut]):
    pass


PAGE = Query(1, ge=1, le=1_000_000)
PAGE_SIZE = Query(50, ge=1, le=MAX_PAGE_SIZE)


@router.get("", response={200: ApplicationPage, **errors(401, 403, 422)})
def application_list(request: HttpRequest, page: int = PAGE, page_size: int = PAGE_SIZE,
                     state: Text = "", kind: Text = "", town: Text = "",
                     year: Text = "") -> ApplicationPage:
    user = api_user(request, Perm.APPLICATION_BROWSE, NO_BROWSE)
    filters = selectors.ApplicationFilters.from_params(
        {"state": state, "kind": kind, "town": town, "year": year})
    count, rows = paginate(selectors.application_list(user=user, filters=filters), page, page_size)
    return ApplicationPage(count=count, results=[application_out(a, user) for a in rows])


@router.post("", response={201: ApplicationOut, **errors(400, 401, 403, 422)})
def application_create(request: HttpRequest, payload: ApplicationIn) -> Status[ApplicationOut]:
    """Submitted by the town staff for a person of their town (active, with a certificate)."""
    user = api_user(request, Perm.APPLICATION_SUBMIT, NO_SUBMIT)
    data = payload.dict()
    if data.get("institution") is None:
        data.pop("institution")
    application = services.application_create(actor=user, data=data)
    return Status(201, application_out(
        selectors.application_get(user=user, application_id=application.pk), user))


@router.get("/{application_id}", response={200: ApplicationOut, **errors(401, 404, 422)})
def application_detail(request: HttpRequest, application_id: int) -> ApplicationOut:
    user = api_user(request)
    return application_out(selectors.application_get(user=user, application_id=application_id),
                           user)


@router.patch("/{application_id}",
              response={200: ApplicationOut, **errors(400, 401, 403, 404, 409, 422)})
def application_update(request: HttpRequest, application_id: int,
                       payload: ApplicationPatch) -> ApplicationOut:
    """Correct an application while it is still `submitted` (409 once decided)."""
    # The right to edit first: the refusal is the same whether or not the record exists.
    user, application = _requested_application(request, application_id, Perm.APPLICATION_SUBMIT, NO_SUBMIT)
    application = services.application_update(actor=user, application=application,
                                              data=payload.dict(exclude_unset=True))
    return application_out(selectors.application_get(user=user, application_id=application.pk),
                           user)


@router.get("/{application_id}/transitions",
            response={200: ApplicationEventPage, **errors(401, 404, 422)})
def application_history(request: HttpRequest, application_id: int, page: int = PAGE,
                        page_size: int = PAGE_SIZE) -> ApplicationEventPage:
    user, application = _requested_application(request, application_id)
    return page_of(
        ApplicationEventPage, selectors.application_history(user=user, application=application),
        page, page_size, event_out)


@router.post("/{application_id}/transitions",
             response={200: ApplicationOut, **errors(400, 401, 403, 404, 409, 422)})
def application_transition(request: HttpRequest, application_id: int,
                           payload: ApplicationTransitionIn) -> ApplicationOut:
    """Apply one step: `approve` (city; optional `amount_approved`), `reject` (city; `comment`
    required), `complete` (town staff or city; the certificate as proof: `certificate_type`,
    `certificate_number`, `certificate_date`, `certificate_issuer`, optional
    `certificate_level`), `reimburse` (city; `amount_reimbursed`). 409 when the state does not
    allow the step; 403 when the role may not take it."""
    user, application = _requested_application(request, application_id, Perm.APPLICATION_BROWSE, NO_BROWSE)
    data = payload.dict(exclude_unset=True)
    action, comment = data.pop("action"), data.pop("comment", "")
    application = services.application_transition(application=application, actor=user,
                                                  action=action, comment=comment, data=data)
    return application_out(selectors.application_get(user=user, application_id=application.pk),
                           user)


# ---- staff online training ---------------------------------------------------------------------

class StaffTrainingOut(Schema):
    id: int
    town: str
    town_name: str
    staff_name: str
    position: str
    course: str
    year: int
    hours: str
    completed: bool
    completed_on: dt.date | None
    fee_paid: str


def staff_training_out(record: StaffTraining) -> StaffTrainingOut:
    return StaffTrainingOut(id=record.pk, town=record.town_id, town_name=record.town.name,
                            staff_name=record.staff_name, position=record.position,
                            course=record.course, year=record.year, hours=str(record.hours),
                            completed=record.completed, completed_on=record.completed_on,
                            fee_paid=str(record.fee_paid))


class StaffTrainingPage(Page[StaffTrainingOut]):
    pass


class StaffTrainingIn(ObjectIn):
    model_config = {"json_schema_extra": {"examples": [{  # zh-data: example
        "town": "350582101000", "staff_name": "王丽", "position": "liaison",
        "course": "残疾人就业政策与服务实务", "year": 2026, "hours": "24", "completed": True,
        "completed_on": "2026-06-30", "fee_paid": "120"}]}}

    # Town staff may leave it out: their own town is taken.
    town: str = ""
    staff_name: str
    position: str
    course: str
    year: int
    hours: Amount
    completed: bool = False
    completed_on: dt.date | None = None
    fee_paid: Amount = "0"


class StaffTrainingPatch(ObjectIn):
    town: str | None = None
    staff_name: str | None = None
    position: str | None = None
    course: str | None = None
    year: int | None = None
    hours: Amount | None = None
    completed: bool | None = None
    completed_on: dt.date | None = None
    fee_paid: Amount | None = None


@staff_router.get("", response={200: StaffTrainingPage, **errors(401, 403, 422)})
def staff_training_list(request: HttpRequest, page: int = PAGE, page_size: int = PAGE_SIZE,
                        town: Text = "", year: Text = "") -> StaffTrainingPage:
    user = api_user(request, Perm.STAFF_TRAINING_BROWSE, NO_STAFF_BROWSE)
    filters = selectors.StaffTrainingFilters.from_params({"town": town, "year": year})
    return page_of(
        StaffTrainingPage, selectors.staff_training_list(user=user, filters=filters),
        page, page_size, staff_training_out)


@staff_router.post("", response={201: StaffTrainingOut, **errors(400, 401, 403, 422)})
def staff_training_create(request: HttpRequest,
                          payload: StaffTrainingIn) -> Status[StaffTrainingOut]:
    user = api_user(request, Perm.STAFF_TRAINING_EDIT)
    record = services.staff_training_create(actor=user, data=payload.dict())
    return Status(201, staff_training_out(selectors.staff_training_get(user=user,
                                                                       record_id=record.pk)))


@staff_router.get("/{record_id}", response={200: StaffTrainingOut, **errors(401, 404, 422)})
def staff_training_detail(request: HttpRequest, record_id: int) -> StaffTrainingOut:
    return staff_training_out(selectors.staff_training_get(user=api_user(request),
                                                           record_id=record_id))


@staff_router.patch("/{record_id}",
                    response={200: StaffTrainingOut, **errors(400, 401, 403, 404, 422)})
def staff_training_update(request: HttpRequest, record_id: int,
                          payload: StaffTrainingPatch) -> StaffTrainingOut:
    user = api_user(request, Perm.STAFF_TRAINING_EDIT)
    record = selectors.staff_training_get(user=user, record_id=record_id)
    record = services.staff_training_update(actor=user, record=record,
                                            data=payload.dict(exclude_unset=True))
    return staff_training_out(selectors.staff_training_get(user=user, record_id=record.pk))
