"""Demo individual applications in every state, and the staff online training records of the
demo towns. Written through the services as the demo town staff and city accounts, so the rules,
history and audit entries are the real ones."""

from __future__ import annotations

import datetime as dt
from typing import Any

from canpei.accounts.models import User
from canpei.people.models import Person
from canpei.people.rules import PersonStatus
from canpei.training.applications import services
from canpei.training.models import Application, ApplicationState, StaffTraining

AS = ApplicationState

# (town staff, kind, occupation, level, amount requested, the steps after submission)
APPLICATIONS: list[tuple[str, str, str, str, str, list[str]]] = [
    ("anhai", "self_directed", "电子商务师", "junior", "1800", []),
    ("anhai", "appraisal", "保健按摩师", "intermediate", "600", ["approve"]),
    ("anhai", "upgrade", "中式面点师", "senior", "1200", ["reject"]),
    ("anhai", "self_directed", "美容师", "junior", "2400", ["approve", "complete"]),
    ("cizao", "appraisal", "手工编织", "special", "500", ["approve", "complete", "reimburse"]),
    ("cizao", "self_directed", "网店运营", "junior", "1500", []),
]

STAFF_COURSES = [
    ("anhai", "林专干", "liaison", "残疾人就业政策与实名制管理", "24", True, "800"),
    ("anhai", "许指导员", "counsellor", "残疾人职业指导实务", "32", False, "0"),
    ("cizao", "黄专干", "liaison", "残疾人就业政策与实名制管理", "24", True, "800"),
    ("cizao", "蔡指导员", "counsellor", "就业援助与职业规划", "16", True, "500"),
]


def _applicants(town: str | None, count: int) -> list[Person]:
    """Active persons of the town with a certificate, in id order (deterministic)."""
    return list(Person.objects.filter(town_id=town, status=PersonStatus.ACTIVE)
                .exclude(cert_number_enc="").order_by("id")[:count])


def demo_applications(*, today: dt.date) -> dict[str, int]:
    """Add the demo applications and staff training once (a second run adds nothing)."""
    if Application.objects.exists() or StaffTraining.objects.exists():
        return {"applications": 0, "staff_trainings": 0}
    accounts = {u.username: u for u in User.objects.filter(
        username__in=["city", "anhai", "cizao"])}
    if len(accounts) < 3:
        return {"applications": 0, "staff_trainings": 0}
    city = accounts["city"]
    made = 0
    used: dict[str, int] = {}
    for username, kind, occupation, level, amount, steps in APPLICATIONS:
        staff = accounts[username]
        candidates = _applicants(staff.town_id, used.get(username, 0) + 1)
        if len(candidates) <= used.get(username, 0):
            continue
        person = candidates[used.get(username, 0)]
        used[username] = used.get(username, 0) + 1
        data: dict[str, Any] = {
            "person": str(person.pk), "kind": kind, "occupation": occupation, "level": level,
            "amount_requested": amount, "reason": "本人自主选择培训机构，申请事后补贴",
            "institution_name": ("泉州市职业技能鉴定中心" if kind != "self_directed"
                                 else "晋江市众创电商培训学校"),
            "planned_start": (today - dt.timedelta(days=60)).isoformat(),
            "planned_end": (today - dt.timedelta(days=20)).isoformat()}
        application = services.application_create(actor=staff, data=data)
        for action in steps:
            step_data: dict[str, Any] = {}
            actor = city
            comment = ""
            if action == "approve":
                step_data = {"amount_approved": amount}
                comment = "符合个人申请条件，同意"
            elif action == "reject":
                comment = "该工种不在本年度补贴目录内"
            elif action == "complete":
                actor = staff
                step_data = {"certificate_type": "special_ability" if kind == "appraisal"
                             else "skill_level", "certificate_level": level,
                             "certificate_number": f"DEMO-{application.pk:05d}",
                             "certificate_date": (today - dt.timedelta(days=10)).isoformat(),
                             "certificate_issuer": "泉州市职业技能鉴定中心"}
            elif action == "reimburse":
                step_data = {"amount_reimbursed": amount}
                comment = "已按标准拨付"
            application = services.application_transition(
                application=application, actor=actor, action=action, comment=comment,
                data=step_data)
        made += 1
    trained = 0
    for username, name, position, course, hours, completed, fee in STAFF_COURSES:
        staff = accounts[username]
        # A finished course belongs to the year it finished in (last year, early in January).
        finished = today - dt.timedelta(days=5)
        services.staff_training_create(actor=staff, data={
            "staff_name": name, "position": position, "course": course,
            "year": finished.year if completed else today.year,
            "hours": hours, "completed": completed,
            "completed_on": finished.isoformat() if completed else "",
            "fee_paid": fee})
        trained += 1
    return {"applications": made, "staff_trainings": trained}
