"""A class's whole life in the browser, as the institution and the city live it: the institution
opens a class and enrols trainees by ID number, applies; the city approves; the institution starts
it and keeps the register; the city inspects; the institution declares completion; the city passes
the audit. Every page touched passes axe-core's WCAG 2.1 A/AA rules, and the lifecycle buttons are
reached and pressed with the keyboard alone."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.training.conftest import designated, trainee_factory  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Enough Tab presses to cross the header, the navigation and a class page's forms.
MAX_TABS = 120


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def press_with_keyboard(page: Any, label: str) -> None:
    """Tab from the top of the page to the button named `label` and press Enter on it: the
    step must be reachable and usable without a mouse."""
    page.locator("body").focus()
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement;"
            " return e && e.tagName === 'BUTTON' ? e.textContent.trim() : null; }"
        )
        if focused == label:
            with page.expect_navigation():
                page.keyboard.press("Enter")
            return
    raise AssertionError(f"the button {label!r} is not reachable with Tab")


def state_of(page: Any) -> str:
    return page.locator("dl.record div", has_text="状态").first.locator("dd").inner_text().strip()


def test_a_class_from_application_to_audit(
    browser_session: Any, users: Any, designated: Any, trainee_factory: Any
) -> None:
    from django.utils import timezone

    from canpei.training.models import Attendance, Inspection, TrainingClass

    expect = _expect()
    s = browser_session
    page = s.page
    today = timezone.localdate()
    first, second = trainee_factory(name="陈淑芬"), trainee_factory(name="林建国")

    # -- the institution opens a class ------------------------------------------------------------
    s.login_as(users.institution_staff)
    s.goto("/classes")
    s.assert_accessible("/classes (empty) as institution_staff")
    with page.expect_navigation():
        page.get_by_role("link", name="新建培训班").click()
    s.assert_accessible("/classes/new")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator(".error").first).to_be_visible()
    s.assert_accessible("/classes/new with errors")
    page.get_by_label("班级名称").fill("电子商务培训班")
    page.get_by_label("培训类型").select_option("employment_skills")
    page.get_by_label("培训方式").select_option("centralized")
    page.get_by_label("职业（工种）/技能").fill("电子商务师")
    page.get_by_label("培训等级").select_option("junior")
    page.get_by_label("开班日期").fill((today - dt.timedelta(days=3)).isoformat())
    # It started three days ago and ends today: filed late, and completed today (issue 12).
    page.get_by_label("结业日期").fill(today.isoformat())
    page.get_by_label("培训课时").fill("8")
    page.get_by_label("计划人数").fill("20")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    expect(page.locator(".messages")).to_contain_text("已新建培训班")
    training_class = TrainingClass.objects.get()
    assert state_of(page) == "草稿"
    s.assert_accessible("/classes/{id} as a new draft")

    # -- enrols trainees by ID number: one from the class page, one from the enrol page ----------
    page.get_by_label("学员身份证号").fill("350582199003070019")
    with page.expect_navigation():
        page.get_by_role("button", name="加入花名册").click()
    expect(page.get_by_role("alert")).to_be_visible()
    s.assert_accessible("/classes/{id} with an enrolment refused")
    page.get_by_label("学员身份证号").fill(first.id_number)
    with page.expect_navigation():
        page.get_by_role("button", name="加入花名册").click()
    expect(page.get_by_role("table", name="学员名单（1 人）")).to_contain_text(
        first.id_number_masked
    )
    s.assert_accessible("/classes/{id} with a trainee")
    with page.expect_navigation():
        page.get_by_role("link", name="连续录入多名学员").click()
    s.assert_accessible("/classes/{id}/enroll")
    page.get_by_label("学员身份证号").fill(second.id_number)
    with page.expect_navigation():
        page.get_by_role("button", name="加入花名册").click()
    expect(page.get_by_role("table")).to_contain_text("林建国")
    s.assert_accessible("/classes/{id}/enroll after enrolling")
    assert first.id_number not in page.content() and second.id_number not in page.content()

    # -- and applies (开班申请) ---------------------------------------------------------------------
    s.goto(f"/classes/{training_class.pk}")
    press_with_keyboard(page, "提交开班申请")
    expect(page.get_by_role("alert")).to_contain_text("须在说明中填写补报原因")
    s.assert_accessible("/classes/{id} filed late without a reason")
    page.get_by_label("提交开班申请说明").fill("学员报名延迟，开班后补报")
    press_with_keyboard(page, "提交开班申请")
    assert state_of(page) == "已申请"
    assert TrainingClass.objects.get().late_filing_reason == "学员报名延迟，开班后补报"
    s.assert_accessible("/classes/{id} submitted, as institution_staff")

    # -- the city returns without a reason (refused), then approves -------------------------------
    s.login_as(users.city_admin)
    s.goto(f"/classes/{training_class.pk}")
    s.assert_accessible("/classes/{id} submitted, as city_admin")
    press_with_keyboard(page, "退回")
    expect(page.get_by_role("alert")).to_contain_text("须填写原因")
    s.assert_accessible("/classes/{id} with a refused step")
    press_with_keyboard(page, "批准开班")
    assert state_of(page) == "已批准"
    s.assert_accessible("/classes/{id} approved, as city_admin")

    # -- the institution starts the class and keeps the register ---------------------------------
    s.login_as(users.institution_staff)
    s.goto(f"/classes/{training_class.pk}")
    press_with_keyboard(page, "开班")
    assert state_of(page) == "开班中"
    with page.expect_navigation():
        page.get_by_role("link", name="登记考勤").first.click()
    s.assert_accessible("/classes/{id}/register (empty)")
    first_input, second_input = page.get_by_label("陈淑芬"), page.get_by_label("林建国")
    expect(first_input).to_have_value("4")
    # New session hours refill the trainees still at the old hours (htmx), not the others.
    second_input.fill("3")
    page.get_by_label("本次课时").fill("8")
    page.get_by_label("内容").focus()
    expect(first_input).to_have_value("8")
    expect(second_input).to_have_value("3")
    second_input.fill("7")
    page.locator("#id_date").fill((today - dt.timedelta(days=1)).isoformat())
    page.get_by_label("内容").fill("网店开设")
    with page.expect_navigation():
        page.get_by_role("button", name="保存考勤").click()
    expect(page.locator(".messages")).to_contain_text("已登记考勤")
    expect(page.get_by_role("table", name="每名学员的出勤学时")).to_contain_text("7.0")
    assert sorted(str(a.hours) for a in Attendance.objects.all()) == ["7.0", "8.0"]
    s.assert_accessible("/classes/{id}/register after a session")
    page.locator("#id_date").fill("2001-01-01")
    with page.expect_navigation():
        page.get_by_role("button", name="保存考勤").click()
    expect(page.get_by_role("alert")).to_be_visible()
    s.assert_accessible("/classes/{id}/register with errors")

    # -- the city inspects the running class -----------------------------------------------------
    s.login_as(users.city_admin)
    s.goto(f"/classes/{training_class.pk}")
    with page.expect_navigation():
        page.get_by_role("link", name="登记过程检查").click()
    s.assert_accessible("/classes/{id}/inspections/new")
    page.get_by_label("实到人数").fill("9")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert")).to_be_visible()
    s.assert_accessible("/classes/{id}/inspections/new with errors")
    page.get_by_label("实到人数").fill("2")
    page.get_by_label("检查情况").fill("学员在岗学习，签到表齐全")
    page.get_by_label("需要整改").check()
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("table", name="过程检查记录")).to_contain_text("签到表齐全")
    assert Inspection.objects.get().present == 2
    s.assert_accessible("/classes/{id} with an inspection to rectify")
    with page.expect_navigation():
        page.get_by_role("button", name="登记整改完成").click()
    expect(page.get_by_role("table", name="过程检查记录")).to_contain_text("整改完成")
    s.assert_accessible("/classes/{id} after the rectification")

    # -- the institution declares completion and records a certificate ---------------------------
    s.login_as(users.institution_staff)
    s.goto(f"/classes/{training_class.pk}")
    press_with_keyboard(page, "结业申报")
    assert state_of(page) == "已结业申报"
    expect(page.get_by_role("table", name="学员名单（2 人）")).to_contain_text("结业")
    with page.expect_navigation():
        page.get_by_role("link", name="登记成绩/证书 陈淑芬").click()
    s.assert_accessible("/enrollments/{id}/edit")
    page.get_by_label("证书编号").fill("Z-2026-001")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert")).to_be_visible()
    s.assert_accessible("/enrollments/{id}/edit with errors")
    page.get_by_label("培训成绩").fill("合格")
    page.get_by_label("证书类型").select_option("special_ability")
    page.get_by_label("发证日期").fill(today.isoformat())
    page.get_by_label("发证机构").fill("晋江市人力资源和社会保障局")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("table", name="学员名单（2 人）")).to_contain_text("Z-2026-001")
    with page.expect_navigation():
        page.get_by_role("link", name="登记成绩/证书 林建国").click()
    page.get_by_label("培训成绩").fill("良好")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("table", name="学员名单（2 人）")).to_contain_text("良好")

    # -- the city passes the audit ---------------------------------------------------------------
    s.login_as(users.city_admin)
    s.goto(f"/classes/{training_class.pk}")
    press_with_keyboard(page, "结业审核通过")
    assert state_of(page) == "结业审核通过"
    expect(
        page.get_by_role("table", name="开班申请、审批、开班、结业与审核的历史")
    ).to_contain_text("已结业申报 → 结业审核通过")
    s.assert_accessible("/classes/{id} audited, as city_admin")
    assert TrainingClass.objects.get().state == "audited"


def test_the_class_pages_of_the_readers_and_the_list_with_bad_filters(
    browser_session: Any, users: Any, designated: Any, trainee_factory: Any
) -> None:
    from canpei.training.classes import services
    from tests.training.conftest import class_data

    s = browser_session
    staff = users.institution_staff
    training_class = services.class_create(actor=staff, data=class_data())
    person = trainee_factory()
    services.enrollment_add(actor=staff, training_class=training_class, person=person.id_number)
    for action, actor in (("submit", staff), ("approve", users.city_admin), ("start", staff)):
        # Filed after its start date, with the reason (issue 12).
        services.class_transition(
            training_class=training_class, actor=actor, action=action, comment="开班后补报"
        )
    enrollment = training_class.enrollments.get()

    s.login_as(users.city_admin)
    s.goto("/classes")
    s.assert_accessible("/classes as city_admin")
    s.goto("/classes?year=abc&state=nope&town=1")
    _expect()(s.page.get_by_role("alert")).to_be_visible()
    s.assert_accessible("/classes with bad filters")
    s.goto(f"/classes/{training_class.pk}/edit", status=200)
    s.assert_accessible("/classes/{id}/edit (running: redirected to the class page)")

    for role in ("town_staff", "auditor", "employment_service"):
        s.login_as(users.by_role()[role])
        s.goto(f"/classes/{training_class.pk}")
        s.assert_accessible(f"/classes/{{id}} as {role}")
        s.goto(f"/classes/{training_class.pk}/register")
        s.assert_accessible(f"/classes/{{id}}/register as {role}")

    s.login_as(staff)
    s.goto(f"/enrollments/{enrollment.pk}/edit")
    s.assert_accessible("/enrollments/{id}/edit with the withdrawal form")
    with s.page.expect_navigation():
        s.page.get_by_role("button", name="办理退学").click()
    _expect()(s.page.get_by_role("alert")).to_be_visible()
    s.assert_accessible("/enrollments/{id}/edit with a withdrawal refused")
