"""Refusals in the reader's language (issue 13): a rule's message is made when it is raised, in
the language of the request (the API's Accept-Language, the pages' language cookie), so an
English reader gets English with no Chinese in it and a Chinese one the very message as before.
What is kept for the record (the audit summary, the history) stays Chinese whatever the language.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone, translation

from canpei.audit.models import AuditEntry
from canpei.errors import Conflict, InvalidInput, Listed, Message
from canpei.institutions import rules as institution_rules
from canpei.training import rules
from canpei.training.classes import checks, services
from canpei.training.models import TrainingClass

HAN = re.compile(r"[\u4e00-\u9fff]")


def english(client: Any) -> Any:
    """The API client asking for English, as an integrator's Accept-Language would."""
    client.headers["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def day(offset: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=offset)).isoformat()


def no_han(body: Any) -> bool:
    return not HAN.search(str(body))


# ---- training classes: the API ------------------------------------------------------------------


def test_a_step_out_of_state_is_refused_in_english_and_in_chinese(users, make_class, api):
    draft = make_class("draft", trainees=1)
    path = f"/classes/{draft.pk}/transitions"
    en = english(api(users.city_admin)).post(path, {"action": "approve"})
    assert en.status_code == 409
    message = "Class state “Draft”: “Class approved” is not possible"
    assert en.json() == {"detail": message, "errors": [{"field": "action", "message": message}]}
    zh = api(users.city_admin).post(path, {"action": "approve"})
    assert zh.status_code == 409
    assert zh.json()["detail"] == "班级当前状态为「草稿」，不能执行「批准开班」"
    assert TrainingClass.objects.get(pk=draft.pk).state == "draft"


def test_a_step_of_another_role_and_an_unknown_action_are_refused_in_english(
    users, make_class, api
):
    submitted = make_class("submitted", trainees=1)
    path = f"/classes/{submitted.pk}/transitions"
    role = english(api(users.institution_staff)).post(path, {"action": "approve"})
    assert role.status_code == 403
    assert role.json()["detail"] == "“Class approved” may be taken by: City federation"
    # The API's own schema refuses an unknown action before the service; the service's refusal:
    with translation.override("en"), pytest.raises(InvalidInput) as unknown:
        services.class_transition(
            training_class=submitted, actor=users.city_admin, action="publish"
        )
    assert unknown.value.errors == [
        (
            "action",
            "The action must be submit, approve, return, start, complete, "
            "pass_audit, fail_audit, settle or cancel",
        )
    ]
    chinese = api(users.institution_staff).post(path, {"action": "approve"})
    assert chinese.json()["detail"] == "「批准开班」须由市残联执行"
    assert no_han(role.json())


def test_attendance_for_tomorrow_is_refused_in_english_and_today_is_taken(users, make_class, api):
    running = make_class("running", start_date=day(-2), end_date=day(3), trainees=1)
    enrollment = running.enrollments.get()
    path = f"/classes/{running.pk}/sessions"
    body = {"hours": 4, "topic": "网店开设", "attendance": {str(enrollment.pk): 4}}
    client = english(api(users.institution_staff))
    tomorrow = client.post(path, {**body, "date": day(1)})
    assert tomorrow.status_code == 422
    assert {
        "field": "date",
        "message": f"The attendance date {day(1)} is after today; "
        "future attendance cannot be recorded",
    } in tomorrow.json()["errors"]
    assert tomorrow.json()["detail"] == "Some input is wrong; check the fields marked"
    assert no_han(tomorrow.json())
    chinese = api(users.institution_staff).post(path, {**body, "date": day(1)})
    assert chinese.json()["detail"] == "输入有误，请检查标出的字段"
    assert {"field": "date", "message": f"考勤日期 {day(1)} 晚于今天，不能登记未来的考勤"} in (
        chinese.json()["errors"]
    )
    assert client.post(path, {**body, "date": day(0)}).status_code == 201


def test_completion_before_the_end_date_is_refused_in_english(users, make_class, api):
    running = make_class("running", start_date=day(-3), end_date=day(1), trainees=1)
    path = f"/classes/{running.pk}/transitions"
    en = english(api(users.institution_staff)).post(path, {"action": "complete"})
    assert en.status_code == 409
    assert en.json()["detail"] == (
        f"The end date {day(1)} has not come yet; completion cannot be declared"
    )
    assert no_han(en.json())
    zh = api(users.institution_staff).post(path, {"action": "complete"})
    assert zh.json()["detail"] == f"结业日期 {day(1)} 未到，不能结业申报"
    assert TrainingClass.objects.get(pk=running.pk).state == "running"


def test_the_completion_checklist_reads_in_english(users, make_class, api):
    running = make_class("running", start_date=day(-3), end_date=day(1), trainees=1)
    en = english(api(users.city_admin)).get(f"/classes/{running.pk}/checks")
    assert en.status_code == 200, en.content
    lines = {line["key"]: line for line in en.json()["checks"]}
    assert lines["end_date"]["label"] == "End date reached"
    assert lines["end_date"]["detail"] == f"End date {day(1)}, today {day(0)}"
    percent = round(settings.ATTENDANCE_THRESHOLD * 100)
    assert lines["inspections"]["detail"] == (
        f"No inspections yet (at each, at least {percent}% of those on the roster present)"
    )
    # The training checks' own words (the designation line names the institution, in Chinese;
    # the supervision app's line is its own module's).
    assert no_han(
        [
            (line["label"], line["detail"])
            for key, line in lines.items()
            if key in {"end_date", "hours", "inspections", "rectifications", "results"}
        ]
    )
    zh = api(users.city_admin).get(f"/classes/{running.pk}/checks")
    assert {line["key"]: line["label"] for line in zh.json()["checks"]}[
        "end_date"
    ] == "结业日期已到"


# ---- institutions ---------------------------------------------------------------------------------


def test_an_institution_rule_is_refused_in_english_and_in_chinese(users, institution, api):
    body = {
        "name": "晋江市新培训学校",
        "credit_code": "123",
        "type": "enterprise",
        "town": "350582001000",
        "accessibility": ["sauna"],
    }
    en = english(api(users.city_admin)).post("/institutions", body)
    assert en.status_code == 422
    assert en.json()["errors"] == [
        {
            "field": "credit_code",
            "message": "The unified social credit code must be 18 digits "
            "or capital letters (not I, O, Z, S, V)",
        },
        {
            "field": "accessibility",
            "message": "Accessibility features must be chosen from: "
            "step_free (Step-free access), accessible_toilet (Accessible toilet), lift (Lift), "
            "braille_signage (Braille signage), hearing_loop (Hearing loop)",
        },
    ]
    zh = api(users.city_admin).post("/institutions", body)
    assert zh.json()["errors"] == [
        {
            "field": "credit_code",
            "message": "统一社会信用代码须为 18 位数字或大写字母（不含 I、O、Z、S、V）",
        },
        {
            "field": "accessibility",
            "message": "无障碍设施须从以下选择：step_free（无障碍通道）、"
            "accessible_toilet（无障碍卫生间）、lift（电梯）、braille_signage（盲文标识）、"
            "hearing_loop（助听设施）",
        },
    ]


def test_a_designation_step_is_refused_in_english_and_its_audit_stays_chinese(
    users, institution, api
):
    client = english(api(users.city_admin))
    path = f"/institutions/{institution.pk}/transitions"
    no_reason = client.post(path, {"action": "revoke"})
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"] == [
        {"field": "comment", "message": "Suspending or revoking needs a reason"}
    ]
    assert client.post(path, {"action": "revoke", "comment": "停办"}).status_code == 200
    refused = client.post(path, {"action": "reinstate"})
    assert refused.status_code == 409
    assert refused.json()["detail"] == "Institution state “Revoke”: “Restore” is not possible"
    assert api(users.city_admin).post(path, {"action": "reinstate"}).json()["detail"] == (
        "机构当前状态为「撤销」，不能执行「恢复」"
    )
    # The audit entry the English request wrote is a record: its summary is the Chinese.
    entry = AuditEntry.objects.filter(action="institution.revoke").get()
    assert entry.summary == f"培训机构 #{institution.pk} 撤销"


