"""The follow-up pages in the browser: the worklist, a follow-up's page and its record form pass
axe-core's WCAG 2.1 A/AA rules, and a follow-up is recorded with the keyboard alone (Tab, typing,
arrow keys in the selects, Enter), a refused value first."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

MAX_TABS = 80


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def focused(page: Any) -> dict[str, str]:
    return dict(
        page.evaluate(
            "() => { const e = document.activeElement;"
            " return {id: e.id || '', tag: e.tagName, text: (e.textContent || '').trim(),"
            " href: e.getAttribute('href') || ''}; }"
        )
    )


def tab_to(page: Any, match: Any) -> None:
    """Press Tab until the focused element satisfies `match` (from the page's start)."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if match(focused(page)):
            return
    raise AssertionError("not reachable with Tab")


def tab_to_field(page: Any, field: str) -> None:
    tab_to(page, lambda f: f["id"] == f"id_{field}")


def choose(page: Any, field: str, downs: int) -> None:
    """Move to a select with Tab and pick the option `downs` below the blank one by arrow keys."""
    tab_to_field(page, field)
    page.keyboard.press("Home")
    for _ in range(downs):
        page.keyboard.press("ArrowDown")


def test_a_follow_up_recorded_with_the_keyboard_alone(
    browser_session: Any, users: Any, audited_class: Any
) -> None:
    from canpei.audit.models import AuditEntry
    from canpei.employment.models import FollowUp
    from canpei.people.models import Person

    expect = _expect()
    s = browser_session
    page = s.page
    followup = FollowUp.objects.get(
        enrollment=audited_class.enrollments.order_by("pk")[0], months=3
    )
    s.login_as(users.town_staff)
    s.goto("/employment?status=overdue")
    s.assert_accessible("/employment as town_staff")

    # From the worklist to the form: Tab to the row's 登记 link, Enter.
    edit = f"/employment/followups/{followup.pk}/edit"
    tab_to(page, lambda f: f["href"] == edit)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(edit)
    s.assert_accessible("/employment/followups/{id}/edit")

    # The date is today already; method, employed and the form by arrow keys, texts typed.
    choose(page, "method", 1)  # 电话回访
    choose(page, "employed", 1)  # 是
    choose(page, "employment_form", 7)  # 7 灵活就业
    tab_to_field(page, "employer")
    page.keyboard.type("晋江市电商产业园")
    tab_to_field(page, "monthly_income")
    page.keyboard.type("-100")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("#id_monthly_income_error")).to_contain_text(
        "月收入（元）须为 0 至 200000 元，最多两位小数"
    )
    s.assert_accessible("/employment/followups/{id}/edit with errors")
    assert FollowUp.objects.get(pk=followup.pk).date is None
    assert not AuditEntry.objects.filter(action__startswith="followup.").exists()

    # Correct the income (what was chosen is kept) and save with Enter.
    page.locator("body").focus()
    tab_to_field(page, "monthly_income")
    page.keyboard.press("Control+A")
    page.keyboard.type("3600")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/employment/followups/{followup.pk}")
    expect(page.locator("main")).to_contain_text("晋江市电商产业园")
    s.assert_accessible("/employment/followups/{id}")

    stored = FollowUp.objects.get(pk=followup.pk)
    assert stored.date == dt.date.today()
    assert (stored.method, stored.employed, stored.employment_form) == ("phone", True, "7")
    assert str(stored.monthly_income) == "3600.00"
    assert Person.objects.get(pk=stored.person_id).employment_form == "7"


def test_the_pages_of_other_roles_pass_axe(
    browser_session: Any, users: Any, audited_class: Any
) -> None:
    from canpei.employment.models import FollowUp

    s = browser_session
    followup = FollowUp.objects.filter(enrollment__training_class=audited_class).first()
    assert followup is not None
    s.login_as(users.city_admin)
    s.goto("/employment")
    s.assert_accessible("/employment as city_admin")
    s.goto("/employment?status=late&year=x")
    _expect()(s.page.get_by_role("alert")).to_be_visible()
    s.assert_accessible("/employment with bad filters")
    s.login_as(users.auditor)
    s.goto(f"/employment/followups/{followup.pk}")
    s.assert_accessible("/employment/followups/{id} as auditor")
    s.login_as(users.other_town_staff)
    s.goto(f"/employment/followups/{followup.pk}", status=404)
