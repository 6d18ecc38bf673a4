"""A hand-built set of completions and follow-ups with a known answer for every indicator.

The report date is AS_OF (2026-12-02). 安海镇 (ANHAI) and 磁灶镇 (CIZAO); the users' institution
runs C1, C2 and C4, the other institution C3.

    C1  2025-03-01..2025-06-30  employment_skills  junior   the users' institution, audited
        甲 completed, appraisal passed, no certificate       (低保)
        乙 completed, appraisal passed, certificate
        丁 completed, nothing recorded
        退 withdrawn;  败 failed (attendance too low)         -> not trained
    C2  2026-09-01..2026-10-31  skill_upgrade      senior   the users' institution, completed
        甲 completed again, appraisal absent, certificate     -> 甲 trained once, twice a trainee
    C3  2024-03-01..2024-05-31  entrepreneurship   junior   other institution, settled, folk craft
        丙 (磁灶) completed, appraisal failed
    C4  2025-01-05..2025-02-28  employment_skills  junior   audit failed (not final)
        戊 completed on the roster                          -> not counted
    A1  individual application of 己 (磁灶, 特困), reimbursed, employment_skills, technician,
        no designated institution, certificate dated 2025-06-01
    A2  individual application of 戊, only submitted        -> not counted

Follow-ups (3 and 6 months; all due by AS_OF except C2's):

    甲/C1   3m recorded late (due 2025-09-30, made 2025-11-20): employed 3000.00
            6m employed 3500.00
    乙/C1   3m recorded: not employed;   6m due, never recorded
    丁/C1   3m due, never recorded;      6m employed 4201.00
    甲/C2   3m due 2027-01-31: not due yet (not counted at all)
    丙/C3   3m employed 2000.00;         6m employed 2600.00
    己/A1   3m employed 4000.00;         6m employed 5000.00

Totals: trained 5 (甲 乙 丁 丙 己), trainee-times 6, free trainings for 困难残疾人 2 (甲's two
classes; 己's application is not a free training), certificates 3 (乙, 甲/C2, 己), appraised 4
(甲 乙 passed, 甲 absent, 丙 failed), pass rate 50 %.
3 months: due 5 (甲 乙 丁 丙 己), recorded 4, employed 3 (60 %), median of 2000, 3000, 4000 = 3000.00.
6 months: due 5, recorded 4 (乙 not), employed 4 (80 %), median of 2600, 3500, 4201, 5000 =
(3500 + 4201) / 2 = 3850.50.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from canpei.employment.models import FollowUp
from canpei.people.models import Person
from canpei.training.models import Application, Enrollment, TrainingClass
from tests.conftest import ANHAI, CIZAO

AS_OF = dt.date(2026, 12, 2)

_codes = itertools.count(1)


def make_class(
    institution: Any,
    *,
    start: str,
    end: str,
    state: str,
    type: str = "employment_skills",
    level: str = "junior",
    folk_craft: bool = False,
    high_skill: bool = False,
) -> Any:
    return TrainingClass.objects.create(
        code=f"T{next(_codes):06d}",
        name=f"测试班 {start}",
        institution=institution,
        training_type=type,
        mode="centralized",
        occupation="电子商务师",
        level=level,
        start_date=dt.date.fromisoformat(start),
        end_date=dt.date.fromisoformat(end),
        hours=40,
        capacity=30,
        state=state,
        folk_craft=folk_craft,
        high_skill=high_skill,
    )


def enrol(training_class: Any, person: Any, status: str = "completed", **fields: Any) -> Any:
    return Enrollment.objects.create(
        training_class=training_class,
        person=person,
        town_id=person.town_id,
        status=status,
        **fields,
    )


def follow_up(
    source: Any,
    months: int,
    *,
    ended: dt.date,
    date: str | None = None,
    employed: bool | None = None,
    income: str | None = None,
) -> Any:
    due = _add_months(ended, months)
    kind = "enrollment" if isinstance(source, Enrollment) else "application"
    return FollowUp.objects.create(
        person=source.person,
        town_id=source.person.town_id,
        months=months,
        ended_on=ended,
        due_on=due,
        date=dt.date.fromisoformat(date) if date else None,
        employed=employed,
        monthly_income=Decimal(income) if income is not None else None,
        **{kind: source},
    )


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError(day)


@dataclass
class DataSet:
    persons: dict[str, Any]
    classes: dict[str, Any]
    enrollments: dict[str, Any]
    applications: dict[str, Any]


def build(trainee_factory: Any, institution: Any, other_institution: Any) -> DataSet:
    p = {
        name: trainee_factory(name=name + "某", town=town)
        for name, town in (
            ("甲", ANHAI),
            ("乙", ANHAI),
            ("丁", ANHAI),
            ("退", ANHAI),
            ("败", ANHAI),
            ("戊", ANHAI),
            ("丙", CIZAO),
            ("己", CIZAO),
        )
    }
    Person.objects.filter(pk=p["甲"].pk).update(hardship_dibao=True)
    Person.objects.filter(pk=p["己"].pk).update(hardship_tekun=True)
    c = {
        "C1": make_class(institution, start="2025-03-01", end="2025-06-30", state="audited"),
        "C2": make_class(
            institution,
            start="2026-09-01",
            end="2026-10-31",
            state="completed",
            type="skill_upgrade",
            level="senior",
        ),
        "C3": make_class(
            other_institution,
            start="2024-03-01",
            end="2024-05-31",
            state="settled",
            type="entrepreneurship",
            folk_craft=True,
        ),
        "C4": make_class(institution, start="2025-01-05", end="2025-02-28", state="audit_failed"),
    }
    cert: dict[str, Any] = {
        "certificate_type": "training",
        "certificate_number": "ZS-1",
        "certificate_date": dt.date(2025, 7, 1),
        "certificate_issuer": "晋江市人社局",
    }
    e = {
        "甲C1": enrol(c["C1"], p["甲"], appraisal_result="passed"),
        "乙C1": enrol(c["C1"], p["乙"], appraisal_result="passed", **cert),
        "丁C1": enrol(c["C1"], p["丁"]),
        "退C1": enrol(
            c["C1"],
            p["退"],
            status="withdrawn",
            withdrawn_on=dt.date(2025, 4, 1),
            withdraw_reason="搬家",
        ),
        "败C1": enrol(c["C1"], p["败"], status="failed"),
        "甲C2": enrol(c["C2"], p["甲"], appraisal_result="absent", **cert),
        "丙C3": enrol(c["C3"], p["丙"], appraisal_result="failed"),
        "戊C4": enrol(c["C4"], p["戊"], appraisal_result="passed", **cert),
    }
    a = {
        "A1": Application.objects.create(
            person=p["己"],
            kind="self_directed",
            state="reimbursed",
            occupation="中式面点师",
            training_type="employment_skills",
            level="technician",
            institution_name="外地学校",
            certificate_type="vocational_qualification",
            certificate_number="ZG-9",
            certificate_date=dt.date(2025, 6, 1),
            certificate_issuer="人社局",
        ),
        "A2": Application.objects.create(
            person=p["戊"],
            kind="self_directed",
            state="submitted",
            occupation="美甲",
            training_type="employment_skills",
        ),
    }
    c1_end, c3_end, a1_end = dt.date(2025, 6, 30), dt.date(2024, 5, 31), dt.date(2025, 6, 1)
    follow_up(e["甲C1"], 3, ended=c1_end, date="2025-11-20", employed=True, income="3000.00")
    follow_up(e["甲C1"], 6, ended=c1_end, date="2025-12-31", employed=True, income="3500.00")
    follow_up(e["乙C1"], 3, ended=c1_end, date="2025-09-30", employed=False)
    follow_up(e["乙C1"], 6, ended=c1_end)
    follow_up(e["丁C1"], 3, ended=c1_end)
    follow_up(e["丁C1"], 6, ended=c1_end, date="2026-01-05", employed=True, income="4201.00")
    follow_up(e["甲C2"], 3, ended=dt.date(2026, 10, 31))
    follow_up(e["丙C3"], 3, ended=c3_end, date="2024-08-31", employed=True, income="2000.00")
    follow_up(e["丙C3"], 6, ended=c3_end, date="2024-11-30", employed=True, income="2600.00")
    follow_up(a["A1"], 3, ended=a1_end, date="2025-09-01", employed=True, income="4000.00")
    follow_up(a["A1"], 6, ended=a1_end, date="2025-12-01", employed=True, income="5000.00")
    return DataSet(persons=p, classes=c, enrollments=e, applications=a)
