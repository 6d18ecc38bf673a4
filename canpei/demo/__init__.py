"""Deterministic synthetic Jinjiang data for demonstrations, tests and benchmarks.

Everything derives from `random.Random(seed)`, so the same seed gives the same persons
(their ciphertexts differ only by the random nonces of the encryption).

This module makes the registry, the institutions and the surveys and calls the two others for
the training side: `classes` (every state of the class lifecycle) and `applications`
(individual applications and staff trainings), all through the services.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from typing import Any
from collections.abc import Iterator

from django.db import transaction
from django.utils import timezone

from canpei.accounts.models import User
from canpei.accounts.roles import Role
from canpei.audit.actions import AuditAction
from canpei.audit.services import audit_record
from canpei.demo.alerts import demo_alerts
from canpei.demo.applications import demo_applications
from canpei.demo.classes import demo_classes
from canpei.demo.funds import demo_award_payments, demo_funds, demo_funds_setup
from canpei.demo.competitions import demo_competitions
from canpei.demo.employment_services import demo_employment_services
from canpei.demo.plans import demo_plans
from canpei.reports.summaries import rebuild_all
from canpei.demo.followups import demo_followups
from canpei.institutions.models import (
    DesignationEvent, DesignationState, Institution, InstitutionType, Teacher,
)
from canpei.institutions.rules import ALPHABET, credit_code_check_char
from canpei.people import crypto
from canpei.people.models import Person
from canpei.people.pinyin import name_pinyin
from canpei.people.rules import PersonStatus, id_check_char
from canpei.regions.models import Region

DEMO_PASSWORD = "Canpei@2026"
JINJIANG_ADDRESS_CODE = "350582"

# Common surnames of southern Fujian, most frequent first.
SURNAMES = "陈林黄王吴许蔡张李施洪庄苏郑杨刘曾丁谢颜柯郭卢叶周蒋粘龚骆傅"
GIVEN = ("志明伟强建华秀英美玲丽娟国平文杰振宇佳怡雅婷俊杰金水阿宝淑芬春花海燕德福宗汉"
         "荣发良才雪梅丽珍瑞祥晓东家豪思远紫涵一鸣子轩梓萱泽楷宏达丽华玉兰碧霞明辉永安")
STREETS = ["中山路", "泉安路", "世纪大道", "晋江大道", "长兴路", "青华路", "梅岭路", "安平路", "和平路"]

CATEGORY_WEIGHTS = {"1": 12, "2": 15, "3": 2, "4": 40, "5": 10, "6": 12, "7": 9}
GRADE_WEIGHTS = {"1": 10, "2": 25, "3": 30, "4": 35}
STATUS_WEIGHTS = {PersonStatus.ACTIVE: 93, PersonStatus.MOVED_OUT: 3, PersonStatus.DECEASED: 2,
                  PersonStatus.REVOKED: 2}
FORM_WEIGHTS = {"": 55, "1": 9, "2": 5, "3": 9, "4": 4, "5": 3, "6": 8, "7": 7}


def _pick(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def demo_accounts() -> list[tuple[str, str]]:
    return [(u.username, f"{u.role_label}{'（' + u.town.name + '）' if u.town else ''}"
             f"{'（' + u.institution.name + '）' if u.institution else ''}")
            for u in User.objects.filter(username__in=[a[0] for a in DEMO_USERS])
            .select_related("town", "institution").order_by("id")]


DEMO_USERS = [
    ("city", Role.CITY_ADMIN, None, None, "市残联 陈主任"),
    ("anhai", Role.TOWN_STAFF, "350582101000", None, "安海镇 林专干"),
    ("cizao", Role.TOWN_STAFF, "350582102000", None, "磁灶镇 黄专干"),
    ("school", Role.INSTITUTION_STAFF, None, 0, "晋江市职业技术学校 教务"),
    # The other two designated institutions run classes of their own in the demo.
    ("base", Role.INSTITUTION_STAFF, None, 1, "晋江市残疾人就业培训基地 教务"),
    ("massage", Role.INSTITUTION_STAFF, None, 2, "安海镇盲人保健按摩培训中心 负责人"),
    ("employment", Role.EMPLOYMENT_SERVICE, None, None, "就业服务中心 王指导员"),
    ("auditor", Role.AUDITOR, None, None, "纪检监督 吴"),
    ("sysadmin", Role.SYS_ADMIN, None, None, "系统管理员"),
    ("secadmin", Role.SECURITY_ADMIN, None, None, "安全管理员"),
    ("auditadmin", Role.AUDIT_ADMIN, None, None, "审计管理员"),
]

DEMO_INSTITUTIONS = [
    ("晋江市职业技术学校", InstitutionType.VOCATIONAL_COLLEGE, "350582001000", DesignationState.DESIGNATED),
    ("晋江市残疾人就业培训基地", InstitutionType.FEDERATION_BASE, "350582003000", DesignationState.DEMONSTRATION),
    ("安海镇盲人保健按摩培训中心", InstitutionType.PRIVATE, "350582101000", DesignationState.DESIGNATED),
    ("泉州轻工职业学院晋江校区", InstitutionType.UNIVERSITY, "350582107000", DesignationState.APPLIED),
    ("晋江市新塘街道手工艺培训中心", InstitutionType.PRIVATE, "350582005000", DesignationState.SUSPENDED),
    ("晋江市东石镇种养殖实用技术培训基地", InstitutionType.RURAL_BASE, "350582104000", DesignationState.REVOKED),
]

# Per institution (same order): licence, specialties, premises accessibility, contact, phone,
# teachers (name, specialty, qualification, active).
DEMO_INSTITUTION_DETAILS: list[tuple[str, str, list[str], str, str, list[tuple[str, str, str, bool]]]] = [
    ("135058271000101", "电子商务、计算机操作、服装缝纫", ["step_free", "accessible_toilet", "lift"],
     "陈老师", "0595-85661001",
     [("许秀英", "电子商务", "中级电子商务师", True), ("蔡志明", "计算机操作", "高级讲师", True),
      ("施美玲", "服装缝纫", "服装制作工（高级）", False)]),
    ("135058271000102", "盲人保健按摩、医疗按摩、居家就业手工", ["step_free", "accessible_toilet", "lift",
                                                  "braille_signage", "hearing_loop"],
     "林主任", "0595-85662002",
     [("王建华", "盲人保健按摩", "高级保健按摩师", True), ("洪丽娟", "手语", "手语翻译员（二级）", True)]),
    ("235058271000103", "盲人保健按摩", ["step_free", "braille_signage"], "黄师傅", "13905951003",
     [("黄金水", "盲人保健按摩", "保健按摩师（技师）", True), ("郑雅婷", "医疗按摩", "医疗按摩人员资格", True)]),
    ("", "烹饪、面点、美容美发", ["step_free", "lift"], "李老师", "0595-85664004",
     [("李俊杰", "中式烹调", "中式烹调师（高级）", True), ("苏佳怡", "美容美发", "美发师（中级）", True)]),
    ("235058271000105", "民间工艺、闽南传统文化技艺", ["step_free"], "吴老师", "13805951005",
     [("吴淑芬", "民间工艺", "工艺美术师", True), ("庄德福", "木雕", "木雕工（高级）", True)]),
    ("235058271000106", "种植养殖", [], "丁站长", "13705951006",
     [("丁宗汉", "种植", "农艺师", False), ("柯春花", "养殖", "家畜饲养员（中级）", False)]),
]

# The designation history behind each demo state: (action, from, to, when, comment). A
# designation runs three calendar years, from 1 January of the year it is made. The years count
# back from today (for 2026: designated 2019, renewed 2022 and 2025), so the current designation
# always covers the demo classes, which are dated around today too.
def demo_history(today: dt.date) -> dict[str, list[tuple[str, str, str, dt.date, str]]]:
    last = today.year - 1   # the latest renewal: today lies in its second year
    first = last - 6

    def jan1(year: int) -> dt.date:
        return dt.date(year, 1, 1)

    designate = ("designate", "applied", "designated", jan1(first), f"{first} 年度定点认定")
    renewals = [("designate", "designated", "designated", jan1(year), "定点资格续期")
                for year in (first + 3, last)]
    return {
        DesignationState.APPLIED: [],
        DesignationState.DESIGNATED: [designate, *renewals],
        DesignationState.DEMONSTRATION: [
            designate,
            ("promote", "designated", "demonstration", dt.date(first + 2, 3, 1),
             "评为市级残疾人职业培训示范点"),
            ("designate", "demonstration", "demonstration", jan1(first + 3), "示范点定点资格续期"),
            ("designate", "demonstration", "demonstration", jan1(last), "示范点定点资格续期")],
        DesignationState.SUSPENDED: [
            designate, *renewals,
            # Some months ago, and always after the latest renewal.
            ("suspend", "designated", "suspended",
             max(today - dt.timedelta(days=167), jan1(last) + dt.timedelta(days=200)),
             "过程检查发现签到记录不实，暂停整改")],
        DesignationState.REVOKED: [
            designate,
            ("suspend", "designated", "suspended", dt.date(first + 2, 5, 10), "连续两期培训班未开班"),
            ("revoke", "suspended", "revoked", dt.date(first + 2, 9, 1), "整改期满仍未开班，撤销定点")],
    }


def _validity(start: dt.date) -> tuple[dt.date, dt.date]:
    return start, dt.date(start.year + 2, 12, 31)


def _credit_code(rng: random.Random) -> str:
    body = "91" + JINJIANG_ADDRESS_CODE + "".join(rng.choice(ALPHABET) for _ in range(9))
    return body + credit_code_check_char(body)


def _demo_institution_history(inst: Institution, history: list[tuple[str, str, str, dt.date, str]],
                              teachers: list[tuple[str, str, str, bool]]) -> None:
    """Teachers and a designation history that leads to the institution's state, step by step."""
    for name, specialty, qualification, active in teachers:
        Teacher.objects.create(institution=inst, name=name, specialty=specialty,
                               qualification=qualification, active=active)
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    for action, before, after, on, comment in history:
        if action == "designate":
            valid_from, valid_to = _validity(on)
        DesignationEvent.objects.create(
            institution=inst, action=action, from_state=before, to_state=after,
            designated_from=valid_from, designated_to=valid_to, actor=None, comment=comment,
            at=timezone.make_aware(dt.datetime.combine(on, dt.time(9, 30))))


