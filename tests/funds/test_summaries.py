"""The ledger's one statement and the money-by-town summary say what the records say: the SQL
cycle and standard of a class agree with training.rules.class_cycle and services.class_standard,
the committed sum with the classes counted one by one, and the summary with the lines after any
run of payments, partial payments and reversals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Count, Q
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from canpei.errors import Conflict
from canpei.funds import selectors, services
from canpei.funds.models import Disbursement, SubsidyStandard, TownYearPaid
from canpei.funds.summaries import rebuild_town_paid, town_paid_differences
from canpei.training.models import TrainingClass
from canpei.training.rules import class_cycle
from tests.conftest import ANHAI, CIZAO

pytestmark = pytest.mark.django_db

FIXTURES = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def sql_cycle(training_class: Any) -> str:
    return str(
        TrainingClass.objects.filter(pk=training_class.pk)
        .annotate(cycle_code=selectors.class_cycle_expression())
        .values_list("cycle_code", flat=True)
        .get()
    )


def move(training_class: Any, start: dt.date, end: dt.date, **fields: Any) -> Any:
    """Put a class on other dates (and kind) directly: the expressions under test read rows."""
    TrainingClass.objects.filter(pk=training_class.pk).update(
        start_date=start, end_date=end, **fields
    )
    training_class.refresh_from_db()
    return training_class


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURES)
@given(
    start=st.dates(min_value=dt.date(2023, 1, 1), max_value=dt.date(2026, 12, 31)),
    days=st.integers(min_value=0, max_value=400),
)
# Both sides of each boundary: a month (and its last day), six months.
@example(start=dt.date(2024, 1, 15), days=31)  # 15 February: short
@example(start=dt.date(2024, 1, 15), days=32)  # 16 February: medium
@example(start=dt.date(2024, 1, 31), days=29)  # 29 February 2024, the month's last day: short
@example(start=dt.date(2024, 1, 31), days=30)  # 1 March: medium
@example(start=dt.date(2023, 1, 31), days=28)  # 28 February 2023: short
@example(start=dt.date(2024, 1, 15), days=182)  # 15 July: medium
@example(start=dt.date(2024, 1, 15), days=183)  # 16 July: long
@example(start=dt.date(2024, 8, 31), days=181)  # 28 February 2025, the last day: medium
@example(start=dt.date(2024, 8, 31), days=182)  # 1 March 2025: long
@example(start=dt.date(2024, 12, 20), days=31)  # 20 January next year: short
def test_the_sql_cycle_is_the_national_cycle(
    make_class: Callable[..., Any], start: dt.date, days: int
) -> None:
    training_class = move(make_class("draft"), start, start + dt.timedelta(days=days))
    assert sql_cycle(training_class) == class_cycle(start, training_class.end_date)


def test_the_cycle_boundaries_read_as_a_clerk_counts_months(make_class: Callable[..., Any]) -> None:
    training_class = make_class("draft")
    start = dt.date(2024, 1, 31)
    assert sql_cycle(move(training_class, start, dt.date(2024, 2, 29))) == "short"
    assert sql_cycle(move(training_class, start, dt.date(2024, 3, 1))) == "medium"
    assert sql_cycle(move(training_class, start, dt.date(2024, 7, 31))) == "medium"
    assert sql_cycle(move(training_class, start, dt.date(2024, 8, 1))) == "long"


def add_standards() -> None:
    """Standards of every kind of key beside the fixture's 1000.00 for any employment-skills
    class: by level, level and mode, cycle, one that ended and one that starts later."""
    rows = [
        ("junior", "", "", "1500.00", dt.date(2000, 1, 1), None),
        ("junior", "centralized", "", "1700.00", dt.date(2000, 1, 1), dt.date(2024, 6, 30)),
        ("junior", "centralized", "", "1800.00", dt.date(2024, 7, 1), None),
        ("", "", "long", "2500.00", dt.date(2025, 1, 1), None),
        ("senior", "", "medium", "2100.00", dt.date(2000, 1, 1), None),
        ("", "remote", "", "900.00", dt.date(2000, 1, 1), dt.date(2023, 12, 31)),
    ]
    SubsidyStandard.objects.bulk_create(
        SubsidyStandard(
            purpose="class",
            training_type="employment_skills",
            level=level,
            mode=mode,
            cycle=cycle,
            amount=Decimal(amount),
            effective_from=since,
            effective_to=until,
        )
        for level, mode, cycle, amount, since, until in rows
    )


def committed_one_by_one(year: int) -> Decimal:
    """What the ledger commits for the year's unpaid approved classes, each counted in Python."""
    total = Decimal(0)
    for c in TrainingClass.objects.filter(
        state__in=selectors.COMMITTED_CLASS_STATES, start_date__year=year
    ).annotate(
        active=Count("enrollments", filter=Q(enrollments__status__in=("enrolled", "completed")))
    ):
        if Disbursement.objects.filter(
            training_class=c, reverses__isnull=True, is_reversed=False
        ).exists():
            continue
        standard = services.class_standard(c)
        total += (standard.amount if standard is not None else c.subsidy_standard) * c.active
    return total


