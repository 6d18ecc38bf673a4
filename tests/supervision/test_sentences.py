"""An alert's sentence is stored as its msgid and parameters and shown in the viewer's language
(issue 13): every rule's sentence in Chinese and in English, literally, as the job stores it;
data (names, classes, institutions, a clerk's reason) as written, the product's words (reasons,
groups, levels, the records' kinds) translated; a row written before the message code was kept
shows its Chinese."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from canpei.supervision.compute import recompute
from canpei.supervision.models import Alert
from canpei.supervision.rules import RULES
from tests.supervision.conftest import World, day, overlapping
from tests.supervision.test_rules import _inspect, _registers, claimed_twice, past_the_designation

pytestmark = pytest.mark.django_db


def _shown(rule: str) -> list[tuple[str, str]]:
    """The sentences of `rule`'s alerts, each (Chinese, English), after the job ran."""
    recompute(2026)
    shown = []
    for alert in Alert.objects.filter(rule=rule).order_by("pk"):
        with translation.override("zh-hans"):
            chinese = alert.sentence()
        with translation.override("en"):
            english = alert.sentence()
        assert chinese == alert.summary
        shown.append((chinese, english))
    return shown


def _link_labels(rule: str, language: str) -> list[str]:
    [alert] = Alert.objects.filter(rule=rule)
    with translation.override(language):
        return [link["label"] for link in alert.shown_links()]


def test_every_rule_is_covered_here() -> None:
    tested = {name.removeprefix("test_") for name in globals() if name.startswith("test_")}
    assert set(RULES) <= tested


def test_overlap(world: World) -> None:
    a, b = overlapping(world)
    assert _shown("overlap") == [
        (
            f"王五 同时在不同机构的两个培训班：{a.code} {a.name}（晋江市职业技术学校，2026-03-02至"
            f"2026-03-20）与 {b.code} {b.name}（另一培训机构，2026-03-20至2026-04-05），日期重叠。",
            f"王五 is in two classes of different institutions at once: {a.code} {a.name} "
            "(晋江市职业技术学校, 2026-03-02 to 2026-03-20) and "
            f"{b.code} {b.name} (另一培训机构, 2026-03-20 to 2026-04-05); the dates overlap.",
        )
    ]


def test_eligibility(world: World) -> None:
    c = world.new_class(start=day(3, 2))
    world.enroll(c, world.person(name="老赵", birth="19660301", cert_number=""))
    world.enroll(c, world.person(name="无证", cert_number=""))
    assert _shown("eligibility") == [
        (
            f"学员 老赵 在培训班 {c.code} {c.name} 开班日（2026-03-02）不在就业年龄段（60 周岁），"
            "且没有有效的残疾人证。",
            f"On the start date of class {c.code} {c.name} (2026-03-02), trainee 老赵 was outside "
            "working age (aged 60), and had no valid disability certificate.",
        ),
        (
            f"学员 无证 在培训班 {c.code} {c.name} 开班日（2026-03-02）没有有效的残疾人证。",
            f"On the start date of class {c.code} {c.name} (2026-03-02), trainee 无证 had no "
            "valid disability certificate.",
        ),
    ]


def test_attendance(world: World) -> None:
    c = world.new_class(state="audited")
    world.enroll(c, world.person(name="缺课"), status="completed", attended="31.9")
    assert _shown("attendance") == [
        (
            f"培训班 {c.code} {c.name} 结业时 1 名学员出勤不足 80%（最少 31.9 / 40 学时），"
            "仍按结业申报。",
            f"Class {c.code} {c.name} was declared completed with trainees below 80% attendance "
            "(1; the least 31.9 of 40 hours).",
        )
    ]


