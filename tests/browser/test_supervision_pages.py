"""Issue 12's pages in a browser: the completion-audit checklist on the class page and the
matching page, each with 0 axe violations at desktop width and at 390 px."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.conftest import ANHAI
from tests.training.conftest import designated, make_class, trainee_factory  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _at_desktop_and_390px(s: Any, label: str) -> None:
    for width, height in ((1280, 900), (390, 844)):
        s.page.set_viewport_size({"width": width, "height": height})
        s.assert_accessible(f"{label} at {width} px")
    s.page.set_viewport_size({"width": 1280, "height": 900})


def test_the_checklist_and_the_matching_page(
    browser_session: Any, users: Any, make_class: Any, trainee_factory: Any
) -> None:
    from playwright.sync_api import expect

    from canpei.people.models import Skill, Survey

    s = browser_session
    completed = make_class("completed", trainees=2)
    s.login_as(users.city_admin)
    s.goto(f"/classes/{completed.pk}")
    table = s.page.get_by_role("table", name="每项检查的结果及其数据")
    expect(table).to_contain_text("计划课时 40，考勤登记 40.0（须达到 40）")
    expect(table).to_contain_text("尚无过程检查")
    _at_desktop_and_390px(s, "/classes/{id} with its checklist")

    person = trainee_factory(town=ANHAI)
    survey = Survey.objects.create(
        person=person, year=dt.date.today().year, training_need=True, surveyed_on=dt.date.today()
    )
    survey.wanted_skills.set([Skill.objects.get(code="ecommerce")])
    s.login_as(users.town_staff)
    s.goto("/reports")
    with s.page.expect_navigation():
        s.page.get_by_role("link", name="供需匹配").first.click()
    expect(s.page.get_by_role("table")).to_contain_text(
        "安海镇：1 人希望参加电子商务培训，尚无计划开班"
    )
    _at_desktop_and_390px(s, "/reports/matching")
    s.goto("/reports/matching?year=abc")
    expect(s.page.get_by_role("alert")).to_be_visible()
    _at_desktop_and_390px(s, "/reports/matching with a bad year")

    # A draft class of that skill in the person's town: the person's page and the class's
    # page each offer the other, with one press onto the roster.
    draft = make_class("draft", trainees=0, skill="ecommerce")
    type(draft.institution).objects.filter(pk=draft.institution_id).update(town_id=ANHAI)
    s.login_as(users.city_admin)
    s.goto(f"/persons/{person.pk}")
    expect(s.page.get_by_role("region", name="适合的培训班")).to_contain_text(draft.code)
    _at_desktop_and_390px(s, "/persons/{id} with the classes that fit")
    s.goto(f"/classes/{draft.pk}")
    expect(
        s.page.get_by_role("table", name="最近一次调查需要本技能、尚未完成同技能培训的人员")
    ).to_contain_text(person.name)
    _at_desktop_and_390px(s, "/classes/{id} with the surveyed persons who want its skill")
    with s.page.expect_navigation():
        s.page.get_by_role("button", name=f"加入花名册 {person.name}").click()
    expect(s.page.get_by_role("table", name="学员名单（1 人）")).to_contain_text(person.name)
