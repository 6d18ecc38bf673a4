"""Follow-ups of completers: scheduling from both sources, recording and its bad input, scope,
the person's employment form and the audit trail."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from canpei.audit.models import AuditEntry
from canpei.employment.followups import selectors, services
from canpei.employment.followups.services import add_months
from canpei.employment.models import FollowUp
from canpei.errors import Conflict, Forbidden, InvalidInput, NotFound
from canpei.people.models import Person
from canpei.training.models import Enrollment
from tests.conftest import CIZAO
from tests.employment.fixtures import ENDED_DAYS_AGO, good_record

TODAY = dt.date.today()
ENDED = TODAY - dt.timedelta(days=ENDED_DAYS_AGO)


def errors_of(exc: Any) -> dict[str, str]:
    return dict(exc.value.errors)


def three_month(source: Any) -> FollowUp:
    field = "enrollment" if isinstance(source, Enrollment) else "application"
    return FollowUp.objects.get(**{field: source}, months=3)


# ---- scheduling ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "due"),
    [
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),
        (dt.date(2025, 1, 31), 1, dt.date(2025, 2, 28)),
        (dt.date(2025, 11, 30), 3, dt.date(2026, 2, 28)),
        (dt.date(2025, 8, 31), 6, dt.date(2026, 2, 28)),
        (dt.date(2025, 3, 15), 3, dt.date(2025, 6, 15)),
        (dt.date(2025, 10, 31), 3, dt.date(2026, 1, 31)),
        (dt.date(2025, 12, 1), 12, dt.date(2026, 12, 1)),
    ],
)
def test_due_dates_are_calendar_months_clamped_to_the_months_end(
    day: dt.date, months: int, due: dt.date
) -> None:
    assert add_months(day, months) == due


def test_an_audited_class_schedules_its_completers_at_3_and_6_months(audited_class: Any) -> None:
    rows = FollowUp.objects.order_by("enrollment_id", "months")
    assert rows.count() == 4
    end = audited_class.end_date
    for row in rows:
        assert row.enrollment is not None
        assert row.enrollment.training_class_id == audited_class.pk
        assert row.application_id is None
        assert row.ended_on == end
        assert row.due_on == add_months(end, row.months)
        assert row.town_id == row.person.town_id
        assert row.date is None


def test_a_class_not_yet_audited_schedules_nothing(make_class: Any) -> None:
    make_class("completed", trainees=1)
    assert not FollowUp.objects.exists()


def test_failed_and_withdrawn_trainees_are_not_followed_up(
    make_class: Any, trainee_factory: Any
) -> None:
    today = dt.date.today()
    training_class = make_class(
        "audited",
        trainees=1,
        start_date=(today - dt.timedelta(days=40)).isoformat(),
        end_date=(today - dt.timedelta(days=20)).isoformat(),
    )
    completed = list(Enrollment.objects.filter(training_class=training_class))
    assert {e.status for e in completed} == {"completed"}
    # Only the completed enrolments have rows; a failed one would have none.
    Enrollment.objects.filter(pk=completed[0].pk).update(status="failed")
    FollowUp.objects.all().delete()
    assert services.schedule_followups() == 0


def test_a_completed_application_schedules_from_the_certificate_date(
    make_completed_application: Any,
) -> None:
    issued = dt.date(2025, 1, 31)
    application = make_completed_application(issued=issued)
    rows = list(FollowUp.objects.filter(application=application).order_by("months"))
    assert [(r.months, r.ended_on, r.due_on) for r in rows] == [
        (3, issued, dt.date(2025, 4, 30)),
        (6, issued, dt.date(2025, 7, 31)),
    ]


def test_scheduling_is_idempotent_and_the_backfill_adds_only_what_is_missing(
    audited_class: Any, make_completed_application: Any
) -> None:
    make_completed_application()
    assert FollowUp.objects.count() == 6
    assert services.schedule_followups() == 0
    FollowUp.objects.filter(months=6).delete()
    assert services.schedule_followups() == 3
    assert services.schedule_followups() == 0
    assert FollowUp.objects.count() == 6
    assert AuditEntry.objects.filter(action="followup.schedule").count() == 1


def test_the_months_are_configurable(audited_class: Any) -> None:
    FollowUp.objects.all().delete()
    with override_settings(FOLLOWUP_MONTHS=(1, 12)):
        assert services.schedule_followups() == 4
    assert sorted(set(FollowUp.objects.values_list("months", flat=True))) == [1, 12]


# ---- recording -----------------------------------------------------------------------------------


def test_town_staff_record_a_follow_up_and_the_person_follows(
    users: Any, audited_class: Any
) -> None:
    enrollment = audited_class.enrollments.order_by("pk").first()
    followup = three_month(enrollment)
    saved = services.followup_record(actor=users.town_staff, followup=followup, data=good_record())
    stored = FollowUp.objects.get(pk=saved.pk)
    assert stored.date == TODAY
    assert (stored.method, stored.employed, stored.employment_form) == ("phone", True, "7")
    assert stored.monthly_income == Decimal("3200.50")
    assert stored.recorded_by == users.town_staff
    person = Person.objects.get(pk=enrollment.person_id)
    assert (person.employment_form, person.not_working_reason) == ("7", "")
    record = AuditEntry.objects.get(action="followup.record")
    assert record.object_id == str(stored.pk)
    assert record.changes["diff"]["employment_form"] == ["", "7"]
    employment = AuditEntry.objects.get(action="person.employment")
    assert employment.object_id == str(person.pk)
    assert employment.changes["diff"]["employment_form"] == ["", "7"]


def test_a_correction_is_audited_with_its_diff(users: Any, audited_class: Any) -> None:
    followup = three_month(audited_class.enrollments.first())
    services.followup_record(actor=users.town_staff, followup=followup, data=good_record())
    services.followup_record(
        actor=users.employment_service,
        followup=followup,
        data={"employed": False, "not_working_reason": "4", "employer": "", "position": ""},
    )
    stored = FollowUp.objects.get(pk=followup.pk)
    assert (stored.employed, stored.employment_form, stored.not_working_reason) == (False, "", "4")
    update = AuditEntry.objects.get(action="followup.update")
    assert update.changes["diff"]["employed"] == [True, False]
    assert update.changes["diff"]["employment_form"] == ["7", ""]
    person = Person.objects.get(pk=stored.person_id)
    assert (person.employment_form, person.not_working_reason) == ("", "4")
    assert AuditEntry.objects.filter(action="person.employment").count() == 2


def test_an_older_follow_up_corrected_later_does_not_overwrite_the_person(
    users: Any, audited_class: Any
) -> None:
    enrollment = audited_class.enrollments.first()
    three, six = three_month(enrollment), FollowUp.objects.get(enrollment=enrollment, months=6)
    services.followup_record(
        actor=users.town_staff, followup=three, data=good_record(date=ENDED.isoformat())
    )
    services.followup_record(
        actor=users.town_staff,
        followup=six,
        data=good_record(employment_form="3", date=TODAY.isoformat()),
    )
    services.followup_record(actor=users.town_staff, followup=three, data={"employment_form": "1"})
    assert Person.objects.get(pk=enrollment.person_id).employment_form == "3"


def record_refused(users: Any, followup: FollowUp, data: dict[str, Any]) -> dict[str, str]:
    before = (FollowUp.objects.get(pk=followup.pk).date, AuditEntry.objects.count())
    with pytest.raises(InvalidInput) as exc:
        services.followup_record(actor=users.town_staff, followup=followup, data=data)
    assert (FollowUp.objects.get(pk=followup.pk).date, AuditEntry.objects.count()) == before
    assert Person.objects.get(pk=followup.person_id).employment_form == ""
    return errors_of(exc)


def test_the_date_is_required_not_before_the_end_and_not_in_the_future(
    users: Any, audited_class: Any
) -> None:
    followup = three_month(audited_class.enrollments.first())
    assert record_refused(users, followup, good_record(date="")) == {"date": "请填写跟踪日期"}
    day_before = (ENDED - dt.timedelta(days=1)).isoformat()
    assert record_refused(users, followup, good_record(date=day_before)) == {
        "date": f"跟踪日期不能早于培训结束日期（{ENDED.isoformat()}）"
    }
    tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()
    assert record_refused(users, followup, good_record(date=tomorrow)) == {
        "date": "跟踪日期不能晚于今天"
    }
    assert record_refused(users, followup, good_record(date="2025-02-30")) == {
        "date": "日期格式须为 YYYY-MM-DD"
    }
    # The boundaries themselves are accepted: the end day, and today.
    services.followup_record(
        actor=users.town_staff, followup=followup, data=good_record(date=ENDED.isoformat())
    )
    services.followup_record(
        actor=users.town_staff, followup=followup, data={"date": TODAY.isoformat()}
    )
    assert FollowUp.objects.get(pk=followup.pk).date == TODAY


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"method": ""}, {"method": "请选择跟踪方式"}),
        ({"method": "email"}, {"method": "跟踪方式须为电话回访、入户走访或单位核实"}),
        ({"employed": None}, {"employed": "请填写是否已就业"}),
        ({"employed": "maybe"}, {"employed": "只能为是或否"}),
        ({"employment_form": "8"}, {"employment_form": "就业形式须为国家标准代码 1 至 7"}),
        ({"employment_form": "0"}, {"employment_form": "就业形式须为国家标准代码 1 至 7"}),
        ({"employment_form": ""}, {"employment_form": "已就业须填写就业形式"}),
        ({"not_working_reason": "3"}, {"not_working_reason": "已就业不填未就业原因"}),
        (
            {"employed": False, "employer": "", "position": ""},
            {"employment_form": "未就业不填就业形式"},
        ),
        (
            {"employed": False, "employment_form": "", "position": ""},
            {"employer": "未就业不填就业单位"},
        ),
        (
            {"employed": False, "employment_form": "", "employer": "", "not_working_reason": "9"},
            {"not_working_reason": "未就业原因须为国家标准代码 1 至 7"},
        ),
        (
            {"monthly_income": "-0.01"},
            {"monthly_income": "月收入（元）须为 0 至 200000 元，最多两位小数"},
        ),
        (
            {"monthly_income": "200000.01"},
            {"monthly_income": "月收入（元）须为 0 至 200000 元，最多两位小数"},
        ),
        (
            {"monthly_income": "12.345"},
            {"monthly_income": "月收入（元）须为 0 至 200000 元，最多两位小数"},
        ),
        (
            {"monthly_income": "abc"},
            {"monthly_income": "月收入（元）须为 0 至 200000 元，最多两位小数"},
        ),
        ({"employer": "单" * 101}, {"employer": "就业单位不能超过 100 个字"}),
        ({"colour": "red"}, {"colour": "不能修改此字段"}),
    ],
)
def test_each_bad_field_is_refused_with_its_message_and_nothing_stored(
    users: Any, audited_class: Any, overrides: dict[str, Any], expected: dict[str, str]
) -> None:
    followup = three_month(audited_class.enrollments.first())
    assert record_refused(users, followup, good_record(**overrides)) == expected


@pytest.mark.parametrize("income", ["0", "200000", "200000.00", "0.01"])
def test_income_at_the_bounds_is_accepted(users: Any, audited_class: Any, income: str) -> None:
    followup = three_month(audited_class.enrollments.first())
    services.followup_record(
        actor=users.town_staff, followup=followup, data=good_record(monthly_income=income)
    )
    assert FollowUp.objects.get(pk=followup.pk).monthly_income == Decimal(income)


def test_not_employed_with_a_reason_is_accepted(users: Any, audited_class: Any) -> None:
    followup = three_month(audited_class.enrollments.first())
    services.followup_record(
        actor=users.town_staff,
        followup=followup,
        data={
            "date": TODAY.isoformat(),
            "method": "visit",
            "employed": False,
            "not_working_reason": "4",
        },
    )
    person = Person.objects.get(pk=followup.person_id)
    assert (person.employment_form, person.not_working_reason) == ("", "4")


# ---- scope ---------------------------------------------------------------------------------------


def test_scope_of_reading_and_recording(users: Any, audited_class: Any) -> None:
    followup = three_month(audited_class.enrollments.first())
    for role in ("town_staff", "city_admin", "employment_service", "auditor"):
        assert (
            selectors.followup_get(user=getattr(users, role), followup_id=followup.pk) == followup
        )
    for role in (
        "other_town_staff",
        "institution_staff",
        "sys_admin",
        "security_admin",
        "audit_admin",
    ):
        with pytest.raises(NotFound):
            selectors.followup_get(user=getattr(users, role), followup_id=followup.pk)
        assert not selectors.followup_list(user=getattr(users, role)).exists()
    with pytest.raises(NotFound):
        services.followup_record(
            actor=users.other_town_staff, followup=followup, data=good_record()
        )
    for role in ("auditor", "institution_staff", "sys_admin"):
        with pytest.raises(Forbidden):
            services.followup_record(
                actor=getattr(users, role), followup=followup, data=good_record()
            )
    assert FollowUp.objects.get(pk=followup.pk).date is None


def test_a_moved_person_takes_their_follow_ups_to_the_new_town(
    users: Any, audited_class: Any
) -> None:
    from canpei.people.services import person_update

    enrollment = audited_class.enrollments.first()
    person_update(actor=users.city_admin, person=enrollment.person, data={"town": CIZAO})
    assert set(
        FollowUp.objects.filter(enrollment=enrollment).values_list("town_id", flat=True)
    ) == {CIZAO}
    followup = three_month(enrollment)
    with pytest.raises(NotFound):
        selectors.followup_get(user=users.town_staff, followup_id=followup.pk)
    assert selectors.followup_get(user=users.other_town_staff, followup_id=followup.pk)


# ---- create (the API's POST) ---------------------------------------------------------------------


def test_create_records_the_scheduled_follow_up(users: Any, audited_class: Any) -> None:
    enrollment = audited_class.enrollments.first()
    saved = services.followup_create(
        actor=users.employment_service,
        data={"enrollment": enrollment.pk, "months": 3, **good_record()},
    )
    assert saved == three_month(enrollment)
    assert saved.date == TODAY
    with pytest.raises(Conflict):
        services.followup_create(
            actor=users.employment_service,
            data={"enrollment": enrollment.pk, "months": 3, **good_record()},
        )


def test_no_follow_up_for_a_person_who_never_completed(
    users: Any, make_class: Any, make_completed_application: Any
) -> None:
    running = make_class("completed", trainees=1)
    enrollment = running.enrollments.first()
    count = AuditEntry.objects.count()
    with pytest.raises(InvalidInput) as exc:
        services.followup_create(
            actor=users.town_staff, data={"enrollment": enrollment.pk, "months": 3, **good_record()}
        )
    assert errors_of(exc) == {
        "enrollment": "该学员未结业或培训班尚未通过结业审核，不能登记就业跟踪"
    }
    with pytest.raises(InvalidInput) as exc:
        services.followup_create(
            actor=users.town_staff, data={"application": 999999, "months": 3, **good_record()}
        )
    assert errors_of(exc) == {"application": "该个人申请尚未完成，不能登记就业跟踪"}
    application = make_completed_application()
    with pytest.raises(InvalidInput) as exc:
        services.followup_create(
            actor=users.town_staff, data={"application": application.pk, "months": 4}
        )
    assert errors_of(exc) == {"months": "跟踪节点须为 3、6 个月之一"}
    with pytest.raises(InvalidInput) as exc:
        services.followup_create(actor=users.town_staff, data={"months": 3})
    assert errors_of(exc) == {
        "enrollment": "请指定培训班学员（enrollment）或个人申请（application）之一"
    }
    assert not FollowUp.objects.filter(date__isnull=False).exists()
    assert not FollowUp.objects.filter(enrollment=enrollment).exists()
    assert AuditEntry.objects.count() > count  # only the application's own steps


# ---- the worklist --------------------------------------------------------------------------------


def test_worklist_statuses_and_counts(
    users: Any, audited_class: Any, make_completed_application: Any
) -> None:
    # Class: ended 100 days ago, 3-month due about 10 days ago (overdue), 6-month later.
    enrollments = list(audited_class.enrollments.order_by("pk"))
    services.followup_record(
        actor=users.town_staff, followup=three_month(enrollments[0]), data=good_record()
    )
    # An application ending so that its 3-month follow-up falls due on the worklist's day. That
    # is today up to the 28th; on the 29th to the 31st no follow-up three months on may fall due
    # on that very day (the months before are shorter), so the worklist is read as of the 28th.
    today = TODAY.replace(day=min(TODAY.day, 28))
    make_completed_application(issued=_months_before(today, 3))
    counts = selectors.followup_counts(user=users.town_staff, today=today)
    assert counts == selectors.FollowUpCounts(due_this_month=1, overdue=1, done=1)
    assert selectors.followup_counts(user=users.other_town_staff, today=today) == (
        selectors.FollowUpCounts(0, 0, 0)
    )
    by_town = {
        t.town: t for t in selectors.followup_counts_by_town(user=users.city_admin, today=today)
    }
    assert (
        by_town["350582101000"].due_this_month,
        by_town["350582101000"].overdue,
        by_town["350582101000"].done,
    ) == (1, 1, 1)
    assert by_town[CIZAO].overdue == 0
    assert [
        t.town for t in selectors.followup_counts_by_town(user=users.town_staff, today=today)
    ] == ["350582101000"]
    overdue = selectors.followup_list(
        user=users.town_staff, filters=selectors.FollowUpFilters(status="overdue"), today=today
    )
    assert list(overdue) == [three_month(enrollments[1])]
    # The day after the due day, the application's follow-up is overdue too.
    tomorrow = today + dt.timedelta(days=1)
    if tomorrow.month == today.month:
        assert selectors.followup_counts(user=users.town_staff, today=tomorrow).overdue == 2


def _months_before(day: dt.date, months: int) -> dt.date:
    """A day whose `months`-month follow-up falls due on `day`, a day of the month up to the
    28th."""
    assert day.day <= 28
    index = day.month - 1 - months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, day.day)


# ---- the people service ----------------------------------------------------------------------


def test_person_set_employment_is_scoped_checked_and_audited(users: Any, person_in: Any) -> None:
    from canpei.people.services import person_set_employment

    with pytest.raises(Forbidden):
        person_set_employment(
            actor=users.auditor,
            person=person_in,
            employment_form="1",
            not_working_reason="",
            source="测试",
        )
    with pytest.raises(NotFound):
        person_set_employment(
            actor=users.other_town_staff,
            person=person_in,
            employment_form="1",
            not_working_reason="",
            source="测试",
        )
    with pytest.raises(InvalidInput) as exc:
        person_set_employment(
            actor=users.employment_service,
            person=person_in,
            employment_form="8",
            not_working_reason="3",
            source="测试",
        )
    assert errors_of(exc) == {
        "employment_form": "就业形式须为 1 至 7",
        "not_working_reason": "已就业人员不填未就业原因",
    }
    person_set_employment(
        actor=users.employment_service,
        person=person_in,
        employment_form="1",
        not_working_reason="",
        source="就业跟踪 #1",
    )
    person_set_employment(
        actor=users.employment_service,
        person=person_in,
        employment_form="1",
        not_working_reason="",
        source="就业跟踪 #1",
    )
    assert Person.objects.get(pk=person_in.pk).employment_form == "1"
    entries = AuditEntry.objects.filter(action="person.employment")
    assert entries.count() == 1  # the same values again change nothing
    assert entries.get().changes == {
        "diff": {"employment_form": ["", "1"]},
        "source": "就业跟踪 #1",
    }


@given(
    day=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 12, 31)),
    months=st.integers(min_value=1, max_value=36),
)
def test_add_months_keeps_the_day_or_ends_the_month(day: dt.date, months: int) -> None:
    due = add_months(day, months)
    assert (due.year - day.year) * 12 + due.month - day.month == months
    assert due.day == day.day or (due.day < day.day and (due + dt.timedelta(days=1)).day == 1)