def test_inspection(world: World) -> None:
    c = world.new_class()
    _inspect(c, 40, 23)
    assert _shown("inspection") == [
        (
            f"2026-03-05 检查培训班 {c.code} {c.name}：在册 40 人，实到 23 人（58%），低于 60%。",
            f"Inspection of class {c.code} {c.name} on 2026-03-05: 40 on the roster, 23 present "
            "(58%), below 60%.",
        )
    ]
    # The inspection's link is named in the viewer's language; the class by its code and name.
    assert _link_labels("inspection", "en")[-1] == "Inspection of 2026-03-05"
    assert _link_labels("inspection", "zh-hans")[-1] == "2026-03-05 检查"
    assert _link_labels("inspection", "en")[0] == f"{c.code} {c.name}"


def test_double_subsidy(world: World) -> None:
    c, application = claimed_twice(world)
    assert _shown("double_subsidy") == [
        (
            f"重复 在 2026 年就同一培训（电子商务师·初级）享受了 2 次补贴：培训班 {c.code} {c.name}、"
            f"个人申请 #{application.pk}。",
            "重复 received the subsidy for the same training (电子商务师, Junior) 2 times in 2026: "
            f"Class {c.code} {c.name}, Individual application #{application.pk}.",
        )
    ]
    assert _link_labels("double_subsidy", "en") == [
        "重复",
        f"Class {c.code} {c.name}",
        f"Individual application #{application.pk}",
    ]
    assert _link_labels("double_subsidy", "zh-hans")[1:] == [
        f"培训班 {c.code} {c.name}",
        f"个人申请 #{application.pk}",
    ]


def test_designation(world: World) -> None:
    world.other_institution.designated_from = None
    world.other_institution.save()
    world.institution.designated_to = None
    world.institution.designated_from = day(3, 10)
    world.institution.save()
    a = world.new_class(institution=world.other_institution)
    b = world.new_class(start=day(3, 2), end=day(3, 20))
    assert _shown("designation") == [
        (
            f"培训班 {a.code} {a.name}（2026-03-02至2026-03-20）开班时，机构 另一培训机构 没有定点认定。",
            f"Class {a.code} {a.name} (2026-03-02 to 2026-03-20) started while institution "
            "另一培训机构 had no designation.",
        ),
        (
            f"培训班 {b.code} {b.name}（2026-03-02至2026-03-20）不在机构 晋江市职业技术学校 的"
            "定点有效期（2026-03-10至长期）内。",
            f"Class {b.code} {b.name} (2026-03-02 to 2026-03-20) falls outside the designation "
            "period of institution 晋江市职业技术学校 (from 2026-03-10, with no end date).",
        ),
    ]


def test_designation_with_an_end_date(world: World) -> None:
    c = past_the_designation(world)
    assert _shown("designation") == [
        (
            f"培训班 {c.code} {c.name}（2026-12-20至2028-01-10）不在机构 晋江市职业技术学校 的"
            "定点有效期（2025-01-01至2026-12-31）内。",
            f"Class {c.code} {c.name} (2026-12-20 to 2028-01-10) falls outside the designation "
            "period of institution 晋江市职业技术学校 (2025-01-01 to 2026-12-31).",
        )
    ]


def test_focus_group(world: World) -> None:
    c = world.new_class(free_for_hardship=True, young_adult_focus=True)
    for _ in range(3):
        world.enroll(c, world.person(birth="19600101"))
    for _ in range(2):
        world.enroll(c, world.person(hardship=["dibao"]))
    assert _shown("focus_group") == [
        (
            f"培训班 {c.code} {c.name} 面向困难残疾人、青壮年（16至45周岁），但 5 名学员中有 3 名"
            "（60%）不属于该群体。",
            f"Class {c.code} {c.name} is meant for disabled persons in hardship, young adults "
            "(aged 16 to 45), but 3 of its 5 trainees (60%) are not.",
        )
    ]


def test_shared_phone(world: World) -> None:
    a, b = world.new_class(), world.new_class(institution=world.other_institution)
    for klass in (a, a, b):
        world.enroll(klass, world.person(phone="13905951234"))
    assert _shown("shared_phone") == [
        (
            "3 名学员登记了同一手机号（涉及 2 个培训班）。",
            "3 trainees registered the same phone number (classes concerned: 2).",
        )
    ]


