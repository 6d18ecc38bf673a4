"""Demo follow-ups (就业跟踪): the completers of the demo's audited classes and completed
applications have theirs scheduled by the services (canpei.hooks.training_completed); here the
employment service centre records most of those already due, some on time, some weeks late, and
leaves a few overdue, so the worklist shows every status."""

from __future__ import annotations

import datetime as dt
import random

from canpei.accounts.models import User
from canpei.employment.followups.services import followup_record, schedule_followups
from canpei.employment.models import FollowUp

EMPLOYERS = ["晋江市恒安集团", "安踏体育用品有限公司", "晋江市福利鞋厂", "安海镇盲人按摩店",
             "磁灶镇陶瓷有限公司", "晋江市电商产业园"]
POSITIONS = ["包装工", "客服", "保健按摩师", "质检员", "网店运营", "缝纫工"]


def demo_followups(*, seed: int, today: dt.date) -> int:
    """Record about two in three of the follow-ups due by today; returns how many."""
    schedule_followups()
    if FollowUp.objects.filter(date__isnull=False).exists():
        return 0   # a second run of the demo records nothing more
    recorder = User.objects.filter(username="employment").first()
    if recorder is None:
        return 0
    rng = random.Random(seed * 7919 + 10)
    recorded = 0
    for followup in FollowUp.objects.filter(due_on__lte=today, date__isnull=True).order_by("id"):
        if rng.random() < 0.33:
            continue   # left overdue
        late = rng.random() < 0.3
        day = followup.due_on + dt.timedelta(days=rng.randint(15, 40) if late else rng.randint(-5, 5))
        day = min(max(day, followup.ended_on), today)
        employed = rng.random() < 0.6
        data: dict[str, object] = {"date": day.isoformat(),
                                   "method": rng.choice(["phone", "phone", "visit", "employer"]),
                                   "employed": employed}
        if employed:
            data.update(employment_form=rng.choice("1234567"), employer=rng.choice(EMPLOYERS),
                        position=rng.choice(POSITIONS), contract_signed=rng.random() < 0.7,
                        social_insurance=rng.random() < 0.6,
                        monthly_income=str(rng.randrange(1800, 6000, 50)),
                        business_started=False)
        else:
            data.update(not_working_reason=rng.choice("3457"))
        followup_record(actor=recorder, followup=followup, data=data)
        recorded += 1
    return recorded
