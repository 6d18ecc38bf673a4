"""Training classes over the API: the class record, its lifecycle, roster, register and
inspections. Routes only parse, call one selector or service, and shape the answer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from django.db.models import QuerySet, prefetch_related_objects
from django.http import HttpRequest
from django.utils.translation import gettext_noop
from ninja import Field, Query, Router, Schema, Status

from canpei.accounts.models import User
from canpei.accounts.roles import Perm, has_perm
from canpei.api.common import (
    MAX_PAGE_SIZE, ObjectIn, Page, OneOf, PlainOut, Text, WorkflowEventOut, api_user, errors, page_of, paginate,
    workflow_event_fields,
)
from canpei.codes import TrainingLevel, TrainingMode, TrainingType
from canpei.errors import Forbidden
from canpei.training import rules
from canpei.training.classes import checks, selectors, services
from canpei.training.lookup_limit import enrolment_lookup_count
from canpei.training.models import (
    AppraisalResult, CertificateType, ClassEvent, ClassSession, Enrollment, EnrollmentStatus,
    Inspection, TrainingClass,
)

router = Router(tags=["classes"])
enrollment_router = Router(tags=["classes"])

NO_BROWSE = gettext_noop("当前角色不能查看培训班")


def _codes(values: list[str], *, blank: bool = False) -> Any:
    """A code field's schema: the document lists the codes, the service checks them, so a wrong
    one is refused with the rule's own message naming the field (not a generic type error)."""
    codes: list[Any] = values + ([""] if blank else [])
    return Field(json_schema_extra={"enum": codes})


TypeCode = Annotated[str, _codes(TrainingType.values)]
ModeCode = Annotated[str, _codes(TrainingMode.values)]
LevelCode = Annotated[str, _codes(TrainingLevel.values)]
StatusCode = Annotated[str, _codes(EnrollmentStatus.values)]
AppraisalCode = Annotated[str, _codes(AppraisalResult.values, blank=True)]
CertificateTypeCode = Annotated[str, _codes(CertificateType.values, blank=True)]
CertificateLevelCode = Annotated[str, _codes(TrainingLevel.values, blank=True)]

PAGE = Query(1, ge=1, le=1_000_000)
PAGE_SIZE = Query(50, ge=1, le=MAX_PAGE_SIZE)


# ---- the class ---------------------------------------------------------------------------------

class ClassOut(PlainOut):
    id: int
    code: str
    name: str
    institution: int
    institution_name: str
    training_type: str
    mode: str
    occupation: str
    skill: str | None
    industry: str
    level: str
    cycle: str
    appraisal: bool
    filing_number: str
    start_date: dt.date
    end_date: dt.date
    hours: int
    capacity: int
    venue: str
    teachers: list[int]
    subsidy_standard: str
    free_for_hardship: bool
    folk_craft: bool
    high_skill: bool
    young_adult_focus: bool
    state: str
    trainee_count: int
    # The lifecycle steps the caller's role may take from the current state.
    actions: list[str]


def class_out(training_class: TrainingClass, user: User) -> ClassOut:
    """`training_class` comes from a selector (trainee_count annotated); skill and teachers are
    read from the prefetch cache when the caller filled it."""
    return ClassOut(
        id=training_class.pk, code=training_class.code, name=training_class.name,
        institution=training_class.institution_id,
        institution_name=training_class.institution.name,
        training_type=training_class.training_type, mode=training_class.mode,
        occupation=training_class.occupation,
        skill=training_class.skill.code if training_class.skill is not None else None,
        industry=training_class.industry, level=training_class.level,
        cycle=training_class.cycle, appraisal=training_class.appraisal,
        filing_number=training_class.filing_number, start_date=training_class.start_date,
        end_date=training_class.end_date, hours=training_class.hours,
        capacity=training_class.capacity, venue=training_class.venue,
        teachers=sorted(t.pk for t in training_class.teachers.all()),
        subsidy_standard=str(training_class.subsidy_standard),
        free_for_hardship=training_class.free_for_hardship,
        folk_craft=training_class.folk_craft, high_skill=training_class.high_skill,
        young_adult_focus=training_class.young_adult_focus, state=training_class.state,
        trainee_count=getattr(training_class, "trainee_count", 0),
        actions=services.class_actions_available(training_class, user),
    )


