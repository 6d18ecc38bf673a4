"""`/reports` in a browser: axe-core finds 0 violations at desktop and phone width, the wide
figure tables scroll inside their own box (the page never scrolls sideways), and the filters
work from the keyboard."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.reports import indicator_data

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def data(trainee_factory: Any, institution: Any, other_institution: Any) -> Any:
    from canpei.reports.models import Plan

    Plan.objects.create(
        name="残疾人职业技能提升计划（2025-2026年）",
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2026, 12, 31),
    )
    return indicator_data.build(trainee_factory, institution, other_institution)


@pytest.mark.parametrize("role", ["city_admin", "town_staff", "institution_staff"])
def test_reports_page_is_accessible(browser_session: Any, users: Any, data: Any, role: str) -> None:
    s = browser_session
    s.login_as(users.by_role()[role])
    s.goto("/reports")
    s.assert_accessible(f"/reports as {role}")
    s.page.set_viewport_size({"width": 390, "height": 844})
    s.assert_accessible(f"/reports as {role} at 390 px")
    assert s.page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    s.page.set_viewport_size({"width": 1280, "height": 900})


def test_filtering_by_year_with_the_keyboard(browser_session: Any, users: Any, data: Any) -> None:
    s = browser_session
    s.login_as(users.city_admin)
    s.goto("/reports")
    s.page.focus("#r-year")
    s.page.keyboard.type("2024")
    s.page.keyboard.press("Enter")
    s.page.wait_for_url("**/reports?year=2024**")
    assert s.page.inner_text('[data-figure="trainee_times"]') == "1"
    s.assert_accessible("/reports?year=2024")
    s.goto("/reports?year=1999")
    s.assert_accessible("/reports with a bad year")
