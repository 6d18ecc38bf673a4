"""The English UI is English (issue 13): on the pages a clerk works with every day, opened with
the language set to English, no Chinese is left but the records' own data (names of persons,
towns, institutions, classes, skills). A string of the UI missing from the English catalogue,
or shown without going through the translation machinery, fails here with the page and text."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from canpei.institutions.models import Institution
from canpei.people.models import Person, Skill
from canpei.people.surveys import services as surveys
from canpei.regions.models import Region
from canpei.training.models import Enrollment, TrainingClass
from tests.training.conftest import class_data, designated, make_class, trainee_factory  # noqa: F401

HAN = re.compile(r"[\u4e00-\u9fff]+")


def _visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    # The language switch names each language in itself (中文).
    html = re.sub(r'<option [^>]*lang="zh-CN"[^>]*>.*?</option>', " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", "\n", html)
    # What the UI says in attributes a person meets: labels, titles, placeholders.
    attributes = re.findall(r'\b(?:aria-label|title|placeholder|alt)="([^"]*)"', html)
    return text + "\n" + "\n".join(attributes)


def _data() -> list[str]:
    """The records' own words, longest first (so a class named after its town goes whole)."""
    words: set[str] = set()
    words |= set(Person.objects.values_list("name", flat=True))
    words |= set(Region.objects.values_list("name", flat=True))
    words |= set(Institution.objects.values_list("name", flat=True))
    words |= set(Skill.objects.values_list("name", flat=True))
    for row in TrainingClass.objects.values_list("name", "occupation", "venue", "industry"):
        words |= set(row)
    # The trainees' training results (培训成绩) are free text the institution typed.
    words |= set(Enrollment.objects.values_list("result", flat=True))
    words |= {"甲鞋业公司"}
    return sorted((w for w in words if w), key=len, reverse=True)


def untranslated(client: Client, path: str) -> list[str]:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    text = _visible_text(response.content.decode())
    for word in _data():
        text = text.replace(word, " ")
    return sorted({m.group(0) for m in HAN.finditer(text)})


@pytest.fixture
def english(users: Any) -> Any:
    def client_for(role: str) -> Client:
        client = Client()
        client.force_login(getattr(users, role))
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return client_for


def test_the_daily_pages_have_no_chinese_left_in_english(
    english: Any, users: Any, make_class: Any, person_in: Any
) -> None:
    training_class = make_class("completed", trainees=2)
    survey = surveys.survey_create(
        actor=users.city_admin,
        data={
            "person": person_in.pk,
            "year": 2024,
            "surveyed_on": dt.date(2024, 5, 10),
            "employment_form": "1",
            "employer": "甲鞋业公司",
        },
    )
    pages = {
        "town_staff": [
            "/persons",
            f"/persons/{person_in.pk}",
            "/surveys?year=",
            f"/surveys/{survey.pk}",
            f"/surveys/new?person={person_in.pk}",
        ],
        "institution_staff": [
            "/classes",
            f"/classes/{training_class.pk}/results",
            f"/classes/{training_class.pk}/print/application",
            f"/classes/{training_class.pk}/print/sign-in",
            f"/classes/{training_class.pk}/print/completion",
            f"/classes/{training_class.pk}/print/certificates",
        ],
    }
    found = {
        path: words
        for role, paths in pages.items()
        for path in paths
        if (words := untranslated(english(role), path))
    }
    assert found == {}, found
