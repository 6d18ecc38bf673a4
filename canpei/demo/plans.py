"""The demo's current plan. The seed plan (2019–2020) comes with the migrations; this one spans
last year to next year, so the demo's surveys and classes (all dated from today) fall in it and
its targets show real figures."""

from __future__ import annotations

import datetime as dt

from typing import Any

from canpei.accounts.models import User
from canpei.errors import ServiceError
from canpei.reports import targets
from canpei.reports.models import Plan
from canpei.reports.plans import plan_create
from canpei.training.applications import services as applications

# Per target 2 and 3, per demo town: individual trainings completed, so that those targets show
# some coverage too (the demo's classes are mostly employment skills: target 1).
COMPLETED_PER_TOWN = 3
TRAININGS = {2: ("upgrade", "skill_upgrade", "senior", "电子商务师"),
             3: ("self_directed", "entrepreneurship", "special", "创业培训")}


def demo_plan_name(today: dt.date) -> str:
    return f"残疾人职业技能提升计划（{today.year - 1}-{today.year + 1}年）"


def demo_plans(*, today: dt.date) -> dict[str, int]:
    """Create the current plan once, as the city admin would (audited)."""
    name = demo_plan_name(today)
    city = User.objects.filter(username="city").first()
    if city is None or Plan.objects.filter(name=name).exists():
        return {"plans": 0}
    plan = plan_create(actor=city, data={
        "name": name, "period_start": dt.date(today.year - 1, 1, 1).isoformat(),
        "period_end": dt.date(today.year + 1, 12, 31).isoformat(), "document": "演示"})
    return {"plans": 1, "target_trainings": _target_trainings(city, plan, today)}


def _target_trainings(city: User, plan: Plan, today: dt.date) -> int:
    """A few completed applications for persons targets 2 and 3 name, through the services as
    the demo town staff and the city (submitted, approved, completed with its certificate)."""
    made = 0
    for clerk in User.objects.filter(username__in=["anhai", "cizao"]).order_by("username"):
        for number, (kind, training_type, level, occupation) in TRAININGS.items():
            target = targets.target_by_number(number)
            named = targets.uncovered_list(user=clerk, plan=plan, target=target)
            for survey in named[:COMPLETED_PER_TOWN]:
                try:
                    _complete(clerk, city, survey.person_id, today, kind=kind, level=level,
                              training_type=training_type, occupation=occupation)
                except ServiceError:
                    continue  # a person the rules refuse (no certificate ...): the next one
                made += 1
    return made


def _complete(clerk: User, city: User, person: int, today: dt.date, **fields: Any) -> None:
    application = applications.application_create(actor=clerk, data={
        "person": str(person), **fields, "amount_requested": "1200",
        "institution_name": "晋江市众创电商培训学校", "reason": "本人自主选择培训机构，申请事后补贴",
        "planned_start": (today - dt.timedelta(days=50)).isoformat(),
        "planned_end": (today - dt.timedelta(days=15)).isoformat()})
    application = applications.application_transition(
        application=application, actor=city, action="approve", comment="符合条件，同意",
        data={"amount_approved": "1200"})
    applications.application_transition(
        application=application, actor=clerk, action="complete", comment="", data={
            "certificate_type": "training", "certificate_number": f"DEMO-T-{application.pk:05d}",
            "certificate_date": (today - dt.timedelta(days=7)).isoformat(),
            "certificate_issuer": "晋江市众创电商培训学校"})
