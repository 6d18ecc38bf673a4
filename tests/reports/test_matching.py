"""Matching needs to supply (issue 12 item 4) on a hand-built set with a known answer."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import translation

from canpei.errors import Forbidden, NotFound
from canpei.people.models import Skill, Survey
from canpei.reports.matching import matching_report
from tests.conftest import ANHAI, CIZAO

YEAR = dt.date.today().year


def survey(
    person: Any,
    skills: list[Skill],
    *,
    year: int = YEAR,
    need: bool = True,
    mode: str = "centralized",
    types: tuple[str, ...] = ("employment_skills",),
) -> None:
    row = Survey.objects.create(
        person=person,
        year=year,
        training_need=need,
        preferred_mode=mode,
        wanted_types=list(types),
        surveyed_on=dt.date(year, 3, 1),
    )
    row.wanted_skills.set(skills)


@pytest.fixture
def world(make_class: Any, trainee_factory: Any, institution: Any) -> dict[str, Any]:
    ecommerce = Skill.objects.get(code="ecommerce")
    massage = Skill.objects.get(code="blind_massage")
    # 安海镇: 5 want e-commerce (one of them also massage); one no longer needs training this
    # year (an older survey said so), one is surveyed only last year and still counts.
    anhai = [trainee_factory(town=ANHAI) for _ in range(7)]
    for person in anhai[:4]:
        survey(person, [ecommerce])
    survey(anhai[4], [ecommerce, massage], mode="remote")
    survey(anhai[5], [ecommerce], year=YEAR - 1)
    survey(anhai[5], [ecommerce], need=False)
    survey(anhai[6], [massage], year=YEAR - 1)
    # 磁灶镇: 2 want massage.
    for person in [trainee_factory(town=CIZAO) for _ in range(2)]:
        survey(person, [massage])
    # Supply: one e-commerce class of an 安海 institution, 3 places of which 1 taken.
    institution.town_id = ANHAI
    institution.save(update_fields=["town"])
    draft = make_class("draft", trainees=0, persons=[anhai[0]], skill="ecommerce", capacity=3)
    # A cancelled one offers nothing.
    make_class("cancelled", trainees=0, skill="ecommerce", capacity=30)
    return {"ecommerce": ecommerce, "massage": massage, "draft": draft, "anhai": anhai}


def test_the_known_answer(users, world, institution):
    assert institution.town_id == ANHAI
    rows = matching_report(user=users.city_admin, year=YEAR)
    got = [(r.town, r.skill_name, r.demand, r.places, r.unmet) for r in rows]
    assert got == [
        (ANHAI, "电子商务", 5, 2, 3),
        (ANHAI, "盲人保健按摩", 2, 0, 2),
        (CIZAO, "盲人保健按摩", 2, 0, 2),
    ]
    assert rows[0].advice == "安海镇：5 人希望参加电子商务培训，已有 1 个班 2 个名额，尚缺 3 个"
    assert rows[1].advice == "安海镇：2 人希望参加盲人保健按摩培训，尚无计划开班"
    assert rows[1].by_mode == {"remote": 1, "centralized": 1}


def test_the_advice_in_english_names_no_plural_it_cannot_agree(users, world):
    # Town and skill names are data and stay as recorded; the counts stand alone after a
    # colon, so "1" never reads as "1 classes".
    rows = matching_report(user=users.city_admin, year=YEAR)
    with translation.override("en"):
        assert rows[0].advice == (
            "安海镇: training in 电子商务 wanted: 5; classes: 1, places: 2; short: 3"
        )
        assert rows[1].advice == "安海镇: training in 盲人保健按摩 wanted: 2; no class is planned"


def test_a_town_sees_its_own_town_only(users, world):
    rows = matching_report(user=users.town_staff, year=YEAR)
    assert {r.town for r in rows} == {ANHAI}
    with pytest.raises(NotFound):
        matching_report(user=users.town_staff, year=YEAR, town=CIZAO)
    with pytest.raises(Forbidden):
        matching_report(user=users.institution_staff, year=YEAR)


def test_the_api_and_the_page(users, world, api, client):
    response = api(users.city_admin).get(f"/reports/matching?year={YEAR}&town={ANHAI}")
    assert response.status_code == 200, response.content
    first = response.json()["results"][0]
    assert (first["skill_name"], first["demand"], first["places"], first["unmet"]) == (
        "电子商务",
        5,
        2,
        3,
    )
    assert api(users.town_staff).get(f"/reports/matching?town={CIZAO}").status_code == 404
    assert api(users.institution_staff).get("/reports/matching").status_code == 403
    client.force_login(users.town_staff)
    html = client.get("/reports/matching").content.decode()
    assert "安海镇：2 人希望参加盲人保健按摩培训，尚无计划开班" in html
    assert "磁灶镇" not in html


def test_a_draft_class_lists_who_wants_its_skill_and_one_press_enrols_them(users, world, client):
    from canpei.reports.matching import class_candidates

    draft, anhai = world["draft"], world["anhai"]
    found = class_candidates(user=users.city_admin, training_class=draft)
    # On the roster already (0) and no longer in need (5) are left out; massage (6) too.
    assert [s.person_id for s in found] == [p.pk for p in anhai[1:5]]
    client.force_login(users.city_admin)
    html = client.get(f"/classes/{draft.pk}").content.decode()
    assert "希望参加本技能培训的调查对象" in html
    first = anhai[1]
    assert (
        f'<tr><th scope="row"><a href="/persons/{first.pk}">{first.name}</a></th>'
        f"<td>安海镇</td>\n        <td>集中办班</td><td>—</td>\n        "
        f'<td><form method="post" action="/classes/{draft.pk}/enroll-candidate">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="'
    ) in html
    assert html.count(f'action="/classes/{draft.pk}/enroll-candidate"') == 4
    # Town staff read the candidates of their town and keep no rosters: no button.
    client.force_login(users.town_staff)
    html = client.get(f"/classes/{draft.pk}").content.decode()
    assert f'<a href="/persons/{first.pk}">{first.name}</a></th><td>安海镇</td>' in html
    assert "enroll-candidate" not in html
    client.force_login(users.city_admin)
    response = client.post(f"/classes/{draft.pk}/enroll-candidate", {"person": str(anhai[1].pk)})
    assert response.status_code == 302
    assert draft.enrollments.filter(person=anhai[1]).exists()
    assert anhai[1].pk not in [
        s.person_id for s in class_candidates(user=users.city_admin, training_class=draft)
    ]


def test_a_persons_page_lists_the_open_classes_that_fit(users, world, client):
    from canpei.reports.matching import classes_for_person

    draft, anhai = world["draft"], world["anhai"]
    assert classes_for_person(user=users.city_admin, person=anhai[1]) == [draft]
    # Prefers remote study: the centralized class does not fit; no longer in need: none.
    assert classes_for_person(user=users.city_admin, person=anhai[4]) == []
    assert classes_for_person(user=users.city_admin, person=anhai[5]) == []
    assert classes_for_person(user=users.institution_staff, person=anhai[1]) == []
    # Wants another skill (massage, last year's survey still the latest): none, read alone or
    # from the surveys the page has read.
    assert classes_for_person(user=users.city_admin, person=anhai[6]) == []
    assert (
        classes_for_person(
            user=users.city_admin, person=anhai[6], surveys=list(anhai[6].surveys.all())
        )
        == []
    )
    assert classes_for_person(
        user=users.city_admin, person=anhai[1], surveys=list(anhai[1].surveys.all())
    ) == [draft]
    client.force_login(users.city_admin)
    html = client.get(f"/persons/{anhai[1].pk}").content.decode()
    assert "适合的培训班" in html and draft.code in html
    client.post(f"/classes/{draft.pk}/enroll-candidate", {"person": str(anhai[1].pk)})
    assert classes_for_person(user=users.city_admin, person=anhai[1]) == []


def test_the_one_press_enrolment_is_scope_checked(users, world, client):
    draft, anhai = world["draft"], world["anhai"]
    # Town staff keep no rosters; an institution names only a person it has just looked up.
    client.force_login(users.town_staff)
    refused = client.post(f"/classes/{draft.pk}/enroll-candidate", {"person": str(anhai[2].pk)})
    assert refused.status_code in (403, 404)
    client.force_login(users.institution_staff)
    response = client.post(
        f"/classes/{draft.pk}/enroll-candidate", {"person": str(anhai[2].pk)}, follow=True
    )
    assert "未找到该学员" in response.content.decode()
    assert not draft.enrollments.filter(person=anhai[2]).exists()


def test_the_table_is_exported_as_the_page_lists_it(users, world, client):
    from io import BytesIO

    from openpyxl import load_workbook

    from canpei.audit.models import AuditEntry
    from canpei.reports.exports import matching_export

    out = BytesIO()
    assert matching_export(actor=users.town_staff, year=YEAR, out=out) == 2
    sheet = load_workbook(BytesIO(out.getvalue())).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True) if any(r)]
    header = rows.index(
        ["镇街", "区划代码", "需求技能", "需求人数", "计划或在办培训班", "剩余名额", "缺口", "建议"]
    )
    draft = world["draft"]
    assert rows[header + 1 :] == [
        [
            "安海镇",
            ANHAI,
            "电子商务",
            5,
            f"{draft.code} {draft.name}",
            2,
            3,
            "安海镇：5 人希望参加电子商务培训，已有 1 个班 2 个名额，尚缺 3 个",
        ],
        [
            "安海镇",
            ANHAI,
            "盲人保健按摩",
            2,
            None,
            0,
            2,
            "安海镇：2 人希望参加盲人保健按摩培训，尚无计划开班",
        ],
    ]
    assert AuditEntry.objects.filter(action="export.matching").count() == 1
    # From the page: the link carries the page's year; institutions get no table.
    client.force_login(users.city_admin)
    page = client.get(f"/reports/matching?year={YEAR}").content.decode()
    assert f"/matching/export?year={YEAR}" in page
    assert client.get(f"/matching/export?year={YEAR}").status_code == 200
    client.force_login(users.institution_staff)
    assert client.get("/matching/export").status_code == 404


# The person page's queries (issue 14): the session and the user, the person, their surveys
# (read once for the table, the timeline and the fitting classes), their enrolments (once for the
# trainings table and the timeline), applications, follow-ups, services, the fitting classes
# (the latest survey's wanted skills a subquery of theirs) and the alerts about the person. Town
# staff also check which of the classes they may open, and the header names their town.
PERSON_PAGE_QUERIES = {"city_admin": 10, "town_staff": 12}


@pytest.mark.parametrize("role", sorted(PERSON_PAGE_QUERIES))
def test_the_person_page_reads_each_thing_once(users, world, make_class, login, role):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    person, draft = world["anhai"][1], world["draft"]
    survey(person, [world["massage"]], year=YEAR - 1, need=False)
    running = make_class("running", persons=[person])
    client = login(getattr(users, role))
    client.get("/persons")  # the session's first request writes it
    with CaptureQueriesContext(connection) as captured:
        html = client.get(f"/persons/{person.pk}").content.decode()
    assert len(captured.captured_queries) == PERSON_PAGE_QUERIES[role], [
        q["sql"][:150] for q in captured.captured_queries
    ]
    # The surveys (both years), the class taken, the fitting class and the timeline are shown.
    assert f"/surveys/{person.surveys.get(year=YEAR).pk}" in html
    assert f"/surveys/{person.surveys.get(year=YEAR - 1).pk}" in html
    assert f'href="/classes/{running.pk}"' in html and running.code in html
    assert "适合的培训班" in html and draft.code in html
    assert f"{YEAR} 年需求调查" in html and f"{YEAR - 1} 年需求调查" in html


def test_candidates_are_listed_by_town_then_in_registry_order_within_the_users_scope(
    users, world, trainee_factory
):
    from canpei.reports.matching import class_candidates

    ecommerce, draft = world["ecommerce"], world["draft"]
    # Registered in this order, names in the opposite order: the list follows the registry.
    cizao = trainee_factory(town=CIZAO, name="甲子")
    late = trainee_factory(town=ANHAI, name="丁卯")
    for person in (cizao, late):
        survey(person, [ecommerce])
    anhai = [p.pk for p in world["anhai"][1:5]]

    def candidates(user: Any) -> list[int]:
        return [s.person_id for s in class_candidates(user=user, training_class=draft)]

    # 安海镇 (350582101000) before 磁灶镇 (350582102000).
    assert candidates(users.city_admin) == [*anhai, late.pk, cizao.pk]
    assert candidates(users.town_staff) == [*anhai, late.pk]
    assert candidates(users.other_town_staff) == [cizao.pk]
    # Each comes with the survey that made them a candidate: their latest.
    found = class_candidates(user=users.city_admin, training_class=draft)
    assert all(s.year == YEAR and s.training_need for s in found)
    assert found[-1].person.town.name == "磁灶镇"


def test_who_is_no_candidate(users, world, trainee_factory, make_class):
    from canpei.people.services import person_change_status
    from canpei.reports.matching import class_candidates
    from canpei.training.models import Enrollment

    ecommerce, massage, draft = world["ecommerce"], world["massage"], world["draft"]
    trained, other_skill, inactive, future, next_year, wanted_later = (
        trainee_factory() for _ in range(6)
    )
    for person in (trained, other_skill, inactive, future, next_year, wanted_later):
        survey(person, [ecommerce])
    # Completed a class of this skill: no candidate; completed one of another skill, or only
    # enrolled in a class of this one: still a candidate.
    done = make_class("draft", persons=[trained], skill="ecommerce")
    other = make_class("draft", persons=[other_skill], skill="blind_massage")
    Enrollment.objects.filter(training_class__in=[done, other]).update(status="completed")
    make_class("draft", persons=[future], skill="ecommerce")
    person_change_status(actor=users.city_admin, person=inactive, status="deceased", comment="测试")
    # A survey of next year does not count yet, neither to want nor to stop wanting; an earlier
    # one that wanted another skill is superseded.
    survey(future, [massage], year=YEAR + 1, need=False)
    Survey.objects.filter(person=next_year, year=YEAR).update(year=YEAR + 1)
    survey(wanted_later, [massage], year=YEAR - 1)
    got = {s.person_id for s in class_candidates(user=users.city_admin, training_class=draft)}
    assert trained.pk not in got and inactive.pk not in got and next_year.pk not in got
    assert {other_skill.pk, future.pk, wanted_later.pk} <= got


@pytest.mark.parametrize("state", ["draft", "returned"])
def test_a_class_being_planned_has_candidates_and_no_other_does(users, world, make_class, state):
    from canpei.reports.matching import class_candidates

    planned = make_class(state, trainees=1, skill="ecommerce")
    assert len(class_candidates(user=users.city_admin, training_class=planned)) == 5
    submitted = make_class("submitted", trainees=1, skill="ecommerce")
    assert class_candidates(user=users.city_admin, training_class=submitted) == []
    assert class_candidates(user=users.institution_staff, training_class=planned) == []


def test_at_most_the_limit_of_candidates_first_in_order(users, world, monkeypatch):
    from canpei.reports import matching

    monkeypatch.setattr(matching, "CANDIDATE_LIMIT", 3)
    found = matching.class_candidates(user=users.city_admin, training_class=world["draft"])
    assert [s.person_id for s in found] == [p.pk for p in world["anhai"][1:4]]


def test_the_fitting_classes_cost_no_query_each(users, world, client, make_class):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    person = world["anhai"][1]
    client.force_login(users.city_admin)

    def page() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            html = client.get(f"/persons/{person.pk}").content.decode()
        # Not the idle timeout's renewal of the session, made at most once a minute.
        reads = [q for q in queries if q["sql"].startswith("SELECT")]
        return len(reads), html

    one, _html = page()
    second = make_class("draft", trainees=0, skill="ecommerce", capacity=5)
    two, html = page()
    assert second.code in html and second.institution.name in html
    assert two == one