PageT = TypeVar("PageT")


def _requested_class(request: HttpRequest, class_id: int,
                     perm: str | None = None) -> tuple[User, TrainingClass]:
    """The acting user (with `perm`, if given: refused before the class is looked up) and the
    class of the path, within their scope (404 otherwise)."""
    user = api_user(request, perm)
    return user, selectors.class_get(user=user, class_id=class_id)


def _class_rows(request: HttpRequest, class_id: int, page: int, page_size: int,
                page_class: Callable[..., PageT], rows: Callable[..., QuerySet[Any]],
                out: Callable[[Any], Any]) -> PageT:
    """A page of one of the class's lists (`rows(user=, training_class=)`), each row through
    `out`."""
    user, training_class = _requested_class(request, class_id)
    return page_of(page_class, rows(user=user, training_class=training_class), page, page_size,
                   out)


def _class_answer(user: User, class_id: int) -> ClassOut:
    training_class = selectors.class_get(user=user, class_id=class_id)
    prefetch_related_objects([training_class], "teachers")
    return class_out(training_class, user)


class ClassPage(Page[ClassOut]):
    pass


class ClassIn(ObjectIn):
    model_config = {"json_schema_extra": {"examples": [{  # zh-data: example
        "name": "2026 年盲人保健按摩初级班", "training_type": "employment_skills",
        "mode": "centralized", "occupation": "保健按摩师", "skill": "blind_massage",
        "industry": "居民服务业", "level": "junior", "appraisal": True,
        "start_date": "2026-03-02", "end_date": "2026-04-30", "hours": 120, "capacity": 30,
        "venue": "晋江市残疾人职业技能培训中心 2 号教室", "subsidy_standard": "1500",
        "free_for_hardship": True}]}}

    name: str
    # Institution staff leave it out: their class is always their own institution's.
    institution: int | None = None
    training_type: TypeCode
    mode: ModeCode
    occupation: str
    skill: str | None = None
    industry: str = ""
    level: LevelCode
    appraisal: bool = False
    filing_number: str = ""
    start_date: dt.date
    end_date: dt.date
    hours: int
    capacity: int
    venue: str = ""
    teachers: list[int] = []
    subsidy_standard: float | str = "0"
    free_for_hardship: bool = False
    folk_craft: bool = False
    high_skill: bool = False
    young_adult_focus: bool = False


class ClassPatch(ObjectIn):
    name: str | None = None
    institution: int | None = None
    training_type: TypeCode | None = None
    mode: ModeCode | None = None
    occupation: str | None = None
    skill: str | None = None
    industry: str | None = None
    level: LevelCode | None = None
    appraisal: bool | None = None
    filing_number: str | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    hours: int | None = None
    capacity: int | None = None
    venue: str | None = None
    teachers: list[int] | None = None
    subsidy_standard: float | str | None = None
    free_for_hardship: bool | None = None
    folk_craft: bool | None = None
    high_skill: bool | None = None
    young_adult_focus: bool | None = None
    # Refused with a 422 that points to /transitions: the state has its own lifecycle.
    state: str | None = None


@router.get("", response={200: ClassPage, **errors(401, 403, 422)})
def class_list(request: HttpRequest, page: int = PAGE, page_size: int = PAGE_SIZE,
               year: Text = "", state: Text = "", institution: Text = "", type: Text = "",
               town: Text = "", q: Text = "", rectification: Text = "") -> ClassPage:
    """Newest first. Filters: `year` (of the start date), `state`, `institution` (id),
    `type` (training type), `town` (the institution's town, 12 digits), `q` (code or name prefix),
    `rectification=open` (an inspection's rectification not yet done)."""
    user = api_user(request, Perm.CLASS_BROWSE, NO_BROWSE)
    filters = selectors.ClassFilters.from_params(
        {"year": year, "state": state, "institution": institution, "type": type, "town": town,
         "q": q, "rectification": rectification})
    count, rows = paginate(selectors.class_list(user=user, filters=filters), page, page_size)
    # Two queries for the whole page, whatever its size.
    prefetch_related_objects(rows, "skill", "teachers")
    return ClassPage(count=count, results=[class_out(c, user) for c in rows])


