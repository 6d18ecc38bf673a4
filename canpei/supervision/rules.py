"""The supervision rules (监管预警规则): one function per rule, registered with `rule` below it.

Each rule reads the records of one year and yields a `Finding` per subject it flags: one
sentence saying what is wrong (the figures included; a msgid and its parameters, see
`canpei.supervision.sentences`), the records it links to, and the subject's
key (which records, never personal data), from which the alert's fingerprint is made, so that
computing again finds the same alert. Adding a rule is adding a function here; its docstring is
what the README and the alert page say about it. A rule is registered by a call after its
function (`rule(code, title)(function)`), not with decorator syntax: mutmut leaves decorated
functions unmutated, and `make mutate` is to change the rules themselves (issue 18). The
thresholds are settings (ALERT_*).

A year's records: classes that start in it (and their rosters, sessions and inspections),
individual applications planned (or filed) in it, inspections made in it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext, gettext_noop

from canpei.codes import TrainingLevel, labels_of
from canpei.supervision.sentences import AND_SEP, chinese, joined, phrase
from canpei.people.rules import PersonStatus, age_on, working_age_on
from canpei.training import rules as training_rules
from canpei.training.models import (
    Application, ApplicationState, Attendance, ClassSession, ClassState, Enrollment,
    EnrollmentStatus, Inspection, TrainingClass,
)

# Trainees on a roster (not withdrawn, not failed).
ON_ROSTER = (EnrollmentStatus.ENROLLED, EnrollmentStatus.COMPLETED)
# Classes that ran (started at least).
RAN_STATES = frozenset({ClassState.RUNNING, ClassState.COMPLETED, ClassState.AUDIT_FAILED,
                        ClassState.AUDITED, ClassState.SETTLED})
# Classes whose completion was declared.
COMPLETED_STATES = frozenset({ClassState.COMPLETED, ClassState.AUDIT_FAILED, ClassState.AUDITED,
                              ClassState.SETTLED})
# Individual applications that claim a subsidy (granted at least).
CLAIMING_APPLICATIONS = (ApplicationState.APPROVED, ApplicationState.COMPLETED,
                         ApplicationState.REIMBURSED)
# An appraisal subsidy is no second training subsidy.
APPRAISAL_KIND = "appraisal"


@dataclass(frozen=True)
class Link:
    """A record an alert links to: its type (`person`, `class`, `institution`, `inspection`,
    `application`), id and how the page names it: `label` (data, or the Chinese of `says`)
    and, when the name is made of the product's words, `says`, the phrase shown in the
    viewer's language."""

    type: str
    id: int
    label: str
    says: dict[str, Any] | None = None

    def as_json(self) -> dict[str, object]:
        found: dict[str, object] = {"type": self.type, "id": self.id, "label": self.label}
        if self.says is not None:
            found["says"] = self.says
        return found


def _said_link(type_: str, pk: int, says: dict[str, Any]) -> Link:
    return Link(type_, pk, chinese(says["msgid"], says["params"]), says)


@dataclass
class Finding:
    """What a rule found about one subject.

    `said` is the sentence as a msgid (marked with gettext_noop) and its parameters
    (`sentences.phrase`), stored on the alert and shown in the viewer's language; `summary` is
    its Chinese, which the alert keeps too (the ledger's column, and what old rows show). The
    rule's name (`Rule.label`) is translated where shown."""

    subject: tuple[object, ...]
    said: dict[str, Any]
    on_date: dt.date
    links: list[Link]
    classes: set[int] = field(default_factory=set)
    institutions: set[int] = field(default_factory=set)
    persons: set[int] = field(default_factory=set)

    @property
    def message(self) -> str:
        return str(self.said["msgid"])

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.said["params"])

    @property
    def summary(self) -> str:
        return chinese(self.message, self.params)


