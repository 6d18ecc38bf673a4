"""The completion-audit checklist (结业审核清单, issue 12): every check the city makes before it
passes a class's completion, each with pass/fail and the figures behind it.

A check is a function of the class's facts (`ClassFacts`) and today that returns one
`CheckResult`; `CHECKS` lists them in the order the page shows them, so adding a check (the
supervision app's "alerts on this class", for one) is adding a function to that list. The rules
the lifecycle enforces (canpei.training.classes.services.transitions) and the checks read the same
figures. The facts are read once for the whole checklist, and a caller that has read them already
(the class page: its register, inspections and roster) passes them in rather than have each check
read them again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from django.utils.translation import gettext

from canpei.accounts.models import User
from canpei.errors import Forbidden
from canpei.errors import Message as _
from canpei.institutions.rules import designation_valid_on
from canpei.training import rules
from canpei.training.classes import selectors
from canpei.training.classes.services.transitions import ACTIVE_ENROLLMENT, missing_results
from canpei.training.models import ClassSession, ClassState, Enrollment, Inspection, TrainingClass

# Messages of the checklist: each check's name, and the sentence that gives its figures.
NOT_WHOLE_CLASS = _("镇街专干只能查看本镇街学员，不能查看班级的结业审核清单")
END_DATE_LABEL = _("结业日期已到")
END_DATE_DETAIL = _("结业日期 {end}，今天 {today}")
HOURS_LABEL = _("考勤课时达到计划课时")
HOURS_DETAIL = _("计划课时 {planned}，考勤登记 {registered}（须达到 {required}）")
INSPECTIONS_LABEL = _("过程检查实到人数")
INSPECTIONS_NONE = _("尚无过程检查")
INSPECTION_FIGURE = _("{date} 实到 {present} / 在册 {on_roster}")
INSPECTIONS_RATIO = _("（每次实到须达到在册的 {percent}%）")
RECTIFICATIONS_LABEL = _("整改已完成")
RECTIFICATIONS_DETAIL = _("未完成整改 {count} 项")
RESULTS_LABEL = _("结业学员均有培训成绩")
RESULTS_DETAIL = _("结业 {completed} 人，未登记成绩 {missing} 人")
DESIGNATION_LABEL = _("培训期间定点资格有效")
DESIGNATION_DETAIL = _("培训机构「{institution}」{start} 至 {end}：{verdict}")
DESIGNATION_VALID = _("有效")
DESIGNATION_INVALID = _("无效")

# Where a class's checklist means something: from the time it runs to its settlement.
CHECKLIST_STATES = frozenset({ClassState.RUNNING, ClassState.COMPLETED, ClassState.AUDIT_FAILED,
                              ClassState.AUDITED, ClassState.SETTLED})


@dataclass(frozen=True)
class CheckResult:
    """One line of the checklist: a stable key (the API's), its name, whether it passes, a
    sentence with its figures and the figures themselves."""

    key: str
    label: str
    passed: bool
    detail: str
    figures: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A check's texts in the reader's language, now: the API sends them as they are.
        object.__setattr__(self, "label", str(self.label))
        object.__setattr__(self, "detail", str(self.detail))


class ClassFacts:
    """What the checks read of a class, each read at most once: the hours of its register, its
    inspections (by date) and its roster with the persons (by enrolment, withdrawals included).
    A caller that has read some of them for the same class passes them in; the others are read
    when a check first needs them."""

    def __init__(self, training_class: TrainingClass, *,
                 session_hours: Iterable[Decimal] | None = None,
                 inspections: Iterable[Inspection] | None = None,
                 roster: Iterable[Enrollment] | None = None) -> None:
        self.training_class = training_class
        self._session_hours = None if session_hours is None else list(session_hours)
        self._inspections = None if inspections is None else list(inspections)
        self._roster = None if roster is None else list(roster)

    @property
    def registered_hours(self) -> Decimal:
        """The hours the register holds: the sum of the class's sessions (as
        transitions.registered_hours)."""
        if self._session_hours is None:
            self._session_hours = list(ClassSession.objects.filter(
                training_class=self.training_class).values_list("hours", flat=True))
        return sum(self._session_hours, Decimal("0"))

    @property
    def inspections(self) -> list[Inspection]:
        if self._inspections is None:
            self._inspections = list(Inspection.objects.filter(
                training_class=self.training_class).order_by("date", "pk"))
        return self._inspections

    @property
    def open_rectifications(self) -> list[Inspection]:
        """The inspections whose rectification is still open (as transitions.open_rectifications)."""
        return [row for row in self.inspections
                if row.rectification_required and row.rectified_on is None]

    @property
    def active_roster(self) -> list[Enrollment]:
        """The trainees enrolled or completed, with their persons."""
        if self._roster is None:
            self._roster = list(Enrollment.objects.filter(training_class=self.training_class)
                                .select_related("person").order_by("pk"))
        return [e for e in self._roster if e.status in ACTIVE_ENROLLMENT]


def _plain(value: Decimal) -> str:
    """40, 38 or 37.5: a figure without trailing zeros nor an exponent."""
    return format(value.normalize(), "f")


ClassCheck = Callable[[ClassFacts, dt.date], CheckResult]


def end_date_reached(facts: ClassFacts, today: dt.date) -> CheckResult:
    """Completion is declared once the end date has come (rules.COMPLETION_BEFORE_END)."""
    training_class = facts.training_class
    return CheckResult(
        "end_date", END_DATE_LABEL, today >= training_class.end_date,
        END_DATE_DETAIL.format(end=training_class.end_date.isoformat(), today=today.isoformat()),
        {"end_date": training_class.end_date.isoformat(), "today": today.isoformat()})


def hours_registered(facts: ClassFacts, today: dt.date) -> CheckResult:
    """The register holds the planned hours, within settings.CLASS_HOURS_REQUIRED."""
    training_class = facts.training_class
    registered = facts.registered_hours
    required = _plain(Decimal(training_class.hours) * Decimal(str(settings.CLASS_HOURS_REQUIRED)))
    return CheckResult(
        "hours", HOURS_LABEL,
        rules.hours_enough(registered, training_class.hours, settings.CLASS_HOURS_REQUIRED),
        HOURS_DETAIL.format(planned=training_class.hours, registered=registered,
                            required=required),
        {"planned": training_class.hours, "registered": str(registered),
         "required": required})


def inspections_present(facts: ClassFacts, today: dt.date) -> CheckResult:
    """At least one inspection, and at each the trainees present reach the attendance threshold
    of those on the roster (settings.ATTENDANCE_THRESHOLD)."""
    threshold = Decimal(str(settings.ATTENDANCE_THRESHOLD))
    rows = facts.inspections
    figures = [{"date": row.date.isoformat(), "present": row.present,
                "on_roster": row.on_roster} for row in rows]
    passed = bool(rows) and all(row.present >= row.on_roster * threshold for row in rows)
    detail = (gettext("；").join(INSPECTION_FIGURE.format(**f) for f in figures) if figures
              else str(INSPECTIONS_NONE)) + INSPECTIONS_RATIO.format(percent=round(threshold * 100))
    return CheckResult("inspections", INSPECTIONS_LABEL, passed, detail, {"inspections": figures})


def rectifications_closed(facts: ClassFacts, today: dt.date) -> CheckResult:
    """No inspection's rectification is still open (rules.AUDIT_RECTIFICATION_OPEN)."""
    open_rows = facts.open_rectifications
    return CheckResult(
        "rectifications", RECTIFICATIONS_LABEL, not open_rows,
        RECTIFICATIONS_DETAIL.format(count=len(open_rows)),
        {"open": [row.date.isoformat() for row in open_rows]})