@router.post("", response={201: ClassOut, **errors(400, 401, 403, 404, 409, 422)})
def class_create(request: HttpRequest, payload: ClassIn) -> Status[ClassOut]:
    """A new class, in draft, with the next code of its start year."""
    user = api_user(request)
    training_class = services.class_create(actor=user, data=payload.dict())
    return Status(201, _class_answer(user, training_class.pk))


@router.get("/{class_id}", response={200: ClassOut, **errors(401, 404, 422)})
def class_detail(request: HttpRequest, class_id: int) -> ClassOut:
    return _class_answer(api_user(request), class_id)


@router.patch("/{class_id}", response={200: ClassOut, **errors(400, 401, 403, 404, 409, 422)})
def class_update(request: HttpRequest, class_id: int, payload: ClassPatch) -> ClassOut:
    """Edit a draft or returned class; the filing number (and appraisal) until the class runs."""
    # The right to edit first: the refusal is the same whether or not the record exists.
    user, training_class = _requested_class(request, class_id, Perm.CLASS_EDIT)
    services.class_update(actor=user, training_class=training_class,
                          data=payload.dict(exclude_unset=True))
    return _class_answer(user, class_id)


# ---- the lifecycle -------------------------------------------------------------------------------

class ClassTransitionIn(ObjectIn):
    model_config = {"json_schema_extra": {"examples": [  # zh-data: example
        {"action": "submit", "comment": "花名册已核对"},
        {"action": "return", "comment": "学员张三不在就业年龄段，请调整花名册"}]}}

    action: Annotated[str, OneOf(rules.CLASS_WORKFLOW.action_values)]
    comment: str = ""


class ClassEventOut(WorkflowEventOut):
    id: int
    action_label: str


def class_event_out(event: ClassEvent) -> ClassEventOut:
    return ClassEventOut(id=event.pk, action_label=event.action_label,
                         **workflow_event_fields(event))


class ClassEventPage(Page[ClassEventOut]):
    pass


@router.get("/{class_id}/transitions", response={200: ClassEventPage, **errors(401, 404, 422)})
def class_history(request: HttpRequest, class_id: int, page: int = PAGE,
                  page_size: int = PAGE_SIZE) -> ClassEventPage:
    """Every step the class has taken: who, when, from what to what, and why; oldest first."""
    return _class_rows(request, class_id, page, page_size, ClassEventPage,
                       selectors.class_history, class_event_out)


@router.post("/{class_id}/transitions",
             response={200: ClassOut, **errors(400, 401, 403, 404, 409, 422)})
def class_transition(request: HttpRequest, class_id: int,
                     payload: ClassTransitionIn) -> ClassOut:
    """Take one step of the class lifecycle. 403 when the caller's role never takes this step;
    409 when the class's state or a rule forbids it, each broken rule in `errors`."""
    user = api_user(request)
    # Who may take a step does not depend on the class: refuse before looking it up, so the
    # answer says nothing about a class the caller cannot see.
    if not has_perm(user, Perm.CLASS_BROWSE):
        raise Forbidden()
    if user.role not in rules.CLASS_TRANSITIONS[payload.action].roles:
        raise Forbidden(rules.role_refusal(payload.action))
    training_class = selectors.class_get(user=user, class_id=class_id)
    services.class_transition(training_class=training_class, actor=user, action=payload.action,
                              comment=payload.comment)
    return _class_answer(user, class_id)


# ---- the roster ---------------------------------------------------------------------------------

class PersonSummaryOut(Schema):
    """All an institution may know of a trainee (PRODUCT.md): the rest of the record stays with
    the federation."""

    name: str
    id_number: str
    category: str
    grade: str


class CertificateOut(Schema):
    type: str
    level: str
    number: str
    date: dt.date | None
    issuer: str


class EnrollmentOut(Schema):
    id: int
    # `class` is a Python keyword: the field is `training_class`, named `class` in JSON.
    training_class: int = Field(serialization_alias="class")
    person: int
    person_summary: PersonSummaryOut
    status: str
    attended_hours: float
    result: str
    appraisal_result: str
    certificate: CertificateOut | None
    withdrawn_on: dt.date | None
    withdraw_reason: str


