"""Survey pages: list, create from a person's page, detail, edit, progress, the skills dictionary,
and a person's survey history — each role × a survey inside and outside its scope."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from canpei.audit.models import AuditEntry
from canpei.people.models import Person, Skill, Survey
from canpei.people.surveys import services as services
from tests.conftest import ANHAI, CIZAO
from tests.forms import form_data, post_form

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
BROWSERS = {"city_admin", "town_staff", "employment_service", "auditor"}
EDITORS = {"city_admin", "town_staff"}
PAST_YEAR = 2024


@pytest.fixture
def survey_in(users: Any, person_in: Person) -> Survey:
    return services.survey_create(
        actor=users.city_admin,
        data={
            "person": person_in.pk,
            "year": PAST_YEAR,
            "surveyed_on": dt.date(2024, 5, 10),
            "employment_form": "1",
            "employer": "甲鞋业公司",
            "training_need": True,
            "wanted_skills": ["ecommerce"],
            "wanted_types": ["skill_upgrade"],
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
            "employer": "乙陶瓷厂",
        },
    )


def html(response: Any) -> str:
    return response.content.decode()


# (path, roles that get 200 for the survey/person inside their scope, ... outside). {sid} is
# the survey's id, {pid} the person's. Everyone else gets a 404.
PAGES: list[tuple[str, set[str], set[str]]] = [
    ("/surveys", BROWSERS, BROWSERS),
    ("/surveys?year=2024&town=" + ANHAI, BROWSERS, BROWSERS),
    ("/surveys/progress", BROWSERS, BROWSERS),
    ("/surveys/progress?town=" + ANHAI, BROWSERS, BROWSERS),
    ("/surveys/{sid}", BROWSERS, BROWSERS - {"town_staff"}),
    ("/surveys/{sid}/edit", EDITORS, EDITORS - {"town_staff"}),
    ("/surveys/new?person={pid}", EDITORS, EDITORS - {"town_staff"}),
    ("/surveys/skills", {"city_admin"}, {"city_admin"}),
    ("/persons/{pid}", BROWSERS, BROWSERS - {"town_staff"}),
]
CASES = [
    (p, inside if where == "in" else outside, where)
    for p, inside, outside in PAGES
    for where in (("in", "out") if "{" in p else ("in",))
]


@pytest.mark.parametrize("path,allowed,where", CASES, ids=[f"{p} {w}" for p, _a, w in CASES])
@pytest.mark.parametrize("role", ROLES)
def test_each_survey_page_opens_only_for_the_roles_that_may(
    role: str,
    path: str,
    allowed: set[str],
    where: str,
    users: Any,
    survey_in: Survey,
    survey_out: Survey,
    login: Any,
) -> None:
    survey = survey_in if where == "in" else survey_out
    response = login(users.by_role()[role]).get(path.format(sid=survey.pk, pid=survey.person_id))
    assert response.status_code == (200 if role in allowed else 404), html(response)[:300]
    if response.status_code == 200 and "{" in path:
        assert survey.person.name in html(response)


@pytest.mark.parametrize(
    "path", ["/surveys/{sid}", "/surveys/{sid}/edit", "/surveys/new?person={pid}", "/persons/{pid}"]
)
def test_another_towns_survey_looks_exactly_like_an_absent_one(
    path: str, users: Any, survey_in: Survey, survey_out: Survey, login: Any
) -> None:
    client = login(users.town_staff)
    hidden = client.get(path.format(sid=survey_out.pk, pid=survey_out.person_id))
    absent = client.get(path.format(sid=survey_out.pk + 1000, pid=survey_out.person_id + 1000))
    assert hidden.status_code == absent.status_code == 404
    assert hidden.content == absent.content
    assert "乙陶瓷厂" not in html(hidden) and survey_out.person.name not in html(hidden)


def test_town_staff_cannot_post_to_another_towns_survey_or_person(
    users: Any, survey_out: Survey, login: Any
) -> None:
    client = login(users.town_staff)
    entries = AuditEntry.objects.count()
    assert (
        client.post(
            f"/surveys/{survey_out.pk}/edit", {"surveyed_on": "2024-06-01", "employer": "改"}
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/surveys/new?person={survey_out.person_id}",
            {"surveyed_on": "2024-07-01", "year": "2024"},
        ).status_code
        == 404
    )
    assert Survey.objects.get(pk=survey_out.pk).employer == "乙陶瓷厂"
    assert Survey.objects.count() == 1 and AuditEntry.objects.count() == entries


def test_the_list_is_scoped_and_filtered(
    users: Any, survey_in: Survey, survey_out: Survey, login: Any
) -> None:
    mine = html(login(users.town_staff).get("/surveys?year="))
    assert f'href="/surveys/{survey_in.pk}"' in mine
    assert f'href="/surveys/{survey_out.pk}"' not in mine and survey_out.person.name not in mine
    assert f'value="{CIZAO}"' not in mine  # no town choice for town staff
    city = login(users.city_admin)
    both = html(city.get("/surveys?year="))
    assert f'href="/surveys/{survey_in.pk}"' in both and f'href="/surveys/{survey_out.pk}"' in both
    only_out = html(city.get(f"/surveys?year=&town={CIZAO}"))
    assert f'href="/surveys/{survey_out.pk}"' in only_out
    assert f'href="/surveys/{survey_in.pk}"' not in only_out
    assert f'href="/surveys/{survey_in.pk}"' not in html(city.get("/surveys?year=2023"))
    assert f'href="/surveys/{survey_in.pk}"' in html(city.get("/surveys?year=2024"))


@pytest.mark.parametrize(
    "query",
    ["?year=abc", "?town=x", "?year=2024&town=1234", "?page=zz", "?page=-3", "?year=" + "9" * 50],
)
def test_bad_list_filters_are_shown_not_crashed(
    query: str, users: Any, survey_in: Survey, login: Any
) -> None:
    response = login(users.city_admin).get("/surveys" + query)
    assert response.status_code == 200
    if "year=abc" in query or "town=" in query:
        assert 'role="alert"' in html(response)


def test_a_survey_is_registered_from_the_persons_page(
    users: Any, person_in: Person, login: Any
) -> None:
    client = login(users.town_staff)
    person_page = html(client.get(f"/persons/{person_in.pk}"))
    assert f'href="/surveys/new?person={person_in.pk}"' in person_page
    assert "尚无调查记录" in person_page
    page = client.get(f"/surveys/new?person={person_in.pk}")
    assert page.status_code == 200
    data = form_data(post_form(html(page)))
    today = timezone.localdate()
    assert data["year"] == str(today.year) and data["surveyed_on"] == today.isoformat()
    data.update(
        wants_work="on",
        training_need="on",
        wanted_types=["employment_skills"],
        wanted_skills=["ecommerce", "cooking"],
        preferred_mode="centralized",
        accessibility_needs=["companion"],
        employment_form="",
        not_working_reason="4",
        surveyor="陈专干",
    )
    creates = AuditEntry.objects.filter(action="survey.create").count()
    response = client.post(f"/surveys/new?person={person_in.pk}", data)
    assert response.status_code == 302, html(response)[:2000]
    survey = Survey.objects.get(person=person_in)
    assert response["Location"] == f"/surveys/{survey.pk}"
    assert (survey.year, survey.surveyed_on, survey.not_working_reason) == (today.year, today, "4")
    assert survey.wants_work and survey.training_need
    assert sorted(survey.wanted_skills.values_list("code", flat=True)) == ["cooking", "ecommerce"]
    assert survey.accessibility_needs == ["companion"] and survey.surveyor == "陈专干"
    assert AuditEntry.objects.filter(action="survey.create").count() == creates + 1
    # The detail page says what was recorded, and the person's page lists it.
    detail = html(client.get(response["Location"]))
    for text in ("电子商务", "烹饪/面点", "集中办班", "陪同", "无就业技能", "陈专干"):
        assert text in detail, text
    history = html(client.get(f"/persons/{person_in.pk}"))
    assert "<caption>调查记录</caption>" in history
    assert (
        f'href="/surveys/{survey.pk}"' in history and f'href="/surveys/{survey.pk}/edit"' in history
    )
    assert "尚无调查记录" not in history


@pytest.mark.parametrize(
    "changes,messages",
    [
        ({"surveyed_on": ""}, ["请填写调查日期"]),
        ({"surveyed_on": "2024-02-30"}, [services.SURVEYED_ON_INVALID]),
        ({"surveyed_on": "2099-01-01", "year": "2099"}, [services.YEAR_INVALID]),
        ({"surveyed_on": "2023-12-31", "year": "2024"}, [services.SURVEYED_ON_OUTSIDE_YEAR]),
        ({"wanted_skills": ["ecommerce"]}, [services.NEEDS_WITHOUT_TRAINING]),
        ({"employment_form": "1", "not_working_reason": "2"}, ["已就业人员不填未就业原因"]),
        ({"employment_form": "9"}, []),  # not a choice: the form itself refuses it
        ({"year": "abc"}, []),
    ],
)
def test_an_invalid_survey_shows_every_error_and_writes_nothing(
    changes: dict[str, Any], messages: list[str], users: Any, person_in: Person, login: Any
) -> None:
    client = login(users.town_staff)
    data = form_data(post_form(html(client.get(f"/surveys/new?person={person_in.pk}"))))
    data.update(changes)
    entries = AuditEntry.objects.count()
    response = client.post(f"/surveys/new?person={person_in.pk}", data)
    assert response.status_code == 422
    page = html(response)
    assert 'class="error-summary" role="alert"' in page
    for message in messages:
        assert message in page, message
    assert not Survey.objects.exists() and AuditEntry.objects.count() == entries
    # What was typed is still in the form.
    for key, value in changes.items():
        if isinstance(value, str) and value and key != "employment_form":
            assert f'value="{value}"' in page, key


def test_a_second_survey_of_the_year_is_refused_on_the_page(
    users: Any, survey_in: Survey, login: Any
) -> None:
    client = login(users.town_staff)
    data = form_data(post_form(html(client.get(f"/surveys/new?person={survey_in.person_id}"))))
    data.update(year="2024", surveyed_on="2024-08-08")
    response = client.post(f"/surveys/new?person={survey_in.person_id}", data)
    assert response.status_code == 422
    assert services.SURVEY_DUPLICATE.format(year=2024) in html(response)
    assert Survey.objects.filter(person_id=survey_in.person_id).count() == 1


@pytest.mark.parametrize(
    "query", ["", "?person=", "?person=abc", f"?person={10**30}", "?person=-1"]
)
def test_the_new_survey_page_needs_a_person_in_scope(query: str, users: Any, login: Any) -> None:
    assert login(users.city_admin).get("/surveys/new" + query).status_code == 404


def test_editing_a_survey_saves_only_what_changed(
    users: Any, survey_in: Survey, login: Any
) -> None:
    client = login(users.town_staff)
    page = html(client.get(f"/surveys/{survey_in.pk}/edit"))
    data = form_data(post_form(page))
    assert data["surveyed_on"] == "2024-05-10" and data["employer"] == "甲鞋业公司"
    assert data["wanted_skills"] == ["ecommerce"] and data["training_need"] == ["on"]
    updates = AuditEntry.objects.filter(action="survey.update").count()
    # Saving untouched writes nothing.
    assert client.post(f"/surveys/{survey_in.pk}/edit", data).status_code == 302
    assert AuditEntry.objects.filter(action="survey.update").count() == updates
    data.update(employer="丙电商公司", wanted_skills=["ecommerce", "computer"])
    response = client.post(f"/surveys/{survey_in.pk}/edit", data)
    assert response.status_code == 302 and response["Location"] == f"/surveys/{survey_in.pk}"
    stored = Survey.objects.get(pk=survey_in.pk)
    assert stored.employer == "丙电商公司"
    assert sorted(stored.wanted_skills.values_list("code", flat=True)) == ["computer", "ecommerce"]
    entry = AuditEntry.objects.filter(action="survey.update").latest("id")
    assert set(entry.changes["diff"]) == {"employer", "wanted_skills"}


def test_an_invalid_edit_is_shown_and_not_saved(users: Any, survey_in: Survey, login: Any) -> None:
    client = login(users.city_admin)
    data = form_data(post_form(html(client.get(f"/surveys/{survey_in.pk}/edit"))))
    data.pop("training_need")
    data["employer"] = "改了"
    response = client.post(f"/surveys/{survey_in.pk}/edit", data)
    assert response.status_code == 422
    assert services.NEEDS_WITHOUT_TRAINING in html(response)
    assert Survey.objects.get(pk=survey_in.pk).employer == "甲鞋业公司"


def test_editing_keeps_a_skill_retired_since(users: Any, survey_in: Survey, login: Any) -> None:
    Skill.objects.filter(code="ecommerce").update(active=False)
    client = login(users.town_staff)
    page = html(client.get(f"/surveys/{survey_in.pk}/edit"))
    assert "电子商务（已停用）" in page
    data = form_data(post_form(page))
    assert data["wanted_skills"] == ["ecommerce"]
    data["employer"] = "丁公司"
    assert client.post(f"/surveys/{survey_in.pk}/edit", data).status_code == 302
    stored = Survey.objects.get(pk=survey_in.pk)
    assert stored.employer == "丁公司"
    assert list(stored.wanted_skills.values_list("code", flat=True)) == ["ecommerce"]
    # A new survey is not offered the retired skill.
    assert "电子商务" not in html(client.get(f"/surveys/new?person={survey_in.person_id}"))


@pytest.mark.parametrize("role", sorted(BROWSERS))
def test_the_detail_shows_the_record_and_edit_links_only_to_editors(
    role: str, users: Any, survey_in: Survey, login: Any
) -> None:
    page = html(login(users.by_role()[role]).get(f"/surveys/{survey_in.pk}"))
    for text in ("2024-05-10", "按比例就业", "甲鞋业公司", "电子商务", "岗位技能提升培训"):
        assert text in page, text
    assert (f'href="/surveys/{survey_in.pk}/edit"' in page) is (role in EDITORS)
    person_page = html(login(users.by_role()[role]).get(f"/persons/{survey_in.person_id}"))
    assert f'href="/surveys/{survey_in.pk}"' in person_page
    assert (f'href="/surveys/new?person={survey_in.person_id}"' in person_page) is (role in EDITORS)
    assert (f'href="/surveys/{survey_in.pk}/edit"' in person_page) is (role in EDITORS)


def test_a_persons_page_lists_only_their_own_surveys_newest_first(
    users: Any, survey_in: Survey, survey_out: Survey, login: Any
) -> None:
    newer = services.survey_create(
        actor=users.city_admin,
        data={"person": survey_in.person_id, "surveyed_on": timezone.localdate()},
    )
    page = html(login(users.city_admin).get(f"/persons/{survey_in.person_id}"))
    table = re.search(r"<caption>调查记录</caption>.*?</table>", page, re.S).group(0)
    assert f'/surveys/{survey_out.pk}"' not in table
    assert table.index(f'/surveys/{newer.pk}"') < table.index(f'/surveys/{survey_in.pk}"')
    assert '<th scope="col">' in table and '<th scope="row"' in table


def test_progress_lists_towns_sorts_them_and_opens_a_towns_unsurveyed(
    users: Any, survey_in: Survey, survey_out: Survey, login: Any
) -> None:
    client = login(users.city_admin)
    page = html(client.get(f"/surveys/progress?year={PAST_YEAR}"))
    assert "安海镇" in page and "磁灶镇" in page and "深沪镇" in page
    this_year = html(client.get("/surveys/progress?order=ratio"))
    assert 'aria-sort="ascending"' in this_year
    # This year nobody is surveyed: 安海镇's list names its person with a link to survey them.
    listed = html(client.get(f"/surveys/progress?town={ANHAI}"))
    missing = re.search(r'<section aria-labelledby="missing".*?</section>', listed, re.S).group(0)
    assert survey_in.person.name in missing
    assert f'href="/surveys/new?person={survey_in.person_id}"' in missing
    assert survey_out.person.name not in missing
    # In 2024 both were surveyed.
    done = html(client.get(f"/surveys/progress?year={PAST_YEAR}&town={ANHAI}"))
    assert "全部已调查" in done


def test_town_staff_progress_shows_their_town_only(
    users: Any, survey_in: Survey, survey_out: Survey, login: Any
) -> None:
    client = login(users.town_staff)
    page = html(client.get("/surveys/progress"))
    assert "安海镇" in page and "磁灶镇" not in page and "深沪镇" not in page
    other = html(client.get(f"/surveys/progress?town={CIZAO}"))
    assert survey_out.person.name not in other
    assert f"/surveys/new?person={survey_out.person_id}" not in other


@pytest.mark.parametrize(
    "query", ["?year=abc", "?town=x", "?order=evil", "?town=350582999000", f"?town={ANHAI}&page=zz"]
)
def test_bad_progress_parameters_are_shown_not_crashed(
    query: str, users: Any, survey_in: Survey, login: Any
) -> None:
    response = login(users.city_admin).get("/surveys/progress" + query)
    assert response.status_code == 200
    if "abc" in query or "town=x" in query:
        assert 'role="alert"' in html(response)


def test_city_staff_add_and_edit_skills_by_code(users: Any, login: Any) -> None:
    client = login(users.city_admin)
    response = client.post("/surveys/skills", {"code": "tea_art", "name": "茶艺", "active": "on"})
    assert response.status_code == 302
    assert Skill.objects.get(code="tea_art").name == "茶艺"
    assert "茶艺" in html(client.get("/surveys/skills"))
    # "填写已有代码即修改该技能": the same code with another name edits it; unchecked retires it.
    response = client.post("/surveys/skills", {"code": "tea_art", "name": "闽南茶艺"})
    assert response.status_code == 302, html(response)
    skill = Skill.objects.get(code="tea_art")
    assert (skill.name, skill.active) == ("闽南茶艺", False)
    assert AuditEntry.objects.filter(action="skill.save").count() == 2


@pytest.mark.parametrize(
    "data,message",
    [
        ({"code": "Tea Art", "name": "茶艺"}, services.SKILL_CODE_INVALID),
        ({"code": "tea_art", "name": "电子商务"}, services.SKILL_DUPLICATE),
        ({"code": "", "name": ""}, None),
        ({"code": "tea_art", "name": "茶艺", "skill": "abc"}, None),
    ],
)
def test_a_bad_skill_is_shown_on_the_page(
    data: dict[str, str], message: str | None, users: Any, login: Any
) -> None:
    count = Skill.objects.count()
    response = login(users.city_admin).post("/surveys/skills", data)
    if data.get("skill"):
        # A stray field is ignored, never a crash.
        assert response.status_code == 302
        return
    assert response.status_code == 422
    if message:
        assert message in html(response)
    assert Skill.objects.count() == count


@pytest.mark.parametrize("role", sorted(set(ROLES) - {"city_admin"}))
def test_only_city_staff_may_post_skills(role: str, users: Any, login: Any) -> None:
    response = login(users.by_role()[role]).post(
        "/surveys/skills", {"code": "tea_art", "name": "茶艺"}
    )
    assert response.status_code == 404
    assert not Skill.objects.filter(code="tea_art").exists()


@pytest.mark.parametrize(
    "path",
    [
        "/surveys",
        "/surveys/new?person=1",
        "/surveys/1",
        "/surveys/1/edit",
        "/surveys/progress",
        "/surveys/skills",
    ],
)
def test_anonymous_visitors_are_sent_to_login(path: str, db: Any) -> None:
    response = Client().get(path)
    assert response.status_code == 302 and response["Location"].startswith("/login?next=")
