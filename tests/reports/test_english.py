"""The city-wide readers' dashboard in English (issue 13): the classes' and applications' states
are named in the reader's language."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_the_auditors_figures_name_the_states_in_english(users: Any, login: Any) -> None:
    client = login(users.auditor)
    chinese = client.get("/").content.decode()
    assert "开班中" in chinese and "已报销" in chinese
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get("/").content.decode()
    assert "Running" in english
    assert "开班中" not in english and "已报销" not in english
