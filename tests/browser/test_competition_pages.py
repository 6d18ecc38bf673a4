"""Competition and typical case pages in the browser: a town's clerk enters a person by keyboard
alone (search, Tab to the event, pick it, Tab to 报名, Enter); axe-core finds 0 WCAG 2.1 A/AA
violations on every new page, at desktop width and at 390 px, with and without errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.browser.test_accessibility import _at_desktop_and_390px

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def test_a_clerk_enters_a_person_by_keyboard(
    browser_session: Any, users: Any, competition: Any, person_in: Any
) -> None:
    from canpei.competitions.models import Entry

    expect = _expect()
    s = browser_session
    page = s.page
    s.login_as(users.town_staff)
    s.goto("/competitions")
    _at_desktop_and_390px(s, "/competitions as town staff")
    s.goto(f"/competitions/{competition.pk}")
    _at_desktop_and_390px(s, "/competitions/{id} as town staff")

    page.get_by_label("查找人员").focus()
    page.keyboard.type("zhangsan")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _at_desktop_and_390px(s, "/competitions/{id} with the person picker")
    page.get_by_label("查找人员").focus()
    page.keyboard.press("Tab")  # 查找
    page.keyboard.press("Tab")  # the event beside the person found
    event = page.get_by_label(f"竞赛项目（{person_in.name}）")
    expect(event).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(event).to_have_value(str(competition.events.get(name="盲人保健按摩").pk))
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name=f"报名 {person_in.name}")).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(f"已报名：{person_in.name}（盲人保健按摩）")
    entry = Entry.objects.get()
    assert (entry.person_id, entry.event.name) == (person_in.pk, "盲人保健按摩")
    _at_desktop_and_390px(s, "/competitions/{id} with an entry")

    # The same person in the same event again: refused, said on the page, nothing stored.
    s.goto(f"/competitions/{competition.pk}?q=zhangsan")
    page.get_by_label(f"竞赛项目（{person_in.name}）").select_option(label="盲人保健按摩")
    with page.expect_navigation():
        page.get_by_role("button", name=f"报名 {person_in.name}").click()
    expect(page.get_by_role("alert")).to_contain_text("该人员已报名此项目，不能重复报名")
    _at_desktop_and_390px(s, "/competitions/{id} with a refused entry")
    assert Entry.objects.count() == 1

    s.goto("/cases")
    _at_desktop_and_390px(s, "/cases as town staff")


def test_the_city_pages_are_accessible(
    browser_session: Any, users: Any, competition: Any, person_in: Any
) -> None:
    from canpei.competitions import services

    expect = _expect()
    s = browser_session
    page = s.page
    s.login_as(users.city_admin)
    s.goto("/competitions/new")
    _at_desktop_and_390px(s, "/competitions/new")
    page.get_by_label("竞赛名称").fill("泉州市第七届残疾人职业技能竞赛")
    page.get_by_label("开始日期").fill("2026-05-02")
    page.get_by_label("结束日期").fill("2026-05-01")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("结束日期不能早于开始日期")
    expect(alert).to_contain_text("请选择竞赛级别")
    expect(alert).to_contain_text("请至少填写一个竞赛项目")
    _at_desktop_and_390px(s, "/competitions/new with errors")
    s.goto(f"/competitions/{competition.pk}/edit")
    _at_desktop_and_390px(s, "/competitions/{id}/edit")
    entry = services.entry_create(
        actor=users.city_admin,
        competition=competition,
        data={"event": competition.events.get(name="电子商务").pk, "person": person_in.pk},
    )
    s.goto(f"/competitions/{competition.pk}")
    _at_desktop_and_390px(s, "/competitions/{id} as the city")
    s.goto(f"/competitions/{competition.pk}/entries/{entry.pk}/result")
    _at_desktop_and_390px(s, "/competitions/{id}/entries/{id}/result")

    s.goto("/cases/new")
    _at_desktop_and_390px(s, "/cases/new")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert")).to_contain_text("请填写案例标题")
    _at_desktop_and_390px(s, "/cases/new with errors")
    case = services.case_create(
        actor=users.city_admin,
        data={"title": "自强不息的电商创业者", "text": "开设网店。", "person": person_in.pk},
    )
    s.goto(f"/cases/{case.pk}")
    _at_desktop_and_390px(s, "/cases/{id}")
    page.get_by_label("发布日期").fill(dt.date.today().isoformat())
    page.get_by_label("宣传渠道").select_option("wechat")
    with page.expect_navigation():
        page.get_by_role("button", name="发布", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("须先登记本人同意")
    _at_desktop_and_390px(s, "/cases/{id} with the publication refused")
    s.goto(f"/cases/{case.pk}/edit")
    _at_desktop_and_390px(s, "/cases/{id}/edit")
    s.goto("/cases")
    _at_desktop_and_390px(s, "/cases")
    s.goto("/competitions?level=bad")
    _at_desktop_and_390px(s, "/competitions with a bad filter")