def test_identical_registers(world: World) -> None:
    c = world.new_class()
    rows = [world.enroll(c, world.person()) for _ in range(2)]
    _registers(c, rows, [["4", "4"]] * 5)
    assert _shown("identical_registers") == [
        (
            f"培训班 {c.code} {c.name} 连续 5 次课（2026-03-02至2026-03-06）的考勤登记完全相同。",
            f"Class {c.code} {c.name} has the same attendance register for 5 sessions in a row "
            "(2026-03-02 to 2026-03-06).",
        )
    ]


def test_late_filing(world: World) -> None:
    c = world.new_class(state="approved", late_filing_reason="机构材料延误，先行开课")
    assert _shown("late_filing") == [
        (
            f"培训班 {c.code} {c.name}（2026-03-02开班）在开班日期之后才提交或批准开班申请，"
            "补报原因：机构材料延误，先行开课",
            f"Class {c.code} {c.name} (starting 2026-03-02) was submitted or approved after its "
            "start date; reason for the late filing: 机构材料延误，先行开课",
        )
    ]


def test_a_row_without_its_message_code_shows_its_stored_sentence(world: World) -> None:
    """Rows written before the message code was kept: their Chinese until the job finds them
    again, which writes the code and parameters."""
    c = world.new_class(state="approved", late_filing_reason="补报")
    recompute(2026)
    alert = Alert.objects.get(rule="late_filing")
    Alert.objects.filter(pk=alert.pk).update(message="", params={})
    alert.refresh_from_db()
    with translation.override("en"):
        assert alert.sentence() == alert.summary
    recompute(2026)
    alert.refresh_from_db()
    with translation.override("en"):
        assert alert.sentence() == (
            f"Class {c.code} {c.name} (starting 2026-03-02) was submitted or approved after its "
            "start date; reason for the late filing: 补报"
        )


def test_the_english_desk_page_and_api_show_english_sentences(
    world: World, login: Any, api: Any
) -> None:
    c, application = claimed_twice(world, state="approved", late_filing_reason="补报")
    recompute(2026)
    english_sentence = (
        f"Class {c.code} {c.name} (starting 2026-03-02) was submitted or approved after its "
        "start date; reason for the late filing: 补报"
    )
    chinese_sentence = f"培训班 {c.code} {c.name}（2026-03-02开班）在开班日期之后才提交或批准开班申请，补报原因：补报"
    client = login(world.users.city_admin)
    client.cookies["django_language"] = "en"
    page = client.get("/alerts").content.decode()
    assert english_sentence in page and chinese_sentence not in page
    # The class's page shows its alerts in English too.
    panel = client.get(f"/classes/{c.pk}").content.decode()
    assert english_sentence in panel
    double = Alert.objects.get(rule="double_subsidy")
    detail = client.get(f"/alerts/{double.pk}").content.decode()
    assert f"Individual application #{application.pk}</a>" in detail
    assert "个人申请" not in detail

    chinese = login(world.users.city_admin).get("/alerts").content.decode()
    assert chinese_sentence in chinese and english_sentence not in chinese

    api_client = api(world.users.city_admin)
    api_client.headers["HTTP_ACCEPT_LANGUAGE"] = "en"
    results = {a["rule"]: a for a in api_client.get("/alerts").json()["results"]}
    assert results["late_filing"]["summary"] == english_sentence
    one = api_client.get(f"/alerts/{double.pk}").json()
    assert {
        "type": "application",
        "id": application.pk,
        "label": f"Individual application #{application.pk}",
    } in one["links"]
    chinese_api = api(world.users.city_admin).get("/alerts").json()["results"]
    assert {a["rule"]: a["summary"] for a in chinese_api}["late_filing"] == chinese_sentence
