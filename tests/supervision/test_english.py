"""The alert desk in English (issue 13): the rules' names and the states are translated where
shown; the ledger keeps the federation's Chinese names. The alert's sentence in English:
tests/supervision/test_sentences.py."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from openpyxl import load_workbook

from canpei.supervision.compute import recompute
from tests.supervision.conftest import World, day

pytestmark = pytest.mark.django_db

HAN = re.compile(r"[\u4e00-\u9fff]")
OVERLAP_ZH = "同一人员参加日期重叠的不同机构培训班"
OVERLAP_EN = "One person in overlapping classes of different institutions"


def _overlap(world: World) -> None:
    p = world.person(name="王五")
    a = world.new_class(start=day(3, 2), end=day(3, 20))
    b = world.new_class(
        institution=world.other_institution,
        start=day(3, 10),
        end=day(4, 5),
        occupation="中式面点师",
    )
    world.enroll(a, p)
    world.enroll(b, p)
    recompute(2026)


def _english(world: World) -> Client:
    client = Client()
    client.force_login(world.users.city_admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_the_alert_list_names_the_rules_in_english(world: World, login: Any) -> None:
    _overlap(world)
    english = _english(world).get("/alerts").content.decode()
    assert english.count(OVERLAP_EN) >= 2  # the filter's option and the alert's row
    assert OVERLAP_ZH not in english
    # Every rule and state the filters offer is named in English.
    for select in ("rule", "state"):
        found = re.search(rf'<select id="f-{select}".*?</select>', english, re.S)
        assert found is not None
        options = re.findall(r"<option [^>]*>([^<]*)</option>", found.group(0))
        assert len(options) > 4 and not [o for o in options if HAN.search(o)], options
    chinese = login(world.users.city_admin).get("/alerts").content.decode()
    assert OVERLAP_ZH in chinese and OVERLAP_EN not in chinese


def test_the_alert_page_and_the_api_name_the_rule_and_state_in_english(
    world: World, api: Any
) -> None:
    _overlap(world)
    client = api(world.users.city_admin)
    client.headers["HTTP_ACCEPT_LANGUAGE"] = "en"
    alert = client.get("/alerts").json()["results"][0]
    assert alert["rule_label"] == OVERLAP_EN
    page = _english(world).get(f"/alerts/{alert['id']}").content.decode()
    assert OVERLAP_EN in page and OVERLAP_ZH not in page
    assert "Open" in page and "待处理" not in page


def test_a_dismissal_without_reason_is_refused_in_english(world: World, api: Any) -> None:
    _overlap(world)
    client = api(world.users.city_admin)
    client.headers["HTTP_ACCEPT_LANGUAGE"] = "en"
    alert = client.get("/alerts").json()["results"][0]
    refused = client.post(f"/alerts/{alert['id']}/transitions", {"action": "dismiss"})
    assert refused.status_code == 422
    [error] = refused.json()["errors"]
    assert error["field"] == "comment"
    # The action's name comes from the workflow engine (canpei.workflows).
    assert error["message"].startswith('Give a reason to "')
    assert error["message"].endswith('" the alert')


def test_the_ledger_keeps_the_chinese_rule_names_in_english(world: World) -> None:
    _overlap(world)
    response = _english(world).get("/alerts/export", {"rule": "overlap"})
    assert response.status_code == 200
    streamed = getattr(response, "streaming_content", None)
    content = b"".join(streamed) if streamed is not None else response.content
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    cells = [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None]
    assert OVERLAP_ZH in cells and OVERLAP_EN not in cells