# ---- pages ---------------------------------------------------------------------------------------


def test_the_institution_form_shows_the_rules_in_the_language_of_the_cookie(users):
    client = Client()
    client.force_login(users.city_admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.post("/institutions/new", {"name": "", "credit_code": "123"})
    assert page.status_code == 422
    text = page.content.decode()
    assert "Enter the institution&#x27;s name" in text
    assert "The unified social credit code must be 18 digits" in text
    assert rules.NAME_REQUIRED not in text and "统一社会信用代码须为" not in text
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    chinese = client.post("/institutions/new", {"name": "", "credit_code": "123"}).content.decode()
    assert "请填写机构名称" in chinese and "Enter the institution" not in chinese


# ---- the message constants -------------------------------------------------------------------------


def test_a_message_constant_is_its_chinese_as_text_and_translates_when_shown():
    assert rules.SESSION_DATE_FUTURE == "考勤日期 {date} 晚于今天，不能登记未来的考勤"
    assert "审核" in rules.AUDIT_RESULT_MISSING  # usable as text: in, join, ==
    with translation.override("en"):
        assert rules.SESSION_DATE_FUTURE == "考勤日期 {date} 晚于今天，不能登记未来的考勤"
        assert str(institution_rules.NAME_REQUIRED) == "Enter the institution's name"
        assert (
            f"{rules.ROSTER_EMPTY}" == "The roster has no trainees; the class cannot be submitted"
        )
        assert rules.PRESENT_INVALID.format(count=3) == (
            "The number present must be a whole number from 0 to the 3 on the roster"
        )
        assert str(Message("{noun}", noun=rules.CLASS_WORKFLOW.noun)) == "Class"
        assert str(Listed(["a", "b"])) == "a, b"
    with translation.override("zh-hans"):
        assert str(rules.ROSTER_EMPTY) == "花名册没有学员，不能提交开班申请"
        assert str(Listed(["a", "b"])) == "a、b"


def test_a_service_error_is_text_in_the_language_it_was_raised_in(users, make_class):
    running = make_class("running", start_date=day(-3), end_date=day(1), trainees=1)
    with translation.override("en"), pytest.raises(Conflict) as english_refusal:
        services.class_transition(
            training_class=running, actor=users.institution_staff, action="complete"
        )
    assert type(english_refusal.value.message) is str
    assert english_refusal.value.message == (
        f"The end date {day(1)} has not come yet; completion cannot be declared"
    )
    with pytest.raises(Conflict) as chinese_refusal:
        services.class_transition(
            training_class=running, actor=users.institution_staff, action="complete"
        )
    assert chinese_refusal.value.message == f"结业日期 {day(1)} 未到，不能结业申报"
    with translation.override("en"):
        found = checks.class_checks(user=users.city_admin, training_class=running)
    assert all(type(line.label) is str and type(line.detail) is str for line in found)


def test_a_refusal_lists_values_and_roles_in_english_as_a_b_or_c() -> None:
    """The separators of a listed refusal are translated: "、" as ", " and "或" as " or "."""
    from dataclasses import replace

    from canpei.accounts.roles import Role
    from canpei.supervision.workflow import ALERT_WORKFLOW
    from canpei.workflows import Step, one_of

    def shared(*roles: str) -> Any:
        steps = dict(ALERT_WORKFLOW.steps)
        steps["confirm"] = Step(steps["confirm"].sources, steps["confirm"].target, frozenset(roles))
        return replace(ALERT_WORKFLOW, steps=steps)

    three = shared(Role.CITY_ADMIN, Role.TOWN_STAFF, Role.INSTITUTION_STAFF)
    two = shared(Role.CITY_ADMIN, Role.TOWN_STAFF)
    with translation.override("en"):
        assert one_of(["a", "b", "c"]) == "a, b or c"
        assert one_of(["a", "b"]) == "a or b"
        assert three.role_refusal("confirm") == (
            "“Confirm” may be taken by: City federation, Training institutions or Town staff"
        )
        assert two.role_refusal("confirm") == (
            "“Confirm” may be taken by: City federation or Town staff"
        )
    with translation.override("zh-hans"):
        assert one_of(["a", "b", "c"]) == "a、b 或 c"
        assert three.role_refusal("confirm") == "「确认」须由市残联、培训机构 或 镇街专干执行"
        assert two.role_refusal("confirm") == "「确认」须由市残联或镇街专干执行"
