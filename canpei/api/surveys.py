from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_noop
from ninja import Query, Router, Schema, Status

from canpei.accounts.roles import Perm
from canpei.api.common import MAX_PAGE_SIZE, ObjectIn, Page, Text, api_user, errors, page_of
from canpei.people.models import Person, Survey
from canpei.people.surveys import selectors as selectors
from canpei.people.surveys import services as services

router = Router(tags=["surveys"])

NO_BROWSE = gettext_noop("当前角色不能查看需求调查")


class SurveyOut(Schema):
    id: int
    person: int
    person_name: str
    town: str
    year: int
    employment_form: str
    not_working_reason: str
    employer: str
    wants_work: bool
    new_entrant: bool
    registered_unemployed: bool
    entrepreneurship_intention: bool
    training_need: bool
    wanted_types: list[str]
    wanted_skills: list[str]
    preferred_mode: str
    accessibility_needs: list[str]
    surveyor: str
    surveyed_on: dt.date


def survey_out(survey: Survey) -> SurveyOut:
    return SurveyOut(
        id=survey.pk, person=survey.person_id, person_name=survey.person.name,
        town=survey.person.town_id, year=survey.year, employment_form=survey.employment_form,
        not_working_reason=survey.not_working_reason, employer=survey.employer,
        wants_work=survey.wants_work, new_entrant=survey.new_entrant,
        registered_unemployed=survey.registered_unemployed,
        entrepreneurship_intention=survey.entrepreneurship_intention,
        training_need=survey.training_need, wanted_types=list(survey.wanted_types),
        wanted_skills=sorted(s.code for s in survey.wanted_skills.all()),
        preferred_mode=survey.preferred_mode, accessibility_needs=list(survey.accessibility_needs),
        surveyor=survey.surveyor, surveyed_on=survey.surveyed_on,
    )


class SurveyPage(Page[SurveyOut]):
    pass


class SurveyIn(ObjectIn):
    person: int
    year: int | None = None
    surveyed_on: dt.date
    employment_form: str = ""
    not_working_reason: str = ""
    employer: str = ""
    wants_work: bool = False
    new_entrant: bool = False
    registered_unemployed: bool = False
    entrepreneurship_intention: bool = False
    training_need: bool = False
    wanted_types: list[str] = []
    wanted_skills: list[str] = []
    preferred_mode: str = ""
    accessibility_needs: list[str] = []
    surveyor: str = ""


class SurveyPatch(ObjectIn):
    year: int | None = None
    surveyed_on: dt.date | None = None
    employment_form: str | None = None
    not_working_reason: str | None = None
    employer: str | None = None
    wants_work: bool | None = None
    new_entrant: bool | None = None
    registered_unemployed: bool | None = None
    entrepreneurship_intention: bool | None = None
    training_need: bool | None = None
    wanted_types: list[str] | None = None
    wanted_skills: list[str] | None = None
    preferred_mode: str | None = None
    accessibility_needs: list[str] | None = None
    surveyor: str | None = None


class TownProgressOut(Schema):
    town: str
    town_name: str
    due: int
    surveyed: int
    remaining: int
    ratio: float


class ProgressOut(Schema):
    year: int
    towns: list[TownProgressOut]
    due: int
    surveyed: int
    ratio: float


class UnsurveyedOut(Schema):
    id: int
    name: str
    id_number: str
    town: str
    town_name: str
    age: int


class UnsurveyedPage(Page[UnsurveyedOut]):
    pass


def _browse(request: HttpRequest) -> Any:
    user = api_user(request, Perm.PERSON_BROWSE, NO_BROWSE)
    return user


@router.get("", response={200: SurveyPage, **errors(401, 403, 422)})
def survey_list(request: HttpRequest, page: int = Query(1, ge=1, le=1_000_000),
                page_size: int = Query(50, ge=1, le=MAX_PAGE_SIZE), year: Text = "",
                town: Text = "", person: int | None = Query(None, ge=1, le=2**62)) -> SurveyPage:
    user = _browse(request)
    qs = selectors.survey_list(user=user, year=selectors.parse_year(year),
                               town=selectors.parse_town(town), person=person)
    return page_of(SurveyPage, qs, page, page_size, survey_out)


@router.post("", response={201: SurveyOut, **errors(400, 401, 403, 409, 422)})
def survey_create(request: HttpRequest, payload: SurveyIn) -> Status[SurveyOut]:
    user = api_user(request)
    data = payload.dict()
    if data.get("year") is None:
        data.pop("year")
    survey = services.survey_create(actor=user, data=data)
    return Status(201, survey_out(selectors.survey_get(user=user, survey_id=survey.pk)))


@router.get("/progress", response={200: ProgressOut, **errors(401, 403, 422)})
def survey_progress(request: HttpRequest, year: Text = "", order: Text = "town") -> ProgressOut:
    user = _browse(request)
    target = selectors.parse_year(year, default=timezone.localdate().year) or timezone.localdate().year
    towns = selectors.survey_progress(user=user, year=target, order=order)
    due = sum(t.due for t in towns)
    surveyed = sum(t.surveyed for t in towns)
    return ProgressOut(year=target, due=due, surveyed=surveyed,
                       ratio=round(surveyed / due, 4) if due else 0.0,
                       towns=[TownProgressOut(town=t.town, town_name=t.town_name, due=t.due,
                                              surveyed=t.surveyed, remaining=t.remaining,
                                              ratio=t.ratio) for t in towns])


@router.get("/unsurveyed", response={200: UnsurveyedPage, **errors(401, 403, 422)})
def survey_unsurveyed(request: HttpRequest, page: int = Query(1, ge=1, le=1_000_000),
                      page_size: int = Query(50, ge=1, le=MAX_PAGE_SIZE), year: Text = "",
                      town: Text = "") -> UnsurveyedPage:
    user = _browse(request)
    target = selectors.parse_year(year, default=timezone.localdate().year) or timezone.localdate().year
    qs = selectors.unsurveyed_persons(user=user, year=target, town=selectors.parse_town(town))
    return page_of(UnsurveyedPage, qs, page, page_size, _unsurveyed)


def _unsurveyed(person: Person) -> UnsurveyedOut:
    return UnsurveyedOut(id=person.pk, name=person.name, id_number=person.id_number_masked,
                         town=person.town_id, town_name=person.town.name, age=person.age)


@router.get("/{survey_id}", response={200: SurveyOut, **errors(401, 404, 422)})
def survey_detail(request: HttpRequest, survey_id: int) -> SurveyOut:
    return survey_out(selectors.survey_get(user=api_user(request), survey_id=survey_id))


@router.patch("/{survey_id}", response={200: SurveyOut, **errors(400, 401, 403, 404, 409, 422)})
def survey_update(request: HttpRequest, survey_id: int, payload: SurveyPatch) -> SurveyOut:
    user = api_user(request, Perm.SURVEY_EDIT)
    survey = selectors.survey_get(user=user, survey_id=survey_id)
    survey = services.survey_update(actor=user, survey=survey, data=payload.dict(exclude_unset=True))
    return survey_out(selectors.survey_get(user=user, survey_id=survey.pk))
