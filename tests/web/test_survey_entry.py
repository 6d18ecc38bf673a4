"""A clerk's survey round (issue 13): save and go on to the next person not yet surveyed, the
existing survey offered when a second one of the year is refused, this year's list by default."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from canpei.people.models import Person, Survey
from canpei.people.services import person_create
from canpei.people.surveys import services as services
from tests.conftest import CIZAO, make_id, person_data
from tests.forms import form_data, post_form


def html(response: Any) -> str:
    return response.content.decode()


def _persons(users: Any) -> list[Person]:
    """Three persons of 安海镇 and one of 磁灶镇, in the order of their ids."""
    made = [
        person_create(
            actor=users.city_admin,
            data=person_data(name=name, id_number=make_id(f"3505821990030700{i}"), cert_number=""),
        )
        for i, name in enumerate(("甲一", "乙二", "丙三"), start=1)
    ]
    made.append(
        person_create(
            actor=users.city_admin,
            data=person_data(
                name="丁四", id_number=make_id("35058219900307009"), cert_number="", town=CIZAO
            ),
        )
    )
    return made


def _save_and_next(client: Any, person: Person) -> Any:
    data = form_data(post_form(html(client.get(f"/surveys/new?person={person.pk}"))))
    data["next"] = "1"
    return client.post(f"/surveys/new?person={person.pk}", data)


def test_save_and_next_opens_the_next_unsurveyed_person_of_the_town(users: Any, login: Any) -> None:
    first, second, third, elsewhere = _persons(users)
    client = login(users.town_staff)
    page = html(client.get(f"/surveys/new?person={first.pk}"))
    assert 'name="next"' in page and "保存并登记下一位未调查人员" in page
    # The second person is surveyed already: the round skips them.
    services.survey_create(
        actor=users.city_admin, data={"person": second.pk, "surveyed_on": timezone.localdate()}
    )
    response = _save_and_next(client, first)
    assert response.status_code == 302
    assert response["Location"] == f"/surveys/new?person={third.pk}"
    assert Survey.objects.filter(person=first, year=timezone.localdate().year).exists()
    # The last of the town: the round is over, the progress page says so; 磁灶镇 is not offered.
    response = _save_and_next(client, third)
    assert response.status_code == 302
    assert response["Location"] == f"/surveys/progress?year={timezone.localdate().year}"
    done = html(client.get(response["Location"]))
    assert "应调查人员已全部调查" in done
    assert not Survey.objects.filter(person=elsewhere).exists()


def test_save_and_next_goes_back_to_an_earlier_person_not_yet_surveyed(
    users: Any, login: Any
) -> None:
    first, second, third, _ = _persons(users)
    client = login(users.town_staff)
    response = _save_and_next(client, third)
    assert response["Location"] == f"/surveys/new?person={first.pk}"


def test_a_plain_save_still_opens_the_saved_survey(users: Any, login: Any) -> None:
    first, *_ = _persons(users)
    client = login(users.town_staff)
    data = form_data(post_form(html(client.get(f"/surveys/new?person={first.pk}"))))
    response = client.post(f"/surveys/new?person={first.pk}", data)
    assert response["Location"] == f"/surveys/{Survey.objects.get(person=first).pk}"


def test_a_refused_second_survey_links_to_the_existing_one(users: Any, login: Any) -> None:
    first, *_ = _persons(users)
    existing = services.survey_create(
        actor=users.city_admin,
        data={"person": first.pk, "year": 2024, "surveyed_on": dt.date(2024, 5, 10)},
    )
    client = login(users.town_staff)
    data = form_data(post_form(html(client.get(f"/surveys/new?person={first.pk}"))))
    data.update(year="2024", surveyed_on="2024-08-08")
    response = client.post(f"/surveys/new?person={first.pk}", data)
    assert response.status_code == 422
    page = html(response)
    assert services.SURVEY_DUPLICATE.format(year=2024) in page
    assert "2024 年的调查已登记" in page
    assert f'href="/surveys/{existing.pk}"' in page
    assert f'href="/surveys/{existing.pk}/edit"' in page
    # Another error (no date) offers no link.
    data.update(surveyed_on="", year="2023")
    page = html(client.post(f"/surveys/new?person={first.pk}", data))
    assert f'href="/surveys/{existing.pk}"' not in page


def test_the_survey_list_opens_on_this_year(users: Any, login: Any) -> None:
    first, second, *_ = _persons(users)
    this_year = timezone.localdate().year
    current = services.survey_create(
        actor=users.city_admin, data={"person": first.pk, "surveyed_on": timezone.localdate()}
    )
    old = services.survey_create(
        actor=users.city_admin,
        data={"person": second.pk, "year": 2024, "surveyed_on": dt.date(2024, 5, 10)},
    )
    client = login(users.town_staff)
    page = html(client.get("/surveys"))
    assert f'value="{this_year}"' in page
    assert f'href="/surveys/{current.pk}"' in page and f'href="/surveys/{old.pk}"' not in page
    # The export link carries the year shown.
    assert f"/surveys/export?year={this_year}" in page
    every = html(client.get("/surveys?year="))
    assert f'href="/surveys/{current.pk}"' in every and f'href="/surveys/{old.pk}"' in every
