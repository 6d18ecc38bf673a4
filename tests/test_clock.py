"""The suite's own clock (tests/clock.py): a run never crosses the federation's midnight."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.clock import ClockError, suite_start

UTC = dt.UTC
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@pytest.mark.parametrize(
    "now",
    [
        "2026-12-04T00:00:00+08:00",  # local midnight
        "2026-12-04T11:59:59+08:00",  # the last second of the morning
        "2026-12-04T03:59:59+00:00",  # the same second, given in UTC
        "2026-12-03T16:00:00+00:00",  # 00:00 in Shanghai although still the 3rd in UTC
    ],
)
def test_a_morning_run_keeps_the_real_time(now):
    assert suite_start(at(now), None) is None


@pytest.mark.parametrize(
    ("now", "start"),
    [
        ("2026-12-04T12:00:00+08:00", "2026-12-05T00:00:30+08:00"),  # noon
        ("2026-12-04T04:00:00+00:00", "2026-12-05T00:00:30+08:00"),  # noon, given in UTC
        ("2026-12-04T23:59:59+08:00", "2026-12-05T00:00:30+08:00"),
        ("2026-12-04T15:59:59+00:00", "2026-12-05T00:00:30+08:00"),  # 23:59:59, given in UTC
        ("2026-12-31T18:00:00+08:00", "2027-01-01T00:00:30+08:00"),  # into the next year
        ("2028-02-28T13:00:00+08:00", "2028-02-29T00:00:30+08:00"),  # a leap day
    ],
)
def test_an_afternoon_run_starts_after_the_next_local_midnight(now, start):
    moved = suite_start(at(now), None)
    assert moved == at(start)
    assert moved.astimezone(SHANGHAI).time() == dt.time(0, 0, 30)


def test_the_clock_only_moves_forward():
    now = at("2026-12-04T12:00:00+08:00")
    moved = suite_start(now, None)
    assert moved is not None
    assert moved - now == dt.timedelta(hours=12, seconds=30)


def test_a_chosen_instant_wins_at_any_hour():
    chosen = "2026-12-31T23:59:00+08:00"
    assert suite_start(at("2026-12-04T09:00:00+08:00"), chosen) == at(chosen)
    assert suite_start(at("2026-12-04T20:00:00+08:00"), chosen) == at(chosen)
    assert suite_start(at("2026-12-04T20:00:00+08:00"), "") == at("2026-12-05T00:00:30+08:00")


@pytest.mark.parametrize(
    ("chosen", "message"),
    [
        ("tomorrow", "CANPEI_TEST_CLOCK: not an ISO date and time: 'tomorrow'"),
        (
            "2026-12-31T23:59:00",
            "CANPEI_TEST_CLOCK: give the offset too, e.g. 2027-01-01T00:00:30+08:00",
        ),
    ],
)
def test_a_bad_chosen_instant_is_refused(chosen, message):
    with pytest.raises(ClockError) as refused:
        suite_start(at("2026-12-04T09:00:00+08:00"), chosen)
    assert str(refused.value) == message


def test_the_tests_today_is_the_federations_today():
    """What tests take as today (the process clock) and what the code does (Django's local
    date) agree: Django runs the process in the federation's time zone."""
    from django.utils import timezone

    assert dt.date.today() == timezone.localdate()