def database_is_empty() -> bool:
    return not Person.objects.exists() and not User.objects.exists()


def _id_number(rng: random.Random, birth: dt.date, male: bool, used: set[str]) -> str:
    while True:
        seq = rng.randrange(0, 1000)
        if (seq % 2 == 1) != male:
            seq = (seq + 1) % 1000
        first17 = f"{JINJIANG_ADDRESS_CODE}{birth:%Y%m%d}{seq:03d}"
        if first17 not in used:
            used.add(first17)
            return first17 + id_check_char(first17)


def generate_persons(count: int, seed: int, towns: list[str], today: dt.date) -> Iterator[Person]:
    rng = random.Random(seed)
    used: set[str] = set()
    now = timezone.now()
    for _ in range(count):
        male = rng.random() < 0.57
        # Mostly working age, some children and some elderly, as on a real registry.
        age = rng.choices([rng.randint(8, 15), rng.randint(16, 54), rng.randint(55, 64),
                           rng.randint(65, 85)], weights=[4, 66, 18, 12])[0]
        birth = today - dt.timedelta(days=age * 365 + rng.randint(0, 364))
        number = _id_number(rng, birth, male, used)
        category = _pick(rng, CATEGORY_WEIGHTS)
        grade = _pick(rng, GRADE_WEIGHTS)
        cert = number + category + grade if rng.random() < 0.96 else ""
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        full, initials = name_pinyin(name)
        form = _pick(rng, FORM_WEIGHTS) if 16 <= age < 60 else ""
        reason = "" if form else rng.choice("1234567") if rng.random() < 0.8 else ""
        town = rng.choice(towns)
        yield Person(
            name=name, name_pinyin=full, name_initials=initials,
            id_number_enc=crypto.encrypt(number), id_hash=crypto.lookup_hash(number),
            id_tail=number[-4:], cert_number_enc=crypto.encrypt(cert) if cert else "",
            cert_hash=crypto.lookup_hash(cert) if cert else None,
            gender="1" if male else "2", birth_date=birth, category=category, grade=grade,
            town_id=town, address=f"{rng.choice(STREETS)}{rng.randint(1, 999)}号",
            phone=f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}" if rng.random() < 0.85 else "",
            education=rng.choice(["none", "primary", "junior_high", "junior_high", "senior_high", "college", "bachelor"]),  # noqa: E501
            hardship_dibao=rng.random() < 0.10, hardship_tekun=rng.random() < 0.02,
            hardship_poverty_monitoring=rng.random() < 0.05,
            employment_form=form, not_working_reason=reason,
            new_entrant=16 <= age <= 24 and not form and rng.random() < 0.5,
            registered_unemployed=not form and 16 <= age < 60 and rng.random() < 0.15,
            entrepreneurship_intention=rng.random() < 0.08,
            status=_pick(rng, STATUS_WEIGHTS), created_at=now, updated_at=now,
        )


