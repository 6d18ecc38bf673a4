"""The competitions' and typical cases' refusals speak the caller's language (issue 13)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from canpei.competitions import services
from tests.competitions.fixtures import TODAY, case_data

pytestmark = pytest.mark.django_db

HAN = re.compile(r"[\u4e00-\u9fff]")
CHINESE = "案例涉及个人，须先登记本人同意（且未撤回）才能发布"
ENGLISH = (
    "The case is about a person: their consent must be recorded (and not withdrawn) before it "
    "can be published"
)


def test_publishing_a_case_without_consent_is_refused_in_the_callers_language(
    users: Any, api: Any, person_in: Any
) -> None:
    case = services.case_create(actor=users.city_admin, data=case_data(person=person_in.pk))
    client = api(users.city_admin)
    body = {"date": TODAY.isoformat(), "channel": "wechat"}

    chinese = client.post(f"/cases/{case.pk}/publish", body)
    assert chinese.status_code == 409
    assert chinese.json()["detail"] == CHINESE

    client.headers["HTTP_ACCEPT_LANGUAGE"] = "en"
    english = client.post(f"/cases/{case.pk}/publish", body)
    assert english.status_code == 409
    assert english.json()["detail"] == ENGLISH
    assert english.json()["errors"] == [{"field": "consent", "message": ENGLISH}]
    assert not HAN.search(english.content.decode())
    case.refresh_from_db()
    assert case.published_on is None


def test_a_refusal_listing_the_labels_lists_them_in_english(users: Any, api: Any) -> None:
    client = api(users.city_admin)
    client.headers["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.post("/cases", {**case_data(), "channel": "nowhere"})
    assert response.status_code == 422
    message = {e["field"]: e["message"] for e in response.json()["errors"]}["channel"]
    assert message.startswith("Channel must be one of: ")
    assert not HAN.search(message)
