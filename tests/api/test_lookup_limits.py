"""persons/lookup (issue 8, items 8 and 14): it finds active persons only, and each user may look
up at most CANPEI_LOOKUP_RATE numbers a minute, counted in the database across processes; an
institution's enrolment by ID number counts as a lookup. Refusals answer 429 in Chinese, are
counted, audited once per window and logged without personal data."""

from __future__ import annotations

import logging
import re
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from canpei.audit.models import AuditEntry
from canpei.people.services import person_change_status
from canpei.training import lookup_limit
from canpei.training.models import Enrollment, LookupWindow
from tests.conftest import make_id
from tests.forms import without_csrf_and_id_numbers

pytestmark = pytest.mark.django_db

UNKNOWN = make_id("35058219790505999")


@pytest.fixture(autouse=True)
def _one_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    """The allowance is per clock minute: the limiter's clock is held at the 30th second of one
    minute, or a test crossing a minute's boundary would find a fresh allowance (it did, once,
    through PgBouncer)."""
    held = timezone.now().replace(second=30, microsecond=0)
    monkeypatch.setattr(lookup_limit, "timezone", SimpleNamespace(now=lambda: held))


def lookup(client: Any, number: str) -> Any:
    return client.post("/persons/lookup", {"id_number": number})


def throttled_entries(user: Any) -> int:
    return AuditEntry.objects.filter(action="person.lookup_throttled", actor_id=user.pk).count()


# ---- active persons only -------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["moved_out", "deceased", "revoked"])
@pytest.mark.parametrize("who", ["institution_staff", "town_staff", "city_admin"])
def test_a_non_active_person_answers_exactly_as_an_unknown_number(
    users, person_in, api, status, who
):
    client = api(getattr(users, who))
    assert lookup(client, person_in.id_number).status_code == 200
    person_change_status(actor=users.city_admin, person=person_in, status=status, comment="变更")
    gone, unknown = lookup(client, person_in.id_number), lookup(client, UNKNOWN)
    assert (gone.status_code, gone.content) == (unknown.status_code, unknown.content)
    assert gone.status_code == 404
    assert gone.json() == {"detail": "未找到该身份证号对应的在册人员", "errors": []}
    # Audited as not found: no trace of whose number it was.
    entry = AuditEntry.objects.filter(action="person.lookup").order_by("-id")[1]
    assert (entry.object_id, entry.summary) == ("", "按身份证号查找人员（未找到）")


def test_the_lookup_page_shows_a_non_active_person_as_not_found(users, person_in, login):
    person_change_status(
        actor=users.city_admin, person=person_in, status="moved_out", comment="迁出"
    )
    client = login(users.institution_staff)
    hidden = client.post("/persons/lookup", {"id_number": person_in.id_number})
    absent = client.post("/persons/lookup", {"id_number": UNKNOWN})
    assert hidden.status_code == absent.status_code == 200
    assert person_in.name not in hidden.content.decode()
    assert without_csrf_and_id_numbers(hidden.content.decode()) == without_csrf_and_id_numbers(
        absent.content.decode()
    )


def test_an_institution_cannot_enrol_a_non_active_person_by_a_stale_lookup(
    users, make_class, trainee_factory, api
):
    training_class = make_class(trainees=0)
    person = trainee_factory()
    client = api(users.institution_staff)
    assert lookup(client, person.id_number).status_code == 200
    person_change_status(actor=users.city_admin, person=person, status="moved_out", comment="迁出")
    response = client.post(f"/classes/{training_class.pk}/enrollments", {"person": str(person.pk)})
    assert response.status_code == 409
    assert response.json()["detail"] == "该人员目前不能报名本班，请联系镇街专干"


# ---- the rate limit ----------------------------------------------------------------------------


