"""Home pages that say what to do next: each role's worklist, every count equal to the records
in the database and to the rows of the list its link opens; officers see only their own work."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from canpei.accounts.models import RoleProposal, User
from canpei.people.surveys.services import survey_create
from canpei.training.applications.services import application_create, application_transition
from canpei.training.classes.services import inspection_record, inspection_rectified
from canpei.training.models import Application, TrainingClass
from tests.conftest import ANHAI, CIZAO

TODAY = dt.date.today()
PROOF = {
    "certificate_type": "skill_level",
    "certificate_level": "junior",
    "certificate_number": "S000012345",
    "certificate_date": TODAY.isoformat(),
    "certificate_issuer": "晋江市职业技能鉴定中心",
}
ITEM = re.compile(
    r'<li(?: class="work-zero")?><a href="([^"]+)">'
    r'(?:<span class="work-count">([\d,]+)</span> )?<span class="work-label">([^<]+)</span>'
)
TOTAL = re.compile(r"共 ([\d,]+) 条")


def worklist(client: Any) -> dict[str, tuple[int | None, str]]:
    """label → (count, url) of the home page's worklist, in page order."""
    response = client.get("/")
    assert response.status_code == 200
    items: dict[str, tuple[int | None, str]] = {}
    for url, count, label in ITEM.findall(response.content.decode()):
        items[html.unescape(label)] = (
            int(count.replace(",", "")) if count else None,
            html.unescape(url),
        )
    return items


def rows_behind(client: Any, url: str) -> int:
    """The rows the linked list shows: its "共 N 条" and, as a check, its record links."""
    response = client.get(url)
    assert response.status_code == 200, url
    page = response.content.decode()
    total = TOTAL.findall(page)
    assert total, f"{url} shows no total"
    shown = int(total[-1].replace(",", ""))
    path = url.split("?")[0]
    links = {
        "/classes": r'href="/classes/(\d+)"',
        "/applications": r'href="/applications/(\d+)"',
        "/surveys/progress": r'href="/persons/(\d+)"',
    }.get(path)
    if links and shown <= 50:
        assert len(set(re.findall(links, page))) == shown, url
    return shown


def make_application(users: Any, person: Any, state: str, *, staff: Any = None) -> Application:
    steps = {
        "submitted": [],
        "approved": ["approve"],
        "rejected": ["reject"],
        "completed": ["approve", "complete"],
    }[state]
    clerk = staff or users.town_staff
    application = application_create(
        actor=clerk,
        data={
            "person": person.pk,
            "kind": "self_directed",
            "institution_name": "泉州市某职业培训学校",
            "training_type": "employment_skills",
            "occupation": "电子商务师",
            "level": "junior",
            "planned_start": TODAY.isoformat(),
            "planned_end": (TODAY + dt.timedelta(days=30)).isoformat(),
            "amount_requested": "1500",
            "reason": "自主选择培训机构",
        },
    )
    for action in steps:
        application_transition(
            application=application,
            actor=clerk if action == "complete" else users.city_admin,
            action=action,
            comment="测试" if action == "reject" else "",
            data=PROOF if action == "complete" else {},
        )
    return application


@pytest.fixture
def world(users: Any, make_class: Callable[..., Any], trainee_factory: Callable[..., Any]) -> Any:
    """Classes in every state the worklists name, applications of two towns, one inspection
    with its rectification open and one rectified, one person of 安海镇 surveyed this year."""
    classes = {
        state: make_class(state, trainees=1)
        for state in ("draft", "submitted", "returned", "approved", "completed", "audited")
    }
    classes["running"] = make_class("running", trainees=1)
    classes["running2"] = make_class("running", trainees=1)
    classes["audit_failed"] = make_class("audit_failed", trainees=1)
    inspection_record(
        actor=users.city_admin,
        training_class=classes["running"],
        data={"present": "1", "rectification_required": True},
    )
    done = inspection_record(
        actor=users.city_admin,
        training_class=classes["running2"],
        data={"present": "1", "rectification_required": True},
    )
    inspection_rectified(
        actor=users.city_admin, inspection=done, note="已整改", rectified_on=TODAY.isoformat()
    )
    for state in ("submitted", "submitted", "approved", "rejected", "completed"):
        make_application(users, trainee_factory(), state)
    make_application(users, trainee_factory(town=CIZAO), "submitted", staff=users.other_town_staff)
    make_application(users, trainee_factory(town=CIZAO), "approved", staff=users.other_town_staff)
    surveyed = trainee_factory()
    survey_create(actor=users.city_admin, data={"person": surveyed.pk, "surveyed_on": TODAY})
    return classes


def assert_links_match(client: Any, items: dict[str, tuple[int | None, str]]) -> None:
    for label, (count, url) in items.items():
        # A figure of the indicators links to the report it comes from, not to a list
        # (test_the_auditor_sees_this_years_indicators compares it with the report).
        if count is not None and not url.startswith("/reports?"):
            assert rows_behind(client, url) == count, label


