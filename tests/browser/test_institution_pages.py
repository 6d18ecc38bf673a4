"""The institution pages pass axe-core's WCAG 2.1 A/AA rules with 0 violations, in every state
a user can bring them to: empty, filled in, with errors, after a designation step."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


@pytest.fixture
def designated(institution: Any) -> Any:
    """The staff's institution, designated and valid today, with a teacher and some history."""
    from django.utils import timezone

    from canpei.institutions.models import DesignationEvent, Institution, Teacher

    today = timezone.localdate()
    Institution.objects.filter(pk=institution.pk).update(
        designated_from=today - dt.timedelta(days=100),
        designated_to=today + dt.timedelta(days=700),
        accessibility=["step_free", "lift"],
        specialties="电子商务\n计算机操作",
    )
    Teacher.objects.create(
        institution=institution, name="许秀英", specialty="电子商务", qualification="中级电子商务师"
    )
    DesignationEvent.objects.create(
        institution=institution,
        action="designate",
        from_state="applied",
        to_state="designated",
        designated_from=today - dt.timedelta(days=100),
        designated_to=today + dt.timedelta(days=700),
        comment="定点认定",
    )
    institution.refresh_from_db()
    return institution


def test_institution_list_filters_and_bad_filters(
    browser_session: Any, users: Any, designated: Any, other_institution: Any
) -> None:
    s = browser_session
    s.login_as(users.city_admin)
    s.goto("/institutions")
    s.assert_accessible("/institutions")
    s.goto("/institutions?state=designated&type=private&q=另一")
    s.assert_accessible("/institutions filtered")
    s.goto("/institutions?q=没有这样的机构")
    s.assert_accessible("/institutions with no result")
    s.goto("/institutions?state=closed&town=x")
    _expect()(s.page.get_by_role("alert")).to_be_visible()
    s.assert_accessible("/institutions with bad filters")


def test_institution_list_for_institution_staff(
    browser_session: Any, users: Any, designated: Any
) -> None:
    browser_session.login_as(users.institution_staff)
    browser_session.goto("/institutions")
    browser_session.assert_accessible("/institutions as institution_staff")


def test_institution_create_form_empty_and_with_errors(browser_session: Any, users: Any) -> None:
    expect = _expect()
    s = browser_session
    page = s.page
    s.login_as(users.city_admin)
    s.goto("/institutions/new")
    s.assert_accessible("/institutions/new")
    page.get_by_label("统一社会信用代码").fill("12345")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator(".error").first).to_be_visible()
    s.assert_accessible("/institutions/new with errors")


def test_institution_detail_with_designation_steps_and_their_errors(
    browser_session: Any, users: Any, designated: Any
) -> None:
    expect = _expect()
    s = browser_session
    page = s.page
    s.login_as(users.city_admin)
    s.goto(f"/institutions/{designated.pk}")
    s.assert_accessible("/institutions/{id} as city_admin")
    # Revoke without a reason: refused, with the reason asked for next to the field.
    with page.expect_navigation():
        page.get_by_role("button", name="撤销", exact=True).click()
    expect(page.get_by_role("alert")).to_be_visible()
    s.assert_accessible("/institutions/{id} with a refused step")
    page.locator("#id_suspend-comment").fill("过程检查发现问题，暂停整改")
    page.locator("#id_suspend-confirm").check()
    with page.expect_navigation():
        page.get_by_role("button", name="暂停", exact=True).click()
    expect(page.locator(".messages")).to_be_visible()
    expect(page.locator("dl.record")).to_contain_text("暂停")
    s.assert_accessible("/institutions/{id} after suspending")


def test_institution_detail_read_only(browser_session: Any, users: Any, designated: Any) -> None:
    browser_session.login_as(users.auditor)
    browser_session.goto(f"/institutions/{designated.pk}")
    browser_session.assert_accessible("/institutions/{id} as auditor")


def test_teacher_form_on_the_detail_page(browser_session: Any, users: Any, designated: Any) -> None:
    expect = _expect()
    s = browser_session
    page = s.page
    s.login_as(users.institution_staff)
    s.goto(f"/institutions/{designated.pk}")
    s.assert_accessible("/institutions/{id} as institution_staff")
    with page.expect_navigation():
        page.get_by_role("button", name="添加教师").click()
    expect(page.get_by_role("alert")).to_be_visible()
    s.assert_accessible("/institutions/{id} with teacher errors")
    page.get_by_label("教师姓名").fill("蔡志明")
    with page.expect_navigation():
        page.get_by_role("button", name="添加教师").click()
    expect(page.get_by_role("table", name="教师名单")).to_contain_text("蔡志明")
    s.assert_accessible("/institutions/{id} after adding a teacher")


def test_institution_edit_for_institution_staff_with_errors(
    browser_session: Any, users: Any, designated: Any
) -> None:
    expect = _expect()
    s = browser_session
    page = s.page
    s.login_as(users.institution_staff)
    s.goto(f"/institutions/{designated.pk}/edit")
    s.assert_accessible("/institutions/{id}/edit as institution_staff")
    page.get_by_label("联系电话").fill("12")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert")).to_be_visible()
    s.assert_accessible("/institutions/{id}/edit with errors")