@settings(max_examples=25, deadline=None, suppress_health_check=FIXTURES)
@given(
    start=st.dates(min_value=dt.date(2023, 6, 1), max_value=dt.date(2025, 6, 30)),
    days=st.integers(min_value=0, max_value=300),
    level=st.sampled_from(["junior", "senior", "intermediate"]),
    mode=st.sampled_from(["centralized", "remote", "self_directed"]),
)
def test_committed_classes_are_their_trainees_at_the_standard_in_force(
    users: Any, make_class: Callable[..., Any], start: dt.date, days: int, level: str, mode: str
) -> None:
    if not SubsidyStandard.objects.filter(cycle="long").exists():
        add_standards()
    training_class = move(
        make_class("approved", trainees=2),
        start,
        start + dt.timedelta(days=days),
        level=level,
        mode=mode,
    )
    expected = committed_one_by_one(start.year)
    ledger = selectors.fund_ledger(user=users.city_admin, year=start.year)
    assert ledger.uses[0].key == "class" and ledger.uses[0].committed == expected
    standard = services.class_standard(training_class)
    assert standard is not None  # the fixture's standard for any employment-skills class
    assert selectors.committed_classes(start.year) == expected
    assert expected > 0


# ---- money by town -----------------------------------------------------------------------------


@pytest.fixture
def audited_classes(
    make_class: Callable[..., Any], trainee_factory: Callable[..., Any]
) -> list[Any]:
    """Three audited classes of last spring, one after the other, whose trainees live in two
    towns, each of them in more than one class."""
    a1, a2, c1 = (
        trainee_factory(town=ANHAI),
        trainee_factory(town=ANHAI),
        trainee_factory(town=CIZAO),
    )
    c2 = trainee_factory(town=CIZAO)
    year = dt.date.today().year - 1
    return [
        make_class(
            "audited",
            persons=persons,
            start_date=f"{year}-0{month}-01",
            end_date=f"{year}-0{month}-20",
        )
        for month, persons in ((3, [a1, a2, c1]), (4, [a1, c2]), (5, [c1, c2, a2]))
    ]


def assert_summary_is_live(users: Any, year: int) -> None:
    assert town_paid_differences() == []
    kept = selectors.money_by_town(user=users.city_admin, year=year)
    assert kept == selectors.money_by_town(user=users.city_admin, year=year, live=True)


WRITES = st.lists(
    st.tuples(st.sampled_from(["pay", "pay some", "reverse"]), st.integers(0, 2)),
    min_size=1,
    max_size=6,
)


