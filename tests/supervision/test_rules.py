"""Each alert rule: a data set where it fires (the sentence, literally) and a near miss."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from canpei.supervision.rules import RULES, phone_key
from tests.supervision.conftest import World, day, found, overlapping

pytestmark = pytest.mark.django_db


def test_every_rule_has_its_docstring() -> None:
    assert len(RULES) == 10
    for spec in RULES.values():
        assert spec.description, spec.code


# ---- overlap -------------------------------------------------------------------------------------


def test_overlapping_classes_of_different_institutions(world: World) -> None:
    a, b = overlapping(world)
    assert found("overlap") == [
        f"王五 同时在不同机构的两个培训班：{a.code} {a.name}（晋江市职业技术学校，2026-03-02至"
        f"2026-03-20）与 {b.code} {b.name}（另一培训机构，2026-03-20至2026-04-05），日期重叠。"
    ]


def test_no_overlap_the_day_after_same_institution_or_remote(world: World) -> None:
    p = world.person()
    a = world.new_class(start=day(3, 2), end=day(3, 20))
    world.enroll(a, p)
    # the next day at another institution
    world.enroll(
        world.new_class(institution=world.other_institution, start=day(3, 21), end=day(4, 5)), p
    )
    # the same dates at the same institution
    world.enroll(world.new_class(start=day(3, 2), end=day(3, 20)), p)
    # remote, cancelled, withdrawn
    world.enroll(world.new_class(institution=world.other_institution, mode="remote"), p)
    world.enroll(world.new_class(institution=world.other_institution, state="cancelled"), p)
    world.enroll(world.new_class(institution=world.other_institution), p, status="withdrawn")
    assert found("overlap") == []


# ---- eligibility ---------------------------------------------------------------------------------


def test_trainee_outside_working_age_or_without_certificate(world: World) -> None:
    c = world.new_class(start=day(3, 2))
    # male, 60 on the start date (working age 16-59)
    world.enroll(c, world.person(name="老赵", birth="19660301"))
    world.enroll(c, world.person(name="无证", cert_number=""))
    assert found("eligibility") == [
        f"学员 无证 在培训班 {c.code} {c.name} 开班日（2026-03-02）没有有效的残疾人证。",
        f"学员 老赵 在培训班 {c.code} {c.name} 开班日（2026-03-02）不在就业年龄段（60 周岁）。",
    ]


def test_trainee_turning_60_the_day_after_the_start_is_eligible(world: World) -> None:
    c = world.new_class(start=day(3, 2))
    world.enroll(c, world.person(birth="19660303"))  # 59 on 2026-03-02
    world.enroll(world.new_class(state="draft"), world.person(cert_number=""))
    assert found("eligibility") == []


# ---- attendance ----------------------------------------------------------------------------------


def test_completion_with_attendance_below_the_threshold(world: World) -> None:
    c = world.new_class(state="audited")
    world.enroll(c, world.person(name="缺课"), status="completed", attended="31.9")
    world.enroll(c, world.person(), status="completed", attended="32")
    assert found("attendance") == [
        f"培训班 {c.code} {c.name} 结业时 1 名学员出勤不足 80%（最少 31.9 / 40 学时），仍按结业申报。"
    ]


def test_attendance_at_the_threshold_or_not_completed(world: World) -> None:
    c = world.new_class(state="completed")
    world.enroll(c, world.person(), status="completed", attended="32")
    world.enroll(c, world.person(), status="failed", attended="3")
    running = world.new_class(state="running")
    world.enroll(running, world.person(), status="completed", attended="1")
    assert found("attendance") == []


# ---- inspection ----------------------------------------------------------------------------------


def _inspect(c: Any, roster: int, present: int) -> Any:
    from canpei.training.models import Inspection

    return Inspection.objects.create(
        training_class=c, date=day(3, 5), inspector_name="陈", on_roster=roster, present=present
    )


def test_inspection_far_fewer_present(world: World) -> None:
    c = world.new_class()
    _inspect(c, 40, 23)
    assert found("inspection") == [
        f"2026-03-05 检查培训班 {c.code} {c.name}：在册 40 人，实到 23 人（58%），低于 60%。"
    ]


def test_inspection_at_the_ratio(world: World) -> None:
    _inspect(world.new_class(), 40, 24)
    assert found("inspection") == []


@override_settings(ALERT_INSPECTION_PRESENT_RATIO=0.9)
def test_inspection_ratio_is_a_setting(world: World) -> None:
    c = world.new_class()
    _inspect(c, 40, 35)
    assert found("inspection") == [
        f"2026-03-05 检查培训班 {c.code} {c.name}：在册 40 人，实到 35 人（88%），低于 90%。"
    ]


# ---- double subsidy ------------------------------------------------------------------------------


def _application(person: Any, state: str = "approved", **fields: Any) -> Any:
    from canpei.training.models import Application

    values: dict[str, Any] = {
        "person": person,
        "kind": "self_directed",
        "occupation": "电子商务师",
        "level": "junior",
        "planned_start": day(6, 1),
        "state": state,
    }
    values.update(fields)
    return Application.objects.create(**values)


def claimed_twice(world: World, **fields: Any) -> tuple[Any, Any]:
    """重复 on a class's roster and in an approved application for the same training."""
    p = world.person(name="重复")
    c = world.new_class(**fields)
    world.enroll(c, p)
    return c, _application(p)


def test_class_and_application_for_the_same_training(world: World) -> None:
    c, application = claimed_twice(world)
    assert found("double_subsidy") == [
        f"重复 在 2026 年就同一培训（电子商务师·初级）享受了 2 次补贴：培训班 {c.code} {c.name}、"
        f"个人申请 #{application.pk}。"
    ]


