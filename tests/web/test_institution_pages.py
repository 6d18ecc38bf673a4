"""The institution pages: who may open which, what each shows, and the forms behind them."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.utils import timezone

from canpei.audit.models import AuditEntry
from canpei.institutions import rules
from canpei.institutions.models import DesignationEvent, Institution, Teacher
from tests.conftest import ANHAI, credit_code
from tests.forms import forms_offered

ROLES = (
    "city_admin",
    "town_staff",
    "institution_staff",
    "employment_service",
    "auditor",
    "sys_admin",
    "security_admin",
    "audit_admin",
)
READERS = {"city_admin", "town_staff", "institution_staff", "employment_service", "auditor"}

# (path, roles that get 200 for the institution staff's own institution, ... for another one)
PAGES = [
    ("/institutions", READERS, READERS),
    ("/institutions/export", READERS, READERS),
    ("/institutions/new", {"city_admin"}, {"city_admin"}),
    ("/institutions/{id}", READERS, READERS - {"institution_staff"}),
    ("/institutions/{id}/edit", {"city_admin", "institution_staff"}, {"city_admin"}),
]
CASES = [
    (p, inside if where == "own" else outside, where)
    for p, inside, outside in PAGES
    for where in (("own", "other") if "{id}" in p else ("own",))
]


@pytest.fixture
def valid_institution(institution: Any) -> Any:
    """The staff's institution, designated and valid today."""
    today = timezone.localdate()
    Institution.objects.filter(pk=institution.pk).update(
        designated_from=today - dt.timedelta(days=10), designated_to=today + dt.timedelta(days=400)
    )
    institution.refresh_from_db()
    return institution


def html(response: Any) -> str:
    return response.content.decode()


@pytest.mark.parametrize("path,allowed,where", CASES, ids=[f"{p} {w}" for p, _a, w in CASES])
@pytest.mark.parametrize("role", ROLES)
def test_each_page_opens_only_for_the_roles_that_may(
    role: str,
    path: str,
    allowed: set[str],
    where: str,
    users: Any,
    institution: Any,
    other_institution: Any,
    login: Any,
) -> None:
    target = institution if where == "own" else other_institution
    response = login(users.by_role()[role]).get(path.format(id=target.pk))
    assert response.status_code == (200 if role in allowed else 404)
    if response.status_code == 200 and "{id}" in path:
        assert target.name in html(response)
    if response.status_code == 404:
        assert target.name not in html(response)


@pytest.mark.parametrize("role", ROLES)
def test_the_navigation_offers_institutions_to_the_business_roles(
    role: str, users: Any, login: Any
) -> None:
    page = html(login(users.by_role()[role]).get("/"))
    assert ('href="/institutions"' in page) is (role in READERS)


def test_another_institution_looks_exactly_like_an_absent_one(
    users: Any, other_institution: Any, login: Any
) -> None:
    client = login(users.institution_staff)
    for path in ("/institutions/{id}", "/institutions/{id}/edit"):
        hidden = client.get(path.format(id=other_institution.pk))
        absent = client.get(path.format(id=other_institution.pk + 1000))
        assert hidden.status_code == absent.status_code == 404
        assert hidden.content == absent.content
    for path in ("/institutions/{id}/teachers", "/institutions/{id}/transitions"):
        assert (
            client.post(
                path.format(id=other_institution.pk), {"teacher-name": "x", "action": "suspend"}
            ).status_code
            == 404
        )
    assert not Teacher.objects.exists()


def test_the_list_filters_and_shows_the_state(
    users: Any, institution: Any, other_institution: Any, login: Any
) -> None:
    client = login(users.city_admin)
    page = html(client.get("/institutions"))
    assert institution.name in page and other_institution.name in page and "定点" in page
    page = html(client.get("/institutions?type=private"))
    assert other_institution.name in page and institution.name not in page
    page = html(client.get("/institutions?state=nope&town=x"))
    assert 'role="alert"' in page and "状态须为" in page


def test_institution_staff_see_only_their_own_in_the_list(
    users: Any, institution: Any, other_institution: Any, login: Any
) -> None:
    page = html(login(users.institution_staff).get("/institutions?page_size=200"))
    assert institution.name in page and other_institution.name not in page


def test_the_designation_buttons_follow_the_role_and_the_state(
    users: Any, valid_institution: Any, login: Any
) -> None:
    city = login(users.city_admin)
    path = f"/institutions/{valid_institution.pk}"
    assert forms_offered(html(city.get(path))) == ["designate", "promote", "suspend", "revoke"]
    for role in READERS - {"city_admin"}:
        assert forms_offered(html(login(users.by_role()[role]).get(path))) == [], role
    Institution.objects.filter(pk=valid_institution.pk).update(state="suspended")
    assert forms_offered(html(city.get(path))) == ["designate", "reinstate", "revoke"]
    Institution.objects.filter(pk=valid_institution.pk).update(
        designated_to=timezone.localdate() - dt.timedelta(days=1)
    )
    assert forms_offered(html(city.get(path))) == ["designate", "revoke"]
    Institution.objects.filter(pk=valid_institution.pk).update(state="revoked")
    assert forms_offered(html(city.get(path))) == []


def test_a_designation_step_from_the_page(users: Any, valid_institution: Any, login: Any) -> None:
    client = login(users.city_admin)
    path = f"/institutions/{valid_institution.pk}"
    response = client.post(
        path + "/transitions",
        {"action": "suspend", "suspend-comment": "整改", "suspend-confirm": "on"},
    )
    assert response.status_code == 302 and response["Location"] == path
    assert Institution.objects.get(pk=valid_institution.pk).state == "suspended"
    page = html(client.get(path))
    assert "暂停" in page and "整改" in page and users.city_admin.username in page


