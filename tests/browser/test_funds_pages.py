"""Money in the browser: the city settles an audited class by keyboard and reads its payment in
the year's ledger and on the payment's page; axe-core finds 0 WCAG 2.1 A/AA violations on every
funds page, on a desktop and at 390 px."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.test_class_flow import press_with_keyboard

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WIDTHS = ({"width": 1280, "height": 900}, {"width": 390, "height": 844})


def accessible_at_both_widths(s: Any, label: str) -> None:
    for size in WIDTHS:
        s.page.set_viewport_size(size)
        s.assert_accessible(f"{label} at {size['width']} px")
    s.page.set_viewport_size(WIDTHS[0])


def test_settle_a_class_and_read_its_payment_in_the_ledger(
    browser_session: Any, users: Any, make_class: Callable[..., Any]
) -> None:
    from playwright.sync_api import expect

    from canpei.funds.models import Disbursement

    training_class = make_class("audited", trainees=2)
    s = browser_session
    page = s.page
    s.login_as(users.city_admin)
    s.goto(f"/classes/{training_class.pk}")
    press_with_keyboard(page, "结算")
    payment = Disbursement.objects.get(training_class=training_class)

    s.goto(f"/funds?year={training_class.year}")
    payments = page.get_by_role("table", name="本年度拨付（冲销为负数）")
    expect(payments).to_contain_text(training_class.code)
    expect(payments).to_contain_text("2000.00")
    ledger = page.get_by_role("table", name="按资金来源（元）")
    expect(ledger.locator('tr[data-source="security_fund"]')).to_contain_text("2000.00")
    accessible_at_both_widths(s, "/funds as city_admin")

    # The payment's page, reached by keyboard from the ledger.
    link = page.get_by_role("link", name=f"#{payment.pk}")
    link.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    lines = page.get_by_role("table", name="学员 × 补贴标准（身份证号已脱敏）")
    expect(lines.locator("tbody tr")).to_have_count(2)
    expect(lines).to_contain_text("1000.00")
    accessible_at_both_widths(s, "/funds/disbursements/{id}")

    for kind in ("budget", "standard", "donation", "contract", "disbursement"):
        s.goto(f"/funds/new/{kind}")
        accessible_at_both_widths(s, f"/funds/new/{kind}")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert")).to_be_visible()
    accessible_at_both_widths(s, "/funds/new/disbursement with errors")

    for user in (users.auditor, users.town_staff, users.institution_staff):
        s.login_as(user)
        s.goto(f"/funds?year={training_class.year}")
        expect(page.get_by_role("table", name="本年度拨付（冲销为负数）")).to_contain_text(
            training_class.code
        )
        accessible_at_both_widths(s, f"/funds as {user.role}")
