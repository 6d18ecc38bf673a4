"""Importing a class's roster and attendance sheet (花名册/考勤表): enrolment by the same rules as
the roster page, the register by session, totals and withdrawals; all rows or none."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from canpei.audit.models import AuditEntry
from canpei.errors import Forbidden
from canpei.people import rules as person_rules
from canpei.spreadsheets.reader import CELL_FORMULA, EXCEL_EPOCH, FILE_MISSING_COLUMNS
from canpei.training import rules
from canpei.training.classes.imports import (
    CLASS_NOT_FOUND,
    DATE_COLUMN_INVALID,
    DATE_COLUMN_TWICE,
    NAME_MISMATCH,
    PERSON_NOT_FOUND,
    PERSON_NOT_MATCHED,
    ROW_TWICE_IN_FILE,
    SESSION_HOURS_UNKNOWN,
    STATUS_LABEL_INVALID,
    WITHDRAW_NOT_ON_ROSTER,
    enrollments_import,
)
from canpei.training.models import Attendance, ClassSession, Enrollment
from tests.conftest import make_id
from tests.spreadsheets.files import csv_text, xlsx

pytestmark = pytest.mark.django_db

HEADER = ["班级编号", "身份证号", "姓名"]


def state() -> tuple:
    """What an import may change: rosters, the register, the audit log."""
    return (
        sorted(
            Enrollment.objects.values_list(
                "training_class_id", "person_id", "status", "attended_hours", "withdraw_reason"
            )
        ),
        sorted(ClassSession.objects.values_list("training_class_id", "date", "topic", "hours")),
        sorted(Attendance.objects.values_list("session_id", "enrollment_id", "hours")),
        AuditEntry.objects.exclude(action="person.lookup").count(),
    )


def errors_of(result):
    return [(e.row, e.column, e.value, e.message) for e in result.errors]


def run(actor, rows, *, header=HEADER, name="花名册.xlsx", formulas=None, **kwargs):
    return enrollments_import(
        actor=actor, data=xlsx([header] + rows, formulas=formulas), filename=name, **kwargs
    )


def rejected(actor, rows, **kwargs):
    before = state()
    result = run(actor, rows, **kwargs)
    assert not result.ok
    assert result.summary().startswith("已拒绝")
    assert state() == before
    return errors_of(result)


def line(training_class, person, *extra):
    return [training_class.code, person.id_number, person.name, *extra]


# ---- enrolment ---------------------------------------------------------------------------------


def test_it_enrols_the_persons_of_a_draft_class_and_a_second_run_changes_nothing(
    users, make_class, trainee_factory
):
    draft = make_class("draft", trainees=0)
    a, b = trainee_factory(), trainee_factory()
    rows = [line(draft, a), line(draft, b)]
    result = run(users.institution_staff, rows)
    assert errors_of(result) == [] and (result.created, result.updated, result.unchanged) == (
        2,
        0,
        0,
    )
    assert sorted(draft.enrollments.values_list("person_id", flat=True)) == sorted([a.pk, b.pk])
    assert AuditEntry.objects.filter(action="enrollment.create").count() == 2
    assert AuditEntry.objects.filter(action="import.enrollments").count() == 1

    before = state()
    again = run(users.institution_staff, rows)
    assert (again.ok, again.created, again.updated, again.unchanged) == (True, 0, 0, 2)
    # Nothing written the second time but the import's own audit line.
    assert state()[:3] == before[:3] and state()[3] == before[3] + 1


def test_it_reads_the_header_names_federations_use_and_a_title_row_and_csv(
    users, make_class, trainee_factory
):
    draft = make_class("draft", trainees=0)
    person = trainee_factory()
    text = csv_text(
        [
            ["2026 年电子商务班花名册"],
            ["序号", "培训班编号", "公民身份号码", "学员姓名"],
            [1, draft.code.lower(), person.id_number.lower(), f" {person.name} "],
        ]
    )
    result = enrollments_import(
        actor=users.city_admin, data=text.encode("gb18030"), filename="花名册.csv"
    )
    assert errors_of(result) == [] and result.created == 1
    assert draft.enrollments.get().person_id == person.pk


def test_a_withdrawn_trainee_listed_again_on_an_open_roster_is_enrolled_again(
    users, make_class, trainee_factory
):
    from canpei.training.classes.services import enrollment_update

    person = trainee_factory()
    draft = make_class("draft", persons=[person])
    enrollment_update(
        actor=users.institution_staff,
        enrollment=draft.enrollments.get(),
        data={"status": "withdrawn", "withdraw_reason": "搬家"},
    )
    result = run(users.institution_staff, [line(draft, person)])
    assert result.ok and (result.created, result.updated) == (0, 1)
    assert draft.enrollments.get().status == "enrolled"


def test_a_dry_run_validates_with_the_services_and_writes_nothing(
    users, make_class, trainee_factory
):
    draft = make_class("draft", trainees=0)
    person = trainee_factory()
    before = state()
    result = run(users.institution_staff, [line(draft, person)], dry_run=True)
    assert result.ok and result.created == 1 and result.summary().startswith("校验通过")
    assert state() == before


def test_progress_is_reported(users, make_class, trainee_factory):
    draft = make_class("draft", trainees=0)
    calls = []
    run(
        users.institution_staff,
        [line(draft, trainee_factory()) for _ in range(3)],
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls and calls[-1] == (3, 3)


# ---- the register --------------------------------------------------------------------------------


def test_dated_columns_become_sessions_of_the_register_and_the_totals_follow(users, make_class):
    running = make_class("running", trainees=2)
    first, second = running.enrollments.order_by("id")
    day1 = running.start_date + dt.timedelta(days=1)
    day2 = running.start_date + dt.timedelta(days=2)
    header = HEADER + [
        dt.datetime(day1.year, day1.month, day1.day),
        f"{day2:%Y/%m/%d} 下午（3学时）",
    ]
    rows = [line(running, first.person, 4, 3), line(running, second.person, 2.5, "")]
    result = run(users.institution_staff, rows, header=header)
    assert errors_of(result) == [] and (result.created, result.updated) == (0, 2)
    sessions = {(s.date, s.topic): s.hours for s in running.sessions.all()}
    # The first date has no hours in its header: the session taught at least the most attended.
    assert sessions == {(day1, ""): Decimal("4"), (day2, "下午"): Decimal("3")}
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.attended_hours, second.attended_hours) == (Decimal("7"), Decimal("2.5"))

    before = state()
    again = run(users.institution_staff, rows, header=header)
    assert (again.ok, again.updated, again.unchanged) == (True, 0, 2)
    assert state()[:3] == before[:3]
    assert AuditEntry.objects.filter(action="attendance.record").count() == 2


def test_a_later_sheet_corrects_one_trainee_and_keeps_the_others_hours(users, make_class):
    running = make_class("running", trainees=2)
    first, second = running.enrollments.order_by("id")
    day = running.start_date.isoformat()
    header = HEADER + [f"{day}（4学时）"]
    assert run(
        users.institution_staff,
        [line(running, first.person, 4), line(running, second.person, 3)],
        header=header,
    ).ok
    result = run(users.institution_staff, [line(running, second.person, 4)], header=header)
    assert result.ok and result.updated == 1
    assert sorted(Attendance.objects.values_list("enrollment_id", "hours")) == [
        (first.pk, Decimal("4")),
        (second.pk, Decimal("4")),
    ]


def test_an_excel_serial_in_the_header_is_a_date(users, make_class):
    running = make_class("running", trainees=1)
    enrollment = running.enrollments.get()
    serial = (running.start_date - EXCEL_EPOCH).days
    result = run(
        users.institution_staff, [line(running, enrollment.person, 2)], header=HEADER + [serial]
    )
    assert result.ok and running.sessions.get().date == running.start_date


def test_totals_are_recorded_where_the_class_keeps_no_register(users, make_class):
    running = make_class("running", trainees=1)
    enrollment = running.enrollments.get()
    result = run(
        users.institution_staff,
        [line(running, enrollment.person, 32.5)],
        header=HEADER + ["出勤课时"],
    )
    assert result.ok and result.updated == 1
    enrollment.refresh_from_db()
    assert enrollment.attended_hours == Decimal("32.5")


def test_a_total_is_refused_where_the_class_keeps_a_register(users, make_class):
    running = make_class("running", trainees=1)
    enrollment = running.enrollments.get()
    header = HEADER + [f"{running.start_date}（4学时）"]
    assert run(users.institution_staff, [line(running, enrollment.person, 4)], header=header).ok
    errors = rejected(
        users.institution_staff,
        [line(running, enrollment.person, 30)],
        header=HEADER + ["出勤学时"],
    )
    assert errors == [(2, "出勤学时", "30", rules.ATTENDANCE_FROM_REGISTER)]
    # The same total as the register's is no change, and no error.
    assert run(
        users.institution_staff, [line(running, enrollment.person, 4)], header=HEADER + ["出勤学时"]
    ).ok


def test_a_withdrawal_is_recorded_with_its_reason_after_the_register(users, make_class):
    running = make_class("running", trainees=2)
    leaving = running.enrollments.order_by("id").first()
    header = HEADER + [f"{running.start_date}（4学时）", "状态", "退学原因"]
    result = run(
        users.institution_staff,
        [line(running, leaving.person, 4, "退学", "外出务工")],
        header=header,
    )
    assert errors_of(result) == []
    leaving.refresh_from_db()
    assert (leaving.status, leaving.withdraw_reason, leaving.attended_hours) == (
        "withdrawn",
        "外出务工",
        Decimal("4"),
    )
    # The same sheet again: the withdrawn trainee's hours stand as the register has them.
    assert (
        run(
            users.institution_staff,
            [line(running, leaving.person, 4, "退学", "外出务工")],
            header=header,
        ).unchanged
        == 1
    )


# ---- bad input: each rejected with its message, nothing written -----------------------------------


def test_a_file_with_one_bad_row_writes_none_of_the_good_ones(users, make_class, trainee_factory):
    draft = make_class("draft", trainees=0)
    good = trainee_factory()
    bad = make_id("35058219900307999")[:17] + "0"
    bad = bad if person_rules.id_number_error(bad) else bad[:17] + "1"
    errors = rejected(users.institution_staff, [line(draft, good), [draft.code, bad, "王五"]])
    assert errors == [(3, "身份证号", person_rules.mask_id_number(bad), person_rules.ID_CHECKSUM)]
    assert not draft.enrollments.exists()


def test_an_unknown_class_code_and_another_institutions_class_read_alike(
    users, make_class, trainee_factory, other_institution
):
    from canpei.training.models import TrainingClass

    person = trainee_factory()
    theirs = make_class("draft", trainees=0)
    TrainingClass.objects.filter(pk=theirs.pk).update(institution=other_institution)
    errors = rejected(
        users.institution_staff,
        [["PX2099-99999", person.id_number, person.name], line(theirs, person)],
    )
    assert errors == [
        (2, "班级编号", "PX2099-99999", CLASS_NOT_FOUND),
        (3, "班级编号", theirs.code, CLASS_NOT_FOUND),
    ]


def test_town_staff_may_not_import_rosters(users, make_class, trainee_factory):
    with pytest.raises(Forbidden):
        run(users.town_staff, [line(make_class("draft", trainees=0), trainee_factory())])


def test_a_person_not_on_the_registry_and_a_name_that_differs_are_refused(
    users, make_class, trainee_factory
):
    draft = make_class("draft", trainees=0)
    person = trainee_factory(name="陈小明")
    stranger = make_id("35058219900101555")
    errors = rejected(
        users.city_admin, [[draft.code, stranger, "无名"], [draft.code, person.id_number, "陈晓明"]]
    )
    assert errors == [
        (2, "身份证号", person_rules.mask_id_number(stranger), PERSON_NOT_FOUND),
        (3, "姓名", "陈晓明", NAME_MISMATCH.format(name="陈小明")),
    ]


def test_an_institution_is_told_neither_the_registrys_name_nor_a_persons_status(
    users, make_class, trainee_factory
):
    """A sheet of numbers would otherwise be an unthrottled persons/lookup (issue 8): to an
    institution an unknown number, a differing name and an inactive person answer alike."""
    from canpei.people.services import person_change_status

    draft = make_class("draft", trainees=0)
    person = trainee_factory(name="陈小明")
    gone = person_change_status(
        actor=users.city_admin, person=trainee_factory(), status="moved_out", comment="迁出"
    )
    stranger = make_id("35058219900101555")
    errors = rejected(
        users.institution_staff,
        [
            [draft.code, stranger, "无名"],
            [draft.code, person.id_number, "陈晓明"],
            line(draft, gone),
        ],
    )
    assert PERSON_NOT_MATCHED == "未在残疾人名册中找到身份证号与姓名相符的人员"
    assert errors == [
        (2, "身份证号", person_rules.mask_id_number(stranger), PERSON_NOT_MATCHED),
        (3, "身份证号", person.id_number_masked, PERSON_NOT_MATCHED),
        (4, "身份证号", gone.id_number_masked, PERSON_NOT_MATCHED),
    ]
    # The number and the name of an active person enrol as before.
    assert run(users.institution_staff, [line(draft, person)]).ok


def test_the_same_trainee_twice_in_a_file_is_refused(users, make_class, trainee_factory):
    draft = make_class("draft", trainees=0)
    person = trainee_factory()
    errors = rejected(users.institution_staff, [line(draft, person), line(draft, person)])
    assert errors == [(3, "身份证号", person.id_number_masked, ROW_TWICE_IN_FILE.format(row=2))]


def test_enrolment_into_a_class_past_its_roster_is_refused(users, make_class, trainee_factory):
    running = make_class("running", trainees=1)
    errors = rejected(users.institution_staff, [line(running, trainee_factory())])
    message = rules.ROSTER_CLOSED.format(state="开班中")
    assert [(r, c, m) for r, c, _v, m in errors] == [(2, "身份证号", message)]


def test_a_roster_over_capacity_is_refused_at_the_row_that_overflows(
    users, make_class, trainee_factory
):
    draft = make_class("draft", trainees=1, capacity=2)
    errors = rejected(
        users.institution_staff, [line(draft, trainee_factory()), line(draft, trainee_factory())]
    )
    assert [(r, m) for r, _c, _v, m in errors] == [
        (3, rules.CAPACITY_EXCEEDED.format(count=3, capacity=2))
    ]


def test_a_trainee_outside_working_age_is_refused_with_the_rule(users, make_class, trainee_factory):
    draft = make_class("draft", trainees=0)
    old = trainee_factory(birth="19500101")
    errors = rejected(users.institution_staff, [line(draft, old)])
    assert [m for _r, _c, _v, m in errors] == [
        rules.TRAINEE_NOT_WORKING_AGE.format(
            person=old.id_number_masked, date=draft.start_date.isoformat()
        )
    ]


def test_cells_holding_formulas_are_refused(users, make_class, trainee_factory):
    draft = make_class("draft", trainees=0)
    person = trainee_factory()
    errors = rejected(
        users.institution_staff, [line(draft, person)], formulas={(1, 2): '="张"&"三"'}
    )
    assert errors == [(2, "姓名", "", CELL_FORMULA)]


def test_hours_over_the_session_and_hours_that_are_not_numbers_are_refused(users, make_class):
    running = make_class("running", trainees=2)
    first, second = running.enrollments.order_by("id")
    column = f"{running.start_date}（2学时）"
    errors = rejected(
        users.institution_staff,
        [line(running, first.person, 3), line(running, second.person, "半天")],
        header=HEADER + [column],
    )
    assert errors == [
        (2, column, "3.0", rules.ATTENDANCE_EXCEEDS_SESSION.format(hours=Decimal("2.0"))),
        (3, column, "半天", rules.HOURS_VALUE_INVALID),
    ]


def test_bad_session_dates_are_refused(users, make_class):
    running = make_class("running", trainees=1)
    enrollment = running.enrollments.get()
    errors = rejected(
        users.institution_staff,
        [line(running, enrollment.person, 2, 2)],
        header=HEADER + ["2026-02-30", "2001-01-01"],
    )
    assert errors == [
        (0, "2026-02-30", "", DATE_COLUMN_INVALID.format(value="2026-02-30")),
        (
            2,
            "2001-01-01",
            "2.0",
            rules.SESSION_DATE_OUTSIDE.format(
                start=running.start_date.isoformat(), end=running.end_date.isoformat()
            ),
        ),
    ]


def test_a_date_column_twice_and_a_session_without_hours_are_refused(users, make_class):
    running = make_class("running", trainees=1)
    enrollment = running.enrollments.get()
    day = running.start_date.isoformat()
    errors = rejected(
        users.institution_staff,
        [line(running, enrollment.person, 0, 1)],
        header=HEADER + [day, day.replace("-", "/")],
    )
    assert errors == [
        (0, day.replace("-", "/"), "", DATE_COLUMN_TWICE.format(date=day)),
        (2, day, "", SESSION_HOURS_UNKNOWN.format(date=day)),
    ]


def test_attendance_for_a_class_not_running_is_refused(users, make_class):
    approved = make_class("approved", trainees=1)
    enrollment = approved.enrollments.get()
    column = f"{approved.start_date}（4学时）"
    errors = rejected(
        users.institution_staff, [line(approved, enrollment.person, 4)], header=HEADER + [column]
    )
    assert errors == [(2, column, "4.0", rules.ATTENDANCE_CLOSED.format(state="已批准"))]


def test_an_unknown_status_and_a_withdrawal_off_the_roster_are_refused(
    users, make_class, trainee_factory
):
    draft = make_class("draft", trainees=1)
    on_roster = draft.enrollments.get().person
    errors = rejected(
        users.institution_staff,
        [line(draft, on_roster, "请假"), line(draft, trainee_factory(), "退学")],
        header=HEADER + ["状态"],
    )
    assert errors == [
        (2, "状态", "请假", STATUS_LABEL_INVALID),
        (3, "状态", "退学", WITHDRAW_NOT_ON_ROSTER),
    ]


def test_a_withdrawal_without_a_reason_is_refused(users, make_class):
    running = make_class("running", trainees=1)
    errors = rejected(
        users.institution_staff,
        [line(running, running.enrollments.get().person, "退学")],
        header=HEADER + ["状态"],
    )
    assert errors == [(2, "退学原因", "", rules.WITHDRAW_REASON_REQUIRED)]


def test_a_sheet_without_the_identity_columns_is_refused(users):
    errors = rejected(
        users.institution_staff, [["PX2026-00001", "张三"]], header=["班级编号", "姓名"]
    )
    assert errors == [(0, "", "", FILE_MISSING_COLUMNS.format(columns="身份证号"))]


def test_an_institutions_sheet_of_id_numbers_is_audited_as_lookups_even_when_rejected(
    users, make_class, trainee_factory
):
    draft = make_class("draft", trainees=0)
    person = trainee_factory()
    result = run(
        users.institution_staff, [line(draft, person), ["PX0000-00000", *line(draft, person)[1:]]]
    )
    assert not result.ok
    entry = AuditEntry.objects.get(action="person.lookup", actor_id=users.institution_staff.pk)
    assert entry.changes["found"] == [person.pk] and entry.changes["searched"] == 1
    assert person.id_number not in str(entry.changes)
