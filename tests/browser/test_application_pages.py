"""The application and staff-training pages pass axe-core's WCAG 2.1 A/AA rules with 0
violations: lists, forms (empty and with errors), the detail page before and after a step."""

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
def application(users: Any, person_in: Any) -> Any:
    from canpei.training.applications.services import application_create, staff_training_create

    staff_training_create(
        actor=users.town_staff,
        data={
            "staff_name": "王丽",
            "position": "liaison",
            "course": "残疾人就业政策",
            "year": dt.date.today().year,
            "hours": "12",
        },
    )
    return application_create(
        actor=users.town_staff,
        data={
            "person": person_in.pk,
            "kind": "self_directed",
            "institution_name": "泉州市某职业培训学校",
            "occupation": "电子商务师",
            "amount_requested": "1500",
        },
    )


def test_lists_and_their_bad_filters(browser_session: Any, users: Any, application: Any) -> None:
    s = browser_session
    s.login_as(users.city_admin)
    for path in (
        "/applications",
        "/applications?state=submitted&kind=self_directed",
        "/staff-training",
        "/staff-training?year=2000",
    ):
        s.goto(path)
        s.assert_accessible(path)
    s.goto("/applications?state=open&year=x")
    _expect()(s.page.get_by_role("alert")).to_be_visible()
    s.assert_accessible("/applications with bad filters")


def test_town_staff_submit_an_application_with_the_keyboard_and_errors(
    browser_session: Any, users: Any, person_in: Any
) -> None:
    expect = _expect()
    s = browser_session
    page = s.page
    s.login_as(users.town_staff)
    s.goto(f"/persons/{person_in.pk}")
    s.assert_accessible("/persons/{id} as town_staff")
    s.goto("/applications/new")
    s.assert_accessible("/applications/new without a person")
    s.goto(f"/applications/new?person={person_in.pk}")
    s.assert_accessible("/applications/new")
    with page.expect_navigation():
        page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_role("alert")).to_be_visible()
    s.assert_accessible("/applications/new with errors")
    page.get_by_label("申请类型").select_option("appraisal")
    page.get_by_label("机构名称").fill("泉州市职业技能鉴定指导中心")
    page.get_by_label("职业（工种）/技能").fill("保健按摩师")
    page.get_by_label("申请金额（元）").fill("800")
    with page.expect_navigation():
        page.get_by_label("申请金额（元）").press("Enter")
    expect(page.locator("dl.record")).to_contain_text("保健按摩师")
    s.assert_accessible("/applications/{id} as town_staff")
    with page.expect_navigation():
        page.get_by_role("link", name="修改").click()
    s.assert_accessible("/applications/{id}/edit")


def test_the_city_decides_on_the_detail_page(
    browser_session: Any, users: Any, application: Any
) -> None:
    expect = _expect()
    s = browser_session
    page = s.page
    s.login_as(users.city_admin)
    s.goto(f"/applications/{application.pk}")
    s.assert_accessible("/applications/{id} as city_admin")
    with page.expect_navigation():
        page.get_by_role("button", name="不予批准").click()
    expect(page.get_by_role("alert")).to_be_visible()
    s.assert_accessible("/applications/{id} with a refused step")
    page.locator("#id_approve-amount_approved").fill("1200")
    with page.expect_navigation():
        page.get_by_role("button", name="批准", exact=True).click()
    expect(page.locator("dl.record")).to_contain_text("已批准")
    s.assert_accessible("/applications/{id} approved, with the completion form")
    with page.expect_navigation():
        page.get_by_role("button", name="登记完成").click()
    expect(page.get_by_role("alert")).to_be_visible()
    s.assert_accessible("/applications/{id} with missing proof")


def test_staff_training_forms(browser_session: Any, users: Any, application: Any) -> None:
    expect = _expect()
    s = browser_session
    page = s.page
    s.login_as(users.city_admin)
    s.goto("/staff-training/new")
    s.assert_accessible("/staff-training/new")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert")).to_be_visible()
    s.assert_accessible("/staff-training/new with errors")
    from canpei.training.models import StaffTraining

    record = StaffTraining.objects.get()
    s.goto(f"/staff-training/{record.pk}")
    s.assert_accessible("/staff-training/{id}")
    s.goto(f"/staff-training/{record.pk}/edit")
    s.assert_accessible("/staff-training/{id}/edit")
