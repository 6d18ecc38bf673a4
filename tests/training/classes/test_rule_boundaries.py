"""The class rules' small functions at their boundaries (issue 18): attendance and registered
hours compared in exact decimals, late filing, who is not told a person's reasons, how a trainee
is named, and the cycle at each of its edges. Both sides of every boundary."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest

from canpei.accounts.models import User
from canpei.training import rules


@pytest.mark.parametrize(
    "attended,hours,threshold,enough",
    [
        (Decimal("36.0"), 45, 0.8, True),  # exactly 80 % of 45
        (Decimal("35.9"), 45, 0.8, False),
        (Decimal("36.1"), 45, 0.8, True),
        (Decimal("0"), 45, 0.8, False),
        (Decimal("0"), 45, 0.0, True),
        (Decimal("45"), 45, 1.0, True),
        (Decimal("44.9"), 45, 1.0, False),
        # 0.7 is not exact in binary: 70 % of 30 hours is 21, and 21 is enough.
        (Decimal("21"), 30, 0.7, True),
    ],
)
def test_attendance_is_enough_from_exactly_the_threshold(attended, hours, threshold, enough):
    assert rules.attendance_enough(attended, hours, threshold) is enough


@pytest.mark.parametrize(
    "registered,hours,required,enough",
    [
        (Decimal("40"), 40, 1.0, True),
        (Decimal("39.5"), 40, 1.0, False),
        (Decimal("40.5"), 40, 1.0, True),
        (Decimal("36"), 40, 0.9, True),
        (Decimal("35.9"), 40, 0.9, False),
        (Decimal("21"), 30, 0.7, True),
    ],
)
def test_registered_hours_are_enough_from_exactly_the_required_share(
    registered, hours, required, enough
):
    assert rules.hours_enough(registered, hours, required) is enough


@pytest.mark.parametrize(
    "today,late",
    [
        (dt.date(2025, 3, 9), False),
        (dt.date(2025, 3, 10), False),  # on the start date itself: not late yet
        (dt.date(2025, 3, 11), True),
    ],
)
def test_a_class_is_filed_late_only_after_its_start_date(today, late):
    assert rules.filed_late(dt.date(2025, 3, 10), today) is late


@pytest.mark.parametrize(
    "role,hidden",
    [("institution_staff", True), ("city_admin", False), ("town_staff", False), ("auditor", False)],
)
def test_only_an_institution_is_not_told_a_persons_reasons(role, hidden):
    assert rules.hides_reasons(User(role=role)) is hidden


def test_nobody_acting_is_told_the_reasons():
    assert rules.hides_reasons(None) is False


def test_a_trainee_is_named_by_name_and_the_ids_last_four():
    person = SimpleNamespace(name="张三", id_tail="123X")
    assert rules.describe_person(person) == "张三（123X）"  # zh-data


@pytest.mark.parametrize(
    "start,end,cycle",
    [
        (dt.date(2025, 3, 10), dt.date(2025, 3, 10), "short"),
        (dt.date(2025, 3, 10), dt.date(2025, 4, 10), "short"),  # one month to the day
        (dt.date(2025, 3, 10), dt.date(2025, 4, 11), "medium"),
        (dt.date(2025, 3, 10), dt.date(2025, 9, 10), "medium"),  # six months to the day
        (dt.date(2025, 3, 10), dt.date(2025, 9, 11), "long"),
        # 31 January + 1 month is the last of February; + 6 months is 31 July.
        (dt.date(2025, 1, 31), dt.date(2025, 2, 28), "short"),
        (dt.date(2025, 1, 31), dt.date(2025, 3, 1), "medium"),
        (dt.date(2024, 1, 31), dt.date(2024, 2, 29), "short"),
        (dt.date(2024, 1, 31), dt.date(2024, 3, 1), "medium"),
        (dt.date(2025, 1, 31), dt.date(2025, 7, 31), "medium"),
        (dt.date(2025, 1, 31), dt.date(2025, 8, 1), "long"),
        # 31 August + 1 month is 30 September; 31 December + 6 months is 30 June next year.
        (dt.date(2025, 8, 31), dt.date(2025, 9, 30), "short"),
        (dt.date(2025, 8, 31), dt.date(2025, 10, 1), "medium"),
        (dt.date(2025, 12, 31), dt.date(2026, 1, 31), "short"),
        (dt.date(2025, 12, 31), dt.date(2026, 6, 30), "medium"),
        (dt.date(2025, 12, 31), dt.date(2026, 7, 1), "long"),
        (dt.date(2025, 7, 15), dt.date(2026, 1, 15), "medium"),
        (dt.date(2025, 7, 15), dt.date(2026, 1, 16), "long"),
    ],
)
def test_the_cycle_at_each_of_its_edges(start, end, cycle):
    assert rules.class_cycle(start, end) == cycle