def test_city_admin_sees_the_decisions_waiting_with_links_to_the_lists(users, world, login):
    client = login(users.city_admin)
    items = worklist(client)
    assert items["培训班开班申请待审批"] == (1, "/classes?state=submitted")
    assert items["培训班结业待审核"] == (1, "/classes?state=completed")
    assert items["培训班审核通过待结算"] == (1, "/classes?state=audited")
    assert items["个人申请待审批"] == (
        Application.objects.filter(state="submitted").count(),
        "/applications?state=submitted",
    )
    assert items["个人申请待审批"][0] == 3  # both towns
    assert items["个人申请已完成待报销"] == (1, "/applications?state=completed")
    assert items["过程检查要求整改、尚未整改完成的培训班"] == (1, "/classes?rectification=open")
    assert_links_match(client, items)


def test_the_open_rectification_filter_lists_only_the_class_still_to_rectify(
    users, world, login, api
):
    page = login(users.city_admin).get("/classes?rectification=open").content.decode()
    assert f'href="/classes/{world["running"].pk}"' in page
    assert f'href="/classes/{world["running2"].pk}"' not in page
    bad = login(users.city_admin).get("/classes?rectification=yes").content.decode()
    assert "整改筛选须为 open" in bad
    client = api(users.city_admin)
    response = client.get("/classes", rectification="open")
    assert [c["id"] for c in response.json()["results"]] == [world["running"].pk]
    response = client.get("/classes", rectification="yes")
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "rectification", "message": "整改筛选须为 open"}]


def test_town_staff_see_their_towns_work_only(users, world, login):
    client = login(users.town_staff)
    items = worklist(client)
    year = timezone.localdate().year
    unsurveyed = items["本年尚未调查的人员"]
    # 安海镇's working-age persons on the registry (trainees of the classes and applicants) less
    # the one surveyed; none of 磁灶镇.
    from canpei.people.surveys.selectors import unsurveyed_persons

    expected = unsurveyed_persons(user=users.city_admin, year=year, town=ANHAI).count()
    assert expected > 5
    assert unsurveyed == (expected, f"/surveys/progress?year={year}&town={ANHAI}#missing")
    assert items["已批准、待登记完成的个人申请"] == (1, "/applications?state=approved")
    assert items["已提交、待市残联审批"] == (2, "/applications?state=submitted")
    assert items["本年未获批准"] == (1, f"/applications?state=rejected&year={year}")
    assert_links_match(client, items)
    # The other town's clerk counts theirs.
    other = worklist(login(users.other_town_staff))
    assert other["已提交、待市残联审批"][0] == 1
    assert other["已批准、待登记完成的个人申请"][0] == 1
    assert (
        other["本年尚未调查的人员"][0]
        == unsurveyed_persons(user=users.city_admin, year=year, town=CIZAO).count()
    )


def test_institution_sees_its_classes_by_next_step_returned_first(users, world, login):
    client = login(users.institution_staff)
    items = worklist(client)
    labels = list(items)
    assert labels[:5] == [
        "已退回、待修改后重新提交",
        "结业审核未通过、待更正后重新申报",
        "草稿、待提交开班申请",
        "已批准、待开班",
        "开班中、结业后申报",
    ]
    assert items["已退回、待修改后重新提交"] == (1, "/classes?state=returned")
    assert items["开班中、结业后申报"] == (2, "/classes?state=running")
    assert items["已提交、待市残联审批"] == (1, "/classes?state=submitted")
    assert items["已结业申报、待市残联审核"] == (1, "/classes?state=completed")
    assert_links_match(client, items)


def test_institution_counts_only_its_own_classes(users, world, login, other_institution):
    TrainingClass.objects.filter(pk=world["returned"].pk).update(institution=other_institution)
    items = worklist(login(users.institution_staff))
    assert items["已退回、待修改后重新提交"][0] == 0


@pytest.mark.parametrize("role", ["auditor", "employment_service"])
def test_city_wide_readers_see_class_and_application_figures(users, world, login, role):
    client = login(getattr(users, role))
    items = worklist(client)
    assert items["开班中"] == (2, "/classes?state=running")
    assert items["已提交"] == (3, "/applications?state=submitted")
    assert_links_match(client, items)


BUSINESS_WORDS = ["培训班", "个人申请", "人员名册", "调查", "镇街", "学员"]


def test_officers_see_their_own_work_and_no_business_figures(users, world, login):
    User.objects.create_user(username="newcomer", password="x" * 12)
    RoleProposal.objects.create(
        user=users.city_admin, role="audit_admin", proposed_by=users.security_admin
    )
    without_role = User.objects.filter(role="").count()
    sys_items = worklist(login(users.sys_admin))
    assert sys_items == {
        "尚未分配角色的账户": (without_role, "/admin/users?role=none"),
        "全部账户": (User.objects.count(), "/admin/users"),
        "待确认的管理员角色变更": (1, "/admin/role-proposals?state=pending"),
    }
    sec_items = worklist(login(users.security_admin))
    assert set(sec_items) == {"尚未分配角色的账户", "全部账户"}
    audit_items = worklist(login(users.audit_admin))
    assert audit_items == {
        "待确认的管理员角色变更": (1, "/admin/role-proposals?state=pending"),
        "审计日志": (None, "/audit"),
    }
    for officer in (users.sys_admin, users.security_admin, users.audit_admin):
        client = login(officer)
        main = client.get("/").content.decode().split('<main id="main"', 1)[1]
        for word in BUSINESS_WORDS:
            assert word not in main, (officer.role, word)
    client = login(users.sys_admin)
    page = client.get("/admin/users?role=none").content.decode()
    assert "newcomer" in page and f">{users.city_admin.username}<" not in page
    assert TOTAL.findall(page)[-1] == str(without_role)
    page = client.get("/admin/role-proposals?state=pending").content.decode()
    assert "共 1 条" in page


