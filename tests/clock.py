"""The clock the test suite runs on.

Tests take "today" once, when their module is collected (``TODAY = dt.date.today()``, and dates
in parameter lists), while the code under test asks for it again when it runs, up to an hour
later on two cores. A run that crosses midnight in the federation's time zone (16:00 UTC) would
compare yesterday's dates with today's rules. So a run that starts after local noon starts
instead just after the next local midnight, with the clock ticking: no run of under twelve hours
crosses a day. ``CANPEI_TEST_CLOCK`` (an ISO instant with its offset) starts the clock at a chosen
instant instead, for trying the code on a chosen day, such as the first of a year.

The clock moves forward only, so the cookies the server sets never look expired to Chromium,
which keeps the real time. Child processes (the CLI, gunicorn) keep the real time too; the
tests that start them do not depend on the date.
"""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

FEDERATION_ZONE = ZoneInfo("Asia/Shanghai")
ENV = "CANPEI_TEST_CLOCK"
# How long after a local midnight a moved run starts.
AFTER_MIDNIGHT = dt.timedelta(seconds=30)


class ClockError(ValueError):
    pass


def suite_start(now: dt.datetime, chosen: str | None) -> dt.datetime | None:
    """The instant the suite's clock starts at, or None to keep the real time.

    ``now`` is the real time (aware); ``chosen`` the value of ``CANPEI_TEST_CLOCK``, if set.
    """
    if chosen:
        try:
            start = dt.datetime.fromisoformat(chosen)
        except ValueError:
            raise ClockError(f"{ENV}: not an ISO date and time: {chosen!r}") from None
        if start.tzinfo is None:
            raise ClockError(f"{ENV}: give the offset too, e.g. 2027-01-01T00:00:30+08:00")
        return start
    local = now.astimezone(FEDERATION_ZONE)
    if local.hour < 12:
        return None
    next_day = local.date() + dt.timedelta(days=1)
    midnight = dt.datetime.combine(next_day, dt.time(), tzinfo=FEDERATION_ZONE)
    return midnight + AFTER_MIDNIGHT


_traveller = None


def start() -> dt.datetime | None:
    """Start the suite's clock (see the module's text); the instant it started at, if moved."""
    global _traveller
    import time_machine

    instant = suite_start(dt.datetime.now(dt.UTC), os.environ.get(ENV))
    if instant is not None:
        _traveller = time_machine.travel(instant, tick=True)
        _traveller.start()
    return instant


def stop() -> None:
    global _traveller
    if _traveller is not None:
        _traveller.stop()
        _traveller = None
