"""The three targets of a plan written out as data (issue 18): whom each names, which training
covers them, and how it is labelled. A changed filter, number or label fails here."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Q

from canpei.errors import InvalidInput, NotFound
from canpei.reports import targets
from canpei.reports.models import Plan
from canpei.reports.targets import Target, target_by_number

EXPECTED = [
    Target(
        number=1,
        label="新进入人力资源市场的残疾人至少接受一次职业技能培训",
        short="新成长劳动力、城镇登记失业",
        names=Q(new_entrant=True) | Q(registered_unemployed=True),
        class_q=Q(),
        application_q=~Q(training_type=""),
        wanted_type="employment_skills",
    ),
    Target(
        number=2,
        label="企业技能岗位的残疾人得到一次以上岗位技能提升培训或高技能人才培训",
        short="按比例就业、集中就业",
        names=Q(employment_form__in=("1", "2")),
        class_q=(
            Q(training_type="skill_upgrade")
            | Q(level__in=("senior", "technician"))
            | Q(high_skill=True)
        ),
        application_q=Q(training_type="skill_upgrade") | Q(level__in=("senior", "technician")),
        wanted_type="skill_upgrade",
    ),
    Target(
        number=3,
        label="有培训需求、就业愿望、具备创业条件或已创业的残疾人接受创业培训",
        short="有创业意愿、已创业",
        names=(
            Q(training_need=True, wants_work=True, entrepreneurship_intention=True)
            | Q(employment_form="3")
        ),
        class_q=Q(training_type="entrepreneurship"),
        application_q=Q(training_type="entrepreneurship"),
        wanted_type="entrepreneurship",
    ),
]
MAKERS = [targets.new_entrants, targets.enterprise_employees, targets.entrepreneurs]


@pytest.mark.parametrize("index", [0, 1, 2])
def test_each_target_names_whom_it_covers_with_what(index):
    made = MAKERS[index]()
    expected = EXPECTED[index]
    assert (made.number, made.label, made.short, made.wanted_type) == (
        expected.number,
        expected.label,
        expected.short,
        expected.wanted_type,
    )
    assert made.names == expected.names
    assert made.class_q == expected.class_q
    assert made.application_q == expected.application_q
    assert targets.TARGETS[index] == made


@pytest.mark.parametrize("number", [1, "2", " 3 "])
def test_a_target_is_found_by_its_number(number):
    assert target_by_number(number).number == int(str(number))


@pytest.mark.parametrize("number", [None, "", "4", "XXXX", 0])
def test_an_unknown_target_number_is_refused(number):
    with pytest.raises(InvalidInput) as refused:
        target_by_number(number)
    assert refused.value.errors[0][0] == "target"


def plans(*spans: tuple[str, str]) -> list[Plan]:
    Plan.objects.all().delete()
    return [
        Plan.objects.create(
            name=f"计划{n}",
            period_start=dt.date.fromisoformat(start),
            period_end=dt.date.fromisoformat(end),
        )
        for n, (start, end) in enumerate(spans)
    ]


TODAY = dt.date(2026, 6, 15)


@pytest.mark.django_db
def test_the_default_plan_is_the_one_running_today():
    old, running, _future = plans(
        ("2021-01-01", "2025-12-31"), ("2026-01-01", "2030-12-31"), ("2031-01-01", "2035-12-31")
    )
    assert targets.default_plan(TODAY) == running
    assert targets.default_plan(dt.date(2026, 1, 1)) == running


@pytest.mark.django_db
def test_without_a_plan_running_the_latest_begun_then_the_earliest_to_come():
    older, old, first, later = plans(
        ("2016-01-01", "2020-12-31"),
        ("2021-01-01", "2025-12-31"),
        ("2027-01-01", "2031-12-31"),
        ("2032-01-01", "2036-12-31"),
    )
    assert targets.default_plan(TODAY) == old
    old.delete()
    older.delete()
    assert targets.default_plan(TODAY) == first
    Plan.objects.all().delete()
    with pytest.raises(NotFound):
        targets.default_plan(TODAY)


@pytest.mark.django_db
def test_of_two_plans_running_today_the_default_is_the_one_begun_last():
    _long, recent = plans(("2021-01-01", "2035-12-31"), ("2026-01-01", "2030-12-31"))
    assert targets.default_plan(TODAY) == recent


@pytest.mark.django_db
@pytest.mark.parametrize("raw", ["abc", "1.5", "-1", "9" * 19, "99999999"])
def test_a_plan_number_that_names_no_plan_is_refused_on_the_plan_field(raw):
    # 19 nines: past any database's integer, and still the same refusal.
    with pytest.raises(InvalidInput) as refused:
        targets.parse_plan(raw, today=dt.date(2025, 6, 1))
    assert [(field, str(message)) for field, message in refused.value.errors] == [
        ("plan", "计划不存在")
    ]


@pytest.mark.django_db
def test_without_a_plan_number_the_latest_begun_plan_holding_the_year_is_taken():
    made = plans(
        ("2024-01-01", "2024-12-31"),
        ("2025-01-01", "2026-12-31"),
        ("2026-01-01", "2026-12-31"),
        ("2027-01-01", "2027-12-31"),
    )
    assert targets.parse_plan(None, today=dt.date(2026, 6, 1), year=2026) == made[2]
    assert targets.parse_plan("", today=dt.date(2026, 6, 1), year=2025) == made[1]


def twin_plans(start: str, end: str) -> tuple[Plan, Plan]:
    """Two plans of the same period, the second stored with the lower id."""
    Plan.objects.all().delete()
    later = Plan.objects.create(
        pk=200,
        name="后建",
        period_start=dt.date.fromisoformat(start),
        period_end=dt.date.fromisoformat(end),
    )
    first = Plan.objects.create(
        pk=100,
        name="先建",
        period_start=dt.date.fromisoformat(start),
        period_end=dt.date.fromisoformat(end),
    )
    return first, later


@pytest.mark.django_db
@pytest.mark.parametrize(
    "start,end",
    [
        ("2026-01-01", "2030-12-31"),  # running today
        ("2021-01-01", "2025-12-31"),  # the latest begun
        ("2027-01-01", "2031-12-31"),  # the earliest to come
    ],
)
def test_of_two_plans_alike_the_default_is_the_one_with_the_lower_number(start, end):
    first, _later = twin_plans(start, end)
    assert targets.default_plan(TODAY) == first
    assert targets.parse_plan("", today=TODAY) == first


@pytest.mark.django_db
def test_of_two_plans_holding_the_year_alike_the_lower_number_is_taken():
    first, later = twin_plans("2025-01-01", "2026-12-31")
    assert targets.parse_plan(None, today=TODAY, year=2025) == first
    assert targets.parse_plan(" 200 ", today=TODAY, year=2025) == later


@pytest.mark.django_db
def test_a_plan_number_of_18_digits_is_looked_up():
    # 18 digits still fit a database id: looked up, found or refused on the plan field.
    plans()
    plan = Plan.objects.create(
        pk=10**17, name="计划", period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 12, 31)
    )
    assert targets.parse_plan("1" + "0" * 17, today=TODAY) == plan
    with pytest.raises(InvalidInput):
        targets.parse_plan("1" + "0" * 16 + "1", today=TODAY)
