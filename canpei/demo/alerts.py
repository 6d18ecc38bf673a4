"""Demo records that break the supervision rules, one example of each kind, so that the alert desk
shows every rule of canpei.supervision.rules firing; then the alerts are computed.

These are what the services refuse (overlapping rosters, a trainee past working age, a class
outside its institution's designation), so they are written directly, as a bad import or data
corrected afterwards would leave them. Their classes are named 「监管示例…」 (EXAMPLE_PREFIX) and
coded JG<year>-<n>; a second run adds nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from canpei.institutions.models import Institution
from canpei.people.models import Person
from canpei.people.rules import PersonStatus, working_age_on
from canpei.supervision.compute import recompute_all
from canpei.training.models import (
    Attendance, ClassSession, ClassState, Enrollment,
    EnrollmentStatus, Inspection, TrainingClass,
)

EXAMPLE_PREFIX = "监管示例"
# A made-up number several demo trainees share (never a real subscriber's).
SHARED_PHONE = "13900000000"
TRAINEES = 10


def _class(code: str, name: str, institution: Institution, start: dt.date, end: dt.date,
           state: str, **fields: Any) -> TrainingClass:
    values: dict[str, Any] = {
        "code": code, "name": f"{EXAMPLE_PREFIX}：{name}", "institution": institution,
        "training_type": "employment_skills", "mode": "centralized", "occupation": "中式面点师",
        "level": "junior", "start_date": start, "end_date": end, "hours": 40, "capacity": 30,
        "state": state, "venue": "晋江市残疾人综合服务中心"}
    values.update(fields)
    return TrainingClass.objects.create(**values)


def _enroll(training_class: TrainingClass, person: Person, status: str = EnrollmentStatus.ENROLLED,
            attended: str = "0") -> Enrollment:
    return Enrollment.objects.create(training_class=training_class, person=person,
                                     town_id=person.town_id, status=status,
                                     attended_hours=Decimal(attended))


def _persons(start: dt.date) -> tuple[list[Person], Person | None]:
    """Trainees fit for any class (active, a certificate, working age, no hardship flag, on no
    roster yet), and one person past working age."""
    free = (Person.objects.filter(status=PersonStatus.ACTIVE, enrollments__isnull=True,
                                  hardship_dibao=False, hardship_tekun=False,
                                  hardship_poverty_monitoring=False)
            .exclude(cert_number_enc="").order_by("pk"))
    fit: list[Person] = []
    old: Person | None = None
    for person in free.iterator(chunk_size=500):
        if working_age_on(birth=person.birth_date, gender=person.gender, on=start):
            if len(fit) < TRAINEES:
                fit.append(person)
        elif old is None:
            old = person
        if len(fit) >= TRAINEES and old is not None:
            break
    return fit, old


def demo_alerts(*, today: dt.date, institutions: list[Institution]) -> dict[str, int]:
    """Write the examples (unless already there) and compute the alerts of every year."""
    if TrainingClass.objects.filter(name__startswith=EXAMPLE_PREFIX).exists() \
            or len(institutions) < 3:
        return {"alerts": len(recompute_all())}
    start = today - dt.timedelta(days=90)
    fit, old = _persons(start)
    if len(fit) < TRAINEES or old is None:
        return {"alerts": len(recompute_all())}
    year = start.year
    a, b, c = institutions[0], institutions[1], institutions[2]
    # Overlap, eligibility, low attendance, double subsidy: a class audited as completed.
    pastry = _class(f"JG{year}-001", "中式面点（一）", a, start, start + dt.timedelta(days=20),
                    ClassState.AUDITED)
    # The same training at another institution, overlapping it (a double subsidy as well); an
    # inspection found few present.
    design = _class(f"JG{year}-002", "中式面点（二）", b, start + dt.timedelta(days=10),
                    start + dt.timedelta(days=30), ClassState.COMPLETED)
    _enroll(pastry, fit[0], EnrollmentStatus.COMPLETED, "36")
    _enroll(design, fit[0], EnrollmentStatus.COMPLETED, "40")
    _enroll(pastry, old, EnrollmentStatus.COMPLETED, "40")
    _enroll(pastry, fit[1], EnrollmentStatus.COMPLETED, "18")
    _enroll(pastry, fit[2], EnrollmentStatus.COMPLETED, "40")
    for person in fit[3:6]:
        _enroll(design, person, EnrollmentStatus.COMPLETED, "40")
    Inspection.objects.create(training_class=design, date=start + dt.timedelta(days=12),
                              inspector_name="市残联 陈主任", on_roster=4, present=1)
    # A class for the hardship group with none of it, its register copied session after session,
    # three of its trainees on one phone number; run before its institution's designation began.
    before = (c.designated_from or today) - dt.timedelta(days=40)
    focus = _class(f"JG{before.year}-003", "盲人保健按摩（困难残疾人免费班）", c, before,
                   before + dt.timedelta(days=14), ClassState.SETTLED, occupation="保健按摩师",
                   free_for_hardship=True)
    rows = [_enroll(focus, person, EnrollmentStatus.COMPLETED, "24") for person in fit[4:10]]
    Person.objects.filter(pk__in=[p.pk for p in fit[7:10]]).update(phone=SHARED_PHONE)
    for index in range(6):
        session = ClassSession.objects.create(training_class=focus,
                                              date=before + dt.timedelta(days=index * 2),
                                              hours=Decimal("4"), topic="推拿手法")
        Attendance.objects.bulk_create([Attendance(session=session, enrollment=row,
                                                   hours=Decimal("4")) for row in rows])
    return {"alerts": len(recompute_all())}
