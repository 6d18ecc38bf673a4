"""The demo raises at least one alert of every kind, each shown in English on the English desk
and in the API (issue 13)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import translation
from django.utils.html import escape

from canpei.accounts.models import User
from canpei.demo import demo_load
from canpei.supervision.models import Alert
from canpei.supervision.rules import RULES
from tests.conftest import ApiClient

HAN = re.compile(r"[\u4e00-\u9fff]")

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_the_demo_raises_every_kind_of_alert(django_db_setup: Any, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock(), transaction.atomic():
        demo_load(persons=600, seed=1)
        kinds = set(Alert.objects.values_list("rule", flat=True))
        assert kinds >= set(RULES), set(RULES) - kinds
        # A second run adds no example and no alert.
        count = Alert.objects.count()
        demo_load(persons=10, seed=2)
        assert Alert.objects.count() == count
        assert not Alert.objects.filter(summary__contains="13900000000").exists()
        _every_kind_reads_in_english()
        transaction.set_rollback(True)


def _data(value: Any) -> Iterator[str]:
    """The parameters of a sentence that are data (shown as written in every language)."""
    if isinstance(value, dict):
        if "msgid" in value:
            yield from _data(value.get("params") or {})
        elif "join" in value:
            yield from _data(value["join"])
        else:
            for item in value.values():
                yield from _data(item)
    elif isinstance(value, list):
        for item in value:
            yield from _data(item)
    else:
        yield str(value)


def _every_kind_reads_in_english() -> None:
    city = User.objects.get(username="city")
    page = Client()
    page.force_login(city)
    page.cookies["django_language"] = "en"
    chinese_page = Client()
    chinese_page.force_login(city)
    api = ApiClient(city)
    api.headers["HTTP_ACCEPT_LANGUAGE"] = "en"
    for code in RULES:
        alert = Alert.objects.filter(rule=code).first()  # the first the desk lists
        assert alert is not None and alert.message, code
        with translation.override("en"):
            english = alert.sentence()
        # Only data is left in Chinese: every word of the product is translated.
        words = english
        for value in sorted(_data(alert.params), key=len, reverse=True):
            words = words.replace(value, "")
        assert not HAN.search(words), (code, english)
        assert english != alert.summary
        desk = page.get("/alerts", {"rule": code, "page_size": "100"}).content.decode()
        assert escape(english) in desk and escape(alert.summary) not in desk, code
        listed = api.get("/alerts", rule=code, page_size=100).json()["results"]
        assert english in [a["summary"] for a in listed], code
        assert alert.summary not in [a["summary"] for a in listed], code
        chinese = chinese_page.get("/alerts", {"rule": code, "page_size": "100"}).content.decode()
        assert escape(alert.summary) in chinese and escape(english) not in chinese, code
