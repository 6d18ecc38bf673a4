"""The demo's current plan. The seed plan (2019–2020) comes with the migrations; this one spans
last year to next year, so the demo's surveys and classes (all dated from today) fall in it and
its targets show real figures."""

from __future__ import annotations

import datetime as dt

from canpei.accounts.models import User
from canpei.reports.models import Plan
from canpei.reports.plans import plan_create


def demo_plan_name(today: dt.date) -> str:
    return f"残疾人职业技能提升计划（{today.year - 1}-{today.year + 1}年）"


def demo_plans(*, today: dt.date) -> dict[str, int]:
    """Create the current plan once, as the city admin would (audited)."""
    name = demo_plan_name(today)
    city = User.objects.filter(username="city").first()
    if city is None or Plan.objects.filter(name=name).exists():
        return {"plans": 0}
    plan_create(actor=city, data={"name": name,
                                  "period_start": dt.date(today.year - 1, 1, 1).isoformat(),
                                  "period_end": dt.date(today.year + 1, 12, 31).isoformat(),
                                  "document": "演示"})
    return {"plans": 1}