def test_survey_progress_shows_percentages_as_bars_and_a_chart_with_its_table(
    users, person_in, login
):
    from canpei.people.services import person_create
    from tests.conftest import make_id, person_data

    second = person_create(
        actor=users.city_admin,
        data=person_data(name="王五", id_number=make_id("35058219910101002"), cert_number=""),
    )
    survey_create(actor=users.city_admin, data={"person": second.pk, "surveyed_on": TODAY})
    year = TODAY.year
    page = login(users.city_admin).get("/surveys/progress").content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "已调查 1 人" in text and "50 %" in text
    assert "0.5" not in text
    assert re.search(r'<progress max="2" value="1" aria-label="调查完成率">', page)
    assert re.search(r'<progress max="2" value="1" aria-label="安海镇调查完成率">', page)
    # The chart: a figure with its summary, an aria-hidden box and its data table, whose
    # "not surveyed" cell links to the town's list of persons not yet surveyed.
    assert '<figure class="chart" id="chart-survey-progress" data-chart="bar"' in page
    assert f"{year} 年共应调查 2 人，已调查 1 人（50 %），未调查 1 人" in text
    assert '<div class="chart-canvas" aria-hidden="true" hidden></div>' in page
    link = f'href="?year={year}&amp;town={ANHAI}#missing"'
    assert f'<td class="num" data-value="1"><a {link}>1</a></td>' in page
    assert "<script>" not in page and "style=" not in page


def test_the_home_page_shows_the_towns_survey_ratio(users, person_in, login):
    page = login(users.town_staff).get("/").content.decode()
    assert f'<progress max="1" value="0" aria-label="{TODAY.year} 年需求调查完成率">' in page
    assert "0 %" in page


def test_the_worklist_and_chart_speak_english(users, person_in, login):
    from django.conf import settings

    client = login(users.city_admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    items = worklist(client)
    assert items["Classes waiting for approval"] == (0, "/classes?state=submitted")
    page = client.get("/surveys/progress").content.decode()
    assert "Survey progress by town: data table" in page
    assert "1 persons are due a survey and 0 have been surveyed (0 %)" in page
    assert 'aria-label="Survey completion"' in page


def test_the_auditor_sees_this_years_indicators(users, world, login, api):
    from django.utils import timezone

    year = timezone.localdate().year
    items = worklist(login(users.auditor))
    total = api(users.auditor).get("/reports/indicators", year=str(year)).json()["total"]
    assert items["培训人数"] == (total["trained"], f"/reports?year={year}")
    assert items["培训人次"] == (total["trainee_times"], f"/reports?year={year}")
    assert items["取得证书"] == (total["certificates"], f"/reports?year={year}")
    assert items["鉴定合格"] == (total["passed"], f"/reports?year={year}")


def test_follow_ups_referrals_and_targets_on_the_home_pages(users, world, login, trainee_factory):
    from canpei.employment.models import EmploymentService
    from canpei.reports.models import Plan

    Plan.objects.create(
        name="当前计划", period_start=dt.date(2000, 1, 1), period_end=dt.date(2099, 12, 31)
    )
    EmploymentService.objects.create(
        person=trainee_factory(),
        town_id=ANHAI,
        kind="job_referral",
        date=dt.date(2026, 1, 5),
        employer="某厂",
        position="普工",
        result="pending",
    )
    employment = worklist(login(users.employment_service))
    assert employment["职业介绍结果待定"] == (
        1,
        "/employment/services?kind=job_referral&result=pending",
    )
    assert employment["本月应跟踪"][1] == "/employment?status=due"
    assert employment["逾期未跟踪"][1] == "/employment?status=overdue"
    town = worklist(login(users.town_staff))
    plan = Plan.objects.get(name="当前计划")
    assert town["目标1：新成长劳动力、城镇登记失业"][1] == (
        f"/reports/targets/uncovered?plan={plan.pk}&target=1&town={ANHAI}"
    )
    assert "本月应跟踪" in town and "职业介绍结果待定" not in town
    city = worklist(login(users.city_admin))
    assert city["各镇街目标完成情况"] == (None, f"/reports/targets?plan={plan.pk}")
    third = next(value for label, value in city.items() if label.startswith("目标3："))
    assert third[1] == f"/reports/targets/uncovered?plan={plan.pk}&target=3"