def enrollment_out(enrollment: Enrollment) -> EnrollmentOut:
    person = enrollment.person
    certificate = None
    if enrollment.has_certificate:
        certificate = CertificateOut(
            type=enrollment.certificate_type, level=enrollment.certificate_level,
            number=enrollment.certificate_number, date=enrollment.certificate_date,
            issuer=enrollment.certificate_issuer)
    return EnrollmentOut(
        id=enrollment.pk, training_class=enrollment.training_class_id, person=person.pk,
        # The ID number masked: nobody reads a full number off a roster (reveal is audited
        # and lives on the person's own record).
        person_summary=PersonSummaryOut(name=person.name, id_number=person.id_number_masked,
                                        category=person.category, grade=person.grade),
        status=enrollment.status, attended_hours=float(enrollment.attended_hours),
        result=enrollment.result, appraisal_result=enrollment.appraisal_result,
        certificate=certificate, withdrawn_on=enrollment.withdrawn_on,
        withdraw_reason=enrollment.withdraw_reason)


class EnrollmentPage(Page[EnrollmentOut]):
    pass


class EnrollmentIn(ObjectIn):
    model_config = {"json_schema_extra": {"examples": [
        {"person": "350582199003070012"}, {"person": 42}]}}

    # A full ID number, or the id of a person: institution staff may give an id only of a person
    # they have just looked up (POST /persons/lookup).
    person: int | str


class CertificateIn(ObjectIn):
    type: CertificateTypeCode | None = None
    level: CertificateLevelCode | None = None
    number: str | None = None
    date: dt.date | None = None
    issuer: str | None = None


class EnrollmentPatch(ObjectIn):
    model_config = {"json_schema_extra": {"examples": [  # zh-data: example
        {"status": "withdrawn", "withdraw_reason": "外出务工"},
        {"attended_hours": 36.5, "result": "合格"},
        {"appraisal_result": "passed", "certificate": {
            "type": "special_ability", "level": "special", "number": "ZX2026350500123",
            "date": "2026-05-20", "issuer": "泉州市职业技能鉴定中心"}}]}}

    status: StatusCode | None = None
    withdraw_reason: str | None = None
    attended_hours: float | str | None = None
    result: str | None = None
    appraisal_result: AppraisalCode | None = None
    certificate: CertificateIn | None = None


@router.get("/{class_id}/enrollments", by_alias=True,
            response={200: EnrollmentPage, **errors(401, 404, 422)})
def enrollment_list(request: HttpRequest, class_id: int, page: int = PAGE,
                    page_size: int = PAGE_SIZE) -> EnrollmentPage:
    """The roster (花名册). Town staff see only their own town's trainees on it."""
    return _class_rows(request, class_id, page, page_size, EnrollmentPage, selectors.roster,
                       enrollment_out)


@router.post("/{class_id}/enrollments", by_alias=True,
             response={201: EnrollmentOut, **errors(400, 401, 403, 404, 409, 422, 429)})
def enrollment_add(request: HttpRequest, class_id: int,
                   payload: EnrollmentIn) -> Status[EnrollmentOut]:
    """Put a person on the roster of a draft or returned class. 409 names the rule the person
    would break (status, certificate, working age, capacity, another class at the same time);
    to an institution, a person's status or certificate, another institution's class and an
    unregistered number are one generic refusal. An institution's enrolment by ID number counts
    as a lookup (429 past CANPEI_LOOKUP_RATE a minute)."""
    user, training_class = _requested_class(request, class_id, Perm.ROSTER_EDIT)
    # An institution's enrolment by ID number is a lookup, and rate-limited as one.
    enrolment_lookup_count(user, payload.person)
    enrollment = services.enrollment_add(actor=user, training_class=training_class,
                                         person=payload.person)
    return Status(201, enrollment_out(
        selectors.enrollment_get(user=user, enrollment_id=enrollment.pk)))


@enrollment_router.get("/{enrollment_id}", by_alias=True,
                       response={200: EnrollmentOut, **errors(401, 404, 422)})
def enrollment_detail(request: HttpRequest, enrollment_id: int) -> EnrollmentOut:
    return enrollment_out(selectors.enrollment_get(user=api_user(request),
                                                   enrollment_id=enrollment_id))


