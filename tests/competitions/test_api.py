"""The `competitions`, `competitions/{id}/entries`, `entries/{id}` and `cases` API: the role
matrix of every endpoint, scope (another town's person or entry reads as not found), the rules
with the field named, and the publication refusal naming its rule."""

from __future__ import annotations

from typing import Any

import pytest

from canpei.accounts.roles import Role
from canpei.competitions import services
from canpei.competitions.models import Competition, Entry, TypicalCase
from tests.competitions.fixtures import TODAY, case_data, competition_data

ROLES = Role.values
READERS = {"city_admin", "town_staff", "employment_service", "auditor"}


def fields(response: Any) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


@pytest.fixture
def entered(users: Any, competition: Competition, person_in: Any, person_out: Any) -> Any:
    """Two entries: one of 安海 (town_staff's), one of 磁灶 (not)."""
    event = competition.events.get(name="电子商务")
    mine = services.entry_create(
        actor=users.town_staff,
        competition=competition,
        data={"event": event.pk, "person": person_in.pk},
    )
    theirs = services.entry_create(
        actor=users.other_town_staff,
        competition=competition,
        data={"event": event.pk, "person": person_out.pk},
    )
    return mine, theirs


@pytest.fixture
def cases(users: Any, person_in: Any, person_out: Any) -> tuple[TypicalCase, ...]:
    mine = services.case_create(actor=users.city_admin, data=case_data(person=person_in.pk))
    theirs = services.case_create(actor=users.city_admin, data=case_data(person=person_out.pk))
    nobody = services.case_create(actor=users.city_admin, data=case_data())
    return mine, theirs, nobody


@pytest.mark.parametrize("role", ROLES)
def test_reading_competitions_by_role(
    role: str, users: Any, api: Any, competition: Competition, entered: Any
) -> None:
    client = api(users.by_role()[role])
    listed = client.get("/competitions")
    detail = client.get(f"/competitions/{competition.pk}")
    entries = client.get(f"/competitions/{competition.pk}/entries")
    mine, theirs = entered
    one = client.get(f"/entries/{mine.pk}")
    other = client.get(f"/entries/{theirs.pk}")
    if role not in READERS:
        assert (listed.status_code, entries.status_code) == (403, 403)
        assert listed.json()["detail"] == "当前角色不能查看职业技能竞赛"
        assert (detail.status_code, one.status_code) == (404, 404)
        return
    assert listed.status_code == 200 and listed.json()["count"] == 1
    body = detail.json()
    assert body["level"] == "city"
    assert [e["name"] for e in body["events"]] == ["电子商务", "盲人保健按摩"]
    seen = {e["id"] for e in entries.json()["results"]}
    if role == "town_staff":
        assert seen == {mine.pk}
        assert (one.status_code, other.status_code) == (200, 404)
    else:
        assert seen == {mine.pk, theirs.pk}
        assert (one.status_code, other.status_code) == (200, 200)
    assert one.json()["person_id_number"].count("*") == 8


@pytest.mark.parametrize("role", ROLES)
def test_writing_competitions_by_role(role: str, users: Any, api: Any) -> None:
    client = api(users.by_role()[role])
    response = client.post("/competitions", competition_data())
    if role == "city_admin":
        assert response.status_code == 201, response.content
        created = response.json()
        assert created["start_date"] == competition_data()["start_date"]
        patched = client.patch(f"/competitions/{created['id']}", {"level": "province"})
        assert patched.status_code == 200 and patched.json()["level"] == "province"
    else:
        assert response.status_code == 403
        assert response.json()["detail"] == "当前角色不能登记或修改职业技能竞赛"
        assert not Competition.objects.exists()


def test_bad_competition_input_names_the_fields(users: Any, api: Any) -> None:
    response = api(users.city_admin).post(
        "/competitions", competition_data(level="county", end_date="2000-01-01", events=[])
    )
    assert response.status_code == 422
    assert fields(response) == {
        "level": "竞赛级别须为市级、泉州市级、省级、全国之一",
        "end_date": "结束日期不能早于开始日期",
        "events": "请至少填写一个竞赛项目",
    }
    assert api(users.city_admin).post("/competitions", {"nom": "x"}).status_code == 422


@pytest.mark.parametrize("role", ROLES)
def test_entering_by_role(
    role: str, users: Any, api: Any, competition: Competition, person_in: Any
) -> None:
    event = competition.events.get(name="电子商务")
    response = api(users.by_role()[role]).post(
        f"/competitions/{competition.pk}/entries", {"event": event.pk, "person": person_in.pk}
    )
    if role in ("city_admin", "town_staff"):
        assert response.status_code == 201, response.content
        assert response.json()["person"] == person_in.pk
        assert response.json()["event_name"] == "电子商务"
    else:
        assert response.status_code == 403
        assert response.json()["detail"] == "当前角色不能为人员报名竞赛"
        assert not Entry.objects.exists()


def test_town_staff_cannot_enter_another_towns_person(
    users: Any, api: Any, competition: Competition, person_out: Any, person_in: Any
) -> None:
    client = api(users.town_staff)
    event = competition.events.get(name="电子商务")
    response = client.post(
        f"/competitions/{competition.pk}/entries", {"event": event.pk, "person": person_out.pk}
    )
    assert response.status_code == 422
    assert fields(response) == {"person": "人员不存在或不属于本人管辖范围"}
    for person in ("abc", 10**15, None):
        bad = client.post(
            f"/competitions/{competition.pk}/entries", {"event": event.pk, "person": person}
        )
        assert bad.status_code == 422
    first = client.post(
        f"/competitions/{competition.pk}/entries", {"event": event.pk, "person": person_in.pk}
    )
    assert first.status_code == 201
    second = client.post(
        f"/competitions/{competition.pk}/entries", {"event": event.pk, "person": person_in.pk}
    )
    assert second.status_code == 409
    assert fields(second) == {"person": "该人员已报名此项目，不能重复报名"}
    assert client.post("/competitions/999999/entries", {"event": event.pk}).status_code == 404
    assert Entry.objects.count() == 1


