"""Shared pieces of the competitions tests: a held competition with two events, and data."""

from __future__ import annotations

import datetime as dt
from typing import Any

TODAY = dt.date.today()


def competition_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "晋江市第三届残疾人职业技能竞赛",
        "level": "city",
        "start_date": (TODAY - dt.timedelta(days=10)).isoformat(),
        "end_date": (TODAY - dt.timedelta(days=9)).isoformat(),
        "organizer": "晋江市残联",
        "events": ["电子商务", "盲人保健按摩"],
    }
    data.update(overrides)
    return data


def case_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"title": "自强不息的电商创业者", "text": "开设网店，带动就业。"}
    data.update(overrides)
    return data