def test_a_refused_step_shows_why_and_changes_nothing(
    users: Any, valid_institution: Any, login: Any
) -> None:
    client = login(users.city_admin)
    path = f"/institutions/{valid_institution.pk}/transitions"
    missing = client.post(path, {"action": "revoke", "revoke-comment": "", "revoke-confirm": "on"})
    assert missing.status_code == 422
    assert 'role="alert"' in html(missing) and rules.COMMENT_REQUIRED in html(missing)
    dates = client.post(
        path,
        {
            "action": "designate",
            "designate-designated_from": "2030-01-01",
            "designate-designated_to": "2029-01-01",
        },
    )
    assert dates.status_code == 422 and rules.DATES_ORDER in html(dates)
    refused = client.post(path, {"action": "reinstate"})
    assert refused.status_code == 409
    assert rules.transition_refusal("designated", "reinstate") in html(refused)
    assert Institution.objects.get(pk=valid_institution.pk).state == "designated"
    assert not DesignationEvent.objects.exists()


def test_designation_steps_are_not_found_for_other_roles(
    users: Any, valid_institution: Any, login: Any
) -> None:
    for role in ROLES:
        if role == "city_admin":
            continue
        response = login(users.by_role()[role]).post(
            f"/institutions/{valid_institution.pk}/transitions",
            {"action": "suspend", "suspend-comment": "x"},
        )
        assert response.status_code == 404, role
    assert Institution.objects.get(pk=valid_institution.pk).state == "designated"


def test_registering_an_institution_from_the_page(users: Any, login: Any) -> None:
    client = login(users.city_admin)
    bad = client.post("/institutions/new", {"name": "", "credit_code": "123"})
    assert bad.status_code == 422
    page = html(bad)
    assert 'class="error-summary"' in page and rules.NAME_REQUIRED in page
    assert rules.CREDIT_CODE_FORMAT in page and rules.TYPE_INVALID in page
    code = credit_code("91350582MA2PPPPP0")
    good = client.post(
        "/institutions/new",
        {
            "name": "晋江市新培训学校",
            "credit_code": code,
            "type": "private",
            "town": ANHAI,
            "accessibility": ["lift", "hearing_loop"],
        },
    )
    assert good.status_code == 302
    created = Institution.objects.get(credit_code=code)
    assert (created.state, created.accessibility) == ("applied", ["lift", "hearing_loop"])


def test_institution_staff_edit_their_profile_but_not_the_citys_fields(
    users: Any, institution: Any, login: Any
) -> None:
    client = login(users.institution_staff)
    page = html(client.get(f"/institutions/{institution.pk}/edit"))
    assert re.search(r'<input[^>]*name="credit_code"[^>]*disabled', page)
    response = client.post(
        f"/institutions/{institution.pk}/edit",
        {
            "name": institution.name,
            "credit_code": credit_code("91350582MA2PPPPP0"),
            "type": "university",
            "town": ANHAI,
            "phone": "13905951234",
            "accessibility": ["step_free"],
        },
    )
    assert response.status_code == 302
    stored = Institution.objects.get(pk=institution.pk)
    assert (stored.credit_code, stored.type, stored.town_id) == (
        institution.credit_code,
        institution.type,
        institution.town_id,
    )
    assert (stored.phone, stored.accessibility) == ("13905951234", ["step_free"])


def test_adding_and_retiring_a_teacher_from_the_page(
    users: Any, institution: Any, login: Any
) -> None:
    client = login(users.institution_staff)
    path = f"/institutions/{institution.pk}"
    bad = client.post(path + "/teachers", {"teacher-name": ""})
    assert bad.status_code == 422 and rules.TEACHER_NAME_REQUIRED in html(bad)
    good = client.post(
        path + "/teachers", {"teacher-name": "许秀英", "teacher-specialty": "电子商务"}
    )
    assert good.status_code == 302
    teacher = Teacher.objects.get(institution=institution)
    assert "许秀英" in html(client.get(path))
    client.post(f"{path}/teachers/{teacher.pk}/active", {"active": "0"})
    assert Teacher.objects.get(pk=teacher.pk).active is False
    assert "停用 许秀英" not in html(client.get(path)) and "恢复 许秀英" in html(client.get(path))


def test_the_export_is_a_workbook_of_what_the_user_may_see_and_is_audited(
    users: Any, institution: Any, other_institution: Any, login: Any
) -> None:
    import openpyxl

    def rows(user: Any, query: str = "") -> list[tuple[Any, ...]]:
        response = login(user).get("/institutions/export" + query)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment")
        workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        return [r for r in workbook.active.iter_rows(min_row=5, values_only=True)]

    names = {r[1] for r in rows(users.city_admin)}
    assert names == {institution.name, other_institution.name}
    assert {r[1] for r in rows(users.city_admin, "?type=private")} == {other_institution.name}
    assert {r[1] for r in rows(users.institution_staff)} == {institution.name}
    entries = AuditEntry.objects.filter(action="export.institutions").order_by("id")
    assert [(e.actor_username, e.changes["rows"]) for e in entries] == [
        (users.city_admin.username, 2),
        (users.city_admin.username, 1),
        (users.institution_staff.username, 1),
    ]
    assert entries[1].changes["filters"] == {"type": "private"}


def test_huge_or_odd_ids_are_not_found(users: Any, login: Any) -> None:
    client = login(users.city_admin)
    for path in ("/institutions/99999999999999999999", "/institutions/abc"):
        assert client.get(path).status_code == 404
