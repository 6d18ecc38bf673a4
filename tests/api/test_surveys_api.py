"""Every role × every survey operation × a survey inside and outside the role's scope (API).

- city_admin: everything;
- town_staff: their own town only; another town's survey answers 404 and is absent from the
  list; surveying another town's person is refused on `person` (422);
- employment_service, auditor: read-only, city-wide (list, detail, progress 200; writes 403);
- institution_staff and the three officers: no survey at all (list/progress 403, detail 404,
  writes 403).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from canpei.audit.models import AuditEntry
from canpei.people import rules
from canpei.people.models import Person, Survey
from canpei.people.surveys import selectors as sel
from canpei.people.surveys import services as services
from tests.conftest import ANHAI, CIZAO

ROLES = (
    "city_admin",
    "town_staff",
    "institution_staff",
    "employment_service",
    "auditor",
    "sys_admin",
    "security_admin",
    "audit_admin",
)
PAST_YEAR = 2024
NEW_YEAR = 2023  # the year the `create` operation surveys

NONE = {
    "list": (403, 403),
    "progress": (403, 403),
    "unsurveyed": (403, 403),
    "detail": (404, 404),
    "create": (403, 403),
    "edit": (403, 403),
}
READ_ONLY = {
    "list": (200, 200),
    "progress": (200, 200),
    "unsurveyed": (200, 200),
    "detail": (200, 200),
    "create": (403, 403),
    "edit": (403, 403),
}
EXPECTED: dict[str, dict[str, tuple[int, int]]] = {
    "city_admin": {
        "list": (200, 200),
        "progress": (200, 200),
        "unsurveyed": (200, 200),
        "detail": (200, 200),
        "create": (201, 201),
        "edit": (200, 200),
    },
    "town_staff": {
        "list": (200, 200),
        "progress": (200, 200),
        "unsurveyed": (200, 200),
        "detail": (200, 404),
        "create": (201, 422),
        "edit": (200, 404),
    },
    "institution_staff": NONE,
    "employment_service": READ_ONLY,
    "auditor": READ_ONLY,
    "sys_admin": NONE,
    "security_admin": NONE,
    "audit_admin": NONE,
}
VISIBLE_IN_LIST = {
    "city_admin": (True, True),
    "town_staff": (True, False),
    "employment_service": (True, True),
    "auditor": (True, True),
}
SURVEY_FIELDS = {
    "id",
    "person",
    "year",
    "employment_form",
    "not_working_reason",
    "wants_work",
    "training_need",
    "wanted_types",
    "wanted_skills",
    "preferred_mode",
    "accessibility_needs",
    "surveyed_on",
}


@pytest.fixture
def survey_in(users: Any, person_in: Person) -> Survey:
    return services.survey_create(
        actor=users.city_admin,
        data={
            "person": person_in.pk,
            "year": PAST_YEAR,
            "surveyed_on": dt.date(2024, 5, 10),
            "training_need": True,
            "wanted_skills": ["ecommerce"],
            "employer": "甲公司",
            "employment_form": "1",
        },
    )


@pytest.fixture
def survey_out(users: Any, person_out: Person) -> Survey:
    return services.survey_create(
        actor=users.city_admin,
        data={
            "person": person_out.pk,
            "year": PAST_YEAR,
            "surveyed_on": dt.date(2024, 6, 1),
            "employer": "乙公司",
        },
    )


@pytest.fixture
def absent_survey(survey_in: Survey, survey_out: Survey) -> int:
    return max(survey_in.pk, survey_out.pk) + 1000


def run(op: str, client: Any, survey: Survey, *, absent_id: int | None = None) -> Any:
    pk = absent_id or survey.pk
    if op == "list":
        return client.get("/surveys", page_size=200)
    if op == "progress":
        return client.get("/surveys/progress", year=PAST_YEAR)
    if op == "unsurveyed":
        return client.get("/surveys/unsurveyed", year=NEW_YEAR)
    if op == "detail":
        return client.get(f"/surveys/{pk}")
    if op == "create":
        return client.post(
            "/surveys",
            {
                "person": survey.person_id,
                "year": NEW_YEAR,
                "surveyed_on": "2023-04-02",
                "wants_work": True,
            },
        )
    if op == "edit":
        return client.patch(f"/surveys/{pk}", {"employer": "丙公司"})
    raise AssertionError(op)


@pytest.mark.parametrize("where", ("in", "out"))
@pytest.mark.parametrize("op", tuple(EXPECTED["city_admin"]))
@pytest.mark.parametrize("role", ROLES)
def test_survey_scope_matrix(
    role: str, op: str, where: str, users: Any, survey_in: Survey, survey_out: Survey, api: Any
) -> None:
    user = users.by_role()[role]
    survey = survey_in if where == "in" else survey_out
    expected = EXPECTED[role][op][0 if where == "in" else 1]
    client = api(user)  # issuing the token is itself audited
    surveys_before, entries_before = Survey.objects.count(), AuditEntry.objects.count()
    creates_before = AuditEntry.objects.filter(action="survey.create").count()

    response = run(op, client, survey)

    assert response.status_code == expected, (role, op, where, response.content)
    body = response.json()
    if expected >= 400:
        assert set(body) == {"detail", "errors"} and body["detail"], body
    if op == "list" and expected == 200:
        ids = {row["id"] for row in body["results"]}
        assert (survey.pk in ids) is VISIBLE_IN_LIST[role][0 if where == "in" else 1]
        assert body["count"] == len(body["results"])
        for row in body["results"]:
            assert set(row) >= SURVEY_FIELDS
        if role == "town_staff":
            assert {row["town"] for row in body["results"]} == {ANHAI}
    elif op == "detail" and expected == 200:
        assert set(body) >= SURVEY_FIELDS
        assert (body["id"], body["person"], body["year"]) == (
            survey.pk,
            survey.person_id,
            PAST_YEAR,
        )
        assert body["surveyed_on"] == survey.surveyed_on.isoformat()
    elif op == "progress" and expected == 200:
        towns = {t["town"]: t for t in body["towns"]}
        if role == "town_staff":
            assert set(towns) == {ANHAI}
        else:
            assert towns[ANHAI]["surveyed"] == 1 and towns[CIZAO]["surveyed"] == 1
    elif op == "unsurveyed" and expected == 200:
        ids = {row["id"] for row in body["results"]}
        assert survey_in.person_id in ids
        assert (survey_out.person_id in ids) is (role != "town_staff")
    elif op == "create":
        if expected == 201:
            assert Survey.objects.count() == surveys_before + 1
            assert (body["person"], body["year"], body["wants_work"]) == (
                survey.person_id,
                NEW_YEAR,
                True,
            )
            entries = AuditEntry.objects.filter(action="survey.create")
            assert entries.count() == creates_before + 1
            assert entries.latest("id").actor_username == user.username
        else:
            assert Survey.objects.count() == surveys_before
            assert AuditEntry.objects.count() == entries_before
            if expected == 422:
                assert body["errors"] == [{"field": "person", "message": services.PERSON_UNKNOWN}]
    elif op == "edit":
        stored = Survey.objects.get(pk=survey.pk).employer
        if expected == 200:
            assert body["employer"] == stored == "丙公司"
            assert (
                AuditEntry.objects.filter(
                    action="survey.update", object_id=str(survey.pk), actor_username=user.username
                ).count()
                == 1
            )
        else:
            assert stored == survey.employer
            assert AuditEntry.objects.count() == entries_before


@pytest.mark.parametrize("op", ("detail", "edit"))
@pytest.mark.parametrize("role", ROLES)
def test_a_survey_out_of_scope_looks_exactly_like_an_absent_one(
    role: str,
    op: str,
    users: Any,
    survey_in: Survey,
    survey_out: Survey,
    api: Any,
    absent_survey: int,
) -> None:
    client = api(users.by_role()[role])
    for where, survey in (("in", survey_in), ("out", survey_out)):
        if EXPECTED[role][op][0 if where == "in" else 1] not in (403, 404):
            continue
        hidden = run(op, client, survey)
        absent = run(op, client, survey, absent_id=absent_survey)
        assert (hidden.status_code, hidden.json()) == (absent.status_code, absent.json()), (
            role,
            op,
            where,
        )


def test_town_staff_cannot_find_another_towns_survey_by_any_filter(
    users: Any, survey_in: Survey, survey_out: Survey, api: Any
) -> None:
    client = api(users.town_staff)
    for params in (
        {"town": CIZAO},
        {"person": survey_out.person_id},
        {"year": PAST_YEAR},
        {"town": CIZAO, "year": PAST_YEAR},
    ):
        body = client.get("/surveys", **params).json()
        assert survey_out.pk not in {r["id"] for r in body["results"]}, params
        if "town" in params or "person" in params:
            assert body["count"] == 0, params
    body = client.get("/surveys/unsurveyed", year=NEW_YEAR, town=CIZAO).json()
    assert body == {"count": 0, "results": []}
    body = client.get("/surveys/progress", year=PAST_YEAR, order="ratio").json()
    assert [t["town"] for t in body["towns"]] == [ANHAI]


def test_list_filters_by_year_town_and_person(
    users: Any, survey_in: Survey, survey_out: Survey, api: Any
) -> None:
    services.survey_create(
        actor=users.city_admin,
        data={"person": survey_in.person_id, "year": NEW_YEAR, "surveyed_on": dt.date(2023, 3, 3)},
    )
    client = api(users.city_admin)

    def ids(**params: Any) -> set[int]:
        response = client.get("/surveys", **params)
        assert response.status_code == 200, response.content
        return {r["id"] for r in response.json()["results"]}

    assert ids(year=PAST_YEAR) == {survey_in.pk, survey_out.pk}
    assert len(ids(year=NEW_YEAR)) == 1 and survey_in.pk not in ids(year=NEW_YEAR)
    assert ids(town=CIZAO) == {survey_out.pk}
    assert ids(town=ANHAI, year=PAST_YEAR) == {survey_in.pk}
    assert ids(person=survey_out.person_id) == {survey_out.pk}
    assert ids(year=2019) == set()
    # Newest year first.
    years = [r["year"] for r in client.get("/surveys").json()["results"]]
    assert years == sorted(years, reverse=True)


@pytest.mark.parametrize(
    "path,params,field",
    [
        ("/surveys", {"year": "abc"}, "year"),
        ("/surveys", {"year": "24"}, "year"),
        ("/surveys", {"town": "x"}, "town"),
        ("/surveys", {"town": "35058210100"}, "town"),
        ("/surveys", {"page_size": 500}, "page_size"),
        ("/surveys", {"page": 0}, "page"),
        ("/surveys", {"person": "me"}, "person"),
        ("/surveys/progress", {"year": "二〇二四"}, "year"),
        ("/surveys/unsurveyed", {"year": "20245"}, "year"),
        ("/surveys/unsurveyed", {"town": "anhai"}, "town"),
        ("/surveys", {"town": "\x00"}, "town"),
    ],
)
def test_bad_filters_answer_422_naming_the_field(
    path: str, params: dict[str, Any], field: str, users: Any, survey_in: Survey, api: Any
) -> None:
    response = api(users.city_admin).get(path, **params)
    assert response.status_code == 422, response.content
    body = response.json()
    assert field in [e["field"] for e in body["errors"]], body
    if field == "year" and path == "/surveys":
        assert body["errors"] == [{"field": "year", "message": sel.YEAR_FILTER_INVALID}]


def test_a_second_survey_for_the_same_person_and_year_answers_409(
    users: Any, survey_in: Survey, api: Any
) -> None:
    client = api(users.town_staff)
    entries = AuditEntry.objects.count()
    response = client.post(
        "/surveys", {"person": survey_in.person_id, "year": PAST_YEAR, "surveyed_on": "2024-09-09"}
    )
    assert response.status_code == 409
    message = services.SURVEY_DUPLICATE.format(year=PAST_YEAR)
    assert response.json() == {"detail": message, "errors": [{"field": "year", "message": message}]}
    assert Survey.objects.filter(person_id=survey_in.person_id).count() == 1
    assert AuditEntry.objects.count() == entries
    # Patching another year's survey onto that year is the same conflict.
    other = client.post("/surveys", {"person": survey_in.person_id, "surveyed_on": "2023-02-02"})
    assert other.status_code == 201 and other.json()["year"] == 2023
    moved = client.patch(
        f"/surveys/{other.json()['id']}", {"year": PAST_YEAR, "surveyed_on": "2024-02-02"}
    )
    assert moved.status_code == 409


def test_create_and_patch_round_trip_every_field(users: Any, person_in: Person, api: Any) -> None:
    client = api(users.town_staff)
    today = timezone.localdate()
    response = client.post(
        "/surveys",
        {
            "person": person_in.pk,
            "surveyed_on": today.isoformat(),
            "employment_form": "",
            "not_working_reason": "4",
            "wants_work": True,
            "new_entrant": True,
            "training_need": True,
            "wanted_types": ["employment_skills"],
            "wanted_skills": ["ecommerce", "computer"],
            "preferred_mode": "centralized",
            "accessibility_needs": ["sign_language"],
            "surveyor": "陈专干",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["year"] == today.year
    assert body["wanted_skills"] == ["computer", "ecommerce"]
    assert body["accessibility_needs"] == ["sign_language"]
    assert body["not_working_reason"] == "4" and body["new_entrant"] is True
    # The latest survey updated the registry.
    person = client.get(f"/persons/{person_in.pk}").json()
    assert (person["employment_form"], person["new_entrant"]) == ("", True)
    patched = client.patch(
        f"/surveys/{body['id']}",
        {"employment_form": "3", "not_working_reason": "", "wanted_skills": ["cooking"]},
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["wanted_skills"] == ["cooking"]
    assert client.get(f"/persons/{person_in.pk}").json()["employment_form"] == "3"
    assert client.get(f"/surveys/{body['id']}").json() == patched.json()


@pytest.mark.parametrize(
    "body,field,message",
    [
        ({"employment_form": "9"}, "employment_form", rules.EMPLOYMENT_FORM_INVALID),
        ({"surveyed_on": "2024-02-30"}, "surveyed_on", None),
        ({"surveyed_on": "2023-05-05"}, "surveyed_on", services.SURVEYED_ON_OUTSIDE_YEAR),
        (
            {"wanted_types": ["knitting"], "training_need": True},
            "wanted_types",
            services.WANTED_TYPES_INVALID,
        ),
        ({"wanted_skills": ["ecommerce"]}, "training_need", services.NEEDS_WITHOUT_TRAINING),
        ({"preferred_mode": "night"}, "preferred_mode", services.PREFERRED_MODE_INVALID),
        ({"person": 2**70}, "person", None),
        ({"person": -1}, "person", services.PERSON_UNKNOWN),
        ({"year": 2**40}, "year", None),
        ({"wants_work": "perhaps"}, "wants_work", None),
        ({"employer": "x\x00y"}, "employer", None),
    ],
)
def test_bad_bodies_answer_422_naming_the_field_and_write_nothing(
    body: dict[str, Any], field: str, message: str | None, users: Any, person_in: Person, api: Any
) -> None:
    data = {"person": person_in.pk, "year": PAST_YEAR, "surveyed_on": "2024-05-10", **body}
    client = api(users.city_admin)
    entries = AuditEntry.objects.count()
    response = client.post("/surveys", data)
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert field in [e["field"] for e in errors], errors
    if message:
        assert {"field": field, "message": message} in errors
    assert not Survey.objects.exists() and AuditEntry.objects.count() == entries


def test_garbage_bodies_and_ids_never_break_the_api(
    users: Any, survey_in: Survey, api: Any
) -> None:
    client = api(users.city_admin)
    body: Any
    for body in (
        [],
        42,
        None,
        "x",
        {"employer": 5},
        {"wanted_skills": "ecommerce"},
        {"year": None, "surveyed_on": None},
    ):
        response = client.patch(f"/surveys/{survey_in.pk}", body)
        assert response.status_code in (200, 400, 422), (body, response.content)
    for path in (f"/surveys/{10**30}", "/surveys/abc", f"/surveys/{2**63}"):
        assert client.get(path).status_code in (404, 422), path
        assert client.patch(path, {"employer": "x"}).status_code in (404, 422), path
    assert Survey.objects.get(pk=survey_in.pk).employer == "甲公司"


def test_progress_and_unsurveyed_through_the_api(
    users: Any, survey_in: Survey, survey_out: Survey, api: Any
) -> None:
    client = api(users.city_admin)
    body = client.get("/surveys/progress", year=PAST_YEAR).json()
    assert body["year"] == PAST_YEAR
    towns = {t["town"]: t for t in body["towns"]}
    assert towns[ANHAI] == {
        "town": ANHAI,
        "town_name": "安海镇",
        "due": 1,
        "surveyed": 1,
        "remaining": 0,
        "ratio": 1.0,
    }
    assert (body["due"], body["surveyed"], body["ratio"]) == (2, 2, 1.0)
    # This year nobody is surveyed yet: the whole registry is listed, masked.
    this_year = timezone.localdate().year
    assert client.get("/surveys/progress").json()["year"] == this_year
    listed = client.get("/surveys/unsurveyed").json()
    assert listed["count"] == 2
    row = next(r for r in listed["results"] if r["id"] == survey_in.person_id)
    person = Person.objects.get(pk=survey_in.person_id)
    assert row["id_number"] == rules.mask_id_number(person.id_number) != person.id_number
    assert (row["town"], row["town_name"], row["name"]) == (ANHAI, "安海镇", person.name)
    only = client.get("/surveys/unsurveyed", town=CIZAO, page_size=1).json()
    assert only["count"] == 1 and [r["id"] for r in only["results"]] == [survey_out.person_id]
    # Sorted by ratio, lowest first.
    services.survey_create(
        actor=users.city_admin,
        data={"person": survey_out.person_id, "surveyed_on": timezone.localdate()},
    )
    ordered = client.get("/surveys/progress", order="ratio").json()["towns"]
    assert [t["ratio"] for t in ordered] == sorted(t["ratio"] for t in ordered)
    assert ordered[-1]["town"] == CIZAO
