"""Demo employment services (就业服务): consultations, guidance, job referrals (some hired, some
not, some still pending), entrepreneurship support and rights protection over the past year,
recorded through the services by the demo town staff and the employment service centre, so the
rules and audit entries are the real ones."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from canpei.accounts.models import User
from canpei.employment.models import EmploymentService
from canpei.employment.support.services import service_create
from canpei.people.models import Person
from canpei.people.rules import PersonStatus

EMPLOYERS = [("晋江恒安集团", "包装工"), ("安踏体育用品", "质检员"), ("七匹狼实业", "缝纫工"),
             ("盼盼食品", "分拣员"), ("晋江市盲人按摩中心", "保健按摩师"), ("社区工厂（安海）", "手工编织"),
             ("晋江市电商产业园", "网店客服"), ("浔兴拉链", "仓库管理员")]
CONTENT = {
    "policy_consultation": ["讲解残疾人就业创业补贴政策", "解答按比例就业岗位申报问题",
                            "介绍困难残疾人免费培训政策"],
    "career_guidance": ["职业能力评估，建议参加电子商务培训", "制定求职计划，指导简历制作",
                        "模拟面试与沟通技巧辅导"],
    "job_referral": ["推荐参加面试", "陪同面试并介绍岗位辅助设施", "推荐至残疾人专场招聘会"],
    "entrepreneurship": ["指导网店开设与运营", "协助申请创业补贴", "提供个体经营场地信息"],
    "rights_protection": ["协助追讨拖欠工资", "协调用人单位落实无障碍工位", "解答劳动合同纠纷"],
}
KIND_WEIGHTS = {"policy_consultation": 25, "career_guidance": 20, "job_referral": 30,
                "entrepreneurship": 15, "rights_protection": 10}
# The results of older referrals, in turn: most are settled, hired more often than not.
RESULTS = ["hired", "not_hired", "hired", "pending", "hired"]
# (account, how many services it records): the two towns' staff and the centre city-wide.
RECORDERS = [("anhai", 14), ("cizao", 10), ("employment", 16)]
PROVIDERS = {"anhai": "林专干", "cizao": "黄专干", "employment": "王指导员"}


def demo_employment_services(*, seed: int, today: dt.date) -> int:
    """Add the demo services once (a second run adds nothing)."""
    if EmploymentService.objects.exists():
        return 0
    accounts = {u.username: u for u in User.objects.filter(
        username__in=[name for name, _n in RECORDERS])}
    rng = random.Random(f"{seed}:employment-services")
    made = referrals = 0
    for username, count in RECORDERS:
        user = accounts.get(username)
        if user is None:
            continue
        persons = Person.objects.filter(status=PersonStatus.ACTIVE)
        if user.town_id:
            persons = persons.filter(town_id=user.town_id)
        pool = list(persons.order_by("id").values_list("pk", flat=True)[:count * 2])
        for index in range(min(count, len(pool))):
            # Every third service a job referral, the others by weight.
            kind = ("job_referral" if index % 3 == 0 else
                    rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0])
            day = today - dt.timedelta(days=rng.randint(0, 330))
            data: dict[str, Any] = {
                "person": pool[index], "kind": kind, "date": day.isoformat(),
                "content": rng.choice(CONTENT[kind]), "provider": PROVIDERS[username]}
            if kind == "job_referral":
                employer, position = rng.choice(EMPLOYERS)
                referrals += 1
                if referrals % 3 == 1:
                    # A recent referral, its result still pending: the employment service's
                    # home page has work to show.
                    day = today - dt.timedelta(days=rng.randint(0, 20))
                    result = "pending"
                else:
                    result = RESULTS[referrals % len(RESULTS)]
                data.update(employer=employer, position=position, result=result,
                            date=day.isoformat())
            service_create(actor=user, data=data)
            made += 1
    return made
