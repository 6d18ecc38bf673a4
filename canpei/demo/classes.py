"""Demo training classes: every state of the class lifecycle, for the demo institutions.

Everything is written through the training services, acting as the demo accounts (the
institutions' staff enrol, keep the register and declare completion; the city approves, inspects,
audits and settles), so the rules are checked, and the history and the audit log are the real
ones. Dates are relative to today, so a running class has started and not ended, a settled one
ended months ago.

One liberty is taken: the history rows (ClassEvent.at) are moved back to the day each step would
have happened (submitted a month before the start, audited after the end ...), because a class
page whose whole story happened in the same second tells a newcomer nothing. The audit log keeps
the real time the demo wrote each step; nothing in it is changed.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from canpei.accounts.models import User
from canpei.codes import TrainingLevel, TrainingMode
from canpei.institutions.models import Institution
from canpei.people.models import Person, Skill
from canpei.people.rules import PersonStatus, working_age_on
from canpei.training.classes import services
from canpei.training.models import (
    CertificateType, ClassEvent, ClassState, Enrollment, EnrollmentStatus, TrainingClass,
)

S = ClassState

# The steps that lead to each state, with who takes them.
PATHS: dict[str, list[str]] = {
    S.DRAFT: [],
    S.SUBMITTED: ["submit"],
    S.RETURNED: ["submit", "return"],
    S.APPROVED: ["submit", "approve"],
    S.RUNNING: ["submit", "approve", "start"],
    S.COMPLETED: ["submit", "approve", "start", "complete"],
    S.AUDIT_FAILED: ["submit", "approve", "start", "complete", "fail_audit"],
    S.AUDITED: ["submit", "approve", "start", "complete", "pass_audit"],
    S.SETTLED: ["submit", "approve", "start", "complete", "pass_audit", "settle"],
    S.CANCELLED: ["submit", "approve", "cancel"],
}
CITY_ACTIONS = frozenset({"approve", "return", "pass_audit", "fail_audit", "settle"})


@dataclass(frozen=True)
class DemoClass:
    """One demo class: where it is held, what it teaches, and how far its story has gone."""

    institution: int          # index into canpei.demo.DEMO_INSTITUTIONS
    name: str
    occupation: str
    industry: str
    training_type: str
    level: str
    state: str
    start: int                # days from today
    days: int                 # length, end = start + days
    hours: int
    capacity: int
    trainees: int
    skill: str = ""
    mode: str = TrainingMode.CENTRALIZED
    appraisal: bool = False
    filing: bool = False      # has its filing number (开班备案号) already
    subsidy: str = "1500"
    session_hours: int = 6
    flags: tuple[str, ...] = ()
    comments: dict[str, str] = field(default_factory=dict)
    # A failed audit that the institution corrected (its trainees' results) before completing again.
    corrected: bool = False
    inspections: tuple[tuple[int, str, bool, str], ...] = ()  # (day, findings, rectify, rectified note)
    withdraw: str = ""        # one trainee withdraws with this reason
    town_share: float = 0.0   # share of trainees from the institution's own town
    venue: str = ""
    # Submitted after its start date, with this late-filing reason (issue 12).
    late_filing: str = ""


# Institution 0 is 晋江市职业技术学校 (the `school` account), 1 the federation's training base
# (`base`), 2 the Anhai blind massage centre (`massage`); the others are not designated now and
# open no class.
DEMO_CLASSES: list[DemoClass] = [
    DemoClass(0, "电子商务（网店运营）培训班", "电子商务师", "批发和零售业", "employment_skills",
              TrainingLevel.JUNIOR, S.SETTLED, -310, 45, 120, 20, 12, skill="ecommerce",
              appraisal=True, filing=True, subsidy="2400",
              flags=("young_adult_focus",), venue="晋江市职业技术学校 实训楼 3 层电商实训室",
              inspections=((12, "教学进度与计划一致，请假学员均有假条。", False, ""),)),
    DemoClass(0, "计算机操作（办公软件）培训班", "计算机操作员", "信息传输、软件和信息技术服务业",
              "employment_skills", TrainingLevel.SPECIAL, S.AUDITED, -205, 25, 60, 15, 10,
              skill="computer", subsidy="900", venue="晋江市职业技术学校 信息楼 201 机房"),
    DemoClass(0, "服装缝纫培训班", "服装制作工", "制造业", "employment_skills",
              TrainingLevel.JUNIOR, S.COMPLETED, -115, 40, 100, 15, 10, skill="sewing",
              session_hours=5, subsidy="1800", corrected=True, flags=("free_for_hardship",),
              venue="晋江市职业技术学校 服装实训车间",
              comments={"fail_audit": "结业考核成绩与考核记录表不符，请核实成绩后重新申报结业"}),
    DemoClass(0, "电子商务（直播带货）培训班", "互联网营销师", "批发和零售业", "employment_skills",
              TrainingLevel.JUNIOR, S.RUNNING, -24, 50, 96, 15, 12, skill="ecommerce",
              subsidy="1800", flags=("young_adult_focus",), withdraw="家中有老人需要照顾，申请退学",
              venue="晋江市职业技术学校 实训楼 3 层直播间",
              inspections=((5, "签到表由 1 名学员代签，未按要求由学员本人签字。", True,
                            "已改为学员本人签到并拍照留存，任课教师每日核对。"),
                           (12, "到课情况良好，直播实操设备齐全，无障碍通道畅通。", False, ""))),
    DemoClass(0, "电子商务（短视频运营）培训班", "互联网营销师", "批发和零售业",
              "employment_skills", TrainingLevel.JUNIOR, S.DRAFT, 35, 30, 60, 20, 6,
              skill="ecommerce", subsidy="1200", venue="晋江市职业技术学校 实训楼 3 层"),
    DemoClass(0, "计算机操作培训班（第二期）", "计算机操作员", "信息传输、软件和信息技术服务业",
              "employment_skills", TrainingLevel.SPECIAL, S.RETURNED, 25, 25, 60, 15, 8,
              skill="computer", subsidy="900", venue="晋江市职业技术学校 信息楼 201 机房",
              comments={"return": "授课教师未填写，计划课时安排表缺第三周内容，请补充后重新提交"}),
    DemoClass(0, "网店美工培训班", "网店美工", "批发和零售业", "skill_upgrade",
              TrainingLevel.INTERMEDIATE, S.SUBMITTED, 18, 30, 80, 15, 8, skill="ecommerce",
              subsidy="1600", venue="晋江市职业技术学校 信息楼 305 机房"),
    DemoClass(1, "盲人保健按摩培训班", "保健按摩师", "居民服务、修理和其他服务业",
              "employment_skills", TrainingLevel.JUNIOR, S.SETTLED, -320, 80, 160, 12, 10,
              skill="blind_massage", appraisal=True, filing=True, subsidy="3200",
              flags=("free_for_hardship",), venue="晋江市残疾人就业培训基地 按摩实训室"),
    DemoClass(1, "手工编织（居家就业）培训班", "手工编织", "制造业", "employment_skills",
              TrainingLevel.SPECIAL, S.AUDIT_FAILED, -150, 30, 60, 15, 10,
              skill="home_handicraft", subsidy="800", session_hours=4,
              flags=("free_for_hardship",), venue="晋江市残疾人就业培训基地 多功能教室",
              comments={"fail_audit": "结业申报的花名册与考勤表人数不一致，3 名学员缺结业考核记录，请核实后重新申报"}),
    DemoClass(1, "中式面点培训班", "中式面点师", "住宿和餐饮业", "employment_skills",
              TrainingLevel.JUNIOR, S.RUNNING, -12, 45, 120, 15, 12, skill="cooking",
              appraisal=True, filing=True, subsidy="2000", venue="晋江市残疾人就业培训基地 烹饪实训室",
              late_filing="开班前两名学员的残疾人证换证未完成，确认后于开班次日补报",
              inspections=((4, "实训场地无障碍卫生间未开放，轮椅学员需到隔壁楼层如厕。", True, ""),)),
    DemoClass(1, "闽南传统工艺（木雕、漆线雕）培训班", "木雕工", "文化、体育和娱乐业",
              "employment_skills", TrainingLevel.SPECIAL, S.APPROVED, 8, 40, 100, 12, 8,
              skill="folk_craft", appraisal=True, filing=True, subsidy="2200",
              flags=("folk_craft",), venue="晋江市残疾人就业培训基地 传统工艺工作室"),
    DemoClass(1, "残疾人创业培训（SYB）班", "创业培训", "", "entrepreneurship",
              TrainingLevel.SPECIAL, S.CANCELLED, 15, 10, 56, 20, 6, subsidy="1000",
              venue="晋江市残疾人就业培训基地 报告厅",
              comments={"cancel": "多名学员另有就业安排，报名人数不足，延至明年开班"}),
    DemoClass(1, "网络创业培训班", "网络创业", "批发和零售业", "entrepreneurship",
              TrainingLevel.SPECIAL, S.RUNNING, -30, 60, 48, 30, 8, mode=TrainingMode.REMOTE,
              subsidy="600", session_hours=2, venue="网络远程（晋江残联培训平台）"),
    DemoClass(2, "盲人保健按摩（中级）培训班", "保健按摩师", "居民服务、修理和其他服务业",
              "skill_upgrade", TrainingLevel.INTERMEDIATE, S.AUDITED, -240, 60, 160, 12, 10,
              skill="blind_massage", appraisal=True, filing=True, subsidy="3000",
              town_share=0.6, venue="安海镇盲人保健按摩培训中心"),
    DemoClass(2, "盲人医疗按摩提升班", "医疗按摩人员", "卫生和社会工作", "skill_upgrade",
              TrainingLevel.SENIOR, S.SUBMITTED, 20, 45, 120, 10, 8, skill="medical_massage",
              subsidy="2800", town_share=0.6, flags=("high_skill",),
              venue="安海镇盲人保健按摩培训中心"),
    DemoClass(2, "盲人保健按摩培训班（第三期）", "保健按摩师", "居民服务、修理和其他服务业",
              "employment_skills", TrainingLevel.JUNIOR, S.DRAFT, 60, 60, 160, 12, 5,
              skill="blind_massage", appraisal=True, subsidy="3200", town_share=0.6,
              venue="安海镇盲人保健按摩培训中心"),
]


# ---- building them ------------------------------------------------------------------------------

CERTIFICATE_ISSUERS = {
    CertificateType.SKILL_LEVEL: "泉州市职业技能等级认定指导中心",
    CertificateType.SPECIAL_ABILITY: "晋江市人力资源和社会保障局",
}
RESULTS = ["优秀", "良好", "良好", "合格", "合格", "合格"]
COMMENTS = {
    "submit": "提交开班申请及花名册", "approve": "材料齐全，同意开班", "start": "",
    "complete": "结业申报：附考勤表、结业考核成绩", "pass_audit": "出勤与结业考核符合要求，审核通过",
    "settle": "培训补贴已按学员人数拨付", "return": "材料不全，请补充后重新提交",
    "fail_audit": "结业材料与考勤记录不符，请核实后重新申报", "cancel": "报名人数不足，取消开班",
}
# A class filed late is submitted the day after its start and approved the day after that.
LATE_DAYS = {"submit": 1, "approve": 2}
# Classes whose trainees have their certificates by now.
CERTIFIED_STATES = frozenset({S.COMPLETED, S.AUDITED, S.SETTLED})


@dataclass
class _Candidate:
    pk: int
    gender: str
    birth: dt.date
    town: str


class _Clock:
    """The story's time of each step of one class: never before the previous step, never after
    now (a step the story places later than now happened just now: the demo took it)."""

    def __init__(self) -> None:
        self.now = timezone.now()
        self.last: dt.datetime | None = None

    def at(self, day: dt.date, hour: int = 10) -> dt.datetime:
        moment = timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))
        if self.last is not None and moment <= self.last:
            moment = self.last + dt.timedelta(hours=1)
        self.last = min(moment, self.now)
        return self.last


def _story_day(action: str, start: dt.date, end: dt.date, again: bool) -> dt.date:
    days = {"submit": -30, "return": -27, "approve": -20, "cancel": -10, "start": 0}
    if action in days:
        return start + dt.timedelta(days=days[action])
    after_end = {"complete": 16 if again else 2, "fail_audit": 10, "pass_audit": 25, "settle": 45}
    return end + dt.timedelta(days=after_end[action])


def _session_plan(start: dt.date, end: dt.date, hours: int,
                  per_session: int) -> list[tuple[dt.date, Decimal, str]]:
    """Sessions spread evenly over the weekdays of the class, adding up to its hours."""
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    weekdays = [d for d in days if d.weekday() < 5]
    count = -(-hours // per_session)
    pool = weekdays if len(weekdays) >= count else days
    count = min(count, len(pool))
    plan = []
    left = hours
    for i in range(count):
        length = min(per_session, left) if i < count - 1 else min(left, 24)
        left -= length
        kind = "理论教学" if i % 3 == 0 else "实操训练"
        plan.append((pool[i * len(pool) // count], Decimal(length), f"第 {i + 1} 次课：{kind}"))
    return plan


class _Builder:
    def __init__(self, *, seed: int, today: dt.date, city: User) -> None:
        self.rng = random.Random(f"demo-classes:{seed}")
        self.today = today
        self.city = city
        self.skills = set(Skill.objects.values_list("code", flat=True))
        # The first few thousand who could train are plenty for sixteen classes, and keep the
        # demo as quick on a million persons (the benchmarks' data set) as on three thousand.
        self.pool = [_Candidate(pk, gender, birth, town) for pk, gender, birth, town in
                     Person.objects.filter(status=PersonStatus.ACTIVE)
                     .exclude(cert_number_enc="").order_by("pk")
                     .values_list("pk", "gender", "birth_date", "town_id")[:5000]]
        # Who is taken when: nobody is put in two overlapping classes that are not remote (the
        # services check this rule too; keeping track here only avoids asking them in vain).
        self.busy: dict[int, list[tuple[dt.date, dt.date]]] = {}
        for person, start, end in (Enrollment.objects
                                   .exclude(training_class__state=S.CANCELLED)
                                   .exclude(training_class__mode=TrainingMode.REMOTE)
                                   .exclude(status=EnrollmentStatus.WITHDRAWN)
                                   .values_list("person_id", "training_class__start_date",
                                                "training_class__end_date")):
            self.busy.setdefault(person, []).append((start, end))

    # -- trainees

    def pick(self, spec: DemoClass, start: dt.date, end: dt.date, town: str) -> list[int]:
        remote = spec.mode == TrainingMode.REMOTE
        free = [c for c in self.pool
                if working_age_on(birth=c.birth, gender=c.gender, on=start)
                and (remote or not any(s <= end and start <= e for s, e in self.busy.get(c.pk, [])))]
        local = [c for c in free if c.town == town]
        chosen = self.rng.sample(local, min(len(local), round(spec.trainees * spec.town_share)))
        taken = {c.pk for c in chosen}
        rest = [c for c in free if c.pk not in taken]
        chosen += self.rng.sample(rest, min(len(rest), spec.trainees - len(chosen)))
        if not remote:
            for c in chosen:
                self.busy.setdefault(c.pk, []).append((start, end))
        return [c.pk for c in chosen]

    # -- one class

    def build(self, number: int, spec: DemoClass, institution: Institution, staff: User) -> bool:
        """Create one class and walk it to its state. False when it cannot be made here: no
        trainee fits, or the institution is not designated on the class dates."""
        from canpei.institutions.rules import designation_valid_on

        start = self.today + dt.timedelta(days=spec.start)
        end = start + dt.timedelta(days=spec.days)
        if not (designation_valid_on(institution, start) and designation_valid_on(institution, end)):
            return False
        path = PATHS[spec.state]
        trainees = self.pick(spec, start, end, institution.town_id)
        if not trainees and path:
            return False
        data: dict[str, Any] = {
            "name": spec.name, "training_type": spec.training_type, "mode": spec.mode,
            "occupation": spec.occupation, "industry": spec.industry, "level": spec.level,
            "appraisal": spec.appraisal, "start_date": start.isoformat(),
            "end_date": end.isoformat(), "hours": spec.hours, "capacity": spec.capacity,
            "venue": spec.venue, "subsidy_standard": spec.subsidy,
            "teachers": list(institution.teachers.filter(active=True).order_by("pk")
                             .values_list("pk", flat=True)[:2]),
            **{flag: True for flag in spec.flags},
        }
        if spec.skill in self.skills:
            data["skill"] = spec.skill
        if spec.filing:
            data["filing_number"] = f"350582{start:%Y}{number:04d}"
        clock = _Clock()
        with transaction.atomic():
            tc = services.class_create(actor=staff, data=data)
            persons = Person.objects.in_bulk(trainees)
            for pk in trainees:
                services.enrollment_add(actor=staff, training_class=tc,
                                        person=persons[pk].id_number)
            created = clock.at(start - dt.timedelta(days=40), 9)
            TrainingClass.objects.filter(pk=tc.pk).update(created_at=created)
            Enrollment.objects.filter(training_class=tc).update(enrolled_at=created)
            rows = list(Enrollment.objects.filter(training_class=tc).order_by("pk")
                        .values_list("pk", flat=True))
            # How reliably each trainee turns up; on a larger class one struggles and fails.
            reliability = {pk: self.rng.uniform(0.9, 1.0) for pk in rows}
            if len(rows) >= 8:
                reliability[self.rng.choice(rows)] = 0.6
            for action in path:
                tc = self.step(tc, action, spec, staff, clock, start, end)
                if action == "start":
                    self.run(tc, spec, staff, start, end, reliability)
                elif action == "complete":
                    self.results(tc, spec, staff, start, end)
                    if spec.corrected:
                        tc = self.correct(tc, spec, staff, clock, start, end)
        return True

    def step(self, tc: TrainingClass, action: str, spec: DemoClass, staff: User, clock: _Clock,
             start: dt.date, end: dt.date, again: bool = False) -> TrainingClass:
        actor = self.city if action in CITY_ACTIONS else staff
        day = _story_day(action, start, end, again)
        comment = spec.comments.get(action, COMMENTS[action])
        if spec.late_filing and action in LATE_DAYS:
            day = start + dt.timedelta(days=LATE_DAYS[action])
            comment = spec.late_filing if action == "submit" else comment
        tc = services.class_transition(training_class=tc, actor=actor, action=action,
                                       comment=comment)
        if action in ("submit", "approve") and day <= start:
            # The demo takes the step today; in the story it came before the start date, so it
            # was not filed late and the comment is no late-filing reason.
            TrainingClass.objects.filter(pk=tc.pk).update(late_filing_reason="")
            tc.late_filing_reason = ""
        event = ClassEvent.objects.filter(training_class=tc).order_by("-id").values_list("pk", flat=True)[0]
        ClassEvent.objects.filter(pk=event).update(at=clock.at(day))
        return tc

    def run(self, tc: TrainingClass, spec: DemoClass, staff: User, start: dt.date, end: dt.date,
            reliability: dict[int, float]) -> None:
        """What happens while the class runs (until today for one still running): the register,
        every planned session (completion needs them all), the city's inspections, a
        withdrawal."""
        until = min(end, self.today) if spec.state == S.RUNNING else end
        events: list[tuple[dt.date, int, Any]] = [
            (s[0], 1, s) for s in _session_plan(start, end, spec.hours, spec.session_hours)
            if s[0] <= until]
        events += [(start + dt.timedelta(days=i[0]), 0, i) for i in spec.inspections
                   if start + dt.timedelta(days=i[0]) <= until]
        if spec.withdraw:
            events.append((start + (until - start) / 2, 2, None))
        for day, kind, payload in sorted(events, key=lambda e: (e[0], e[1])):
            if kind == 0:
                self.inspect(tc, day, payload)
            elif kind == 1:
                self.session(tc, staff, payload, reliability)
            else:
                self.withdraw(tc, spec, staff, day, reliability)

    def session(self, tc: TrainingClass, staff: User, planned: tuple[dt.date, Decimal, str],
                reliability: dict[int, float]) -> None:
        day, hours, topic = planned
        attendance = {}
        for pk in Enrollment.objects.filter(training_class=tc).exclude(
                status=EnrollmentStatus.WITHDRAWN).values_list("pk", flat=True):
            if self.rng.random() < reliability[pk]:
                attendance[pk] = str(hours)
            else:
                attendance[pk] = str(hours / 2) if self.rng.random() < 0.4 else "0"
        services.session_record(actor=staff, training_class=tc, date=day.isoformat(),
                                hours=str(hours), topic=topic, attendance=attendance)

    def inspect(self, tc: TrainingClass, day: dt.date,
                spec: tuple[int, str, bool, str]) -> None:
        _offset, findings, rectify, note = spec
        on_roster = Enrollment.objects.filter(training_class=tc,
                                              status=EnrollmentStatus.ENROLLED).count()
        present = max(0, on_roster - self.rng.choice([0, 0, 1, 1, 2]))
        inspection = services.inspection_record(
            actor=self.city, training_class=tc,
            data={"date": day.isoformat(), "present": str(present), "findings": findings,
                  "rectification_required": rectify})
        if note:
            services.inspection_rectified(
                actor=self.city, inspection=inspection, note=note,
                rectified_on=min(day + dt.timedelta(days=4), self.today).isoformat())

    def withdraw(self, tc: TrainingClass, spec: DemoClass, staff: User, day: dt.date,
                 reliability: dict[int, float]) -> None:
        steady = [pk for pk, r in reliability.items() if r > 0.8]
        row = Enrollment.objects.get(pk=self.rng.choice(steady))
        services.enrollment_update(actor=staff, enrollment=row,
                                   data={"status": "withdrawn", "withdraw_reason": spec.withdraw})
        # The service dates a withdrawal today; in the story it happened on `day`.
        Enrollment.objects.filter(pk=row.pk).update(withdrawn_on=day)

    def correct(self, tc: TrainingClass, spec: DemoClass, staff: User, clock: _Clock,
                start: dt.date, end: dt.date) -> TrainingClass:
        """The city fails the audit over the trainees' results; the institution records them
        again and declares completion again."""
        tc = self.step(tc, "fail_audit", spec, staff, clock, start, end)
        self.results(tc, spec, staff, start, end)
        return self.step(tc, "complete", spec, staff, clock, start, end, again=True)

    def results(self, tc: TrainingClass, spec: DemoClass, staff: User, start: dt.date,
                end: dt.date) -> None:
        """Results for everyone who finished; appraisal results and certificates too once the
        class is past its completion."""
        certified = spec.state in CERTIFIED_STATES
        issued = max(start, min(end + dt.timedelta(days=14), self.today)).isoformat()
        rows = Enrollment.objects.filter(training_class=tc).exclude(
            status=EnrollmentStatus.WITHDRAWN).order_by("pk")
        for serial, row in enumerate(rows, start=1):
            data: dict[str, Any] = {}
            if row.status == EnrollmentStatus.FAILED:
                data["result"] = "出勤不足，未结业"
            else:
                data["result"] = self.rng.choice(RESULTS)
                passed = True
                if certified and spec.appraisal:
                    outcome = self.rng.choices(["passed", "failed", "absent"], [90, 7, 3])[0]
                    data["appraisal_result"] = outcome
                    passed = outcome == "passed"
                if certified and passed:
                    data["certificate"] = self.certificate(tc, spec, serial, issued)
            services.enrollment_update(actor=staff, enrollment=row, data=data)

    def certificate(self, tc: TrainingClass, spec: DemoClass, serial: int,
                    issued: str) -> dict[str, str]:
        if spec.appraisal and spec.level != TrainingLevel.SPECIAL:
            kind, level = CertificateType.SKILL_LEVEL, spec.level
            number = f"S{issued[:4]}350582{tc.pk:04d}{serial:03d}"
        elif spec.appraisal:
            kind, level = CertificateType.SPECIAL_ABILITY, TrainingLevel.SPECIAL
            number = f"ZX{issued[:4]}{tc.pk:04d}{serial:03d}"
        else:
            kind, level = CertificateType.TRAINING, ""
            number = f"PXHG-{tc.code[2:]}-{serial:03d}"
        return {"type": kind, "level": level, "number": number, "date": issued,
                "issuer": CERTIFICATE_ISSUERS.get(kind, tc.institution.name)}


def demo_classes(*, seed: int, today: dt.date, institutions: list[Institution]) -> int:
    """Create the demo classes not there yet (a second run adds none); return how many."""
    from canpei.accounts.roles import Role

    city = User.objects.filter(role=Role.CITY_ADMIN, username="city").first()
    if city is None:
        return 0
    builder = _Builder(seed=seed, today=today, city=city)
    created = 0
    for number, spec in enumerate(DEMO_CLASSES, start=1):
        institution = institutions[spec.institution]
        staff = (User.objects.filter(role=Role.INSTITUTION_STAFF, institution=institution)
                 .order_by("pk").first())
        if staff is None or TrainingClass.objects.filter(institution=institution,
                                                         name=spec.name).exists():
            continue
        created += builder.build(number, spec, institution, staff)
    return created
