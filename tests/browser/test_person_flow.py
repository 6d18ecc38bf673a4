"""A town officer's everyday workflow, driven through a real browser, by keyboard."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def test_town_staff_finds_a_person_by_initials_and_edits_the_phone_by_keyboard(
    browser_session: Any, users: Any, person_in: Any
) -> None:
    expect = _expect()
    s = browser_session
    page = s.page

    # Sign in with the keyboard only: the user name field has the focus on arrival.
    s.goto("/login")
    s.assert_accessible("/login")
    expect(page.locator("#id_username")).to_be_focused()
    page.keyboard.type(users.town_staff.username)
    page.keyboard.press("Tab")
    expect(page.locator("#id_password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(s.url("/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("首页")

    # The roster, searched by the initials of 张三.
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="人员名册").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(s.url("/persons"))
    page.get_by_label("搜索").focus()
    page.keyboard.type("zs")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/persons\?.*q=zs"))
    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(1)
    link = rows.get_by_role("link", name="张三")
    expect(link).to_be_visible()
    s.assert_accessible("/persons?q=zs")

    # Open the record, then its edit page.
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(s.url(f"/persons/{person_in.pk}"))
    expect(page.get_by_role("heading", level=1)).to_have_text("张三")
    page.get_by_role("link", name="编辑").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(s.url(f"/persons/{person_in.pk}/edit"))

    # Change the phone and the address, and save with Enter from a text field.
    phone = page.get_by_label("联系电话")
    phone.focus()
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type("13905951234")
    address = page.get_by_label("地址", exact=True)
    address.focus()
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type("安海镇新街 8 号")
    page.keyboard.press("Enter")
    page.wait_for_url(s.url(f"/persons/{person_in.pk}"))

    record = page.locator("dl.record")
    expect(record).to_contain_text("13905951234")
    expect(record).to_contain_text("安海镇新街 8 号")
    expect(page.get_by_role("status")).to_contain_text("已保存")
    s.assert_accessible("person detail after saving")

    from canpei.people.models import Person

    person = Person.objects.get(pk=person_in.pk)
    assert person.phone == "13905951234"
    assert person.address == "安海镇新街 8 号"


def test_wrong_password_is_announced_and_the_form_stays_usable(
    browser_session: Any, users: Any
) -> None:
    expect = _expect()
    s = browser_session
    page = s.page
    s.goto("/login")
    expect(page.locator("#id_username")).to_be_focused()
    page.keyboard.type(users.town_staff.username)
    page.keyboard.press("Tab")
    expect(page.locator("#id_password")).to_be_focused()
    page.keyboard.type("not-the-password-1A")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("用户名或密码错误")
    s.assert_accessible("/login with an error")


def test_the_skip_link_is_the_first_stop_and_moves_focus_to_the_content(
    browser_session: Any, users: Any
) -> None:
    expect = _expect()
    s = browser_session
    page = s.page
    s.login_as(users.city_admin)
    s.goto("/persons")
    page.locator("body").focus()
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="跳到正文")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