Finder = Callable[[int], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    """A registered rule: `title` is its Chinese name (the msgid; the ledger's wording), `label`
    the name in the active language."""

    code: str
    title: str
    find: Finder

    @property
    def label(self) -> str:
        return gettext(self.title)

    @property
    def description(self) -> str:
        """The first paragraph of the rule's docstring."""
        return (self.find.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")


RULES: dict[str, Rule] = {}


def rule(code: str, title: str) -> Callable[[Finder], Finder]:
    """Register a rule: `code` is stored on its alerts and used by the filters and the API;
    `title` is marked with gettext_noop, translated where shown (`Rule.label`)."""
    def register(find: Finder) -> Finder:
        if code in RULES:
            raise ValueError(f"rule {code} registered twice")
        RULES[code] = Rule(code=code, title=title, find=find)
        return find
    return register


def rule_choices() -> list[tuple[str, str]]:
    return [(r.code, r.label) for r in RULES.values()]


# ---- helpers -------------------------------------------------------------------------------------

def _span(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def _percent(part: Decimal | int, whole: Decimal | int) -> int:
    return int((Decimal(part) * 100 / Decimal(whole)).to_integral_value())


def _threshold_percent(value: float) -> str:
    return f"{Decimal(str(value)) * 100:f}".rstrip("0").rstrip(".")


def class_label(c: TrainingClass) -> str:
    return f"{c.code} {c.name}"


def _class_link(c: TrainingClass) -> Link:
    return Link("class", c.pk, class_label(c))


def _institution_link(c: TrainingClass) -> Link:
    return Link("institution", c.institution_id, c.institution.name)


def _person_link(person_id: int, name: str) -> Link:
    return Link("person", person_id, name)


def _classes_of(year: int, states: Iterable[str]) -> Iterator[TrainingClass]:
    first, last = _span(year)
    return (TrainingClass.objects.filter(state__in=list(states), start_date__range=(first, last))
            .select_related("institution").order_by("pk").iterator(chunk_size=2000))


def _class_finding(c: TrainingClass, subject: tuple[object, ...], said: dict[str, Any],
                   extra: Sequence[Link] = (), persons: Iterable[int] = ()) -> Finding:
    return Finding(subject=subject, said=said, on_date=c.start_date,
                   links=[_class_link(c), _institution_link(c), *extra], classes={c.pk},
                   institutions={c.institution_id}, persons=set(persons))


# ---- the rules -----------------------------------------------------------------------------------

def overlapping_classes(year: int) -> Iterator[Finding]:
    """A person is on the rosters of two classes of different institutions whose dates overlap
    (remote classes excepted, as at enrolment); flagged in the year the later class starts.

    The roster check refuses this when a class is submitted; the alert finds what came in
    another way (rosters imported, classes filed before the rule)."""
    first, last = _span(year)
    rows = (Enrollment.objects
            .filter(status__in=ON_ROSTER, training_class__state__in=training_rules.BINDING_STATES,
                    training_class__start_date__lte=last, training_class__end_date__gte=first)
            .exclude(training_class__mode=training_rules.TrainingMode.REMOTE)
            .values_list("person_id", "training_class_id", "training_class__start_date",
                         "training_class__end_date", "training_class__institution_id")
            .order_by("person_id", "training_class__start_date", "training_class_id"))
    by_person: dict[int, list[tuple[int, dt.date, dt.date, int]]] = defaultdict(list)
    for person_id, class_id, start, end, institution_id in rows.iterator(chunk_size=5000):
        by_person[person_id].append((class_id, start, end, institution_id))
    pairs: list[tuple[int, int, int]] = []
    for person_id, spans in by_person.items():
        for i, (earlier, _a_start, a_end, a_inst) in enumerate(spans):
            for later, b_start, _b_end, b_inst in spans[i + 1:]:
                if b_start > a_end:
                    break
                if a_inst != b_inst and first <= b_start <= last:
                    pairs.append((person_id, earlier, later))
    if not pairs:
        return
    classes = TrainingClass.objects.select_related("institution").in_bulk(
        {c for _p, first_id, second_id in pairs for c in (first_id, second_id)})
    names = dict(Enrollment.objects.filter(person_id__in={p for p, _a, _b in pairs})
                 .values_list("person_id", "person__name").distinct())
    for person_id, a_id, b_id in pairs:
        a, b = classes[a_id], classes[b_id]
        name = names[person_id]
        yield Finding(
            subject=(person_id, a_id, b_id), on_date=b.start_date,
            said=phrase(gettext_noop(
                "%(name)s 同时在不同机构的两个培训班：%(class_a)s（%(institution_a)s，%(start_a)s至"
                "%(end_a)s）与 %(class_b)s（%(institution_b)s，%(start_b)s至%(end_b)s），日期重叠。"),
                name=name, class_a=class_label(a), institution_a=a.institution.name,
                start_a=str(a.start_date), end_a=str(a.end_date), class_b=class_label(b),
                institution_b=b.institution.name, start_b=str(b.start_date),
                end_b=str(b.end_date)),
            links=[_person_link(person_id, name), _class_link(a), _class_link(b)],
            classes={a_id, b_id}, institutions={a.institution_id, b.institution_id},
            persons={person_id})


rule("overlap", gettext_noop("同一人员参加日期重叠的不同机构培训班"))(overlapping_classes)


def ineligible_trainees(year: int) -> Iterator[Finding]:
    """A trainee of a class (submitted onwards) is outside working age on the class's start date,
    or has no valid disability certificate (no certificate number, or the certificate revoked)."""
    first, last = _span(year)
    rows = (Enrollment.objects
            .filter(status__in=ON_ROSTER, training_class__state__in=training_rules.BINDING_STATES,
                    training_class__start_date__range=(first, last))
            .select_related("person", "training_class__institution")
            .only("person__name", "person__birth_date", "person__gender", "person__status",
                  "person__cert_number_enc", "training_class__code", "training_class__name",
                  "training_class__start_date", "training_class__institution_id",
                  "training_class__institution__name")
            .order_by("pk"))
    for enrollment in rows.iterator(chunk_size=2000):
        person, c = enrollment.person, enrollment.training_class
        reasons = []
        if not working_age_on(birth=person.birth_date, gender=person.gender, on=c.start_date):
            reasons.append(phrase(gettext_noop("不在就业年龄段（%(age)s 周岁）"),
                                  age=age_on(person.birth_date, c.start_date)))
        if person.status == PersonStatus.REVOKED or not person.cert_number_enc:
            reasons.append(phrase(gettext_noop("没有有效的残疾人证")))
        if reasons:
            yield _class_finding(
                c, (person.pk, c.pk),
                phrase(gettext_noop("学员 %(name)s 在培训班 %(training_class)s 开班日（%(start)s）%(reasons)s。"),
                       name=person.name, training_class=class_label(c), start=str(c.start_date),
                       reasons=joined(reasons, AND_SEP)),
                extra=[_person_link(person.pk, person.name)], persons={person.pk})


rule("eligibility", gettext_noop("学员不在就业年龄段或无有效残疾人证"))(ineligible_trainees)


def low_attendance(year: int) -> Iterator[Finding]:
    """A class's completion was declared with trainees marked completed whose attendance is
    below the threshold (ATTENDANCE_THRESHOLD, 80 % of the class's hours by default)."""
    threshold = settings.ATTENDANCE_THRESHOLD
    first, last = _span(year)
    rows = (Enrollment.objects
            .filter(status=EnrollmentStatus.COMPLETED,
                    training_class__state__in=COMPLETED_STATES,
                    training_class__start_date__range=(first, last))
            .values_list("training_class_id", "training_class__hours", "person_id",
                         "person__name", "attended_hours")
            .order_by("training_class_id", "person_id"))
    short: dict[int, list[tuple[int, str, Decimal]]] = defaultdict(list)
    for class_id, hours, person_id, name, attended in rows.iterator(chunk_size=5000):
        if not training_rules.attendance_enough(attended, hours, threshold):
            short[class_id].append((person_id, name, attended))
    classes = TrainingClass.objects.select_related("institution").in_bulk(list(short))
    for class_id, found in short.items():
        c = classes[class_id]
        least = min(hours for _p, _n, hours in found)
        yield _class_finding(
            c, (c.pk,),
            phrase(gettext_noop("培训班 %(training_class)s 结业时 %(count)s 名学员出勤不足 %(threshold)s%%"
                                "（最少 %(least)s / %(hours)s 学时），仍按结业申报。"),
                   training_class=class_label(c), count=len(found),
                   threshold=_threshold_percent(threshold), least=f"{least:f}", hours=c.hours),
            extra=[_person_link(p, n) for p, n, _h in found], persons={p for p, _n, _h in found})


rule("attendance", gettext_noop("结业学员出勤不足"))(low_attendance)


def inspection_absence(year: int) -> Iterator[Finding]:
    """An inspection found fewer trainees present than the share ALERT_INSPECTION_PRESENT_RATIO
    (60 % by default) of those on the roster."""
    ratio = Decimal(str(settings.ALERT_INSPECTION_PRESENT_RATIO))
    first, last = _span(year)
    rows = (Inspection.objects.filter(date__range=(first, last), on_roster__gt=0)
            .select_related("training_class__institution").order_by("pk"))
    for inspection in rows.iterator(chunk_size=2000):
        if Decimal(inspection.present) >= ratio * inspection.on_roster:
            continue
        c = inspection.training_class
        finding = _class_finding(
            c, (inspection.pk,),
            phrase(gettext_noop("%(date)s 检查培训班 %(training_class)s：在册 %(on_roster)s 人，实到 "
                                "%(present)s 人（%(percent)s%%），低于 %(threshold)s%%。"),
                   date=str(inspection.date), training_class=class_label(c),
                   on_roster=inspection.on_roster, present=inspection.present,
                   percent=_percent(inspection.present, inspection.on_roster),
                   threshold=_threshold_percent(float(ratio))),
            extra=[_said_link("inspection", inspection.pk,
                              phrase(gettext_noop("%(date)s 检查"), date=str(inspection.date)))])
        finding.on_date = inspection.date
        yield finding


rule("inspection", gettext_noop("检查实到人数远少于在册人数"))(inspection_absence)


def double_subsidy(year: int) -> Iterator[Finding]:
    """A person claims the subsidy for the same training (occupation and level) twice in a year:
    on two class rosters, or on a roster and in an individual application (approved onwards;
    appraisal subsidies excepted)."""
    first, last = _span(year)
    claims: dict[tuple[int, str, str], list[tuple[dt.date, Link, int | None]]] = defaultdict(list)
    names: dict[int, str] = {}
    enrollments = (Enrollment.objects
                   .filter(status__in=ON_ROSTER,
                           training_class__state__in=training_rules.BINDING_STATES,
                           training_class__start_date__range=(first, last))
                   .values_list("person_id", "person__name", "training_class_id",
                                "training_class__code", "training_class__name",
                                "training_class__occupation", "training_class__level",
                                "training_class__start_date", "training_class__institution_id"))
    for person_id, name, class_id, code, class_name, occupation, level, start, inst in (
            enrollments.iterator(chunk_size=5000)):
        names[person_id] = name
        claims[(person_id, occupation.strip(), level)].append(
            (start, _said_link("class", class_id, phrase(gettext_noop("培训班 %(code)s %(name)s"),
                                                         code=code, name=class_name)), inst))
    applications = (Application.objects
                    .filter(state__in=CLAIMING_APPLICATIONS)
                    .exclude(kind=APPRAISAL_KIND)
                    .filter(planned_start__range=(first, last))
                    .values_list("pk", "person_id", "person__name", "occupation", "level",
                                 "planned_start"))
    for pk, person_id, name, occupation, level, planned in applications.iterator(chunk_size=5000):
        names[person_id] = name
        claims[(person_id, occupation.strip(), level)].append(
            (planned or first,
             _said_link("application", pk, phrase(gettext_noop("个人申请 #%(id)s"), id=pk)), None))
    levels = labels_of(TrainingLevel)
    for (person_id, occupation, level), found in claims.items():
        if len(found) < 2:
            continue
        found.sort(key=lambda claim: (claim[0], claim[1].type, claim[1].id))
        name = names[person_id]
        what: object = (phrase(gettext_noop("%(occupation)s·%(level)s"), occupation=occupation,
                               level=phrase(levels.get(level, level)))
                        if level else occupation)
        yield Finding(
            subject=(person_id, occupation, level), on_date=found[-1][0],
            said=phrase(gettext_noop("%(name)s 在 %(year)s 年就同一培训（%(training)s）享受了 "
                                     "%(count)s 次补贴：%(claims)s。"),
                        name=name, year=year, training=what, count=len(found),
                        claims=joined(link.says or link.label for _d, link, _i in found)),
            links=[_person_link(person_id, name), *(link for _d, link, _i in found)],
            classes={link.id for _d, link, _i in found if link.type == "class"},
            institutions={inst for _d, _l, inst in found if inst is not None},
            persons={person_id})


rule("double_subsidy", gettext_noop("同一人员同一年度重复享受同一培训补贴"))(double_subsidy)


def designation_invalid(year: int) -> Iterator[Finding]:
    """A class ran (started at least) while its institution had no designation, or on dates
    outside the designation's period (from `designated_from` to `designated_to`)."""
    for c in _classes_of(year, RAN_STATES):
        institution = c.institution
        valid_from, valid_to = institution.designated_from, institution.designated_to
        dates = {"training_class": class_label(c), "start": str(c.start_date), "end": str(c.end_date),
                 "institution": institution.name}
        if valid_from is None:
            said = phrase(gettext_noop("培训班 %(training_class)s（%(start)s至%(end)s）开班时，机构 "
                                       "%(institution)s 没有定点认定。"), **dates)
        elif c.start_date < valid_from or (valid_to is not None and c.end_date > valid_to):
            period = (phrase(gettext_noop("%(valid_from)s至%(valid_to)s"),
                             valid_from=str(valid_from), valid_to=str(valid_to))
                      if valid_to is not None
                      else phrase(gettext_noop("%(valid_from)s至长期"), valid_from=str(valid_from)))
            said = phrase(gettext_noop("培训班 %(training_class)s（%(start)s至%(end)s）不在机构 "
                                       "%(institution)s 的定点有效期（%(period)s）内。"),
                          **dates, period=period)
        else:
            continue
        yield _class_finding(c, (c.pk,), said)


rule("designation", gettext_noop("培训班开班时机构定点认定无效"))(designation_invalid)


def _focus_groups(c: TrainingClass) -> list[tuple[dict[str, Any], Callable[[Enrollment], bool]]]:
    low, high = settings.ALERT_YOUNG_ADULT_AGES
    groups: list[tuple[dict[str, Any], Callable[[Enrollment], bool]]] = []
    if c.free_for_hardship:
        groups.append((phrase(gettext_noop("困难残疾人")), lambda e: bool(e.person.hardship)))
    if c.young_adult_focus:
        groups.append((phrase(gettext_noop("青壮年（%(low)s至%(high)s周岁）"), low=low, high=high),
                       lambda e: low <= age_on(e.person.birth_date, c.start_date) <= high))
    return groups


def outside_focus_group(year: int) -> Iterator[Finding]:
    """A class for a focus group (困难残疾人 free of charge, 青壮年) has at least
    ALERT_FOCUS_MIN_TRAINEES trainees (5) and more than the share ALERT_FOCUS_OUTSIDE_SHARE
    (50 %) of them belong to none of its groups."""
    share = Decimal(str(settings.ALERT_FOCUS_OUTSIDE_SHARE))
    first, last = _span(year)
    focus = {c.pk: c for c in TrainingClass.objects
             .filter(state__in=training_rules.BINDING_STATES, start_date__range=(first, last))
             .filter(Q(free_for_hardship=True) | Q(young_adult_focus=True))
             .select_related("institution")}
    rosters: dict[int, list[Enrollment]] = defaultdict(list)
    for enrollment in (Enrollment.objects
                       .filter(training_class_id__in=list(focus), status__in=ON_ROSTER)
                       .select_related("person").order_by("training_class_id", "person_id")
                       .iterator(chunk_size=5000)):
        rosters[enrollment.training_class_id].append(enrollment)
    for class_id, c in sorted(focus.items()):
        groups = _focus_groups(c)
        roster = rosters[class_id]
        if len(roster) < settings.ALERT_FOCUS_MIN_TRAINEES:
            continue
        outside = [e for e in roster if not any(inside(e) for _label, inside in groups)]
        if Decimal(len(outside)) <= share * len(roster):
            continue
        yield _class_finding(
            c, (c.pk,),
            phrase(gettext_noop("培训班 %(training_class)s 面向%(groups)s，但 %(count)s 名学员中有 "
                                "%(outside)s 名（%(percent)s%%）不属于该群体。"),
                   training_class=class_label(c), groups=joined(label for label, _i in groups),
                   count=len(roster), outside=len(outside),
                   percent=_percent(len(outside), len(roster))),
            extra=[_person_link(e.person_id, e.person.name) for e in outside],
            persons={e.person_id for e in outside})


rule("focus_group", gettext_noop("培训班学员多数不属于其面向群体"))(outside_focus_group)


def phone_key(phone: str) -> str:
    """A phone number as the alert's subject: keyed, so the table never holds the number."""
    return salted_hmac("canpei.supervision.phone", phone).hexdigest()[:32]


def _phone_digits(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit())


def shared_phone(year: int) -> Iterator[Finding]:
    """At least ALERT_SHARED_PHONE_MIN (3) trainees of the year's classes registered the same
    phone number. The number is personal data: the sentence gives only the count and links the
    persons and classes."""
    first, last = _span(year)
    rows = (Enrollment.objects
            .filter(status__in=ON_ROSTER, training_class__state__in=training_rules.BINDING_STATES,
                    training_class__start_date__range=(first, last))
            .exclude(person__phone="")
            .values_list("person_id", "person__name", "person__phone", "training_class_id",
                         "training_class__start_date", "training_class__institution_id")
            .order_by("person_id"))
    by_phone: dict[str, dict[int, str]] = defaultdict(dict)
    classes: dict[str, dict[int, tuple[dt.date, int]]] = defaultdict(dict)
    for person_id, name, phone, class_id, start, inst in rows.iterator(chunk_size=5000):
        digits = _phone_digits(phone)
        if not digits:
            continue
        by_phone[digits][person_id] = name
        classes[digits][class_id] = (start, inst)
    minimum = settings.ALERT_SHARED_PHONE_MIN
    labels = None
    for digits, persons in by_phone.items():
        if len(persons) < minimum:
            continue
        if labels is None:
            wanted = {c for d, p in by_phone.items() if len(p) >= minimum for c in classes[d]}
            labels = {c.pk: class_label(c) for c in TrainingClass.objects.filter(pk__in=wanted)}
        held = classes[digits]
        yield Finding(
            subject=(phone_key(digits),), on_date=min(start for start, _i in held.values()),
            said=phrase(gettext_noop("%(persons)s 名学员登记了同一手机号（涉及 %(classes)s 个培训班）。"),
                        persons=len(persons), classes=len(held)),
            links=[*(_person_link(p, n) for p, n in sorted(persons.items())),
                   *(Link("class", c, labels[c]) for c in sorted(held))],
            classes=set(held), institutions={inst for _s, inst in held.values()},
            persons=set(persons))


rule("shared_phone", gettext_noop("多名学员登记同一手机号"))(shared_phone)


def identical_registers(year: int) -> Iterator[Finding]:
    """A class's register (who attended, for how many hours) is exactly the same for at least
    ALERT_IDENTICAL_SESSIONS (5) sessions in a row, as registers filled in by copying are."""
    needed = settings.ALERT_IDENTICAL_SESSIONS
    first, last = _span(year)
    candidates = (ClassSession.objects
                  .filter(training_class__start_date__range=(first, last),
                          training_class__state__in=training_rules.BINDING_STATES)
                  .values_list("training_class_id", flat=True).order_by("training_class_id"))
    counts: dict[int, int] = defaultdict(int)
    for class_id in candidates.iterator(chunk_size=10000):
        counts[class_id] += 1
    for class_id in sorted(c for c, n in counts.items() if n >= needed):
        sessions = list(ClassSession.objects.filter(training_class_id=class_id)
                        .order_by("date", "pk").values_list("pk", "date"))
        registers: dict[int, set[tuple[int, Decimal]]] = defaultdict(set)
        for session_id, enrollment_id, hours in (Attendance.objects
                                                 .filter(session__training_class_id=class_id)
                                                 .values_list("session_id", "enrollment_id",
                                                              "hours")):
            registers[session_id].add((enrollment_id, hours))
        best: tuple[int, int] = (0, 0)  # (length, index of the run's first session)
        run_start = 0
        for i in range(1, len(sessions) + 1):
            ended = (i == len(sessions) or not registers[sessions[i][0]]
                     or registers[sessions[i][0]] != registers[sessions[run_start][0]])
            if ended:
                length = i - run_start
                if registers[sessions[run_start][0]] and length > best[0]:
                    best = (length, run_start)
                run_start = i
        length, begin = best
        if length < needed:
            continue
        c = TrainingClass.objects.select_related("institution").get(pk=class_id)
        yield _class_finding(
            c, (c.pk,),
            phrase(gettext_noop("培训班 %(training_class)s 连续 %(length)s 次课（%(first)s至%(last)s）的"
                                "考勤登记完全相同。"),
                   training_class=class_label(c), length=length, first=str(sessions[begin][1]),
                   last=str(sessions[begin + length - 1][1])))


rule("identical_registers", gettext_noop("考勤登记逐次完全相同"))(identical_registers)


def late_filing(year: int) -> Iterator[Finding]:
    """A class whose application was submitted or approved after its start date had passed,
    with the late-filing reason given at that step (kept on the class,
    `TrainingClass.late_filing_reason`): classes that may have run before anyone approved them.
    A cancelled class is left out."""
    first, last = _span(year)
    late = (TrainingClass.objects.filter(start_date__range=(first, last))
            .exclude(late_filing_reason="").exclude(state=ClassState.CANCELLED)
            .select_related("institution").order_by("pk"))
    for c in late.iterator(chunk_size=2000):
        yield _class_finding(
            c, (c.pk,),
            phrase(gettext_noop("培训班 %(training_class)s（%(start)s开班）在开班日期之后才提交或批准开班申请，"
                                "补报原因：%(reason)s"),
                   training_class=class_label(c), start=str(c.start_date),
                   reason=c.late_filing_reason))


rule("late_filing", gettext_noop("开班日期已过才提交或批准开班申请（补报）"))(late_filing)
