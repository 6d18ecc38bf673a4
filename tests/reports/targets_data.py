"""A hand-built data set with a known answer for each of the plan's three targets, per town and
for the city (the seed plan, 2019-01-01 to 2020-12-31), covering the edge cases of issue 10.

Towns: A = 安海镇 (ANHAI), C = 磁灶镇 (CIZAO).

Classes (all at the test institution):
  K1 employment_skills junior, ends 2019-06-30        K2 skill_upgrade junior, ends 2020-12-31
  K3 entrepreneurship, 2020-11-01 .. 2021-01-15 (spans the period's end: not counted)
  K4 employment_skills senior, ends 2020-05-01 (a high level: target 2)
  K5 entrepreneurship, ends 2021-01-01 (the day after the period)
  K6 entrepreneurship, ends 2020-03-01                K7 employment_skills, ends 2018-12-31
  K8 employment_skills, ends 2019-01-01 (the period's first day)

Persons and why they count:
  a1  A, survey 2019 new_entrant, completed K1 and K8: T1 covered, once
  a2  A, survey 2020 registered_unemployed, withdrawn from K1: T1 uncovered
  a3  A, survey 2020 form 1 按比例就业, completed K2 (ends on period_end): T2 covered
  a4  A, survey 2019 form 2 集中就业, completed K4 (senior): T2 covered
  a5  A, survey 2019 form 3 个体就业, completed K3 (spans the end): T3 uncovered
  a6  A, survey 2019 entrepreneur flags, survey 2020 form 1, completed K6: T2 uncovered, not T3
  a7  A, male born 1960-06-01 (60 on 2020-06-01), survey 2020 new_entrant, completed K1: nowhere
  a8  A, survey 2019 new_entrant, failed K1: T1 uncovered
  a9  moved C -> A, survey 2019 registered_unemployed, completed K1: T1 covered in A
  a10 A, survey 2020 need + wish + intention, completed K5 (the day after): T3 uncovered
  a11 A, survey 2019 new_entrant, application completed 2020-06-01: T1 covered
  a12 A, survey 2019 new_entrant, application approved only: T1 uncovered
  a13 A, survey 2019 new_entrant, deceased: nowhere
  c1  C, survey 2020 new_entrant, completed K7 (the day before the period): T1 uncovered
  c2  C, survey 2019 form 3, completed K6: T3 covered
  c3  C, survey 2020 form 2, no training: T2 uncovered
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.conftest import ANHAI, CIZAO, make_id, person_data

D = dt.date

# (population, covered) per target 1, 2, 3
EXPECTED = {
    ANHAI: [(6, 3), (3, 2), (2, 0)],
    CIZAO: [(1, 0), (1, 0), (1, 1)],
    "city": [(7, 3), (4, 2), (3, 1)],
}
# With year=2019: the plan as it stood on 2019-12-31.
EXPECTED_2019 = {ANHAI: [(5, 2), (1, 0), (2, 0)], CIZAO: [(0, 0), (0, 0), (1, 0)]}
UNCOVERED = {
    (1, ANHAI): ["a2", "a8", "a12"],
    (2, ANHAI): ["a6"],
    (3, ANHAI): ["a5", "a10"],
    (1, CIZAO): ["c1"],
    (2, CIZAO): ["c3"],
    (3, CIZAO): [],
}


def build(users: Any, institution: Any) -> dict[str, Any]:
    from canpei.people.models import Person, Survey
    from canpei.people.services import person_create, person_update
    from canpei.reports.models import Plan
    from canpei.reports.summaries import rebuild_all
    from canpei.training.models import Application, Enrollment, TrainingClass

    city = users.city_admin
    seq = iter(range(1, 999))

    def person(name: str, town: str, birth: str = "19900307", male: bool = True) -> Any:
        n = next(seq)
        digit = 1 if male else 2
        first17 = f"350582{birth}{n % 100:02d}{digit}"
        return person_create(
            actor=city,
            data=person_data(name=name, id_number=make_id(first17), cert_number="", town=town),
        )

    def survey(p: Any, year: int, **flags: Any) -> None:
        Survey.objects.create(person=p, year=year, surveyed_on=D(year, 3, 1), **flags)

    codes = iter(range(1, 99))

    def klass(ttype: str, start: dt.date, end: dt.date, level: str = "junior") -> Any:
        return TrainingClass.objects.create(
            code=f"T{next(codes):04d}",
            name=f"{ttype} {end}",
            institution=institution,
            training_type=ttype,
            mode="centralized",
            occupation="电子商务",
            level=level,
            start_date=start,
            end_date=end,
            hours=40,
            capacity=30,
            state="audited",
        )

    def enrol(k: Any, p: Any, status: str = "completed") -> None:
        Enrollment.objects.create(training_class=k, person=p, town_id=p.town_id, status=status)

    k1 = klass("employment_skills", D(2019, 6, 1), D(2019, 6, 30))
    k2 = klass("skill_upgrade", D(2020, 12, 1), D(2020, 12, 31))
    k3 = klass("entrepreneurship", D(2020, 11, 1), D(2021, 1, 15))
    k4 = klass("employment_skills", D(2020, 4, 1), D(2020, 5, 1), level="senior")
    k5 = klass("entrepreneurship", D(2020, 12, 1), D(2021, 1, 1))
    k6 = klass("entrepreneurship", D(2020, 2, 1), D(2020, 3, 1))
    k7 = klass("employment_skills", D(2018, 12, 1), D(2018, 12, 31))
    k8 = klass("employment_skills", D(2018, 12, 15), D(2019, 1, 1))

    people: dict[str, Any] = {}
    p = people["a1"] = person("甲一", ANHAI)
    survey(p, 2019, new_entrant=True)
    enrol(k1, p)
    enrol(k8, p)
    p = people["a2"] = person("甲二", ANHAI, "19920101")
    survey(p, 2020, registered_unemployed=True)
    enrol(k1, p, "withdrawn")
    p = people["a3"] = person("甲三", ANHAI, "19850101")
    survey(p, 2020, employment_form="1")
    enrol(k2, p)
    p = people["a4"] = person("甲四", ANHAI, "19850202", male=False)
    survey(p, 2019, employment_form="2")
    enrol(k4, p)
    p = people["a5"] = person("甲五", ANHAI, "19880101")
    survey(p, 2019, employment_form="3")
    enrol(k3, p)
    p = people["a6"] = person("甲六", ANHAI, "19870101")
    survey(p, 2019, training_need=True, wants_work=True, entrepreneurship_intention=True)
    survey(p, 2020, employment_form="1")
    enrol(k6, p)
    p = people["a7"] = person("甲七", ANHAI, "19600601")
    survey(p, 2020, new_entrant=True)
    enrol(k1, p)
    p = people["a8"] = person("甲八", ANHAI, "19950101")
    survey(p, 2019, new_entrant=True)
    enrol(k1, p, "failed")
    p = people["a9"] = person("甲九", CIZAO, "19910101")
    survey(p, 2019, registered_unemployed=True)
    enrol(k1, p)
    people["a9"] = person_update(actor=city, person=p, data={"town": ANHAI})
    p = people["a10"] = person("甲十", ANHAI, "19900101")
    survey(
        p,
        2020,
        training_need=True,
        wants_work=True,
        entrepreneurship_intention=True,
        preferred_mode="remote",
        accessibility_needs=["sign_language"],
    )
    enrol(k5, p)
    p = people["a11"] = person("甲十一", ANHAI, "19930101")
    survey(p, 2019, new_entrant=True)
    Application.objects.create(
        person=p,
        kind="self_directed",
        training_type="employment_skills",
        occupation="电子商务",
        state="completed",
        certificate_number="C-1",
        certificate_date=D(2020, 6, 1),
    )
    p = people["a12"] = person("甲十二", ANHAI, "19930202")
    survey(p, 2019, new_entrant=True)
    Application.objects.create(
        person=p,
        kind="self_directed",
        training_type="employment_skills",
        occupation="电子商务",
        state="approved",
    )
    p = people["a13"] = person("甲十三", ANHAI, "19930303")
    survey(p, 2019, new_entrant=True)
    Person.objects.filter(pk=p.pk).update(status="deceased")
    p = people["c1"] = person("乙一", CIZAO, "19900505")
    survey(p, 2020, new_entrant=True)
    enrol(k7, p)
    p = people["c2"] = person("乙二", CIZAO, "19890505")
    survey(p, 2019, employment_form="3")
    enrol(k6, p)
    p = people["c3"] = person("乙三", CIZAO, "19890606")
    survey(p, 2020, employment_form="2")

    plan = Plan.objects.get(name="残疾人职业技能提升计划（2019-2020年）")
    # Written past the services (so past their announcements): the summaries are rebuilt once,
    # as after a bulk load (`canpei summaries rebuild`).
    rebuild_all()
    return {"plan": plan, "people": people}


def ids(data: dict[str, Any], keys: list[str]) -> list[int]:
    return sorted(data["people"][k].pk for k in keys)
