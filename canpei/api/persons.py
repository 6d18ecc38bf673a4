from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_noop
from ninja import Query, Router, Schema, Status

from canpei.accounts.roles import Perm, has_perm
from canpei.api.common import (
    MAX_PAGE_SIZE, ObjectIn, Page, PlainOut, Text, api_user, errors, paginate)
from canpei.errors import Forbidden
from canpei.people import selectors, services
from canpei.people.models import Person
from canpei.training.lookup_limit import lookup_count

router = Router(tags=["persons"])

# The note stored on the person's status history when a client gives none: the record's data.
CHANGED_BY_API = "通过接口变更"  # zh-data
NO_BROWSE = gettext_noop("当前角色不能浏览人员名册")


class PersonOut(PlainOut):
    id: int
    name: str
    id_number: str
    cert_number: str
    gender: str
    birth_date: dt.date
    age: int
    category: str
    grade: str
    town: str
    town_name: str
    village: str | None
    address: str
    phone: str
    education: str
    hardship: list[str]
    employment_form: str
    not_working_reason: str
    new_entrant: bool
    registered_unemployed: bool
    entrepreneurship_intention: bool
    status: str
    working_age: bool


def person_out(person: Person) -> PersonOut:
    return PersonOut(
        id=person.pk, name=person.name, id_number=person.id_number_masked,
        cert_number=person.cert_number_masked, gender=person.gender, birth_date=person.birth_date,
        age=person.age, category=person.category, grade=person.grade, town=person.town_id,
        town_name=person.town.name, village=person.village_id, address=person.address,
        phone=person.phone, education=person.education, hardship=person.hardship,
        employment_form=person.employment_form, not_working_reason=person.not_working_reason,
        new_entrant=person.new_entrant, registered_unemployed=person.registered_unemployed,
        entrepreneurship_intention=person.entrepreneurship_intention, status=person.status,
        working_age=person.working_age,
    )


class PersonPage(Page[PersonOut]):
    pass


class PersonIn(ObjectIn):
    model_config = {"json_schema_extra": {"examples": [{  # zh-data: example
        "name": "陈阿明", "id_number": "350582199505050015", "cert_number": "35058219950505001542",
        "category": "4", "grade": "2", "town": "350582101000", "address": "晋江市安海镇安平路 1 号",
        "phone": "13905951234", "education": "junior_high", "hardship": ["dibao"],
        "employment_form": "",
        "not_working_reason": "4", "new_entrant": True, "registered_unemployed": False,
        "entrepreneurship_intention": False}]}}

    name: str
    id_number: str
    cert_number: str = ""
    category: str
    grade: str
    town: str
    village: str | None = None
    address: str = ""
    phone: str = ""
    education: str = ""
    hardship: list[str] = []
    employment_form: str = ""
    not_working_reason: str = ""
    new_entrant: bool = False
    registered_unemployed: bool = False
    entrepreneurship_intention: bool = False


class PersonPatch(ObjectIn):
    name: str | None = None
    id_number: str | None = None
    cert_number: str | None = None
    category: str | None = None
    grade: str | None = None
    town: str | None = None
    village: str | None = None
    address: str | None = None
    phone: str | None = None
    education: str | None = None
    hardship: list[str] | None = None
    employment_form: str | None = None
    not_working_reason: str | None = None
    new_entrant: bool | None = None
    registered_unemployed: bool | None = None
    entrepreneurship_intention: bool | None = None
    status: str | None = None
    comment: str | None = None


class IdentityOut(Schema):
    id: int
    id_number: str
    cert_number: str


class LookupIn(ObjectIn):
    model_config = {"json_schema_extra": {"examples": [{"id_number": "350582199505050015"}]}}

    id_number: str


class LookupOut(Schema):
    """What an institution may see of a person it is about to enrol, and nothing more."""

    id: int
    name: str
    id_number: str
    category: str
    grade: str


@router.get("", response={200: PersonPage, **errors(401, 403, 422)})
def person_list(request: HttpRequest, page: int = Query(1, ge=1, le=1_000_000),
                page_size: int = Query(50, ge=1, le=MAX_PAGE_SIZE), town: Text = "", q: Text = "",
                category: Text = "", grade: Text = "", employment_form: Text = "",
                working_age: Text = "", status: Text = "") -> PersonPage:
    user = api_user(request, Perm.PERSON_BROWSE, NO_BROWSE)
    filters = selectors.PersonFilters.from_params({
        "town": town, "q": q, "category": category, "grade": grade,
        "employment_form": employment_form, "working_age": working_age, "status": status})
    count, rows = paginate(selectors.person_list(user=user, filters=filters), page, page_size,
                           count=selectors.person_count(user=user, filters=filters))
    return PersonPage(count=count, results=[person_out(p) for p in rows])


@router.post("", response={201: PersonOut, **errors(400, 401, 403, 409, 422)})
def person_create(request: HttpRequest, payload: PersonIn) -> Status[PersonOut]:
    person = services.person_create(actor=api_user(request), data=payload.dict())
    person = selectors.person_get(user=api_user(request), person_id=person.pk)
    return Status(201, person_out(person))


@router.post("/lookup", response={200: LookupOut, **errors(400, 401, 404, 422, 429)})
def person_lookup(request: HttpRequest, payload: LookupIn) -> LookupOut:
    """Exact lookup by full ID number; active persons only (anyone else answers 404 as an unknown
    number does). At most CANPEI_LOOKUP_RATE a minute per user, then 429."""
    user = api_user(request)
    if has_perm(user, Perm.PERSON_LOOKUP):
        lookup_count(user)
    person = services.person_lookup(actor=user, id_number=payload.id_number)
    return LookupOut(id=person.pk, name=person.name, id_number=person.id_number_masked,
                     category=person.category, grade=person.grade)


@router.get("/{person_id}", response={200: PersonOut, **errors(401, 404, 422)})
def person_detail(request: HttpRequest, person_id: int) -> PersonOut:
    return person_out(selectors.person_get(user=api_user(request), person_id=person_id))


@router.patch("/{person_id}", response={200: PersonOut, **errors(400, 401, 403, 404, 409, 422)})
def person_update(request: HttpRequest, person_id: int, payload: PersonPatch) -> PersonOut:
    user = api_user(request)
    # The right to edit first: a role that may not edit gets the same 403 whether or not the
    # record exists, so the refusal tells nothing about it.
    if not has_perm(user, Perm.PERSON_EDIT):
        raise Forbidden()
    person = selectors.person_get(user=user, person_id=person_id)
    data: dict[str, Any] = payload.dict(exclude_unset=True)
    status = data.pop("status", None)
    comment = data.pop("comment", None) or ""
    # One transaction: a bad status after good field edits must not leave the edits behind.
    with transaction.atomic():
        if data:
            person = services.person_update(actor=user, person=person, data=data)
        if status is not None:
            person = services.person_change_status(actor=user, person=person, status=status,
                                                   comment=comment or CHANGED_BY_API)
    return person_out(selectors.person_get(user=user, person_id=person.pk))


@router.get("/{person_id}/identity", response={200: IdentityOut, **errors(401, 404, 422)})
def person_identity(request: HttpRequest, person_id: int) -> IdentityOut:
    identity = services.person_reveal_identity(actor=api_user(request), person_id=person_id)
    return IdentityOut(id=person_id, id_number=identity.id_number,
                       cert_number=identity.cert_number)
