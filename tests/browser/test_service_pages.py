"""Employment service pages in the browser: a service recorded through the form (errors first),
shown on the person's timeline; axe-core finds 0 WCAG 2.1 A/AA violations on the list, the
person picker, the form (empty and with errors), the record and the person's page."""

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


def test_record_a_service_and_see_it_on_the_timeline(
    browser_session: Any, users: Any, person_in: Any
) -> None:
    from canpei.employment.models import EmploymentService

    expect = _expect()
    s = browser_session
    page = s.page
    s.login_as(users.town_staff)
    s.goto("/employment/services")
    s.assert_accessible("/employment/services, empty")
    s.goto("/employment/services/new?q=zhangsan")
    s.assert_accessible("/employment/services/new, the person picker")
    with page.expect_navigation():
        page.get_by_role("link", name=f"为其登记 {person_in.name}").click()
    s.assert_accessible("/employment/services/new?person=")

    # A referral without its fields and dated tomorrow: every refusal named, nothing stored.
    page.get_by_label("服务类别").select_option("job_referral")
    page.get_by_label("服务日期").fill((dt.date.today() + dt.timedelta(days=1)).isoformat())
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("服务日期不能晚于今天")
    expect(alert).to_contain_text("职业介绍须填写推荐单位")
    s.assert_accessible("/employment/services/new with errors")
    assert not EmploymentService.objects.exists()

    page.get_by_label("服务日期").fill(dt.date.today().isoformat())
    page.get_by_label("推荐单位").fill("晋江恒安集团")
    page.get_by_label("推荐岗位").fill("包装工")
    page.get_by_label("推荐结果").select_option("pending")
    page.get_by_label("服务内容").fill("推荐参加面试")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    service = EmploymentService.objects.get()
    assert page.url.endswith(f"/employment/services/{service.pk}")
    expect(page.get_by_role("status")).to_contain_text(person_in.name)
    s.assert_accessible("/employment/services/{id}")

    s.goto(f"/persons/{person_in.pk}")
    timeline = page.locator("ol.timeline")
    expect(timeline).to_contain_text("职业介绍")
    expect(timeline).to_contain_text("晋江恒安集团 · 包装工；待定")
    s.assert_accessible("/persons/{id} with its timeline")

    s.goto(f"/employment/services/{service.pk}/edit")
    s.assert_accessible("/employment/services/{id}/edit")
    s.goto("/employment/services?kind=job_referral&result=pending")
    expect(page.get_by_role("table")).to_contain_text(person_in.name)
    s.assert_accessible("/employment/services, filtered")
    s.goto("/employment/services?kind=x&date_from=bad")
    expect(page.get_by_role("alert")).to_be_visible()
    s.assert_accessible("/employment/services with bad filters")