def test_another_level_year_or_a_refused_application_is_no_double(world: World) -> None:
    p = world.person()
    world.enroll(world.new_class(), p)
    _application(p, level="intermediate")
    _application(p, planned_start=day(1, 5, 2027))
    _application(p, state="rejected")
    _application(p, kind="appraisal")
    assert found("double_subsidy") == []


# ---- designation ---------------------------------------------------------------------------------


def past_the_designation(world: World) -> Any:
    """A class that ends after its institution's designation (2025-01-01 to 2026-12-31)."""
    c = world.new_class(start=day(12, 20), end=day(1, 10, 2028))
    world.institution.designated_to = day(12, 31)
    world.institution.save()
    return c


def test_class_outside_the_designation(world: World) -> None:
    c = past_the_designation(world)
    assert found("designation") == [
        f"培训班 {c.code} {c.name}（2026-12-20至2028-01-10）不在机构 晋江市职业技术学校 的定点有效期"
        "（2025-01-01至2026-12-31）内。"
    ]


def test_class_without_designation(world: World) -> None:
    world.other_institution.designated_from = None
    world.other_institution.designated_to = None
    world.other_institution.save()
    c = world.new_class(institution=world.other_institution)
    assert found("designation") == [
        f"培训班 {c.code} {c.name}（2026-03-02至2026-03-20）开班时，机构 另一培训机构 没有定点认定。"
    ]


def test_class_on_the_designations_last_day_or_not_run(world: World) -> None:
    world.institution.designated_to = day(3, 20)
    world.institution.save()
    world.new_class(end=day(3, 20))
    world.new_class(end=day(3, 21), state="approved")
    assert found("designation") == []


# ---- focus group ---------------------------------------------------------------------------------


def test_hardship_class_mostly_outside_its_group(world: World) -> None:
    c = world.new_class(free_for_hardship=True)
    for _ in range(3):
        world.enroll(c, world.person())
    for _ in range(2):
        world.enroll(c, world.person(hardship=["dibao"]))
    assert found("focus_group") == [
        f"培训班 {c.code} {c.name} 面向困难残疾人，但 5 名学员中有 3 名（60%）不属于该群体。"
    ]


def test_focus_class_half_outside_or_too_small(world: World) -> None:
    half = world.new_class(young_adult_focus=True)
    for birth in ("19700101", "19700102", "19900101", "19900102"):  # 56, 56, 36, 36
        world.enroll(half, world.person(birth=birth))
    small = world.new_class(free_for_hardship=True)
    for _ in range(4):
        world.enroll(small, world.person())
    plain = world.new_class()
    for _ in range(5):
        world.enroll(plain, world.person())
    assert found("focus_group") == []


# ---- shared phone --------------------------------------------------------------------------------


def test_three_trainees_share_a_phone(world: World, caplog: Any) -> None:
    a, b = world.new_class(), world.new_class(institution=world.other_institution)
    for klass, phone in ((a, "13905951234"), (a, "139 0595 1234"), (b, "13905951234")):
        world.enroll(klass, world.person(phone=phone))
    world.enroll(b, world.person(phone="13905950000"))
    findings = list(RULES["shared_phone"].find(2026))
    assert [f.summary for f in findings] == ["3 名学员登记了同一手机号（涉及 2 个培训班）。"]
    assert findings[0].subject == (phone_key("13905951234"),)
    assert "1234" not in findings[0].subject[0]


def test_two_trainees_sharing_a_phone_is_no_alert(world: World) -> None:
    c = world.new_class()
    world.enroll(c, world.person(phone="13905951234"))
    world.enroll(c, world.person(phone="13905951234"))
    world.enroll(c, world.person(phone=""))
    assert found("shared_phone") == []


# ---- identical registers -------------------------------------------------------------------------


def _registers(c: Any, enrollments: list[Any], hours: list[list[str]]) -> None:
    from decimal import Decimal

    from canpei.training.models import Attendance, ClassSession

    for index, row in enumerate(hours):
        session = ClassSession.objects.create(
            training_class=c, date=day(3, 2 + index), hours=Decimal("4")
        )
        for enrollment, value in zip(enrollments, row, strict=True):
            Attendance.objects.create(session=session, enrollment=enrollment, hours=Decimal(value))


def test_five_identical_registers_in_a_row(world: World) -> None:
    c = world.new_class()
    rows = [world.enroll(c, world.person()) for _ in range(2)]
    _registers(c, rows, [["4", "2"]] + [["4", "4"]] * 5 + [["4", "2"]])
    assert found("identical_registers") == [
        f"培训班 {c.code} {c.name} 连续 5 次课（2026-03-03至2026-03-07）的考勤登记完全相同。"
    ]


def test_four_identical_registers_are_no_alert(world: World) -> None:
    c = world.new_class()
    rows = [world.enroll(c, world.person()) for _ in range(2)]
    _registers(c, rows, ([["4", "4"]] * 4 + [["4", "3"]]) * 2)
    assert found("identical_registers") == []


# ---- late filing ---------------------------------------------------------------------------------


def test_a_class_filed_after_its_start_date_is_flagged_with_its_reason(world: World) -> None:
    c = world.new_class(state="approved", late_filing_reason="机构材料延误，先行开课")
    world.new_class(state="cancelled", late_filing_reason="已取消的补报")
    assert found("late_filing") == [
        f"培训班 {c.code} {c.name}（2026-03-02开班）在开班日期之后才提交或批准开班申请，"
        "补报原因：机构材料延误，先行开课"
    ]


def test_a_class_filed_in_time_is_not_flagged(world: World) -> None:
    world.new_class(state="approved")
    world.new_class(state="running", late_filing_reason="")
    assert found("late_filing") == []
