"""Every page passes axe-core's WCAG 2.1 A/AA rules with 0 violations (QUALITY.md)."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


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


@pytest.mark.parametrize(
    "role",
    [
        "city_admin",
        "town_staff",
        "institution_staff",
        "employment_service",
        "auditor",
        "sys_admin",
        "security_admin",
        "audit_admin",
    ],
)
def test_dashboard_for_each_role(
    browser_session: Any, users: Any, person_in: Any, person_out: Any, role: str
) -> None:
    browser_session.login_as(users.by_role()[role])
    browser_session.goto("/")
    browser_session.assert_accessible(f"/ as {role}")


def test_dashboard_with_no_persons(browser_session: Any, users: Any) -> None:
    browser_session.login_as(users.town_staff)
    browser_session.goto("/")
    browser_session.assert_accessible("/ (empty)")


def test_person_list_search_and_bad_filters(
    browser_session: Any, users: Any, person_in: Any, person_out: Any
) -> None:
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


def test_person_list_paginated(
    browser_session: Any, users: Any, person_in: Any, person_out: Any
) -> None:
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
        page.get_by_role("button", name="保存", exact=True).click()
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
        page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_role("alert")).to_be_visible()
    s.assert_accessible("edit with errors")


def test_person_detail_masked_revealed_and_after_a_status_change(
    browser_session: Any, users: Any, person_in: Any
) -> None:
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


def test_person_detail_for_a_read_only_role(
    browser_session: Any, users: Any, person_in: Any
) -> None:
    browser_session.login_as(users.auditor)
    browser_session.goto(f"/persons/{person_in.pk}")
    browser_session.assert_accessible("/persons/{id} as auditor")


def test_person_lookup_empty_found_and_not_found(
    browser_session: Any, users: Any, person_in: Any
) -> None:
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


def _at_desktop_and_390px(s: Any, label: str) -> None:
    s.page.set_viewport_size({"width": 1280, "height": 900})
    s.assert_accessible(label)
    s.page.set_viewport_size({"width": 390, "height": 844})
    s.assert_accessible(f"{label} at 390 px")
    s.page.set_viewport_size({"width": 1280, "height": 900})


def test_password_page_empty_forced_and_with_errors(browser_session: Any, users: Any) -> None:
    from canpei.accounts.models import User

    expect = _expect()
    s = browser_session
    page = s.page
    User.objects.filter(pk=users.town_staff.pk).update(must_change_password=True)
    s.login_as(users.town_staff)
    s.goto("/persons")  # held at the change page
    expect(page.get_by_role("heading", name="更改密码")).to_be_visible()
    _at_desktop_and_390px(s, "/account/password (forced)")
    # Keyboard only: type the fields and press Enter.
    page.get_by_label("原密码").focus()
    page.keyboard.type("Wrong-pass-2026")
    page.keyboard.press("Tab")
    page.keyboard.type("Other-pass-2027")
    page.keyboard.press("Tab")
    page.keyboard.type("Other-pass-2027")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".error").first).to_be_visible()
    _at_desktop_and_390px(s, "/account/password with errors")


def test_user_admin_pages_with_a_role_proposal(browser_session: Any, users: Any) -> None:
    from canpei.accounts.services import role_propose

    role_propose(actor=users.security_admin, user=users.auditor, role="audit_admin")
    s = browser_session
    s.login_as(users.sys_admin)
    s.goto("/admin/users")
    _at_desktop_and_390px(s, "/admin/users as sys_admin")
    s.goto("/admin/role-proposals")
    _at_desktop_and_390px(s, "/admin/role-proposals")
    s.login_as(users.security_admin)
    s.goto(f"/admin/users/{users.auditor.pk}/role")
    _at_desktop_and_390px(s, "/admin/users/{id}/role with a pending proposal")
    s.goto(f"/admin/users/{users.security_admin.pk}/role", status=403)
    _at_desktop_and_390px(s, "/admin/users/{own id}/role refused")


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


# ---------------------------------------------------------------- surveys, skills, imports


@pytest.fixture
def survey(users: Any, person_in: Any) -> Any:
    import datetime as dt

    from canpei.people.surveys.services import survey_create

    return survey_create(
        actor=users.city_admin,
        data={
            "person": person_in.pk,
            "year": 2024,
            "surveyed_on": dt.date(2024, 5, 10),
            "employment_form": "1",
            "employer": "甲鞋业公司",
            "training_need": True,
            "wanted_types": ["skill_upgrade"],
            "wanted_skills": ["ecommerce"],
            "preferred_mode": "remote",
            "accessibility_needs": ["screen_reader"],
        },
    )


@pytest.mark.parametrize("role", ["city_admin", "town_staff", "auditor"])
def test_survey_list_detail_and_person_history(
    browser_session: Any, users: Any, survey: Any, person_out: Any, role: str
) -> None:
    s = browser_session
    s.login_as(users.by_role()[role])
    s.goto("/surveys")
    s.assert_accessible(f"/surveys as {role}")
    s.goto("/surveys?year=abc&town=x")
    _expect()(s.page.get_by_role("alert")).to_be_visible()
    s.assert_accessible("/surveys with bad filters")
    s.goto(f"/surveys/{survey.pk}")
    s.assert_accessible(f"/surveys/{{id}} as {role}")
    s.goto(f"/persons/{survey.person_id}")
    _expect()(s.page.get_by_role("table", name="调查记录")).to_be_visible()
    s.assert_accessible(f"/persons/{{id}} with its surveys as {role}")


def test_survey_create_empty_with_errors_and_saved(
    browser_session: Any, users: Any, person_in: Any
) -> None:
    from django.utils import timezone

    expect = _expect()
    s = browser_session
    page = s.page
    s.login_as(users.town_staff)
    s.goto(f"/persons/{person_in.pk}")
    with page.expect_navigation():
        page.get_by_role("link", name="登记调查").click()
    s.assert_accessible("/surveys/new?person={id}")
    # A skill without a training need, and a date in the future: both are refused.
    page.get_by_label("调查日期").fill("2099-01-01")
    page.get_by_label("电子商务").check()
    with page.expect_navigation():
        page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator(".error").first).to_be_visible()
    s.assert_accessible("/surveys/new with errors")
    page.get_by_label("调查年度").fill("")
    page.get_by_label("调查日期").fill(timezone.localdate().isoformat())
    page.get_by_label("有培训需求").check()
    with page.expect_navigation():
        page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".messages")).to_be_visible()
    s.assert_accessible("/surveys/{id} after saving")


def test_survey_edit_with_errors(browser_session: Any, users: Any, survey: Any) -> None:
    expect = _expect()
    s = browser_session
    page = s.page
    s.login_as(users.city_admin)
    s.goto(f"/surveys/{survey.pk}/edit")
    s.assert_accessible("/surveys/{id}/edit")
    page.get_by_label("调查日期").fill("2023-12-31")
    with page.expect_navigation():
        page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_role("alert")).to_be_visible()
    s.assert_accessible("/surveys/{id}/edit with errors")


@pytest.mark.parametrize("role", ["city_admin", "town_staff"])
def test_survey_progress_and_a_towns_unsurveyed(
    browser_session: Any, users: Any, survey: Any, person_out: Any, role: str
) -> None:
    from tests.conftest import ANHAI

    s = browser_session
    s.login_as(users.by_role()[role])
    s.goto("/surveys/progress")
    s.assert_accessible(f"/surveys/progress as {role}")
    s.goto("/surveys/progress?order=ratio")
    s.assert_accessible("/surveys/progress?order=ratio")
    s.goto(f"/surveys/progress?town={ANHAI}")
    _expect()(s.page.get_by_role("heading", name="安海镇：尚未调查的人员")).to_be_visible()
    s.assert_accessible("/surveys/progress?town=")
    s.goto(f"/surveys/progress?year=2024&town={ANHAI}")
    s.assert_accessible("/surveys/progress all surveyed")
    s.goto("/surveys/progress?year=abc&town=x")
    _expect()(s.page.get_by_role("alert")).to_be_visible()
    s.assert_accessible("/surveys/progress with bad parameters")


def test_skills_dictionary_with_and_without_an_error(browser_session: Any, users: Any) -> None:
    expect = _expect()
    s = browser_session
    page = s.page
    s.login_as(users.city_admin)
    s.goto("/surveys/skills")
    s.assert_accessible("/surveys/skills")
    page.get_by_label("代码").fill("Tea Art")
    page.get_by_label("名称").fill("茶艺")
    with page.expect_navigation():
        page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".error").first).to_be_visible()
    s.assert_accessible("/surveys/skills with an error")
    page.get_by_label("代码").fill("tea_art")
    with page.expect_navigation():
        page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_role("cell", name="tea_art")).to_be_visible()
    s.assert_accessible("/surveys/skills after saving")


def _import_csv(s: Any, kind: str, text: str, name: str) -> None:
    page = s.page
    page.get_by_label("导入内容").select_option(kind)
    page.get_by_label("文件（.xlsx 或 .csv）").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": text.encode("utf-8-sig")}
    )
    with page.expect_navigation():
        page.get_by_role("button", name="上传并导入").click()


def test_import_upload_and_its_result(browser_session: Any, users: Any) -> None:
    from canpei.people.models import Person
    from tests.conftest import make_id

    expect = _expect()
    s = browser_session
    page = s.page
    s.login_as(users.town_staff)
    s.goto("/imports/new")
    s.assert_accessible("/imports/new")
    with page.expect_navigation():
        page.get_by_role("button", name="上传并导入").click()
    expect(page.locator(".error").first).to_be_visible()
    s.assert_accessible("/imports/new with an error")

    first, second = make_id("35058219900307031"), make_id("35058219850612043")
    good = (
        "姓名,身份证号,残疾证号,残疾类别,残疾等级,所属镇街\n"
        f"陈淑芬,{first},{first}42,4,2,安海镇\n"
        f"林建国,{second},,1,3,安海镇\n"
    )
    _import_csv(s, "persons", good, "名册.csv")
    assert "/imports/" in page.url and page.url.rstrip("/").split("/")[-1] != "new"
    expect(page.locator("#import-status")).to_contain_text("下载导入报告")
    assert Person.objects.filter(name__in=["陈淑芬", "林建国"]).count() == 2
    s.assert_accessible("/imports/<token> after a good import")

    s.goto("/imports/new")
    wrong_check = "1" if first[-1] != "1" else "2"
    bad = (
        "姓名,身份证号,残疾证号,残疾类别,残疾等级,所属镇街\n"
        f"王五,{first[:-1]}{wrong_check},,4,2,安海镇\n"
    )
    _import_csv(s, "persons", bad, "坏名册.csv")
    expect(page.get_by_role("table")).to_be_visible()
    assert not Person.objects.filter(name="王五").exists()
    s.assert_accessible("/imports/<token> with row errors")

    s.goto("/imports/new?kind=surveys")
    surveys = (
        "身份证号,姓名,调查日期,就业形式,培训需求,需求技能\n"
        f"{first},陈淑芬,2024-05-10,按比例就业,是,电子商务\n"
    )
    _import_csv(s, "surveys", surveys, "调查表.csv")
    expect(page.locator("#import-status")).to_contain_text("下载导入报告")
    assert Person.objects.get(name="陈淑芬").surveys.count() == 1
    s.assert_accessible("/imports/<token> after a survey import")
