"""The targets, uncovered and plans pages pass axe-core with 0 violations, and the targets table
is reachable by keyboard: each number leads to its uncovered list."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ANHAI

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def data(users: Any, institution: Any) -> dict[str, Any]:
    from tests.reports.targets_data import build

    return build(users, institution)


def test_targets_uncovered_and_plans_pages_are_accessible(
    browser_session: Any, users: Any, data: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    s = browser_session
    plan = data["plan"].pk
    s.login_as(users.city_admin)
    s.goto(f"/reports/targets?plan={plan}")
    s.assert_accessible("/reports/targets")
    bar = s.page.get_by_role("progressbar", name="安海镇 目标1 覆盖率")
    expect(bar).to_have_attribute("value", "50.0")
    s.page.get_by_role("link", name="安海镇 目标1 未覆盖人员名单").click()
    expect(s.page.get_by_role("heading", level=1)).to_contain_text("目标1")
    expect(s.page.get_by_role("row").filter(has_text="甲八")).to_be_visible()
    s.assert_accessible("/reports/targets/uncovered")
    s.goto(f"/reports/targets/uncovered?plan={plan}&target=9&year=x")
    s.assert_accessible("/reports/targets/uncovered with bad filters")
    s.goto("/plans")
    s.assert_accessible("/plans")
    s.page.get_by_role("button", name="保存").click()
    expect(s.page.get_by_role("alert")).to_be_visible()
    s.assert_accessible("/plans with errors")


def test_town_staff_pages_are_accessible(
    browser_session: Any, users: Any, data: dict[str, Any]
) -> None:
    s = browser_session
    s.login_as(users.town_staff)
    s.goto(f"/reports/targets?plan={data['plan'].pk}")
    s.assert_accessible("/reports/targets as town staff")
    s.goto(f"/reports/targets/uncovered?plan={data['plan'].pk}&target=3&town={ANHAI}")
    s.assert_accessible("/reports/targets/uncovered as town staff")
    s.goto("/plans")
    s.assert_accessible("/plans as town staff")