def test_another_towns_entry_is_not_found_for_results_or_reading(
    users: Any, api: Any, entered: Any
) -> None:
    mine, theirs = entered
    town = api(users.town_staff)
    assert town.get(f"/entries/{theirs.pk}").status_code == 404
    # Town staff record no results at all: 403 before looking, alike for either entry.
    assert town.patch(f"/entries/{mine.pk}", {"award": "first"}).status_code == 403
    assert town.patch(f"/entries/{theirs.pk}", {"award": "first"}).status_code == 403
    city = api(users.city_admin)
    response = city.patch(f"/entries/{theirs.pk}", {"result": "90 分", "award": "second"})
    assert response.status_code == 200
    assert (response.json()["result"], response.json()["award"]) == ("90 分", "second")
    bad = city.patch(f"/entries/{theirs.pk}", {"award": "gold"})
    assert bad.status_code == 422
    assert fields(bad) == {"award": "获奖等次须为一等奖、二等奖、三等奖、优秀奖之一"}
    assert api(users.auditor).patch(f"/entries/{theirs.pk}", {"award": ""}).status_code == 403


def test_entries_filter_by_award(
    users: Any, api: Any, competition: Competition, entered: Any
) -> None:
    mine, _theirs = entered
    services.entry_record_result(actor=users.city_admin, entry=mine, data={"award": "first"})
    client = api(users.auditor)
    awarded = client.get(f"/competitions/{competition.pk}/entries", award="any").json()
    assert [e["id"] for e in awarded["results"]] == [mine.pk]
    assert client.get(f"/competitions/{competition.pk}/entries", award="gold").status_code == 422


# ---- cases -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_reading_cases_by_role(role: str, users: Any, api: Any, cases: Any) -> None:
    client = api(users.by_role()[role])
    mine, theirs, nobody = cases
    listed = client.get("/cases")
    if role not in READERS:
        assert listed.status_code == 403
        assert listed.json()["detail"] == "当前角色不能查看典型案例"
        assert client.get(f"/cases/{mine.pk}").status_code == 404
        return
    seen = {c["id"] for c in listed.json()["results"]}
    if role == "town_staff":
        assert seen == {mine.pk}
        assert client.get(f"/cases/{theirs.pk}").status_code == 404
        assert client.get(f"/cases/{nobody.pk}").status_code == 404
    else:
        assert seen == {mine.pk, theirs.pk, nobody.pk}


@pytest.mark.parametrize("role", ROLES)
def test_writing_cases_by_role(role: str, users: Any, api: Any, cases: Any) -> None:
    client = api(users.by_role()[role])
    mine = cases[0]
    created = client.post("/cases", case_data(channel="wechat"))
    patched = client.patch(f"/cases/{mine.pk}", {"title": "新标题"})
    consent = client.post(
        f"/cases/{mine.pk}/consent",
        {"date": TODAY.isoformat(), "method": "e_signature", "scope": "网站"},
    )
    publish = client.post(
        f"/cases/{mine.pk}/publish", {"date": TODAY.isoformat(), "channel": "website"}
    )
    withdraw = client.post(f"/cases/{mine.pk}/consent/withdraw", {"date": TODAY.isoformat()})
    unpublish = client.post(f"/cases/{mine.pk}/unpublish", {})
    codes = [r.status_code for r in (created, patched, consent, publish, withdraw, unpublish)]
    if role == "city_admin":
        # The withdrawal unpublished the case: unpublishing it again is a conflict.
        assert codes == [201, 200, 200, 200, 200, 409]
        assert withdraw.json()["published_on"] is None
        assert unpublish.json()["detail"] == "案例尚未发布"
    else:
        assert codes == [403] * 6
        assert created.json()["detail"] == "当前角色不能登记或修改典型案例"
        assert TypicalCase.objects.count() == 3


def test_publishing_without_consent_answers_409_naming_the_rule(
    users: Any, api: Any, cases: Any
) -> None:
    client = api(users.city_admin)
    mine = cases[0]
    response = client.post(
        f"/cases/{mine.pk}/publish", {"date": TODAY.isoformat(), "channel": "wechat"}
    )
    assert response.status_code == 409
    assert response.json()["detail"] == "案例涉及个人，须先登记本人同意（且未撤回）才能发布"
    assert fields(response) == {"consent": "案例涉及个人，须先登记本人同意（且未撤回）才能发布"}
    assert client.get(f"/cases/{mine.pk}").json()["published_on"] is None
    bad = client.post(f"/cases/{mine.pk}/consent", {"date": "tomorrow", "method": "x", "scope": ""})
    assert bad.status_code == 422
    assert set(fields(bad)) == {"date", "method", "scope"}


def test_a_case_cannot_name_another_towns_person_through_the_city_only(
    users: Any, api: Any, person_out: Any
) -> None:
    response = api(users.city_admin).post("/cases", case_data(person=person_out.pk))
    assert response.status_code == 201
    assert response.json()["person_name"] == "李四"
    missing = api(users.city_admin).post("/cases", case_data(person=999999))
    assert missing.status_code == 422
    assert fields(missing) == {"person": "人员不存在或不属于本人管辖范围"}