@enrollment_router.patch("/{enrollment_id}", by_alias=True,
                         response={200: EnrollmentOut, **errors(400, 401, 403, 404, 409, 422)})
def enrollment_update(request: HttpRequest, enrollment_id: int,
                      payload: EnrollmentPatch) -> EnrollmentOut:
    """Withdraw a trainee (`status: withdrawn` with `withdraw_reason`), record hours and results
    while the class runs, the appraisal and certificate once completion is declared."""
    user = api_user(request, Perm.ROSTER_EDIT)
    enrollment = selectors.enrollment_get(user=user, enrollment_id=enrollment_id)
    services.enrollment_update(actor=user, enrollment=enrollment,
                               data=payload.dict(exclude_unset=True))
    return enrollment_out(selectors.enrollment_get(user=user, enrollment_id=enrollment_id))


@enrollment_router.delete("/{enrollment_id}",
                          response={204: None, **errors(401, 403, 404, 409, 422)})
def enrollment_remove(request: HttpRequest, enrollment_id: int) -> Status[None]:
    """Take a person off a roster not yet submitted (an entry made by mistake). Once the class
    is submitted a trainee leaves only by withdrawal, which the roster keeps."""
    user = api_user(request, Perm.ROSTER_EDIT)
    enrollment = selectors.enrollment_get(user=user, enrollment_id=enrollment_id)
    services.enrollment_remove(actor=user, enrollment=enrollment)
    return Status(204, None)


# ---- the register ---------------------------------------------------------------------------------

class SessionOut(Schema):
    id: int
    training_class: int = Field(serialization_alias="class")
    date: dt.date
    hours: float
    topic: str
    # Hours attended per enrollment id (the trainees the caller may see).
    attendance: dict[str, float]


def session_out(session: ClassSession, register: dict[tuple[int, int], Any]) -> SessionOut:
    return SessionOut(
        id=session.pk, training_class=session.training_class_id, date=session.date,
        hours=float(session.hours), topic=session.topic,
        attendance={str(enrollment): float(hours)
                    for (session_id, enrollment), hours in sorted(register.items())
                    if session_id == session.pk})


class SessionPage(Page[SessionOut]):
    pass


class SessionIn(ObjectIn):
    model_config = {"json_schema_extra": {"examples": [{  # zh-data: example
        "date": "2026-03-02", "hours": 4, "topic": "经络与腧穴",
        "attendance": {"101": 4, "102": 3.5, "103": 0}}]}}

    date: dt.date
    hours: float | str
    topic: str = ""
    # Hours per enrollment id; a trainee on the roster left out attended 0.
    attendance: dict[str, float | str | None] = {}


@router.get("/{class_id}/sessions", by_alias=True,
            response={200: SessionPage, **errors(401, 404, 422)})
def session_list(request: HttpRequest, class_id: int, page: int = PAGE,
                 page_size: int = PAGE_SIZE) -> SessionPage:
    """The attendance register: each session with the hours each trainee attended."""
    user, training_class = _requested_class(request, class_id)
    register = selectors.register(user=user, training_class=training_class)
    return page_of(SessionPage, selectors.sessions(user=user, training_class=training_class),
                   page, page_size, lambda session: session_out(session, register))


class CheckOut(Schema):
    key: str
    label: str
    passed: bool
    detail: str
    figures: dict[str, Any]


class ChecklistOut(Schema):
    training_class: int = Field(serialization_alias="class")
    passed: bool
    checks: list[CheckOut]


@router.get("/{class_id}/checks", by_alias=True,
            response={200: ChecklistOut, **errors(401, 403, 404, 422)})
def class_checks(request: HttpRequest, class_id: int) -> ChecklistOut:
    """The completion-audit checklist: each check with pass/fail and its figures."""
    user, training_class = _requested_class(request, class_id)
    found = checks.class_checks(user=user, training_class=training_class)
    return ChecklistOut(training_class=training_class.pk, passed=all(c.passed for c in found),
                        checks=[CheckOut(key=c.key, label=c.label, passed=c.passed,
                                         detail=c.detail, figures=c.figures) for c in found])