@override_settings(LOOKUP_RATE=3)
def test_lookups_past_the_rate_answer_429_in_the_api_shape(users, person_in, api, caplog):
    client = api(users.institution_staff)
    for number in (person_in.id_number, UNKNOWN, person_in.id_number):
        assert lookup(client, number).status_code in (200, 404)
    lookups_before = AuditEntry.objects.filter(action="person.lookup").count()
    with caplog.at_level(logging.WARNING, logger="canpei.lookups"):
        refused = [lookup(client, person_in.id_number) for _ in range(3)]
    assert [r.status_code for r in refused] == [429, 429, 429]
    body = refused[0].json()
    assert set(body) == {"detail", "errors"} and body["errors"] == []
    assert re.fullmatch(
        r"按身份证号查找过于频繁（每分钟最多 3 次），请 [0-9]+ 秒后再试", body["detail"]
    )
    assert 1 <= int(refused[0]["Retry-After"]) <= 60
    assert person_in.name not in refused[0].content.decode()
    # Nothing was looked up; the refusals are counted, audited once and logged once.
    assert AuditEntry.objects.filter(action="person.lookup").count() == lookups_before
    window = LookupWindow.objects.get(user=users.institution_staff)
    assert (window.lookups, window.refused) == (3, 3)
    assert throttled_entries(users.institution_staff) == 1
    entry = AuditEntry.objects.get(action="person.lookup_throttled")
    assert entry.changes["limit"] == 3 and person_in.id_number not in str(entry.changes)
    warnings = [r.getMessage() for r in caplog.records if r.name == "canpei.lookups"]
    assert warnings == [
        f"person lookups throttled: user id {users.institution_staff.pk} "
        "(institution_staff) exceeded 3 a minute"
    ]
    assert person_in.id_number not in caplog.text and person_in.name not in caplog.text


@override_settings(LOOKUP_RATE=2)
def test_the_limit_is_per_user_shared_by_their_clients_and_renewed_each_minute(
    users, person_in, api, login
):
    token_client, page_client = api(users.institution_staff), login(users.institution_staff)
    assert lookup(token_client, person_in.id_number).status_code == 200
    assert lookup(page_client, person_in.id_number).status_code == 200
    # The second client (another process, for all the count knows) shares the allowance.
    assert lookup(token_client, person_in.id_number).status_code == 429
    page = page_client.post("/persons/lookup", {"id_number": person_in.id_number})
    assert page.status_code == 429
    assert "按身份证号查找过于频繁（每分钟最多 2 次）" in page.content.decode()
    assert person_in.name not in page.content.decode()
    # Another user is not held back.
    assert lookup(api(users.town_staff), person_in.id_number).status_code == 200
    # A new minute, a new allowance (and, refused again, a new audit entry for that window).
    window = LookupWindow.objects.get(user=users.institution_staff)
    window.window_start = window.window_start.replace(year=window.window_start.year - 1)
    window.save()
    assert lookup(token_client, person_in.id_number).status_code == 200
    assert lookup(token_client, person_in.id_number).status_code == 200
    assert lookup(token_client, person_in.id_number).status_code == 429
    assert throttled_entries(users.institution_staff) == 2


@override_settings(LOOKUP_RATE=2)
def test_an_institutions_enrolment_by_id_number_counts_as_a_lookup(
    users, make_class, trainee_factory, api, login
):
    training_class = make_class(trainees=0)
    first, second, third = trainee_factory(), trainee_factory(), trainee_factory()
    client = api(users.institution_staff)
    path = f"/classes/{training_class.pk}/enrollments"
    assert client.post(path, {"person": first.id_number}).status_code == 201
    assert lookup(client, second.id_number).status_code == 200
    # The allowance is spent: neither a lookup nor an enrolment by number goes through ...
    refused = client.post(path, {"person": third.id_number})
    assert refused.status_code == 429 and refused.json()["errors"] == []
    page = login(users.institution_staff).post(
        f"/classes/{training_class.pk}/enroll", {"enroll-person": third.id_number}
    )
    assert page.status_code == 429 and "按身份证号查找过于频繁" in page.content.decode()
    # ... but the person just looked up is enrolled by id (counted at the lookup).
    assert client.post(path, {"person": str(second.pk)}).status_code == 201
    assert set(
        Enrollment.objects.filter(training_class=training_class).values_list("person_id", flat=True)
    ) == {first.pk, second.pk}


@override_settings(LOOKUP_RATE=1)
def test_the_city_enrolling_by_number_is_not_a_lookup(users, make_class, trainee_factory, api):
    training_class = make_class(trainees=0)
    client = api(users.city_admin)
    for _ in range(3):
        response = client.post(
            f"/classes/{training_class.pk}/enrollments", {"person": trainee_factory().id_number}
        )
        assert response.status_code == 201
    assert not LookupWindow.objects.filter(user=users.city_admin).exists()
