"""Matching needs to supply (供需匹配, issue 12 item 4): the training the latest surveys ask for,
by town and wanted skill, against the classes planned or running there, sorted by the demand no
class meets.

The rules, written down once (tests/reports/test_matching.py checks them on a hand-built set):

* Demand: persons on the registry (status active) whose latest survey of a year up to `year`
  (this year unless told) says they need training (`training_need`), counted once per wanted
  skill, in the town the registry holds for them now. Each row also counts how many of them want
  each training type and each mode.
* Supply for a town and skill: the classes of that skill not yet over — draft, returned,
  submitted, approved or running — held by an institution of the town, or remote
  (网络远程, open to every town); their places are the planned numbers less those already on
  the roster (withdrawals excepted).
* Unmet: demand less places, never below 0. Rows are sorted by unmet demand, then demand.
* Scope: the city admin reads every town; town staff their own town only (another town is not
  found). Other roles read no matching.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from canpei.accounts.models import User
from canpei.accounts.roles import Perm, has_perm
from canpei.errors import Forbidden
from canpei.errors import lazy_message as _
from canpei.people.models import Person, Skill, Survey
from canpei.people.rules import PersonStatus
from canpei.queries import serial_reads
from canpei.regions.models import Region
from canpei.reports.targets import visible_towns
from canpei.training.models import (
    ClassState, Enrollment, EnrollmentStatus, TrainingClass, TrainingMode,
)


NO_MATCHING = _("当前角色不能查看供需匹配")
ADVICE_NONE = _("{town}：{demand} 人希望参加{skill}培训，尚无计划开班")
ADVICE_SHORT = _("{town}：{demand} 人希望参加{skill}培训，已有 {classes} 个班 {places} 个名额，尚缺 {unmet} 个")
ADVICE_MET = _("{town}：{demand} 人希望参加{skill}培训，已有 {classes} 个班 {places} 个名额，可满足")


# Classes that are still to run or running: their places are supply.
SUPPLY_STATES = (ClassState.DRAFT, ClassState.RETURNED, ClassState.SUBMITTED, ClassState.APPROVED,
                 ClassState.RUNNING)


@dataclass
class MatchRow:
    """One town and wanted skill: who wants it, the classes that offer it, what is left over."""

    town: str
    town_name: str
    skill: str
    skill_name: str
    demand: int
    classes: list[TrainingClass]
    places: int
    by_type: dict[str, int] = field(default_factory=dict)
    by_mode: dict[str, int] = field(default_factory=dict)

    @property
    def unmet(self) -> int:
        return max(0, self.demand - self.places)

    @property
    def advice(self) -> str:
        values = {"town": self.town_name, "demand": self.demand, "skill": self.skill_name,
                  "classes": len(self.classes), "places": self.places, "unmet": self.unmet}
        if not self.classes:
            return ADVICE_NONE.format(**values)
        return (ADVICE_SHORT if self.unmet else ADVICE_MET).format(**values)


def may_read_matching(user: User) -> bool:
    """The roles that keep the surveys (SURVEY_EDIT): the city admin and the town staff."""
    return user.is_authenticated and has_perm(user, Perm.SURVEY_EDIT)


def latest_needs(towns: list[Region], year: int) -> QuerySet[Survey]:
    """Each active person's latest survey up to `year`, where it says they need training: a
    survey with no later one of a year up to `year` (an anti-join on the person's own surveys)."""
    later = Survey.objects.filter(person=OuterRef("person"), year__gt=OuterRef("year"),
                                  year__lte=year)
    return (Survey.objects
            .filter(person__status=PersonStatus.ACTIVE, year__lte=year, training_need=True,
                    person__town_id__in=[t.code for t in towns])
            .exclude(Exists(later)))


def live_demand_groups(towns: list[Region], year: int) -> list[tuple[str, int, list[str], str, int]]:
    """The demand counted from the records (the definition): (town, skill id, wanted types,
    mode, persons) per group. Counted in the database: a town of fifty thousand persons is a
    few hundred groups, not its surveys one by one."""
    return list(latest_needs(towns, year).filter(wanted_skills__isnull=False)
                .values_list("person__town_id", "wanted_skills", "wanted_types", "preferred_mode")
                .annotate(n=Count("id")).order_by())


def matching_report(*, user: User, year: int | None = None, town: str = "",
                    live: bool = False) -> list[MatchRow]:
    """Demand against supply per town and wanted skill, most unmet first (see the module). The
    demand is read from the summary kept by canpei.reports.summaries.matching (identical by
    construction and by test) once it is built; `live=True`, or no summary, counts it live."""
    from canpei.reports.summaries.matching import demand_groups

    if not may_read_matching(user):
        raise Forbidden(NO_MATCHING)
    year = year or timezone.localdate().year
    towns = visible_towns(user, town)
    names = {t.code: t.name for t in towns}
    rows: dict[tuple[str, int], MatchRow] = {}
    types: dict[tuple[str, int], Counter[str]] = defaultdict(Counter)
    modes: dict[tuple[str, int], Counter[str]] = defaultdict(Counter)
    groups = None if live else demand_groups(list(names), year)
    if groups is None:
        groups = live_demand_groups(towns, year)
    skills = {k.pk: k for k in Skill.objects.filter(pk__in={g[1] for g in groups})}
    for where, skill_id, wanted_types, mode, n in groups:
        key = (where, skill_id)
        row = rows.get(key)
        if row is None:
            skill = skills[skill_id]
            row = rows[key] = MatchRow(where, names[where], skill.code, skill.name, 0, [], 0)
        row.demand += n
        for wanted in wanted_types or []:
            types[key][wanted] += n
        if mode:
            modes[key][mode] += n
    skill_ids = {skill_id for _, skill_id in rows}
    supply = list(TrainingClass.objects
                  .filter(state__in=SUPPLY_STATES, skill_id__in=skill_ids)
                  .filter(Q(institution__town_id__in=list(names)) | Q(mode=TrainingMode.REMOTE))
                  .select_related("institution")
                  .annotate(on_roster=Count("enrollments", filter=~Q(
                      enrollments__status=EnrollmentStatus.WITHDRAWN)))
                  .order_by("start_date", "pk"))
    for (where, skill_id), row in rows.items():
        row.classes = [c for c in supply if c.skill_id == skill_id and (
            c.mode == TrainingMode.REMOTE or c.institution.town_id == where)]
        row.places = sum(max(0, c.capacity - getattr(c, "on_roster", 0)) for c in row.classes)
        row.by_type = dict(types[(where, skill_id)].most_common())
        row.by_mode = dict(modes[(where, skill_id)].most_common())
    return sorted(rows.values(), key=lambda r: (-r.unmet, -r.demand, r.town, r.skill))


CANDIDATE_LIMIT = 50


def class_candidates(*, user: User, training_class: TrainingClass) -> list[Survey]:
    """For a class being planned (draft or returned, with a skill): the persons the user sees
    whose latest survey wants that skill and who have not completed a class of it, nor are on
    this roster; at most CANDIDATE_LIMIT, by town and then in registry order (as the roster
    lists them), each with that latest survey. Empty for a reader of no matching.

    Found in the database by walking the persons in (town, id) order, each tested by EXISTS,
    until CANDIDATE_LIMIT are found: a popular skill is wanted in the surveys of tens of
    thousands of a province's persons, and ordering them all by name took a second."""
    from canpei.people.selectors import persons_visible_to

    if (not may_read_matching(user) or training_class.skill_id is None
            or training_class.state not in (ClassState.DRAFT, ClassState.RETURNED)):
        return []
    this_year = timezone.localdate().year
    later = Survey.objects.filter(person=OuterRef("person"), year__gt=OuterRef("year"),
                                  year__lte=this_year)
    latest = Survey.objects.filter(year__lte=this_year).exclude(Exists(later))
    wants = latest.filter(person=OuterRef("pk"), training_need=True,
                          wanted_skills=training_class.skill_id)
    trained = (Enrollment.objects
               .filter(person=OuterRef("pk"))
               .filter(Q(training_class=training_class)
                       | Q(status=EnrollmentStatus.COMPLETED,
                           training_class__skill_id=training_class.skill_id)))
    with serial_reads(Person) as alias:
        chosen = list(persons_visible_to(user).using(alias)
                      .filter(Exists(wants), status=PersonStatus.ACTIVE)
                      .exclude(Exists(trained))
                      .order_by("town_id", "id").values_list("id", flat=True)[:CANDIDATE_LIMIT])
    # What the page shows of each: the name, town, preferred mode and accessibility needs.
    surveys = {s.person_id: s for s in latest.filter(person_id__in=chosen)
               .select_related("person", "person__town")
               .only("person_id", "preferred_mode", "accessibility_needs", "person__name",
                     "person__town__name")}
    return [surveys[pk] for pk in chosen if pk in surveys]  # a survey deleted in between


def classes_for_person(*, user: User, person: Person,
                       surveys: list[Survey] | None = None) -> list[TrainingClass]:
    """For a person the user sees: the classes still open to enrolment (draft or returned, with
    places left) that fit their latest survey — a wanted skill, the preferred mode when given,
    held in their town or remote. Classes record no accessibility features, so the person's
    accessibility needs are shown beside the list, not matched (issue 12, left for later).
    `surveys`: all the person's surveys, when the caller has read them (their wanted skills are
    read here, as a subquery; the person page: every survey of a person the user sees is visible
    to them)."""
    if not may_read_matching(user):
        return []
    this_year = timezone.localdate().year
    if surveys is None:
        survey = Survey.objects.filter(person=person, year__lte=this_year).order_by("-year").first()
    else:
        survey = max((s for s in surveys if s.year <= this_year), key=lambda s: s.year,
                     default=None)
    if survey is None or not survey.training_need:
        return []
    fits = (TrainingClass.objects
            .filter(state__in=(ClassState.DRAFT, ClassState.RETURNED),
                    skill__in=survey.wanted_skills.all())
            .filter(Q(institution__town_id=person.town_id) | Q(mode=TrainingMode.REMOTE))
            .exclude(enrollments__person=person)
            # What the person page shows of each: a third of the columns to compile and read.
            .select_related("institution")
            .only("code", "name", "mode", "start_date", "capacity", "institution__name")
            .annotate(on_roster=Count("enrollments", filter=~Q(
                enrollments__status=EnrollmentStatus.WITHDRAWN)))
            .order_by("start_date", "pk"))
    if survey.preferred_mode:
        fits = fits.filter(mode=survey.preferred_mode)
    return [c for c in fits if getattr(c, "on_roster", 0) < c.capacity]