@router.post("/{class_id}/sessions", by_alias=True,
             response={201: SessionOut, **errors(400, 401, 403, 404, 409, 422)})
def session_record(request: HttpRequest, class_id: int, payload: SessionIn) -> Status[SessionOut]:
    """Record one session of a running class (or one being corrected after a failed audit).
    The same date and topic again replaces that session's hours. Trainees' attended hours
    become the sum of the register."""
    user, training_class = _requested_class(request, class_id, Perm.ROSTER_EDIT)
    session = services.session_record(actor=user, training_class=training_class,
                                      date=payload.date, hours=payload.hours,
                                      topic=payload.topic, attendance=payload.attendance)
    register = selectors.register(user=user, training_class=training_class)
    return Status(201, session_out(session, register))


# ---- inspections ---------------------------------------------------------------------------------

class InspectionOut(Schema):
    id: int
    training_class: int = Field(serialization_alias="class")
    date: dt.date
    inspector_name: str
    # Class-wide head counts: null for town staff, who see the class as far as their town's
    # trainees are in it.
    on_roster: int | None
    present: int | None
    findings: str
    rectification_required: bool
    rectification_note: str
    rectified_on: dt.date | None


def inspection_out(inspection: Inspection, user: User) -> InspectionOut:
    whole = selectors.sees_whole_class(user)
    return InspectionOut(
        id=inspection.pk, training_class=inspection.training_class_id, date=inspection.date,
        inspector_name=inspection.inspector_name,
        on_roster=inspection.on_roster if whole else None,
        present=inspection.present if whole else None, findings=inspection.findings,
        rectification_required=inspection.rectification_required,
        rectification_note=inspection.rectification_note, rectified_on=inspection.rectified_on)


class InspectionPage(Page[InspectionOut]):
    pass


class InspectionIn(ObjectIn):
    model_config = {"json_schema_extra": {"examples": [{  # zh-data: example
        "date": "2026-03-10", "present": 18, "findings": "实到 18 人，2 人请假，签到表齐全",
        "rectification_required": False}]}}

    # Today when left out; the roster count is taken by the server at recording.
    date: dt.date | None = None
    inspector_name: str = ""
    present: int
    findings: str = ""
    rectification_required: bool = False


class RectificationIn(ObjectIn):
    rectification_note: str = ""
    rectified_on: dt.date | None = None


@router.get("/{class_id}/inspections", by_alias=True,
            response={200: InspectionPage, **errors(401, 404, 422)})
def inspection_list(request: HttpRequest, class_id: int, page: int = PAGE,
                    page_size: int = PAGE_SIZE) -> InspectionPage:
    user, training_class = _requested_class(request, class_id)
    return page_of(InspectionPage, selectors.inspections(user=user, training_class=training_class),
                   page, page_size, lambda inspection: inspection_out(inspection, user))


@router.post("/{class_id}/inspections", by_alias=True,
             response={201: InspectionOut, **errors(400, 401, 403, 404, 409, 422)})
def inspection_record(request: HttpRequest, class_id: int,
                      payload: InspectionIn) -> Status[InspectionOut]:
    """A process inspection (过程检查) of a running class, by city staff."""
    user, training_class = _requested_class(request, class_id, Perm.INSPECTION_RECORD)
    data = payload.dict()
    if data["date"] is None:
        del data["date"]
    inspection = services.inspection_record(actor=user, training_class=training_class, data=data)
    return Status(201, inspection_out(inspection, user))


@router.patch("/{class_id}/inspections/{inspection_id}", by_alias=True,
              response={200: InspectionOut, **errors(400, 401, 403, 404, 409, 422)})
def inspection_rectified(request: HttpRequest, class_id: int, inspection_id: int,
                         payload: RectificationIn) -> InspectionOut:
    """Record that the rectification an inspection required has been done."""
    user, training_class = _requested_class(request, class_id, Perm.INSPECTION_RECORD)
    inspection = selectors.inspection_get(user=user, training_class=training_class,
                                          inspection_id=inspection_id)
    inspection = services.inspection_rectified(actor=user, inspection=inspection,
                                               note=payload.rectification_note,
                                               rectified_on=payload.rectified_on)
    return inspection_out(inspection, user)
