"""Links are named, and none is broken: every URL pattern of the pages has a name (templates and
views refer to pages by it), and every link or form target a signed-in user is shown resolves to
a pattern, on every page reached from the dashboard by following links."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from html import unescape
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from canpei.people.surveys.services import survey_create
from canpei.training.applications.services import application_create, staff_training_create
from tests.conftest import ANHAI

LINK = re.compile(r'\b(href|action|hx-get)="(/[^"]*)"')
# Followed links open pages; these would download a file or sign the user out instead.
NOT_FOLLOWED = {
    "logout",
    "export",
    "institution-export",
    "import-report",
    "import-template",
    "audit-export",
}


def _patterns(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, prefix + str(entry.pattern))
        else:
            yield prefix + str(entry.pattern), entry


def test_every_page_url_pattern_is_named() -> None:
    pages = [(route, p) for route, p in _patterns(get_resolver()) if not route.startswith("api/")]
    assert len(pages) > 60
    assert [route for route, p in pages if not p.name] == []


@pytest.fixture
def records(users: Any, person_in: Any, person_out: Any, make_class: Callable[..., Any]) -> None:
    """One record of each kind a page shows, so every detail page is reached."""
    today = dt.date.today()
    make_class("running")
    survey_create(actor=users.city_admin, data={"person": person_in.pk, "surveyed_on": today})
    application_create(
        actor=users.town_staff,
        data={
            "person": person_in.pk,
            "kind": "self_directed",
            "institution_name": "泉州市某职业培训学校",
            "training_type": "employment_skills",
            "occupation": "电子商务师",
            "level": "junior",
            "planned_start": today.isoformat(),
            "planned_end": (today + dt.timedelta(days=30)).isoformat(),
            "amount_requested": "1500",
            "reason": "自主选择培训机构学习电子商务",
        },
    )
    staff_training_create(
        actor=users.town_staff,
        data={
            "town": ANHAI,
            "staff_name": "王丽",
            "position": "liaison",
            "course": "残疾人就业政策与服务实务",
            "year": today.year,
            "hours": "24",
            "completed": False,
            "fee_paid": "0",
        },
    )


ROLES = [
    "city_admin",
    "town_staff",
    "institution_staff",
    "employment_service",
    "auditor",
    "sys_admin",
    "security_admin",
    "audit_admin",
]


@pytest.mark.parametrize("role", ROLES)
def test_no_page_a_user_reaches_shows_a_broken_link(
    role: str, users: Any, records: None, login: Any
) -> None:
    client = login(users.by_role()[role])
    queue, visited = ["/"], set()
    opened = 0
    while queue:
        path = queue.pop(0)
        response = client.get(path)
        assert response.status_code == 200, path
        opened += 1
        for attribute, link in LINK.findall(response.content.decode()):
            route = urlsplit(unescape(link)).path
            if route.startswith(settings.STATIC_URL):
                continue
            match = resolve(route)  # Resolver404 names the broken link
            # One page of each kind is enough: a detail page's links do not differ by record.
            if (
                attribute == "href"
                and match.url_name not in NOT_FOLLOWED
                and match.url_name not in visited
            ):
                visited.add(match.url_name)
                queue.append(unescape(link).split("#")[0])
    # The crawl did reach the pages it is meant to check, not only the navigation.
    assert visited >= {"dashboard", "password-change"}
    if role == "city_admin":
        assert visited >= {
            "person-detail",
            "person-edit",
            "survey-detail",
            "survey-edit",
            "class-detail",
            "class-register",
            "enrollment-edit",
            "inspection-create",
            "institution-detail",
            "institution-edit",
            "application-detail",
            "staff-training-detail",
            "staff-training-edit",
            "import-new",
        }


def test_the_favicon_is_linked_and_favicon_ico_is_not_a_404(client) -> None:
    page = client.get("/login").content.decode()
    assert '<link rel="icon" href="/static/canpei/favicon.svg" type="image/svg+xml">' in page
    response = client.get("/favicon.ico")
    assert (response.status_code, response["Location"]) == (301, "/static/canpei/favicon.svg")