def _progress(done: int, total: int) -> None:
    width = 30
    filled = int(width * done / max(total, 1))
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    sys.stderr.flush()


def demo_load(*, persons: int = 3000, seed: int = 1, progress: bool = False,
              batch: int = 5000) -> dict[str, int]:
    """Create the demo institutions, accounts and `persons` persons.

    Run again with another seed it adds more; a generated ID number already on the registry
    is skipped, so the count returned is what was actually added.
    """
    rng = random.Random(seed * 7919)
    today = timezone.localdate()
    histories = demo_history(today)
    towns = list(Region.objects.filter(level=Region.Level.TOWN).values_list("code", flat=True))
    with transaction.atomic():
        institutions = []
        for (name, kind, town, state), details in zip(DEMO_INSTITUTIONS, DEMO_INSTITUTION_DETAILS):
            history = histories[state]
            # The validity of the last designation in the history (none for an applicant).
            last = [step for step in history if step[0] == "designate"]
            start, end = _validity(last[-1][3]) if last else (None, None)
            licence, specialties, accessibility, contact, phone, teachers = details
            inst, created = Institution.objects.get_or_create(
                name=name, defaults={"credit_code": _credit_code(rng), "type": kind, "town_id": town,
                                     "state": state, "designated_from": start, "designated_to": end,
                                     "license_number": licence, "specialties": specialties,
                                     "accessibility": accessibility, "contact_person": contact,
                                     "phone": phone})
            if created:
                _demo_institution_history(inst, history, teachers)
            institutions.append(inst)
        for username, role, user_town, inst_index, full_name in DEMO_USERS:
            if User.objects.filter(username=username).exists():
                continue
            user = User(username=username, role=role, town_id=user_town, first_name=full_name,
                        institution=institutions[inst_index] if inst_index is not None else None)
            user.set_password(DEMO_PASSWORD)
            user.save()
        audit_record(actor=None, action=AuditAction.DEMO_LOAD, summary=f"生成演示数据 {persons} 人（种子 {seed}）")
    before = Person.objects.count()
    pending: list[Person] = []
    done = 0
    for person in generate_persons(persons, seed, towns, today):
        pending.append(person)
        if len(pending) >= batch:
            Person.objects.bulk_create(pending, batch_size=batch, ignore_conflicts=True)
            done += len(pending)
            pending.clear()
            if progress:
                _progress(done, persons)
    if pending:
        Person.objects.bulk_create(pending, batch_size=batch, ignore_conflicts=True)
        done += len(pending)
    if progress:
        _progress(done, persons)
        sys.stderr.write("\n")
    added = Person.objects.count() - before
    surveys = demo_surveys(seed=seed, today=today)
    demo_funds_setup(today=today)
    classes = demo_classes(seed=seed, today=today, institutions=institutions)
    extra = demo_applications(today=today)
    extra.update(demo_funds(today=today))
    extra["employment_services"] = demo_employment_services(seed=seed, today=today)
    plans = demo_plans(today=today)
    extra["followups"] = demo_followups(seed=seed, today=today)
    extra.update(demo_competitions(today=today))
    extra.update(demo_award_payments(today=today))
    # Records that break the supervision rules, one of each kind, and the alerts computed.
    extra.update(demo_alerts(today=today, institutions=institutions))
    # The demo writes in bulk, past the services' announcements: its summaries are rebuilt once.
    rebuild_all()
    return {"persons": added, "surveys": surveys, "classes": classes, **extra, **plans}


