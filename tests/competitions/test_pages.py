"""The competition and typical case pages: the role matrix of each, the menu, entering a person
from the competition's page (scope: another town's person or entry is not found), results,
consent, publication and its refusal, and the exports."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest

from canpei.accounts.roles import Role
from canpei.competitions import services
from canpei.competitions.models import Competition, Entry, TypicalCase
from tests.competitions.fixtures import TODAY, case_data, competition_data

ROLES = Role.values
READERS = {"city_admin", "town_staff", "employment_service", "auditor"}


@pytest.fixture
def case(users: Any, person_in: Any) -> TypicalCase:
    return services.case_create(actor=users.city_admin, data=case_data(person=person_in.pk))


def _entry(users: Any, competition: Competition, person: Any) -> Entry:
    return services.entry_create(
        actor=users.city_admin,
        competition=competition,
        data={"event": competition.events.get(name="电子商务").pk, "person": person.pk},
    )


@pytest.mark.parametrize("role", ROLES)
def test_pages_by_role(
    role: str, users: Any, login: Any, competition: Competition, case: TypicalCase, person_in: Any
) -> None:
    entry = _entry(users, competition, person_in)
    client = login(users.by_role()[role])
    reads = {
        "/competitions": client.get("/competitions"),
        f"/competitions/{competition.pk}": client.get(f"/competitions/{competition.pk}"),
        "/cases": client.get("/cases"),
        f"/cases/{case.pk}": client.get(f"/cases/{case.pk}"),
    }
    writes = {
        "/competitions/new": client.get("/competitions/new"),
        f"/competitions/{competition.pk}/edit": client.get(f"/competitions/{competition.pk}/edit"),
        "result": client.get(f"/competitions/{competition.pk}/entries/{entry.pk}/result"),
        "/cases/new": client.get("/cases/new"),
        f"/cases/{case.pk}/edit": client.get(f"/cases/{case.pk}/edit"),
    }
    home = client.get("/").content.decode()
    for path, response in reads.items():
        assert response.status_code == (200 if role in READERS else 404), path
    for path, response in writes.items():
        assert response.status_code == (200 if role == "city_admin" else 404), path
    assert ("技能竞赛" in home) == (role in READERS)
    assert ("典型案例" in home) == (role in READERS)
    if role in READERS:
        detail = reads[f"/competitions/{competition.pk}"].content.decode()
        assert ("报名参赛" in detail) == (role in ("city_admin", "town_staff"))
        assert person_in.name in detail
        assert person_in.id_number not in detail


def test_town_staff_enter_their_person_from_the_competition_page(
    users: Any, login: Any, competition: Competition, person_in: Any, person_out: Any
) -> None:
    client = login(users.town_staff)
    found = client.get(f"/competitions/{competition.pk}", {"q": person_in.name}).content.decode()
    assert f'name="person" value="{person_in.pk}"' in found
    # The other town's person is not offered, and posting their id reads as not found.
    other = client.get(f"/competitions/{competition.pk}", {"q": person_out.name}).content.decode()
    assert f'value="{person_out.pk}"' not in other
    event = competition.events.get(name="电子商务")
    refused = client.post(
        f"/competitions/{competition.pk}/entries", {"event": event.pk, "person": person_out.pk}
    )
    assert refused.status_code == 422
    assert "人员不存在或不属于本人管辖范围" in refused.content.decode()
    done = client.post(
        f"/competitions/{competition.pk}/entries",
        {"event": event.pk, "person": person_in.pk},
        follow=True,
    )
    assert f"已报名：{person_in.name}（电子商务）" in done.content.decode()
    again = client.post(
        f"/competitions/{competition.pk}/entries", {"event": event.pk, "person": person_in.pk}
    )
    assert again.status_code == 409
    assert "该人员已报名此项目，不能重复报名" in again.content.decode()
    assert Entry.objects.count() == 1


def test_another_towns_entry_is_not_shown_to_town_staff(
    users: Any, login: Any, competition: Competition, person_in: Any, person_out: Any
) -> None:
    _entry(users, competition, person_out)
    page = login(users.town_staff).get(f"/competitions/{competition.pk}").content.decode()
    assert person_out.name not in page
    assert "尚无参赛人员" in page


def test_the_city_creates_a_competition_and_records_a_result(
    users: Any, login: Any, person_in: Any
) -> None:
    client = login(users.city_admin)
    bad = client.post("/competitions/new", {**competition_data(end_date="2000-01-01", events="")})
    assert bad.status_code == 422
    text = bad.content.decode()
    assert "结束日期不能早于开始日期" in text and "请至少填写一个竞赛项目" in text
    data = competition_data(events="电子商务\n盲人保健按摩")
    response = client.post("/competitions/new", data, follow=True)
    competition = Competition.objects.get()
    assert f"已登记：{competition.name}" in response.content.decode()
    entry = _entry(users, competition, person_in)
    url = f"/competitions/{competition.pk}/entries/{entry.pk}/result"
    assert client.post(url, {"result": "90 分", "award": "gold"}).status_code == 422
    client.post(url, {"result": "90 分", "award": "first"})
    page = client.get(f"/competitions/{competition.pk}").content.decode()
    assert "一等奖" in page and "90 分" in page


def test_publishing_a_case_without_consent_is_refused_on_the_page(
    users: Any, login: Any, case: TypicalCase
) -> None:
    client = login(users.city_admin)
    day = TODAY.isoformat()
    refused = client.post(
        f"/cases/{case.pk}/publish", {"publish-date": day, "publish-channel": "wechat"}
    )
    assert refused.status_code == 409
    assert "案例涉及个人，须先登记本人同意（且未撤回）才能发布" in refused.content.decode()
    client.post(
        f"/cases/{case.pk}/consent",
        {"consent-date": day, "consent-method": "written", "consent-scope": "微信公众号"},
    )
    done = client.post(
        f"/cases/{case.pk}/publish", {"publish-date": day, "publish-channel": "wechat"}, follow=True
    )
    assert "已发布" in done.content.decode()
    withdrawn = client.post(f"/cases/{case.pk}/withdraw", {"withdraw-date": day}, follow=True)
    assert "已登记撤回同意，案例已撤下" in withdrawn.content.decode()
    case.refresh_from_db()
    assert case.published_on is None and case.consent_withdrawn_on == TODAY
    assert client.post(f"/cases/{case.pk}/unknown", {}).status_code == 404
    assert login(users.auditor).post(f"/cases/{case.pk}/publish", {}).status_code == 404


def test_the_exports_mask_numbers_and_follow_scope(
    users: Any,
    login: Any,
    competition: Competition,
    case: TypicalCase,
    person_in: Any,
    person_out: Any,
) -> None:
    mine = _entry(users, competition, person_in)
    _entry(users, competition, person_out)
    services.entry_record_result(actor=users.city_admin, entry=mine, data={"award": "second"})
    response = login(users.town_staff).get("/competitions/export")
    assert response.status_code == 200
    book = openpyxl.load_workbook(
        io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)
    )
    rows = [[c.value for c in row] for row in book.active.iter_rows()]
    body = [r for r in rows if r and r[0] == 1]
    assert len(body) == 1
    assert body[0][6] == person_in.name and body[0][10] == "二等奖"
    assert "*" in body[0][7] and person_in.id_number not in str(rows)
    cases = login(users.auditor).get("/cases/export")
    assert cases.status_code == 200
    assert login(users.institution_staff).get("/competitions/export").status_code == 404
