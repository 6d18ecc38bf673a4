"""Skill competitions (`competitions`, `competitions/{id}/entries`, `entries/{id}`) and typical
cases (`cases`, with `consent`, `consent/withdraw`, `publish`, `unpublish`)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext, gettext_noop
from ninja import Query, Router, Schema, Status

from canpei.accounts.roles import Perm, has_perm
from canpei.api.common import MAX_PAGE_SIZE, ObjectIn, Page, Text, api_user, errors, page_of, paginate
from canpei.competitions import selectors, services
from canpei.competitions.models import Competition, Entry, TypicalCase
from canpei.errors import Forbidden

router = Router(tags=["competitions"])
entry_router = Router(tags=["competitions"])
case_router = Router(tags=["cases"])

NO_BROWSE = gettext_noop("当前角色不能查看职业技能竞赛")
NO_CASE_BROWSE = gettext_noop("当前角色不能查看典型案例")

DateText = str | dt.date


class CompetitionEventOut(Schema):
    id: int
    name: str


class CompetitionOut(Schema):
    id: int
    name: str
    level: str
    start_date: dt.date
    end_date: dt.date
    organizer: str
    note: str
    events: list[CompetitionEventOut]


def competition_out(c: Competition) -> CompetitionOut:
    return CompetitionOut(id=c.pk, name=c.name, level=c.level, start_date=c.start_date,
                          end_date=c.end_date, organizer=c.organizer, note=c.note,
                          events=[CompetitionEventOut(id=e.pk, name=e.name) for e in c.events.all()])


class CompetitionPage(Page[CompetitionOut]):
    pass


class CompetitionIn(ObjectIn):
    model_config = {"json_schema_extra": {"examples": [  # zh-data: example
        {"name": "晋江市第三届残疾人职业技能竞赛", "level": "city", "start_date": "2026-05-20",
         "end_date": "2026-05-21", "organizer": "晋江市残联", "events": ["电子商务", "盲人按摩"]}]}}

    name: str = ""
    level: str = ""
    start_date: DateText = ""
    end_date: DateText = ""
    organizer: str = ""
    note: str = ""
    events: list[str] | None = None


class CompetitionPatch(ObjectIn):
    name: str | None = None
    level: str | None = None
    start_date: DateText | None = None
    end_date: DateText | None = None
    organizer: str | None = None
    note: str | None = None
    # The full list: new names are added, names left out removed (refused when entered).
    events: list[str] | None = None


class EntryOut(Schema):
    id: int
    competition: int
    event: int
    event_name: str
    person: int
    person_name: str
    person_id_number: str
    town: str
    town_name: str
    result: str
    award: str


def entry_out(e: Entry) -> EntryOut:
    return EntryOut(id=e.pk, competition=e.event.competition_id, event=e.event_id,
                    event_name=e.event.name, person=e.person_id, person_name=e.person.name,
                    person_id_number=e.person.id_number_masked, town=e.town_id,
                    town_name=e.town.name, result=e.result, award=e.award)


class EntryPage(Page[EntryOut]):
    pass


class EntryIn(ObjectIn):
    model_config = {"json_schema_extra": {"examples": [{"event": 1, "person": 1}]}}

    event: int | str | None = None
    person: int | str | None = None


class EntryPatch(ObjectIn):
    model_config = {"json_schema_extra": {"examples": [  # zh-data: example
        {"result": "92.5 分", "award": "first"}]}}

    result: str | None = None
    award: str | None = None


def _browse(request: HttpRequest) -> None:
    if not has_perm(api_user(request), Perm.COMPETITION_BROWSE):
        raise Forbidden(gettext(NO_BROWSE))


def _edit(request: HttpRequest) -> None:
    if not has_perm(api_user(request), Perm.COMPETITION_EDIT):
        raise Forbidden(services.NO_COMPETITION_EDIT)


@router.get("", response={200: CompetitionPage, **errors(401, 403, 422)})
def competition_list(request: HttpRequest, page: int = Query(1, ge=1, le=1_000_000),
                     page_size: int = Query(50, ge=1, le=MAX_PAGE_SIZE), year: Text = "",
                     level: Text = "", q: Text = "") -> CompetitionPage:
    """Newest first. Filters: `year` (of the start date), `level` (`city`, `prefecture`,
    `province`, `national`), `q` (name)."""
    _browse(request)
    filters = selectors.CompetitionFilters.from_params({"year": year, "level": level, "q": q})
    competitions = selectors.competition_list(user=api_user(request), filters=filters)
    return page_of(CompetitionPage, competitions.prefetch_related("events"), page, page_size,
                   competition_out)


@router.post("", response={201: CompetitionOut, **errors(400, 401, 403, 422)})
def competition_create(request: HttpRequest, payload: CompetitionIn) -> Status[CompetitionOut]:
    """The city admin only; `events` a list of names, at least one."""
    _edit(request)
    competition = services.competition_create(actor=api_user(request), data=payload.dict())
    return Status(201, competition_out(competition))


@router.get("/{competition_id}", response={200: CompetitionOut, **errors(401, 404, 422)})
def competition_detail(request: HttpRequest, competition_id: int) -> CompetitionOut:
    return competition_out(selectors.competition_get(user=api_user(request),
                                                     competition_id=competition_id))


@router.patch("/{competition_id}",
              response={200: CompetitionOut, **errors(400, 401, 403, 404, 409, 422)})
def competition_update(request: HttpRequest, competition_id: int,
                       payload: CompetitionPatch) -> CompetitionOut:
    _edit(request)
    user = api_user(request)
    competition = selectors.competition_get(user=user, competition_id=competition_id)
    competition = services.competition_update(actor=user, competition=competition,
                                              data=payload.dict(exclude_unset=True))
    return competition_out(competition)


@router.get("/{competition_id}/entries", response={200: EntryPage, **errors(401, 403, 404, 422)})
def entry_list(request: HttpRequest, competition_id: int,
               page: int = Query(1, ge=1, le=1_000_000),
               page_size: int = Query(50, ge=1, le=MAX_PAGE_SIZE), award: Text = "",
               town: Text = "") -> EntryPage:
    """The entries of the competition the caller may see (town staff: their town's persons).
    Filters: `award` (a grade, or `any`), `town`."""
    _browse(request)
    user = api_user(request)
    competition = selectors.competition_get(user=user, competition_id=competition_id)
    filters = selectors.EntryFilters.from_params({"award": award, "town": town})
    return page_of(
        EntryPage, selectors.entry_list(user=user, competition_id=competition.pk, filters=filters),
        page, page_size, entry_out)


@router.post("/{competition_id}/entries",
             response={201: EntryOut, **errors(400, 401, 403, 404, 409, 422)})
def entry_create(request: HttpRequest, competition_id: int, payload: EntryIn) -> Status[EntryOut]:
    """Enter a person (`person`, id) in an event of this competition (`event`, id): town staff
    their own town's persons, the city admin anyone's. A second entry of a person in one event
    answers 409."""
    user = api_user(request)
    if not has_perm(user, Perm.ENTRY_EDIT):
        raise Forbidden(services.NO_ENTRY_EDIT)
    competition = selectors.competition_get(user=user, competition_id=competition_id)
    entry = services.entry_create(actor=user, competition=competition, data=payload.dict())
    return Status(201, entry_out(selectors.entry_get(user=user, entry_id=entry.pk)))


@entry_router.get("/{entry_id}", response={200: EntryOut, **errors(401, 404, 422)})
def entry_detail(request: HttpRequest, entry_id: int) -> EntryOut:
    return entry_out(selectors.entry_get(user=api_user(request), entry_id=entry_id))


@entry_router.patch("/{entry_id}", response={200: EntryOut, **errors(400, 401, 403, 404, 409, 422)})
def entry_update(request: HttpRequest, entry_id: int, payload: EntryPatch) -> EntryOut:
    """The result and award grade (`first`, `second`, `third`, `excellence`, or "" for none):
    the city admin, once the competition has started."""
    _edit(request)
    user = api_user(request)
    entry = selectors.entry_get(user=user, entry_id=entry_id)
    services.entry_record_result(actor=user, entry=entry, data=payload.dict(exclude_unset=True))
    return entry_out(selectors.entry_get(user=user, entry_id=entry_id))


# ---- typical cases -----------------------------------------------------------------------------

class CaseOut(Schema):
    id: int
    title: str
    text: str
    person: int | None
    person_name: str
    town: str | None
    channel: str
    published_on: dt.date | None
    consent_on: dt.date | None
    consent_method: str
    consent_scope: str
    consent_withdrawn_on: dt.date | None


def case_out(c: TypicalCase) -> CaseOut:
    return CaseOut(id=c.pk, title=c.title, text=c.text, person=c.person_id,
                   person_name=c.person.name if c.person else "", town=c.town_id,
                   channel=c.channel, published_on=c.published_on, consent_on=c.consent_on,
                   consent_method=c.consent_method, consent_scope=c.consent_scope,
                   consent_withdrawn_on=c.consent_withdrawn_on)


class CasePage(Page[CaseOut]):
    pass


class CaseIn(ObjectIn):
    model_config = {"json_schema_extra": {"examples": [  # zh-data: example
        {"title": "自强不息的电商创业者", "text": "……", "person": 1, "channel": "wechat"}]}}

    title: str = ""
    text: str = ""
    person: int | str | None = None
    channel: str = ""


class CasePatch(ObjectIn):
    title: str | None = None
    text: str | None = None
    person: int | str | None = None
    channel: str | None = None


class ConsentIn(ObjectIn):
    model_config = {"json_schema_extra": {"examples": [  # zh-data: example
        {"date": "2026-03-01", "method": "written", "scope": "微信公众号和宣传册，可用真实姓名"}]}}

    date: DateText = ""
    method: str = ""
    scope: str = ""


class DateIn(ObjectIn):
    date: DateText = ""


class PublishIn(ObjectIn):
    model_config = {"json_schema_extra": {"examples": [{"date": "2026-03-05",
                                                        "channel": "wechat"}]}}

    date: DateText = ""
    channel: str = ""


def _case_browse(request: HttpRequest) -> None:
    if not has_perm(api_user(request), Perm.CASE_BROWSE):
        raise Forbidden(gettext(NO_CASE_BROWSE))


def _case_edit(request: HttpRequest) -> None:
    if not has_perm(api_user(request), Perm.CASE_EDIT):
        raise Forbidden(services.NO_CASE_EDIT)


@case_router.get("", response={200: CasePage, **errors(401, 403, 422)})
def case_list(request: HttpRequest, page: int = Query(1, ge=1, le=1_000_000),
              page_size: int = Query(50, ge=1, le=MAX_PAGE_SIZE), published: Text = "",
              channel: Text = "", year: Text = "", q: Text = "") -> CasePage:
    """Newest first. Filters: `published` (`yes`/`no`), `channel`, `year` (of publication),
    `q` (title)."""
    _case_browse(request)
    filters = selectors.CaseFilters.from_params({"published": published, "channel": channel,
                                                 "year": year, "q": q})
    count, rows = paginate(selectors.case_list(user=api_user(request), filters=filters), page,
                           page_size)
    return CasePage(count=count, results=[case_out(c) for c in rows])


@case_router.post("", response={201: CaseOut, **errors(400, 401, 403, 422)})
def case_create(request: HttpRequest, payload: CaseIn) -> Status[CaseOut]:
    _case_edit(request)
    user = api_user(request)
    case = services.case_create(actor=user, data=payload.dict())
    return Status(201, case_out(selectors.case_get(user=user, case_id=case.pk)))


@case_router.get("/{case_id}", response={200: CaseOut, **errors(401, 404, 422)})
def case_detail(request: HttpRequest, case_id: int) -> CaseOut:
    return case_out(selectors.case_get(user=api_user(request), case_id=case_id))


@case_router.patch("/{case_id}", response={200: CaseOut, **errors(400, 401, 403, 404, 422)})
def case_update(request: HttpRequest, case_id: int, payload: CasePatch) -> CaseOut:
    _case_edit(request)
    user = api_user(request)
    case = selectors.case_get(user=user, case_id=case_id)
    services.case_update(actor=user, case=case, data=payload.dict(exclude_unset=True))
    return case_out(selectors.case_get(user=user, case_id=case_id))


@case_router.post("/{case_id}/consent",
                  response={200: CaseOut, **errors(400, 401, 403, 404, 409, 422)})
def case_consent(request: HttpRequest, case_id: int, payload: ConsentIn) -> CaseOut:
    """Record the person's consent: `date`, `method` (`written`, `recording`, `e_signature`),
    `scope`. 409 for a case about no one."""
    _case_edit(request)
    user = api_user(request)
    case = selectors.case_get(user=user, case_id=case_id)
    services.case_record_consent(actor=user, case=case, data=payload.dict())
    return case_out(selectors.case_get(user=user, case_id=case_id))


@case_router.post("/{case_id}/consent/withdraw",
                  response={200: CaseOut, **errors(400, 401, 403, 404, 409, 422)})
def case_consent_withdraw(request: HttpRequest, case_id: int, payload: DateIn) -> CaseOut:
    """The person withdraws consent on `date`; a published case is unpublished with it."""
    _case_edit(request)
    user = api_user(request)
    case = selectors.case_get(user=user, case_id=case_id)
    services.case_withdraw_consent(actor=user, case=case, data=payload.dict())
    return case_out(selectors.case_get(user=user, case_id=case_id))


@case_router.post("/{case_id}/publish",
                  response={200: CaseOut, **errors(400, 401, 403, 404, 409, 422)})
def case_publish(request: HttpRequest, case_id: int, payload: PublishIn) -> CaseOut:
    """Publish on `date` (and `channel`, unless the case has one). A case about a person without
    recorded, unwithdrawn consent answers 409 with the rule named as the field `consent`."""
    _case_edit(request)
    user = api_user(request)
    case = selectors.case_get(user=user, case_id=case_id)
    services.case_publish(actor=user, case=case, data=payload.dict(exclude_unset=True))
    return case_out(selectors.case_get(user=user, case_id=case_id))


@case_router.post("/{case_id}/unpublish",
                  response={200: CaseOut, **errors(400, 401, 403, 404, 409, 422)})
def case_unpublish(request: HttpRequest, case_id: int) -> CaseOut:
    _case_edit(request)
    user = api_user(request)
    case = selectors.case_get(user=user, case_id=case_id)
    services.case_unpublish(actor=user, case=case)
    return case_out(selectors.case_get(user=user, case_id=case_id))
