"""The pages town staff and institutions use in the field, at phone width (issue 13): at 360, 390
and 414 px the page never scrolls sideways (wide tables scroll inside their own box), the header's
menu folds behind one button that opens it, and axe-core finds no violation at 390 px."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.training.conftest import class_data, designated, make_class, trainee_factory  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WIDTHS = (360, 390, 414)


def _fits(s: Any, label: str) -> None:
    overflow = s.page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    wide = s.page.evaluate(
        "() => Array.from(document.querySelectorAll('body *')).filter(e =>"
        " e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)"
        ".slice(0, 8).map(e => e.tagName + '.' + e.className)"
    )
    assert overflow <= 0, f"{label}: the page scrolls sideways by {overflow} px: {wide}"


def _check(s: Any, path: str) -> None:
    # Opened at each width (a chart sizes itself to the screen it is drawn on), 390 px last.
    for width in (*WIDTHS, 390):
        s.page.set_viewport_size({"width": width, "height": 800})
        s.goto(path)
        _fits(s, f"{path} at {width} px")
    # The header is one row: the menu is folded.
    header = s.page.locator("header.site-header").bounding_box()
    assert header is not None and header["height"] < 100, f"{path}: header {header}"
    assert not s.page.locator("nav").first.is_visible()
    s.assert_accessible(f"{path} at 390 px")
    s.page.set_viewport_size({"width": 1280, "height": 900})


def test_the_field_pages_at_phone_width(
    browser_session: Any, users: Any, make_class: Any, trainee_factory: Any
) -> None:
    from canpei.people.surveys import services as surveys
    from canpei.training.classes import services as classes

    person = trainee_factory(name="林秀英")
    survey = surveys.survey_create(
        actor=users.city_admin,
        data={"person": person.pk, "year": 2024, "surveyed_on": dt.date(2024, 5, 10)},
    )
    running = make_class("running", trainees=3)
    classes.session_record(
        actor=users.institution_staff,
        training_class=running,
        date=running.start_date,
        hours="4",
        topic="面点基础",
        attendance={},
    )
    s = browser_session
    s.login_as(users.town_staff)
    for path in (
        "/surveys?year=",
        f"/surveys/{survey.pk}",
        f"/surveys/new?person={person.pk}",
        "/surveys/progress",
        "/persons",
        f"/persons/{person.pk}",
        f"/persons/{person.pk}/edit",
        "/employment",
        f"/classes/{running.pk}",
        "/classes",
        "/applications",
        "/",
    ):
        _check(s, path)
    s.login_as(users.institution_staff)
    for path in (
        f"/classes/{running.pk}/register",
        f"/classes/{running.pk}",
        f"/classes/{running.pk}/enroll",
        "/institutions",
    ):
        _check(s, path)


def test_the_menu_opens_and_closes_at_phone_width(browser_session: Any, users: Any) -> None:
    s = browser_session
    s.login_as(users.town_staff)
    s.page.set_viewport_size({"width": 390, "height": 844})
    s.goto("/persons")
    toggle = s.page.get_by_role("button", name="菜单")
    assert toggle.get_attribute("aria-expanded") == "false"
    nav = s.page.get_by_role("navigation", name="主导航")
    assert not nav.is_visible()
    toggle.focus()
    s.page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true" and nav.is_visible()
    assert s.page.get_by_role("link", name="需求调查").is_visible()
    _fits(s, "/persons with the menu open")
    s.assert_accessible("/persons with the menu open at 390 px")
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "false" and not nav.is_visible()
    # On a wide screen there is nothing to fold.
    s.page.set_viewport_size({"width": 1280, "height": 900})
    assert not toggle.is_visible() and nav.is_visible()