NEEDS_BY_CATEGORY = {"1": "screen_reader", "2": "sign_language", "4": "accessible_venue",
                     "5": "companion", "6": "companion"}


def demo_surveys(*, seed: int, today: dt.date, batch: int = 5000) -> int:
    """Surveys of last year and this year for most working-age persons not yet surveyed.

    This year's are fewer: the survey season is still running, so progress pages show work left.
    """
    from canpei.people.models import Skill, Survey
    from canpei.people.rules import working_age_on
    from canpei.codes import TrainingMode, TrainingType

    skills = list(Skill.objects.filter(active=True).values_list("pk", flat=True))
    through = Survey.wanted_skills.through
    done = set(Survey.objects.values_list("person_id", "year"))
    created = 0
    years = [(today.year - 1, 0.8), (today.year, 0.55)]
    people = (Person.objects.filter(status=PersonStatus.ACTIVE)
              .values_list("pk", "gender", "birth_date", "category", "employment_form",
                           "not_working_reason", "new_entrant", "registered_unemployed",
                           "entrepreneurship_intention").order_by("pk"))
    pending: list[tuple[Survey, list[int]]] = []

    def flush() -> None:
        Survey.objects.bulk_create([s for s, _k in pending], batch_size=batch)
        through.objects.bulk_create([through(survey_id=s.pk, skill_id=k)
                                     for s, ks in pending for k in ks], batch_size=batch)
        pending.clear()

    for pk, gender, birth, category, form, reason, new, unemployed, intention in people.iterator(chunk_size=5000):
        for year, share in years:
            on = today if year == today.year else dt.date(year, 12, 31)
            # One generator per person and year: the same seed gives the same survey whatever
            # else is already in the database, so a second run adds nothing.
            rng = random.Random(f"{seed}:{pk}:{year}")
            if (pk, year) in done or not working_age_on(birth=birth, gender=gender, on=on) \
                    or rng.random() > share:
                continue
            last_day = today if year == today.year else dt.date(year, 12, 31)
            surveyed_on = dt.date(year, 3, 1) + dt.timedelta(days=rng.randint(0, max((last_day - dt.date(year, 3, 1)).days, 0)))  # noqa: E501
            need = rng.random() < 0.45
            wanted = sorted(set(rng.sample(list(TrainingType.values), rng.randint(1, 2)))) if need else []
            chosen = rng.sample(skills, min(len(skills), rng.randint(1, 2))) if need and skills else []
            survey = Survey(
                person_id=pk, year=year, employment_form=form, not_working_reason=reason,
                employer=rng.choice(["晋江恒安集团", "安踏体育用品", "七匹狼实业", "盼盼食品", "社区工厂"]) if form in ("1", "2") else "",  # noqa: E501
                wants_work=not form and rng.random() < 0.6, new_entrant=new,
                registered_unemployed=unemployed, entrepreneurship_intention=intention,
                training_need=need, wanted_types=wanted,
                preferred_mode=rng.choice(list(TrainingMode.values)) if need else "",
                accessibility_needs=[NEEDS_BY_CATEGORY[category]] if category in NEEDS_BY_CATEGORY and rng.random() < 0.7 else [],  # noqa: E501
                surveyor=rng.choice(["林专干", "黄专干", "陈专干", "许专干"]), surveyed_on=surveyed_on,
            )
            pending.append((survey, chosen))
            created += 1
            if len(pending) >= batch:
                flush()
    if pending:
        flush()
    return created