def results_recorded(facts: ClassFacts, today: dt.date) -> CheckResult:
    """Every trainee who completed has a result (rules.AUDIT_RESULT_MISSING)."""
    roster = facts.active_roster
    completed = [e for e in roster if e.status == "completed"]
    missing = missing_results(roster)
    return CheckResult(
        "results", RESULTS_LABEL, not missing,
        RESULTS_DETAIL.format(completed=len(completed), missing=len(missing)),
        {"completed": len(completed), "without_result": len(missing),
         "trainees": [rules.describe_person(e.person) for e in missing]})


def designation_valid(facts: ClassFacts, today: dt.date) -> CheckResult:
    """The institution's designation was valid on the class's first and last day."""
    training_class = facts.training_class
    institution = training_class.institution
    valid = (designation_valid_on(institution, training_class.start_date)
             and designation_valid_on(institution, training_class.end_date))
    return CheckResult(
        "designation", DESIGNATION_LABEL, valid,
        DESIGNATION_DETAIL.format(institution=institution.name,
                                  start=training_class.start_date.isoformat(),
                                  end=training_class.end_date.isoformat(),
                                  verdict=DESIGNATION_VALID if valid else DESIGNATION_INVALID),
        {"start_date": training_class.start_date.isoformat(),
         "end_date": training_class.end_date.isoformat()})


# The checklist, in the page's order: add a function here to add a check.
CHECKS: list[ClassCheck] = [end_date_reached, hours_registered, inspections_present,
                            rectifications_closed, results_recorded, designation_valid]


def class_checks(*, user: User, training_class: TrainingClass) -> list[CheckResult]:
    """The checklist of a class the user sees whole (town staff see only their town's trainees,
    so not the class-wide figures); out of scope reads as not found."""
    training_class = selectors.class_get(user=user, class_id=training_class.pk)
    if not selectors.sees_whole_class(user):
        raise Forbidden(NOT_WHOLE_CLASS)
    return checklist(ClassFacts(training_class))


def checklist(facts: ClassFacts) -> list[CheckResult]:
    """Every check of `facts`, today. The caller has read the class in the user's scope and
    made sure the user sees the whole class (class_checks does both; the class page reads the
    class, its register, inspections and roster through the selectors and passes them in)."""
    today = timezone.localdate()
    return [check(facts, today) for check in CHECKS]