@settings(max_examples=15, deadline=None, suppress_health_check=FIXTURES)
@given(writes=WRITES)
def test_the_town_summary_stays_the_live_sum_after_random_writes(
    users: Any, audited_classes: list[Any], writes: list[tuple[str, int]]
) -> None:
    city = users.city_admin
    for what, index in writes:
        training_class = audited_classes[index]
        live = Disbursement.objects.filter(
            training_class=training_class, reverses__isnull=True, is_reversed=False
        ).first()
        try:
            if what == "reverse" and live is not None:
                services.disbursement_reverse(actor=city, disbursement_id=live.pk, reason="核对")
            elif what == "pay some":
                first = training_class.enrollments.order_by("pk").values_list(
                    "person_id", flat=True
                )[0]
                services.disbursement_create(
                    actor=city,
                    data={"purpose": "class", "class": training_class.pk, "trainees": [first]},
                )
            elif what == "pay":
                services.disbursement_create(
                    actor=city, data={"purpose": "class", "class": training_class.pk}
                )
        except Conflict:
            continue  # paid already: refused, nothing stored
    assert_summary_is_live(users, audited_classes[0].year)


def test_a_reversal_nets_the_money_and_keeps_the_persons(
    users: Any, audited_classes: list[Any]
) -> None:
    city = users.city_admin
    year = audited_classes[0].year
    first = services.disbursement_create(
        actor=city, data={"purpose": "class", "class": audited_classes[0].pk}
    )
    services.disbursement_create(
        actor=city, data={"purpose": "class", "class": audited_classes[1].pk}
    )
    towns = {
        r["town"]: (r["persons"], r["amount"])
        for r in selectors.money_by_town(user=city, year=year)
    }
    # Class 1: two of Anhai, one of Cizao; class 2: the same Anhai trainee again, another of Cizao.
    assert towns == {ANHAI: (2, Decimal("3000.00")), CIZAO: (2, Decimal("2000.00"))}
    services.disbursement_reverse(actor=city, disbursement_id=first.pk, reason="核对")
    towns = {
        r["town"]: (r["persons"], r["amount"])
        for r in selectors.money_by_town(user=city, year=year)
    }
    assert towns == {ANHAI: (2, Decimal("1000.00")), CIZAO: (2, Decimal("1000.00"))}
    assert_summary_is_live(users, year)


def test_the_summary_rebuilds_from_the_lines_and_names_a_difference(
    users: Any, audited_classes: list[Any]
) -> None:
    city = users.city_admin
    services.disbursement_create(
        actor=city, data={"purpose": "class", "class": audited_classes[2].pk}
    )
    year = audited_classes[2].year
    TownYearPaid.objects.filter(town_id=ANHAI).update(persons=5)
    assert town_paid_differences() == [
        f"money by town {year} {ANHAI}: summary (5, Decimal('1000.00')), "
        f"lines (1, Decimal('1000.00'))"
    ]
    assert rebuild_town_paid() == 2
    assert town_paid_differences() == []


def test_a_summary_row_missing_or_left_over_is_named(
    users: Any, audited_classes: list[Any]
) -> None:
    services.disbursement_create(
        actor=users.city_admin, data={"purpose": "class", "class": audited_classes[2].pk}
    )
    year = audited_classes[2].year
    TownYearPaid.objects.filter(town_id=ANHAI).delete()
    TownYearPaid.objects.create(year=year - 1, town_id=CIZAO, persons=1, amount=Decimal("5.00"))
    assert town_paid_differences() == [
        f"money by town {year - 1} {CIZAO}: summary (1, Decimal('5.00')), lines None",
        f"money by town {year} {ANHAI}: summary None, lines (1, Decimal('1000.00'))",
    ]
    assert rebuild_town_paid() == 2
    assert town_paid_differences() == []


def test_the_years_offered_are_those_with_a_budget_or_a_payment_and_this_year(
    users: Any, institution: Any
) -> None:
    assert selectors.ledger_years() == [dt.date.today().year]
    for year, source in ((2016, "budget"), (2018, "security_fund"), (2018, "budget")):
        services.budget_create(
            actor=users.city_admin, data={"year": year, "source": source, "amount": "5000"}
        )
    assert selectors.ledger_years() == [dt.date.today().year, 2018, 2016]
