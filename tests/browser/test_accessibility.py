"""Every page passes axe-core's WCAG 2.1 A/AA rules with 0 violations (QUALITY.md)."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def test_axe_really_runs_and_reports(browser_session: Any) -> None:
    """Guards the guard: a page with known faults must fail, or 0 violations means nothing."""
    s = browser_session
    s.goto("/login")
    s.page.evaluate("""() => {
        const img = document.createElement('img');
        img.src = '/static/canpei/none.png';
        document.querySelector('main').appendChild(img);
        const input = document.createElement('input');
        document.querySelector('main').appendChild(input);
    }""")
    found = {v["id"] for v in s.axe_violations()}
    assert {"image-alt", "label"} <= found, found


def test_login_page(browser_session: Any) -> None:
    browser_session.goto("/login")
    browser_session.assert_accessible()


@pytest.mark.parametrize("role", ["city_admin", "town_staff", "institution_staff",
                                  "employment_service", "auditor", "sys_admin",
                                  "security_admin", "audit_admin"])
def test_dashboard_for_each_role(browser_session: Any, users: Any, person_in: Any,
                                 person_out: Any, role: str) -> None:
    browser_session.login_as(users.by_role()[role])
    browser_session.goto("/")
    browser_session.assert_accessible(f"/ as {role}")


def test_dashboard_with_no_persons(browser_session: Any, users: Any) -> None:
    browser_session.login_as(users.town_staff)
    browser_session.goto("/")
    browser_session.assert_accessible("/ (empty)")


def test_person_list_search_and_bad_filters(browser_session: Any, users: Any, person_in: Any,
                                            person_out: Any) -> None:
    s = browser_session
    s.login_as(users.city_admin)
    s.goto("/persons")
    s.assert_accessible("/persons")
    s.goto("/persons?q=zs&category=4&working_age=true")
    s.assert_accessible("/persons?q=zs")
    s.goto("/persons?q=nobody")
    s.assert_accessible("/persons with no result")
    s.goto("/persons?grade=9&town=x")
    _expect()(s.page.get_by_role("alert")).to_be_visible()
    s.assert_accessible("/persons with bad filters")


def test_person_list_paginated(browser_session: Any, users: Any, person_in: Any,
                               person_out: Any) -> None:
    s = browser_session
    s.login_as(users.city_admin)
    s.goto("/persons?page_size=20")
    s.assert_accessible("/persons (town staff)")


def test_person_create_form_empty_and_with_errors(browser_session: Any, users: Any) -> None:
    expect = _expect()
    s = browser_session
    page = s.page
    s.login_as(users.town_staff)
    s.goto("/persons/new")
    s.assert_accessible("/persons/new")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator(".error").first).to_be_visible()
    s.assert_accessible("/persons/new with errors")


def test_person_edit_with_errors(browser_session: Any, users: Any, person_in: Any) -> None:
    expect = _expect()
    s = browser_session
    page = s.page
    s.login_as(users.town_staff)
    s.goto(f"/persons/{person_in.pk}/edit")
    s.assert_accessible(f"/persons/{person_in.pk}/edit")
    page.get_by_label("联系电话").fill("12")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert")).to_be_visible()
    s.assert_accessible("edit with errors")


def test_person_detail_masked_revealed_and_after_a_status_change(browser_session: Any, users: Any,
                                                                 person_in: Any) -> None:
    expect = _expect()
    s = browser_session
    page = s.page
    s.login_as(users.town_staff)
    s.goto(f"/persons/{person_in.pk}")
    s.assert_accessible(f"/persons/{person_in.pk}")
    with page.expect_navigation():
        page.get_by_role("button", name="查看完整证件号（将记入审计日志）").click()
    expect(page.locator("dl.record")).to_contain_text(person_in.id_number)
    s.assert_accessible("/persons/{id} with the identity revealed")
    s.goto(f"/persons/{person_in.pk}")
    page.get_by_label("状态", exact=True).select_option("moved_out")
    page.get_by_label("说明").fill("迁往泉州市区")
    with page.expect_navigation():
        page.get_by_role("button", name="变更", exact=True).click()
    expect(page.locator(".messages")).to_be_visible()
    s.assert_accessible("/persons/{id} after a status change")


def test_person_detail_for_a_read_only_role(browser_session: Any, users: Any,
                                            person_in: Any) -> None:
    browser_session.login_as(users.auditor)
    browser_session.goto(f"/persons/{person_in.pk}")
    browser_session.assert_accessible("/persons/{id} as auditor")


def test_person_lookup_empty_found_and_not_found(browser_session: Any, users: Any,
                                                 person_in: Any) -> None:
    expect = _expect()
    s = browser_session
    page = s.page
    s.login_as(users.institution_staff)
    s.goto("/persons/lookup")
    s.assert_accessible("/persons/lookup")
    page.get_by_label("身份证号").fill(person_in.id_number)
    with page.expect_navigation():
        page.get_by_role("button", name="查找").click()
    expect(page.get_by_role("heading", name="查找结果")).to_be_visible()
    s.assert_accessible("/persons/lookup with a result")
    page.get_by_label("身份证号").fill("1234")
    with page.expect_navigation():
        page.get_by_role("button", name="查找").click()
    expect(page.locator(".error")).to_be_visible()
    s.assert_accessible("/persons/lookup with an error")


def test_audit_log(browser_session: Any, users: Any, person_in: Any, person_out: Any) -> None:
    s = browser_session
    s.login_as(users.audit_admin)
    s.goto("/audit")
    s.assert_accessible("/audit")
    s.goto("/audit?action=nothing-like-this")
    s.assert_accessible("/audit with no result")


@pytest.mark.parametrize("role", ["sys_admin", "security_admin"])
def test_user_admin(browser_session: Any, users: Any, role: str) -> None:
    s = browser_session
    s.login_as(getattr(users, role))
    s.goto("/admin/users")
    s.assert_accessible(f"/admin/users as {role}")


def test_user_admin_create_with_errors(browser_session: Any, users: Any) -> None:
    expect = _expect()
    s = browser_session
    page = s.page
    s.login_as(users.sys_admin)
    s.goto("/admin/users")
    with page.expect_navigation():
        page.get_by_role("button", name="创建").click()
    expect(page.locator(".error").first).to_be_visible()
    s.assert_accessible("/admin/users with errors")


def test_user_role_page(browser_session: Any, users: Any) -> None:
    s = browser_session
    s.login_as(users.security_admin)
    s.goto(f"/admin/users/{users.town_staff.pk}/role")
    s.assert_accessible("/admin/users/{id}/role")


def test_not_found_page(browser_session: Any, users: Any, person_out: Any) -> None:
    s = browser_session
    s.login_as(users.town_staff)
    s.goto(f"/persons/{person_out.pk}", status=404)
    _expect()(s.page.get_by_role("heading", level=1)).to_have_text("页面不存在")
    s.assert_accessible("404 for a record outside the scope")


def test_english(browser_session: Any, users: Any, person_in: Any) -> None:
    s = browser_session
    s.login_as(users.town_staff)
    s.goto("/persons")
    with s.page.expect_navigation():
        s.page.get_by_label("语言").select_option("en")
        s.page.get_by_role("button", name="切换").click()
    s.assert_accessible("/persons in English")
