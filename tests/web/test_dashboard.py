"""The dashboard a role lands on after signing in."""

from __future__ import annotations

import re

from django.utils import timezone

from canpei.people.surveys.services import survey_create


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_town_staff_see_this_years_survey_progress_of_their_town_only(
    users, person_in, person_out, login
):
    today = timezone.localdate()
    survey_create(actor=users.city_admin, data={"person": person_in.pk, "surveyed_on": today})
    page = text_of(login(users.town_staff).get("/"))
    assert f"{today.year} 年已调查 1 / 1" in page
    assert "安海镇 1 1 1 1 / 1" in page
    assert "磁灶镇" not in page


def test_the_city_sees_every_town_with_a_person(users, person_in, person_out, login):
    page = text_of(login(users.city_admin).get("/"))
    assert f"{timezone.localdate().year} 年已调查 0 / 2" in page
    assert "磁灶镇 1 1 1 0 / 1" in page


def test_institution_staff_see_their_designation(users, login):
    page = text_of(login(users.institution_staff).get("/"))
    assert "晋江市职业技术学校" in page
    assert "定点状态：定点" in page
