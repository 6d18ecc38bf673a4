"""The registry's messages speak the reader's language (issue 13): an API client asking for
English (Accept-Language: en) is refused in English, a Chinese one exactly as before; the
import's row errors and the region file's errors likewise."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.utils import translation

from canpei.people import rules
from canpei.people.imports import ID_TWICE_IN_FILE, persons_import
from canpei.regions.services import RegionFileError, parse_region_csv
from tests.conftest import make_id, person_data
from tests.spreadsheets.files import PERSON_HEADER, an_id, person_row, xlsx

pytestmark = pytest.mark.django_db

HAN = re.compile(r"[\u4e00-\u9fff]")
# A valid ID number with its check character changed.
BAD_CHECKSUM = make_id("35058219900307001")[:17] + "0"


def _create(api: Any, user: Any, body: dict[str, Any], language: str) -> Any:
    client = api(user)
    return client.client.post(
        "/api/v1/persons",
        json.dumps(body),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=language,
        **client.headers,
    )


def _messages(response: Any) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def test_a_bad_id_number_is_refused_in_english_when_english_is_asked_for(users, api):
    assert make_id("35058219900307001") != BAD_CHECKSUM
    body = person_data(id_number=BAD_CHECKSUM, cert_number="")
    response = _create(api, users.city_admin, body, "en")
    assert response.status_code == 422
    assert _messages(response) == {"id_number": "The check digit of the ID number is wrong"}


def test_a_bad_id_number_is_refused_in_chinese_as_before(users, api):
    body = person_data(id_number=BAD_CHECKSUM, cert_number="")
    response = _create(api, users.city_admin, body, "zh-hans")
    assert response.status_code == 422
    assert _messages(response) == {"id_number": "身份证号校验位不正确"}
    assert rules.ID_CHECKSUM == "身份证号校验位不正确"


def test_a_duplicate_is_refused_in_english_without_a_chinese_character(users, api, person_in):
    response = _create(api, users.city_admin, person_data(), "en")
    assert response.status_code == 409
    body = response.json()
    assert body["detail"] == "This ID number is already registered"
    assert _messages(response) == {"id_number": "This ID number is already registered"}
    assert not HAN.search(response.content.decode())


def test_a_duplicate_is_refused_in_chinese_as_before(users, api, person_in):
    response = _create(api, users.city_admin, person_data(), "zh-hans")
    assert response.status_code == 409
    assert response.json() == {
        "detail": "该身份证号已登记",
        "errors": [{"field": "id_number", "message": "该身份证号已登记"}],
    }


def test_the_constants_stay_chinese_whatever_the_language():
    """The message constants are the Chinese msgids: translated only where raised."""
    with translation.override("en"):
        assert rules.ID_DUPLICATE == "该身份证号已登记"
        assert rules.id_number_error(BAD_CHECKSUM) == "The check digit of the ID number is wrong"
    assert rules.id_number_error(BAD_CHECKSUM) == "身份证号校验位不正确"


def _import_errors(users: Any) -> list[tuple[int, str]]:
    number = an_id(11)
    rows = [PERSON_HEADER, person_row(11), person_row(13), person_row(11, id_number=number)]
    result = persons_import(actor=users.city_admin, data=xlsx(rows), filename="roster.xlsx")
    assert not result.ok
    return [(e.row, e.message) for e in result.errors]


def test_an_import_row_error_is_in_the_language_of_the_import(users):
    with translation.override("en"):
        assert _import_errors(users) == [(4, "The ID number repeats row 2")]
    assert _import_errors(users) == [(4, "身份证号与第 2 行重复")]
    assert ID_TWICE_IN_FILE.format(row=2) == "身份证号与第 2 行重复"


REGION_FILE = (
    "code,name,level,parent\n350582000000,晋江市,city,\n35058210,安海镇,town,350582000000\n"
)


def test_a_region_file_error_names_the_line_in_either_language():
    with translation.override("en"), pytest.raises(RegionFileError) as english:
        parse_region_csv(REGION_FILE)
    assert str(english.value) == "Line 3: the region code must be 12 digits"
    with pytest.raises(RegionFileError) as chinese:
        parse_region_csv(REGION_FILE)
    assert str(chinese.value) == "第 3 行：区划代码须为 12 位数字"
