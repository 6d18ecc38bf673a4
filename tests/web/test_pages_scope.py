"""Every role × every page × a person inside and outside the role's scope (server-rendered pages).

A page the role may not open answers 404, exactly as a page (or a record) that does not exist;
an anonymous visitor is sent to /login. Lists show numbers masked; the full number appears only
after the audited identity POST.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from canpei.audit.models import AuditEntry
from canpei.people import rules
from canpei.people.models import Person
from canpei.web.context import NAVIGATION, nav_allowed
from tests.conftest import ANHAI, CIZAO, make_id, person_data
from tests.forms import form_data, without_csrf_and_id_numbers

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
BROWSERS = {"city_admin", "town_staff", "employment_service", "auditor"}
EDITORS = {"city_admin", "town_staff"}
LOOKUP = {"city_admin", "town_staff", "institution_staff", "employment_service", "auditor"}

# (method, path, roles that get 200 for the person inside their scope, ... for the person outside)
# `{id}` is the person's id. Everyone else gets a 404.
PAGES: list[tuple[str, str, set[str], set[str]]] = [
    ("GET", "/persons", BROWSERS, BROWSERS),
    ("GET", "/persons/{id}", BROWSERS, BROWSERS - {"town_staff"}),
    ("GET", "/persons/{id}/edit", EDITORS, EDITORS - {"town_staff"}),
    ("POST", "/persons/{id}/identity", EDITORS, EDITORS - {"town_staff"}),
    ("GET", "/persons/new", EDITORS, EDITORS),
    ("GET", "/persons/lookup", LOOKUP, LOOKUP),
    ("GET", "/audit", {"audit_admin"}, {"audit_admin"}),
    ("GET", "/admin/users", {"sys_admin", "security_admin"}, {"sys_admin", "security_admin"}),
    ("GET", "/", set(ROLES), set(ROLES)),
]
PERSON_PAGES = [(m, p) for m, p, _i, _o in PAGES if "{id}" in p] + [
    ("POST", "/persons/{id}/status"),
    ("POST", "/persons/{id}/edit"),
]


def fetch(client: Client, method: str, path: str, data: dict[str, Any] | None = None) -> Any:
    if method == "GET":
        return client.get(path)
    return client.post(path, data or {})


def html(response: Any) -> str:
    return response.content.decode()


PAGE_CASES = [
    (m, p, inside if where == "in" else outside, where)
    for m, p, inside, outside in PAGES
    for where in (("in", "out") if "{id}" in p else ("in",))
]


@pytest.mark.parametrize(
    "method,path,allowed,where", PAGE_CASES, ids=[f"{m} {p} {w}" for m, p, _a, w in PAGE_CASES]
)
@pytest.mark.parametrize("role", ROLES)
def test_each_page_opens_only_for_the_roles_that_may(
    role: str,
    method: str,
    path: str,
    allowed: set[str],
    where: str,
    users: Any,
    person_in: Any,
    person_out: Any,
    login: Any,
) -> None:
    person = person_in if where == "in" else person_out
    response = fetch(login(users.by_role()[role]), method, path.format(id=person.pk))
    assert response.status_code == (200 if role in allowed else 404), html(response)[:500]
    if response.status_code == 200 and "{id}" in path:
        assert person.name in html(response)


@pytest.mark.parametrize("method,path", PERSON_PAGES, ids=[f"{m} {p}" for m, p in PERSON_PAGES])
@pytest.mark.parametrize("role", ROLES)
def test_a_hidden_person_looks_exactly_like_an_absent_one(
    role: str, method: str, path: str, users: Any, person_in: Any, person_out: Any, login: Any
) -> None:
    client = login(users.by_role()[role])
    absent = fetch(client, method, path.format(id=max(person_in.pk, person_out.pk) + 1000))
    assert absent.status_code == 404
    for person in (person_in, person_out):
        response = fetch(client, method, path.format(id=person.pk))
        if response.status_code == 404:
            assert response.content == absent.content
            assert person.name not in html(response)


def test_town_staff_never_see_another_towns_person_in_the_list(
    users: Any, person_in: Any, person_out: Any, login: Any
) -> None:
    client = login(users.town_staff)
    for query in (
        "",
        f"?town={CIZAO}",
        f"?q={person_out.name}",
        "?q=lisi",
        "?q=ls",
        f"?q={person_out.id_number[-4:]}",
        f"?q={person_out.id_number}",
        "?page_size=200",
        "?page=2",
        "?status=active",
    ):
        response = client.get("/persons" + query)
        assert response.status_code == 200, query
        # The search box (and the export form keeping the filters) echo what was typed; what
        # matters is the table and its links.
        page = re.sub(r"<form[^>]*role=\"search\".*?</form>", "", html(response), flags=re.S)
        page = re.sub(r'<details class="full-numbers">.*?</details>', "", page, flags=re.S)
        assert person_out.name not in page, query
        assert f'/persons/{person_out.pk}"' not in page, query
        assert rules.mask_id_number(person_out.id_number) not in page, query
    assert person_in.name in html(client.get("/persons"))
    # Nor in the town table of the dashboard.
    dashboard = html(client.get("/"))
    assert "磁灶镇" not in dashboard and f"town={CIZAO}" not in dashboard


def test_town_staff_cannot_edit_another_towns_person_by_posting(
    users: Any, person_out: Any, login: Any
) -> None:
    client = login(users.town_staff)
    response = client.post(f"/persons/{person_out.pk}/edit", {"name": "改名", "town": CIZAO})
    assert response.status_code == 404
    response = client.post(
        f"/persons/{person_out.pk}/status", {"status": "deceased", "comment": "x"}
    )
    assert response.status_code == 404
    stored = Person.objects.get(pk=person_out.pk)
    assert (stored.name, stored.status) == ("李四", "active")


def test_town_staff_cannot_register_a_person_in_another_town(users: Any, login: Any) -> None:
    client = login(users.town_staff)
    page = html(client.get("/persons/new"))
    assert f'value="{ANHAI}"' in page and f'value="{CIZAO}"' not in page
    data = person_data(
        name="王五", id_number=make_id("35058219920101001"), cert_number="", town=CIZAO
    )
    response = client.post("/persons/new", data)
    assert response.status_code == 422
    assert not Person.objects.filter(name="王五").exists()
    data["town"] = ANHAI
    response = client.post("/persons/new", data)
    assert response.status_code == 302
    assert Person.objects.get(name="王五").town_id == ANHAI


@pytest.mark.parametrize("role", sorted(BROWSERS))
def test_lists_and_details_show_numbers_masked(
    role: str, users: Any, person_in: Any, login: Any
) -> None:
    client = login(users.by_role()[role])
    for path in ("/persons", f"/persons/{person_in.pk}"):
        page = html(client.get(path))
        assert rules.mask_id_number(person_in.id_number) in page, path
        assert person_in.id_number not in page, path
        assert person_in.cert_number not in page, path


@pytest.mark.parametrize("role", sorted(EDITORS))
def test_the_full_number_appears_only_after_the_audited_identity_post(
    role: str, users: Any, person_in: Any, login: Any
) -> None:
    user = users.by_role()[role]
    client = login(user)
    detail = html(client.get(f"/persons/{person_in.pk}"))
    assert person_in.id_number not in detail
    assert f'action="/persons/{person_in.pk}/identity"' in detail
    # A GET does not reveal (the reveal is a deliberate, audited action).
    assert client.get(f"/persons/{person_in.pk}/identity").status_code == 405
    before = AuditEntry.objects.filter(action="person.reveal").count()
    revealed = client.post(f"/persons/{person_in.pk}/identity")
    assert revealed.status_code == 200
    page = html(revealed)
    assert person_in.id_number in page and person_in.cert_number in page
    entries = AuditEntry.objects.filter(action="person.reveal").order_by("id")
    assert entries.count() == before + 1
    assert entries.last().actor_username == user.username
    assert entries.last().object_id == str(person_in.pk)
    # The next plain view is masked again.
    assert person_in.id_number not in html(client.get(f"/persons/{person_in.pk}"))


@pytest.mark.parametrize("role", ("employment_service", "auditor"))
def test_read_only_roles_get_no_reveal_or_edit_controls(
    role: str, users: Any, person_in: Any, login: Any
) -> None:
    page = html(login(users.by_role()[role]).get(f"/persons/{person_in.pk}"))
    assert "/identity" not in page and f"/persons/{person_in.pk}/edit" not in page
    assert "/status" not in page


def test_institution_lookup_page_shows_only_the_minimal_masked_fields(
    users: Any, person_in: Any, login: Any
) -> None:
    client = login(users.institution_staff)
    response = client.post("/persons/lookup", {"id_number": person_in.id_number})
    assert response.status_code == 200
    # The form echoes the number that was typed; the result section is what the lookup tells.
    page = re.search(r"<section.*?</section>", html(response), re.S).group(0)
    assert person_in.name in page
    assert rules.mask_id_number(person_in.id_number) in page
    assert person_in.id_number not in page and person_in.cert_number not in page
    assert person_in.birth_date.isoformat() not in page
    assert f"/persons/{person_in.pk}" not in page
    # An unknown number says so, on the field.
    response = client.post("/persons/lookup", {"id_number": make_id("35058219790505999")})
    assert response.status_code == 200
    assert "未找到" in html(response)


def test_town_staff_lookup_does_not_find_another_towns_person(
    users: Any, person_out: Any, login: Any
) -> None:
    client = login(users.town_staff)
    hidden = html(client.post("/persons/lookup", {"id_number": person_out.id_number}))
    assert person_out.name not in hidden
    absent = html(client.post("/persons/lookup", {"id_number": make_id("35058219790505999")}))
    assert without_csrf_and_id_numbers(hidden) == without_csrf_and_id_numbers(absent)


def _nav_urls(page: str) -> list[str]:
    nav = re.search(r"<nav[^>]*>(.*?)</nav>", page, re.S)
    return re.findall(r'href="([^"]+)"', nav.group(1)) if nav else []


@pytest.mark.parametrize("role", ROLES)
def test_every_page_in_a_roles_navigation_opens(
    role: str, users: Any, person_in: Any, login: Any
) -> None:
    user = users.by_role()[role]
    client = login(user)
    expected = {reverse(name) for name, _label, perm in NAVIGATION if nav_allowed(user, perm)}
    shown = _nav_urls(html(client.get("/")))
    assert set(shown) == expected
    for url in shown:
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'aria-current="page"' in html(response), url
    # And every navigation entry the role does not have is a 404 for it.
    for name, _label, _perm in NAVIGATION:
        url = reverse(name)
        if url not in expected:
            assert client.get(url).status_code == 404, url


ANONYMOUS_PAGES = [
    ("GET", "/"),
    ("GET", "/persons"),
    ("GET", "/persons/new"),
    ("GET", "/persons/lookup"),
    ("GET", "/persons/{id}"),
    ("GET", "/persons/{id}/edit"),
    ("POST", "/persons/{id}/identity"),
    ("POST", "/persons/{id}/status"),
    ("GET", "/audit"),
    ("GET", "/admin/users"),
    ("GET", "/admin/users/1/role"),
]


@pytest.mark.parametrize(
    "method,path", ANONYMOUS_PAGES, ids=[f"{m} {p}" for m, p in ANONYMOUS_PAGES]
)
def test_anonymous_visitors_are_sent_to_login(method: str, path: str, person_in: Any) -> None:
    target = path.format(id=person_in.pk)
    response = fetch(Client(), method, target)
    assert response.status_code == 302
    assert response["Location"].startswith("/login?next=")
    assert target in response["Location"].replace("%2F", "/")


def test_login_page_renders_for_anonymous_visitors(db: Any) -> None:
    response = Client().get("/login")
    assert response.status_code == 200
    assert 'name="username"' in html(response) and 'name="password"' in html(response)


@pytest.mark.parametrize("role", ROLES)
def test_the_role_admin_page_is_the_security_officers_only(
    role: str, users: Any, login: Any
) -> None:
    response = login(users.by_role()[role]).get(f"/admin/users/{users.town_staff.pk}/role")
    assert response.status_code == (200 if role == "security_admin" else 404)


@pytest.mark.parametrize("role", ROLES)
def test_bad_query_parameters_on_pages_never_break_them(
    role: str, users: Any, person_in: Any, login: Any
) -> None:
    client = login(users.by_role()[role])
    for path in (
        "/persons?page=abc&page_size=-1&town=x&working_age=maybe&q=" + "长" * 50,
        "/persons?page=99999999999999999999",
        "/audit?page=-5&action=" + "x" * 500,
        "/admin/users?page=zz",
        f"/persons/{10**30}",
        f"/persons/{10**30}/edit",
    ):
        response = client.get(path)
        assert response.status_code in (200, 404), (path, response.status_code)


def test_a_nul_character_in_a_query_never_reaches_the_database(
    users: Any, person_in: Any, login: Any
) -> None:
    """PostgreSQL refuses U+0000 in a text comparison; the page says so instead of a 500."""
    response = login(users.city_admin).get("/persons", {"q": "张\x00", "town": ANHAI})
    assert response.status_code == 200
    assert person_in.name in html(response)  # the other filter still applies
    response = login(users.audit_admin).get("/audit", {"action": "person.\x00", "actor": "\x00"})
    assert response.status_code == 200
    client = login(users.institution_staff)
    assert client.post("/persons/lookup", {"id_number": "\x00"}).status_code == 200
    assert Client().post("/login", {"username": "city\x00", "password": "x"}).status_code == 401


@pytest.mark.parametrize("role", sorted(EDITORS))
def test_the_edit_page_shows_numbers_masked_and_keeps_them_when_saved(
    role: str, users: Any, person_in: Any, login: Any
) -> None:
    """Opening the edit form is not a reveal: it must not show the full numbers unaudited."""
    client = login(users.by_role()[role])
    reveals = AuditEntry.objects.filter(action="person.reveal").count()
    page = html(client.get(f"/persons/{person_in.pk}/edit"))
    assert person_in.id_number not in page and person_in.cert_number not in page
    assert rules.mask_id_number(person_in.id_number) in page
    assert AuditEntry.objects.filter(action="person.reveal").count() == reveals
    data = form_data(page)
    data["address"] = "晋江市安海镇新街 9 号"
    response = client.post(f"/persons/{person_in.pk}/edit", data)
    assert response.status_code == 302, html(response)
    stored = Person.objects.get(pk=person_in.pk)
    assert stored.address == "晋江市安海镇新街 9 号"
    assert (stored.id_number, stored.cert_number) == (person_in.id_number, person_in.cert_number)
    # Typing whole new numbers replaces them.
    new_id = make_id("35058219900307019")
    data.update(id_number=new_id, cert_number=new_id + person_in.category + person_in.grade)
    assert client.post(f"/persons/{person_in.pk}/edit", data).status_code == 302
    assert Person.objects.get(pk=person_in.pk).id_number == new_id
