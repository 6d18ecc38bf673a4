"""The indicators over a hand-built data set with a known answer for each
(tests/reports/indicator_data.py says who did what and why each figure is what it is)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from canpei.errors import InvalidInput
from canpei.reports.indicators import (
    Figures,
    IndicatorFilters,
    Indicators,
    indicators,
    median_of,
    parse_filters,
)
from canpei.reports.models import Plan
from tests.conftest import ANHAI, CIZAO
from tests.reports import indicator_data
from tests.reports.indicator_data import AS_OF, DataSet


@pytest.fixture
def data(trainee_factory: Any, institution: Any, other_institution: Any) -> DataSet:
    return indicator_data.build(trainee_factory, institution, other_institution)


def report(user: Any, **filters: Any) -> Indicators:
    return indicators(user=user, filters=IndicatorFilters(**filters), as_of=AS_OF)


def counts(f: Figures) -> tuple[int, int, int, int, int, int]:
    return (f.trained, f.trainee_times, f.free_hardship, f.certificates, f.appraised, f.passed)


def employment(f: Figures) -> list[tuple[int, int, int, int, Decimal | None]]:
    return [(m.months, m.due, m.recorded, m.employed, m.median_income) for m in f.employment]


def test_the_city_totals(users: Any, data: DataSet) -> None:
    total = report(users.city_admin).total
    # 甲 trained twice counts once; 退 (withdrawn), 败 (failed), 戊 (class audit failed,
    # application only submitted) are not trained.
    assert counts(total) == (5, 6, 2, 3, 4, 2)
    assert total.pass_rate == 0.5
    assert employment(total) == [(3, 5, 4, 3, Decimal("3000.00")), (6, 5, 4, 4, Decimal("3850.50"))]
    three, six = total.employment
    assert (three.rate, three.unrecorded) == (0.6, 1)
    assert (six.rate, six.unrecorded) == (0.8, 1)


def test_a_follow_up_recorded_late_counts_for_its_milestone(users: Any, data: DataSet) -> None:
    # 甲's 3-month follow-up was made seven weeks after it fell due: still a 3-month employed.
    late = data.enrollments["甲C1"].followups.get(months=3)
    assert late.date > late.due_on
    three = report(users.city_admin, year=2025, town=ANHAI).total.employment[0]
    assert (three.due, three.recorded, three.employed) == (3, 2, 1)


def test_an_unrecorded_due_follow_up_counts_as_not_employed(users: Any, data: DataSet) -> None:
    from canpei.employment.models import FollowUp

    six = report(users.city_admin, type="employment_skills", town=ANHAI).total.employment[1]
    assert (six.due, six.recorded, six.unrecorded, six.employed) == (3, 2, 1, 2)
    assert six.rate == pytest.approx(2 / 3)
    # Recorded now as employed without an income: the rate rises, the median does not move.
    FollowUp.objects.filter(enrollment=data.enrollments["乙C1"], months=6).update(
        date=dt.date(2026, 1, 10), employed=True
    )
    six = report(users.city_admin, type="employment_skills", town=ANHAI).total.employment[1]
    assert (six.due, six.recorded, six.unrecorded, six.employed) == (3, 3, 0, 3)
    assert six.median_income == Decimal("3850.50")


def test_a_follow_up_not_yet_due_is_left_out(users: Any, data: DataSet) -> None:
    # 甲's C2 ended 2026-10-31: the 3-month follow-up falls due 2027-01-31.
    c2 = report(users.city_admin, year=2026).total
    assert (c2.trained, c2.trainee_times) == (1, 1)
    assert employment(c2) == [(3, 0, 0, 0, None), (6, 0, 0, 0, None)]
    assert c2.employment[0].rate is None
    later = indicators(
        user=users.city_admin, filters=IndicatorFilters(year=2026), as_of=dt.date(2027, 1, 31)
    ).total
    assert employment(later)[0] == (3, 1, 0, 0, None)


@pytest.mark.parametrize(
    ("values", "median"),
    [
        ([], None),
        (["2000"], "2000.00"),
        (["2000", "3000", "4000"], "3000.00"),
        (["2600", "3500", "4201", "5000"], "3850.50"),
        (["0.01", "0.02"], "0.02"),  # 0.015 rounded half up to the fen
    ],
)
def test_median_odd_and_even_counts(values: list[str], median: str | None) -> None:
    assert median_of([Decimal(v) for v in values]) == (Decimal(median) if median else None)


def test_pass_rate_boundaries(users: Any, data: DataSet) -> None:
    city = users.city_admin
    # All passed (C1: 甲 and 乙), none passed (C3: 丙 failed), the absent one counts as not
    # passed (C2: 甲 absent), nobody appraised (the application alone): no rate at all.
    c1 = report(city, year=2025, type="employment_skills").total
    assert (c1.appraised, c1.passed, c1.pass_rate) == (2, 2, 1.0)
    c3 = report(city, type="entrepreneurship").total
    assert (c3.appraised, c3.passed, c3.pass_rate) == (1, 0, 0.0)
    c2 = report(city, type="skill_upgrade").total
    assert (c2.appraised, c2.passed, c2.pass_rate) == (1, 0, 0.0)
    application = report(city, town=CIZAO, type="employment_skills").total
    assert (application.trainee_times, application.appraised, application.pass_rate) == (1, 0, None)


def rows(figures: list[Figures]) -> dict[str, tuple[str, tuple[int, ...]]]:
    return {f.key: (f.label, counts(f)) for f in figures}


def test_by_town(users: Any, data: DataSet) -> None:
    r = report(users.city_admin)
    assert rows(r.by_town) == {
        ANHAI: ("安海镇", (3, 4, 2, 2, 3, 2)),
        CIZAO: ("磁灶镇", (2, 2, 0, 1, 1, 0)),
    }
    assert [employment(f) for f in r.by_town] == [
        [(3, 3, 2, 1, Decimal("3000.00")), (6, 3, 2, 2, Decimal("3850.50"))],
        [(3, 2, 2, 2, Decimal("3000.00")), (6, 2, 2, 2, Decimal("3800.00"))],
    ]


def test_by_institution(
    users: Any, data: DataSet, institution: Any, other_institution: Any
) -> None:
    r = report(users.city_admin)
    assert rows(r.by_institution) == {
        str(other_institution.pk): ("另一培训机构", (1, 1, 0, 0, 1, 0)),
        str(institution.pk): ("晋江市职业技术学校", (3, 4, 2, 2, 3, 2)),
        "": ("其他机构", (1, 1, 0, 1, 0, 0)),
    }
    assert [f.key for f in r.by_institution][-1] == ""
    assert employment(r.by_institution[-1]) == [
        (3, 1, 1, 1, Decimal("4000.00")),
        (6, 1, 1, 1, Decimal("5000.00")),
    ]


def test_by_type(users: Any, data: DataSet) -> None:
    r = report(users.city_admin)
    assert rows(r.by_type) == {
        "employment_skills": ("就业技能培训", (4, 4, 1, 2, 2, 2)),
        "skill_upgrade": ("岗位技能提升培训", (1, 1, 1, 1, 1, 0)),
        "entrepreneurship": ("创业培训", (1, 1, 0, 0, 1, 0)),
    }
    assert [f.key for f in r.by_type] == ["employment_skills", "skill_upgrade", "entrepreneurship"]


def test_by_year_the_year_training_ended(users: Any, data: DataSet) -> None:
    r = report(users.city_admin)
    assert rows(r.by_year) == {
        "2024": ("2024", (1, 1, 0, 0, 1, 0)),
        "2025": ("2025", (4, 4, 1, 2, 2, 2)),
        "2026": ("2026", (1, 1, 1, 1, 1, 0)),
    }
    # The sums of a breakdown are the totals (no person is in two years here).
    assert sum(f.trainee_times for f in r.by_year) == r.total.trainee_times


def test_by_plan_period(users: Any, data: DataSet) -> None:
    # The seed plan comes with the database (reports migration 0002).
    seed = Plan.objects.get(name="残疾人职业技能提升计划（2019-2020年）")
    assert (seed.period_start, seed.period_end) == (dt.date(2019, 1, 1), dt.date(2020, 12, 31))
    current = Plan.objects.create(
        name="2025-2026 年计划", period_start=dt.date(2025, 6, 1), period_end=dt.date(2026, 12, 31)
    )
    assert counts(report(users.city_admin, plan=seed.pk).total) == (0, 0, 0, 0, 0, 0)
    # C1 ended 2025-06-30 and A1 2025-06-01 (inside), C2 2026-10-31 (inside), C3 2024 (out).
    assert counts(report(users.city_admin, plan=current.pk).total) == (4, 5, 2, 3, 3, 2)
    # One row per plan, oldest first; with a plan asked for, that plan's row alone.
    r = report(users.city_admin, town=ANHAI)
    assert [(f.key, f.label, counts(f)) for f in r.by_plan] == [
        (str(seed.pk), seed.name, (0, 0, 0, 0, 0, 0)),
        (str(current.pk), current.name, (3, 4, 2, 2, 3, 2)),
    ]
    assert [f.key for f in report(users.city_admin, plan=current.pk).by_plan] == [str(current.pk)]


def test_the_heritage_and_high_skill_flags(users: Any, data: DataSet) -> None:
    r = report(users.city_admin)
    assert counts(r.heritage) == (1, 1, 0, 0, 1, 0)  # C3, folk craft
    assert employment(r.heritage) == [
        (3, 1, 1, 1, Decimal("2000.00")),
        (6, 1, 1, 1, Decimal("2600.00")),
    ]
    # C2 (senior) and A1 (technician); C2's follow-ups are not due yet.
    assert counts(r.high_skill) == (2, 2, 1, 2, 1, 0)
    assert employment(r.high_skill) == [
        (3, 1, 1, 1, Decimal("4000.00")),
        (6, 1, 1, 1, Decimal("5000.00")),
    ]


def test_the_institution_filter(users: Any, data: DataSet, institution: Any) -> None:
    r = report(users.city_admin, institution=institution.pk)
    assert counts(r.total) == (3, 4, 2, 2, 3, 2)
    assert [f.key for f in r.by_town] == [ANHAI]


# ---- scope --------------------------------------------------------------------------------------


def test_a_town_sees_only_its_own_figures(users: Any, data: DataSet) -> None:
    anhai = report(users.town_staff)
    assert counts(anhai.total) == (3, 4, 2, 2, 3, 2)
    assert [f.key for f in anhai.by_town] == [ANHAI]
    assert employment(anhai.total)[0] == (3, 3, 2, 1, Decimal("3000.00"))
    # Asking for the other town gives nothing, not the other town's figures.
    assert counts(report(users.town_staff, town=CIZAO).total) == (0, 0, 0, 0, 0, 0)
    cizao = report(users.other_town_staff)
    assert counts(cizao.total) == (2, 2, 0, 1, 1, 0)


def test_an_institution_sees_only_its_own_classes(users: Any, data: DataSet) -> None:
    r = report(users.institution_staff)
    # C1 and C2 (C4's audit failed); no individual application, no other institution's class.
    assert counts(r.total) == (3, 4, 2, 2, 3, 2)
    assert employment(r.total) == [
        (3, 3, 2, 1, Decimal("3000.00")),
        (6, 3, 2, 2, Decimal("3850.50")),
    ]
    assert len(r.by_institution) == 1
    assert counts(r.heritage) == (0, 0, 0, 0, 0, 0)


@pytest.mark.parametrize("role", ["sys_admin", "security_admin", "audit_admin"])
def test_officers_see_nothing(users: Any, data: DataSet, role: str) -> None:
    r = report(getattr(users, role))
    assert counts(r.total) == (0, 0, 0, 0, 0, 0)
    assert employment(r.total) == [(3, 0, 0, 0, None), (6, 0, 0, 0, None)]
    assert r.by_town == r.by_year == r.by_type == r.by_institution == []


@pytest.mark.parametrize("role", ["employment_service", "auditor"])
def test_the_other_city_wide_readers_see_the_city(users: Any, data: DataSet, role: str) -> None:
    assert counts(report(getattr(users, role)).total) == (5, 6, 2, 3, 4, 2)


# ---- filters ------------------------------------------------------------------------------------


def test_bad_filters_are_named(db: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_filters(
            {"year": "1999", "plan": "12345", "town": "abc", "institution": "x", "type": "cooking"}
        )
    assert dict(caught.value.errors) == {
        "year": "年度须为 2000 至 2100 的整数",
        "plan": "计划不存在",
        "town": "镇街代码须为 12 位数字",
        "institution": "培训机构须为机构编号",
        "type": "培训类型须为 employment_skills、skill_upgrade、entrepreneurship、rural_practical",
    }


def test_the_query_count_does_not_grow_with_the_data(
    users: Any,
    data: DataSet,
    trainee_factory: Any,
    institution: Any,
    django_assert_max_num_queries: Any,
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    plan = Plan.objects.create(
        name="计划", period_start=dt.date(2024, 1, 1), period_end=dt.date(2026, 12, 31)
    )
    with CaptureQueriesContext(connection) as before:
        report(users.city_admin, plan=plan.pk)
    more = indicator_data.make_class(
        institution, start="2025-01-01", end="2025-02-01", state="settled", type="rural_practical"
    )
    for _ in range(5):
        indicator_data.enrol(more, trainee_factory(), appraisal_result="passed")
    with django_assert_max_num_queries(len(before.captured_queries)):
        after = report(users.city_admin, plan=plan.pk)
    assert after.total.trainee_times == 11


def test_a_person_who_moved_counts_where_they_live_now(users: Any, data: DataSet) -> None:
    from canpei.people.services import person_update

    # 丙 (C3) and 己 (A1) move from 磁灶 to 安海: their completions and follow-ups go along.
    for name in ("丙", "己"):
        person_update(actor=users.city_admin, person=data.persons[name], data={"town": ANHAI})
    r = report(users.city_admin)
    assert [(f.key, f.trained, f.trainee_times) for f in r.by_town] == [(ANHAI, 5, 6)]
    assert counts(report(users.other_town_staff).total) == (0, 0, 0, 0, 0, 0)
    assert employment(report(users.town_staff).total) == [
        (3, 5, 4, 3, Decimal("3000.00")),
        (6, 5, 4, 4, Decimal("3850.50")),
    ]


def test_a_class_spanning_the_end_of_a_plan_period_counts_in_the_period_it_ended(
    users: Any, data: DataSet
) -> None:
    # C1 ran 2025-03-01..2025-06-30: it started inside this period and ended after it.
    spring = Plan.objects.create(
        name="2025 上半年", period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 6, 15)
    )
    r = report(users.city_admin, plan=spring.pk)
    # Only 己's application (certificate 2025-06-01) ended inside it.
    assert counts(r.total) == (1, 1, 0, 1, 0, 0)
    summer = Plan.objects.create(
        name="2025 下半年", period_start=dt.date(2025, 6, 16), period_end=dt.date(2025, 12, 31)
    )
    assert counts(report(users.city_admin, plan=summer.pk).total) == (3, 3, 1, 1, 2, 2)


def test_a_groups_milestone_is_found_by_its_months(users: Any, data: DataSet) -> None:
    total = report(users.city_admin).total
    three = total.milestone(3)
    six = total.milestone(6)
    assert three is not None and six is not None
    assert (three.months, three.due, three.recorded, three.employed) == (3, 5, 4, 3)
    assert (six.months, six.due, six.recorded, six.employed) == (6, 5, 4, 4)
    assert total.milestone(12) is None
    assert Figures(key="", label="").milestone(3) is None
