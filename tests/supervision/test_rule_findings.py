"""Each alert rule's whole finding: the sentence, the subject its fingerprint is made of, the date
it is filed under, the records it links (as the API gives them) and the classes, institutions
and persons it is about; and the edges of each rule (the year's first and last day, thresholds
met exactly) on both sides (issue 18: the mutants these tests were written for)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import override_settings
from django.utils import translation

from canpei.supervision.rules import RULES, Finding, phone_key, rule, rule_choices
from tests.supervision.conftest import World, day, found, overlapping
from tests.supervision.test_rules import _application, _inspect, _registers

pytestmark = pytest.mark.django_db


def whole(f: Finding) -> dict[str, Any]:
    return {
        "summary": f.summary,
        "subject": f.subject,
        "on_date": f.on_date,
        "links": [link.as_json() for link in f.links],
        "classes": f.classes,
        "institutions": f.institutions,
        "persons": f.persons,
    }


def findings(code: str, year: int = 2026) -> list[dict[str, Any]]:
    return [whole(f) for f in RULES[code].find(year)]


def klass(c: Any) -> dict[str, Any]:
    return {"type": "class", "id": c.pk, "label": f"{c.code} {c.name}"}


def institution(i: Any) -> dict[str, Any]:
    return {"type": "institution", "id": i.pk, "label": i.name}


def person(p: Any) -> dict[str, Any]:
    return {"type": "person", "id": p.pk, "label": p.name}


def about_class(c: Any, summary: str, **more: Any) -> dict[str, Any]:
    """The whole finding about class `c` alone, filed under its start date; `more` overrides."""
    finding = {
        "summary": summary,
        "subject": (c.pk,),
        "on_date": c.start_date,
        "links": [klass(c), institution(c.institution)],
        "classes": {c.pk},
        "institutions": {c.institution_id},
        "persons": set(),
    }
    finding.update(more)
    return finding


# The year's first and last days, and the days either side.
EDGES = [day(12, 31, 2025), day(1, 1), day(12, 31), day(1, 1, 2027)]


# ---- the registry --------------------------------------------------------------------------------


def test_a_rule_registered_twice_is_refused() -> None:
    before = dict(RULES)
    with pytest.raises(ValueError) as refused:
        rule("overlap", "重复的规则")(lambda year: [])
    assert str(refused.value) == "rule overlap registered twice"
    assert before == RULES


def test_a_rule_is_registered_under_its_code() -> None:
    def find(year: int) -> list[Finding]:
        return []

    try:
        assert rule("test_only", "测试规则")(find) is find
        registered = RULES["test_only"]
        assert (registered.code, registered.title, registered.find) == (
            "test_only",
            "测试规则",
            find,
        )
        assert list(RULES)[-1] == "test_only"
    finally:
        RULES.pop("test_only", None)


def test_the_rules_names_and_descriptions() -> None:
    # The alert page shows the description in HTML, where the docstring's indentation collapses.
    def shown(code: str) -> str:
        description = RULES[code].description
        assert "\n" not in description
        return " ".join(description.split())

    assert shown("inspection") == (
        "An inspection found fewer trainees present than the share ALERT_INSPECTION_PRESENT_RATIO "
        "(60 % by default) of those on the roster."
    )
    # The first paragraph only, its lines joined.
    assert shown("overlap") == (
        "A person is on the rosters of two classes of different institutions whose dates overlap "
        "(remote classes excepted, as at enrolment); flagged in the year the later class starts."
    )
    with translation.override("zh-hans"):
        assert rule_choices()[:2] == [
            ("overlap", "同一人员参加日期重叠的不同机构培训班"),
            ("eligibility", "学员不在就业年龄段或无有效残疾人证"),
        ]
    assert [code for code, _label in rule_choices()] == list(RULES)


# ---- overlap -------------------------------------------------------------------------------------


def test_overlap_finding_whole(world: World) -> None:
    a, b = overlapping(world)
    [p] = {e.person for e in a.enrollments.all()}
    [f] = findings("overlap")
    assert f == {
        "summary": f"王五 同时在不同机构的两个培训班：{a.code} {a.name}（晋江市职业技术学校，2026-03-02至"
        f"2026-03-20）与 {b.code} {b.name}（另一培训机构，2026-03-20至2026-04-05），日期重叠。",
        "subject": (p.pk, a.pk, b.pk),
        "on_date": dt.date(2026, 3, 20),
        "links": [person(p), klass(a), klass(b)],
        "classes": {a.pk, b.pk},
        "institutions": {world.institution.pk, world.other_institution.pk},
        "persons": {p.pk},
    }


def test_overlap_is_flagged_in_the_year_the_later_class_starts(world: World) -> None:
    jia, yi = world.person(name="张甲"), world.person(name="李乙")
    # 张甲: a class from 2025 into 2026, and one starting on 2026-01-01.
    world.enroll(world.new_class(start=day(12, 20, 2025), end=day(1, 10)), jia)
    world.enroll(
        world.new_class(institution=world.other_institution, start=day(1, 1), end=day(1, 5)), jia
    )
    # 李乙: a class ending on 2026-12-31, and one starting that day, into 2027.
    world.enroll(
        world.new_class(institution=world.other_institution, start=day(12, 25), end=day(12, 31)), yi
    )
    world.enroll(world.new_class(start=day(12, 31), end=day(1, 10, 2027)), yi)
    assert [f["summary"][:3] for f in findings("overlap")] == ["张甲 ", "李乙 "]
    assert [f["on_date"] for f in findings("overlap")] == [day(1, 1), day(12, 31)]
    assert found("overlap", 2025) == []
    assert found("overlap", 2027) == []


# ---- eligibility ---------------------------------------------------------------------------------


def test_eligibility_finding_whole_with_both_reasons(world: World) -> None:
    from canpei.people.models import Person

    c = world.new_class(start=day(3, 2))
    old = world.person(name="老赵", birth="19660301", cert_number="")
    revoked = world.person(name="撤证")
    Person.objects.filter(pk=revoked.pk).update(status="revoked")
    world.enroll(c, old)
    world.enroll(c, revoked)
    head = f"在培训班 {c.code} {c.name} 开班日（2026-03-02）"
    assert findings("eligibility") == [
        about_class(
            c,
            f"学员 {p.name} {head}{reasons}",
            subject=(p.pk, c.pk),
            links=[klass(c), institution(world.institution), person(p)],
            persons={p.pk},
        )
        for p, reasons in (
            (old, "不在就业年龄段（60 周岁），且没有有效的残疾人证。"),
            (revoked, "没有有效的残疾人证。"),
        )
    ]


def test_eligibility_reads_the_classes_starting_within_the_year(world: World) -> None:
    starts = EDGES
    classes = [world.new_class(start=start, end=start + dt.timedelta(days=10)) for start in starts]
    for c in classes:
        world.enroll(c, world.person(cert_number=""))
    assert [f["classes"] for f in findings("eligibility")] == [{classes[1].pk}, {classes[2].pk}]


# ---- attendance ----------------------------------------------------------------------------------


def test_attendance_finding_whole(world: World) -> None:
    c = world.new_class(state="audited")
    short = [world.person(name="少一"), world.person(name="少二")]
    world.enroll(c, short[0], status="completed", attended="31.5")
    world.enroll(c, short[1], status="completed", attended="20")
    world.enroll(c, world.person(), status="completed", attended="32")
    assert findings("attendance") == [
        {
            "summary": f"培训班 {c.code} {c.name} 结业时 2 名学员出勤不足 80%（最少 20.0 / 40 学时），"
            "仍按结业申报。",
            "subject": (c.pk,),
            "on_date": day(3, 2),
            "links": [klass(c), institution(world.institution), person(short[0]), person(short[1])],
            "classes": {c.pk},
            "institutions": {world.institution.pk},
            "persons": {short[0].pk, short[1].pk},
        }
    ]


@override_settings(ATTENDANCE_THRESHOLD=0.805)
def test_attendance_threshold_with_a_decimal_percent(world: World) -> None:
    c = world.new_class(state="completed")
    world.enroll(c, world.person(), status="completed", attended="32.1")
    world.enroll(c, world.person(), status="completed", attended="32.2")
    assert found("attendance") == [
        f"培训班 {c.code} {c.name} 结业时 1 名学员出勤不足 80.5%（最少 32.1 / 40 学时），仍按结业申报。"
    ]


# ---- inspection ----------------------------------------------------------------------------------


def test_inspection_finding_whole(world: World) -> None:
    c = world.new_class()
    inspection = _inspect(c, 40, 23)
    assert findings("inspection") == [
        {
            "summary": f"2026-03-05 检查培训班 {c.code} {c.name}：在册 40 人，实到 23 人（58%），低于 60%。",
            "subject": (inspection.pk,),
            "on_date": day(3, 5),
            "links": [
                klass(c),
                institution(world.institution),
                {
                    "type": "inspection",
                    "id": inspection.pk,
                    "label": "2026-03-05 检查",
                    "says": {"msgid": "%(date)s 检查", "params": {"date": "2026-03-05"}},
                },
            ],
            "classes": {c.pk},
            "institutions": {world.institution.pk},
            "persons": set(),
        }
    ]


def test_inspections_of_the_year_with_someone_on_the_roster(world: World) -> None:
    from canpei.training.models import Inspection

    c = world.new_class(start=day(12, 1, 2025), end=day(1, 10, 2027))
    for when in (day(12, 31, 2025), day(1, 1), day(12, 31), day(1, 1, 2027)):
        Inspection.objects.create(
            training_class=c, date=when, inspector_name="陈", on_roster=10, present=1
        )
    Inspection.objects.create(
        training_class=c, date=day(6, 1), inspector_name="陈", on_roster=0, present=0
    )
    assert [f["on_date"] for f in findings("inspection")] == [day(1, 1), day(12, 31)]


def test_an_inspection_at_the_ratio_does_not_hide_the_next_one(world: World) -> None:
    c = world.new_class()
    _inspect(c, 40, 24)
    _inspect(c, 40, 23)
    assert found("inspection") == [
        f"2026-03-05 检查培训班 {c.code} {c.name}：在册 40 人，实到 23 人（58%），低于 60%。"
    ]


# ---- double subsidy ------------------------------------------------------------------------------


def test_double_subsidy_finding_whole(world: World) -> None:
    p = world.person(name="重复")
    c = world.new_class(occupation=" 电子商务师 ")
    world.enroll(c, p)
    application = _application(p)
    said_class = {"msgid": "培训班 %(code)s %(name)s", "params": {"code": c.code, "name": c.name}}
    said_application = {"msgid": "个人申请 #%(id)s", "params": {"id": application.pk}}
    assert findings("double_subsidy") == [
        {
            "summary": f"重复 在 2026 年就同一培训（电子商务师·初级）享受了 2 次补贴：培训班 {c.code} "
            f"{c.name}、个人申请 #{application.pk}。",
            "subject": (p.pk, "电子商务师", "junior"),
            "on_date": day(6, 1),
            "links": [
                person(p),
                {
                    "type": "class",
                    "id": c.pk,
                    "label": f"培训班 {c.code} {c.name}",
                    "says": said_class,
                },
                {
                    "type": "application",
                    "id": application.pk,
                    "label": f"个人申请 #{application.pk}",
                    "says": said_application,
                },
            ],
            "classes": {c.pk},
            "institutions": {world.institution.pk},
            "persons": {p.pk},
        }
    ]


def test_double_subsidy_without_a_level_and_in_date_order(world: World) -> None:
    p = world.person(name="两次")
    later = _application(p, level="", planned_start=day(12, 31))
    earlier = _application(p, level="", planned_start=day(1, 1))
    _application(p, level="", planned_start=day(12, 31, 2025))
    _application(p, level="", planned_start=day(1, 1, 2027))
    [f] = findings("double_subsidy")
    assert f["summary"] == (
        f"两次 在 2026 年就同一培训（电子商务师）享受了 2 次补贴：个人申请 #{earlier.pk}、"
        f"个人申请 #{later.pk}。"
    )
    assert f["on_date"] == day(12, 31)
    assert f["institutions"] == set() and f["classes"] == set()


def test_two_class_rosters_for_the_same_training(world: World) -> None:
    p = world.person(name="两班")
    a = world.new_class(start=day(1, 1), end=day(1, 5))
    b = world.new_class(institution=world.other_institution, start=day(12, 31), end=day(1, 5, 2027))
    world.enroll(b, p)
    world.enroll(a, p)
    world.enroll(world.new_class(start=day(12, 31, 2025), end=day(1, 3)), p)
    [f] = findings("double_subsidy")
    assert f["summary"] == (
        f"两班 在 2026 年就同一培训（电子商务师·初级）享受了 2 次补贴：培训班 {a.code} {a.name}、"
        f"培训班 {b.code} {b.name}。"
    )
    assert f["on_date"] == day(12, 31)
    assert f["classes"] == {a.pk, b.pk}
    assert f["institutions"] == {world.institution.pk, world.other_institution.pk}


# ---- designation ---------------------------------------------------------------------------------


def test_designation_finding_whole_and_its_first_day(world: World) -> None:
    world.institution.designated_from = day(3, 3)
    world.institution.designated_to = None
    world.institution.save()
    early = world.new_class(start=day(3, 2), end=day(3, 20))
    world.new_class(start=day(3, 3), end=day(3, 20))
    assert findings("designation") == [
        about_class(
            early,
            f"培训班 {early.code} {early.name}（2026-03-02至2026-03-20）不在机构 "
            "晋江市职业技术学校 的定点有效期（2026-03-03至长期）内。",
        )
    ]


def test_designation_reads_the_classes_that_ran_in_the_year(world: World) -> None:
    world.other_institution.designated_from = None
    world.other_institution.save()
    starts = EDGES
    classes = [
        world.new_class(institution=world.other_institution, start=s, end=s + dt.timedelta(days=5))
        for s in starts
    ]
    assert [f["classes"] for f in findings("designation")] == [{classes[1].pk}, {classes[2].pk}]


# ---- focus group ---------------------------------------------------------------------------------


def test_focus_group_finding_whole(world: World) -> None:
    c = world.new_class(young_adult_focus=True)
    # On 2026-03-02: 45 is inside the group (16 to 45), 46 outside.
    inside = [world.person(birth="19800303") for _ in range(2)]
    outside = [world.person(birth="19800302") for _ in range(3)]
    for p in inside + outside:
        world.enroll(c, p)
    assert findings("focus_group") == [
        {
            "summary": f"培训班 {c.code} {c.name} 面向青壮年（16至45周岁），但 5 名学员中有 3 名（60%）"
            "不属于该群体。",
            "subject": (c.pk,),
            "on_date": day(3, 2),
            "links": [klass(c), institution(world.institution), *map(person, outside)],
            "classes": {c.pk},
            "institutions": {world.institution.pk},
            "persons": {p.pk for p in outside},
        }
    ]


def test_young_adults_aged_16_and_45_are_in_the_group(world: World) -> None:
    c = world.new_class(young_adult_focus=True)
    # 16 and 45 on 2026-03-02 (in), 46 (out): 2 of 5 outside.
    for birth in ("20100302", "20100302", "19800303", "19800302", "19800302"):
        world.enroll(c, world.person(birth=birth))
    assert found("focus_group") == []


def test_a_focus_class_exactly_half_outside_its_group_is_no_alert(world: World) -> None:
    c = world.new_class(free_for_hardship=True)
    for hardship in ([], [], [], ["dibao"], ["dibao"], ["dibao"]):
        world.enroll(c, world.person(hardship=hardship))
    assert found("focus_group") == []


def test_focus_classes_of_the_year_only(world: World) -> None:
    starts = EDGES
    classes = []
    for s in starts:
        c = world.new_class(free_for_hardship=True, start=s, end=s + dt.timedelta(days=5))
        classes.append(c)
        for _ in range(5):
            world.enroll(c, world.person())
    assert [f["classes"] for f in findings("focus_group")] == [{classes[1].pk}, {classes[2].pk}]


# ---- shared phone --------------------------------------------------------------------------------


def test_shared_phone_finding_whole(world: World) -> None:
    from canpei.people.models import Person

    a = world.new_class(start=day(3, 2))
    b = world.new_class(institution=world.other_institution, start=day(2, 1), end=day(2, 20))
    trainees = [
        world.person(phone=phone) for phone in ("13905951234", "139 0595 1234", "13905951234")
    ]
    for c, p in zip((a, a, b), trainees, strict=True):
        world.enroll(c, p)
    # Numbers without a digit are no number.
    blanks = [world.person() for _ in range(3)]
    for p in blanks:
        world.enroll(a, p)
    Person.objects.filter(pk__in=[p.pk for p in blanks]).update(phone="--")
    assert findings("shared_phone") == [
        {
            "summary": "3 名学员登记了同一手机号（涉及 2 个培训班）。",
            "subject": (phone_key("13905951234"),),
            "on_date": day(2, 1),
            "links": [*map(person, trainees), klass(a), klass(b)],
            "classes": {a.pk, b.pk},
            "institutions": {world.institution.pk, world.other_institution.pk},
            "persons": {p.pk for p in trainees},
        }
    ]


def test_the_phone_key_is_32_hex_characters_and_keyed() -> None:
    key = phone_key("13905951234")
    assert len(key) == 32 and int(key, 16) >= 0
    assert key != phone_key("13905951235")
    with override_settings(SECRET_KEY="another secret key of fifty characters or more......"):
        assert phone_key("13905951234") != key


# ---- identical registers -------------------------------------------------------------------------


def test_identical_registers_report_the_longest_run(world: World) -> None:
    c = world.new_class()
    rows = [world.enroll(c, world.person()) for _ in range(2)]
    # five alike (03-02 to 03-06), one different, six alike (03-08 to 03-13)
    _registers(c, rows, [["4", "4"]] * 5 + [["4", "2"]] + [["2", "2"]] * 6)
    [f] = findings("identical_registers")
    assert f["summary"] == (
        f"培训班 {c.code} {c.name} 连续 6 次课（2026-03-08至2026-03-13）的考勤登记完全相同。"
    )
    assert f["links"] == [klass(c), institution(world.institution)]


def test_identical_registers_of_equal_runs_report_the_first(world: World) -> None:
    c = world.new_class()
    rows = [world.enroll(c, world.person()) for _ in range(2)]
    _registers(c, rows, [["4", "4"]] * 5 + [["2", "2"]] * 5)
    assert found("identical_registers") == [
        f"培训班 {c.code} {c.name} 连续 5 次课（2026-03-02至2026-03-06）的考勤登记完全相同。"
    ]


def test_sessions_without_a_register_are_not_identical_registers(world: World) -> None:
    from decimal import Decimal

    from canpei.training.models import ClassSession

    c = world.new_class()
    for index in range(6):
        ClassSession.objects.create(training_class=c, date=day(3, 2 + index), hours=Decimal("4"))
    assert found("identical_registers") == []


# ---- late filing ---------------------------------------------------------------------------------


def test_late_filing_finding_whole_and_the_years_edges(world: World) -> None:
    starts = EDGES
    classes = [
        world.new_class(
            state="approved", start=s, end=s + dt.timedelta(days=5), late_filing_reason="补报"
        )
        for s in starts
    ]
    first = classes[1]
    assert findings("late_filing")[0] == about_class(
        first,
        f"培训班 {first.code} {first.name}（2026-01-01开班）在开班日期之后才提交或批准开班申请，"
        "补报原因：补报",
    )
    assert [f["classes"] for f in findings("late_filing")] == [{first.pk}, {classes[2].pk}]


def test_overlap_names_the_earlier_class_first_whatever_was_filed_first(world: World) -> None:
    p = world.person(name="王五")
    later = world.new_class(start=day(4, 1), end=day(4, 10))
    earlier = world.new_class(institution=world.other_institution, start=day(3, 1), end=day(4, 5))
    world.enroll(later, p)
    world.enroll(earlier, p)
    [f] = findings("overlap")
    assert f["subject"] == (p.pk, earlier.pk, later.pk)
    assert f["on_date"] == day(4, 1)
    assert f["summary"].startswith(
        f"王五 同时在不同机构的两个培训班：{earlier.code} {earlier.name}（另一培训机构"
    )
