"""The class lifecycle: the rules each step of rules.CLASS_WORKFLOW checks under the row lock and
what a step does besides changing the state; canpei.workflows applies them with the history row
and the audit entry."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any
from collections.abc import Callable, Iterable

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext

from canpei import hooks
from canpei.accounts.roles import Perm, has_perm
from canpei.errors import Forbidden
from canpei.institutions.rules import designation_valid_on
from canpei.people.models import Person
from canpei.people.rules import PersonStatus, working_age_on
from canpei.training import rules
from canpei.training.models import (
    ClassEvent, ClassSession, ClassState, Enrollment, EnrollmentStatus, Inspection, TrainingClass,
)
from canpei.training.classes.services.records import locked_class
from canpei.training.common import Errors
from canpei.workflows import Hooks, Lifecycle, Transition

if TYPE_CHECKING:
    from canpei.accounts.models import User

A = rules.ClassAction

# Called inside the settling transaction, after the class is marked settled and before the
# history row: the funds work registers the disbursement here (it may refuse with a Conflict,
# which rolls the whole step back).
SettlementHook = Callable[..., None]
SETTLEMENT_HOOKS: list[SettlementHook] = []

# Roster rows that count as "on the class": withdrawn trainees no longer bind their time.
ACTIVE_ENROLLMENT = (EnrollmentStatus.ENROLLED, EnrollmentStatus.COMPLETED)


def _violation(field: str, message: str) -> tuple[str, str]:
    return (field, message)


def designation_errors(training_class: TrainingClass) -> Errors:
    """The institution must be designated and valid on every day of the class."""
    institution = training_class.institution
    if (designation_valid_on(institution, training_class.start_date)
            and designation_valid_on(institution, training_class.end_date)):
        return []
    return [_violation("institution", rules.DESIGNATION_NOT_VALID.format(
        institution=institution.name, start=training_class.start_date.isoformat(),
        end=training_class.end_date.isoformat()))]


def capacity_errors(training_class: TrainingClass, count: int) -> Errors:
    if count > training_class.capacity:
        return [_violation("capacity", rules.CAPACITY_EXCEEDED.format(
            count=count, capacity=training_class.capacity))]
    return []


def trainee_errors(training_class: TrainingClass, person: Person, *,
                   check_status: bool = True, hidden: str | None = None,
                   who: str | None = None) -> Errors:
    """Whether one person may be on this class: active, a valid certificate, working age on the
    start date (PRODUCT.md). `hidden`, for a viewer who may not learn the person's status
    (rules.hides_reasons), replaces the status and certificate reasons; `who` names the person
    otherwise than by name and ID tail."""
    who = who or rules.describe_person(person)
    found: Errors = []
    if check_status and person.status != PersonStatus.ACTIVE:
        found.append(("roster", hidden.format(person=who) if hidden else
                      rules.TRAINEE_NOT_ACTIVE.format(
                          person=who, status=gettext(PersonStatus(person.status).label))))
    elif check_status and not person.cert_number_enc:
        found.append(("roster", hidden.format(person=who) if hidden else
                      rules.TRAINEE_NO_CERTIFICATE.format(person=who)))
    if not working_age_on(birth=person.birth_date, gender=person.gender,
                          on=training_class.start_date):
        found.append(("roster", rules.TRAINEE_NOT_WORKING_AGE.format(
            person=who, date=training_class.start_date.isoformat())))
    return found


def overlap_errors(training_class: TrainingClass, person_ids: Iterable[int], *,
                   hidden: str | None = None) -> Errors:
    """A person is not in two classes whose dates overlap, remote classes excepted. Only classes
    that bind the roster (submitted onwards, not cancelled or returned) count. `hidden`, for a
    viewer who may not learn of other institutions' classes (rules.hides_reasons), replaces the
    message naming a class of another institution; one of the same institution is named."""
    if training_class.mode == rules.TrainingMode.REMOTE:
        return []
    ids = list(person_ids)
    if not ids:
        return []
    clashes = (Enrollment.objects
               .filter(person_id__in=ids, status__in=ACTIVE_ENROLLMENT,
                       training_class__state__in=rules.BINDING_STATES,
                       training_class__start_date__lte=training_class.end_date,
                       training_class__end_date__gte=training_class.start_date)
               .exclude(training_class_id=training_class.pk)
               .exclude(training_class__mode=rules.TrainingMode.REMOTE)
               .select_related("person", "training_class")
               .order_by("person_id", "training_class__start_date"))
    found: Errors = []
    seen: set[int] = set()
    for clash in clashes:
        if clash.person_id in seen:
            continue
        seen.add(clash.person_id)
        other = clash.training_class
        who = rules.describe_person(clash.person)
        if hidden and other.institution_id != training_class.institution_id:
            found.append(("roster", hidden.format(person=who)))
        else:
            found.append(("roster", rules.OVERLAPPING_CLASS.format(
                person=who, other=f"{other.code} {other.name}")))
    return found


def attendance_errors(training_class: TrainingClass, enrollments: Iterable[Enrollment]) -> Errors:
    threshold = settings.ATTENDANCE_THRESHOLD
    found: Errors = []
    for enrollment in enrollments:
        if (enrollment.status == EnrollmentStatus.COMPLETED and not rules.attendance_enough(
                enrollment.attended_hours, training_class.hours, threshold)):
            found.append(("attendance", rules.ATTENDANCE_TOO_LOW.format(
                person=rules.describe_person(enrollment.person),
                attended=enrollment.attended_hours, hours=training_class.hours,
                percent=round(threshold * 100))))
    return found


def _roster(training_class: TrainingClass, *, lock_persons: bool) -> list[Enrollment]:
    rows = list(Enrollment.objects.filter(training_class=training_class,
                                          status__in=ACTIVE_ENROLLMENT)
                .select_related("person").order_by("person_id"))
    if lock_persons and rows:
        # Lock the trainees (in id order, so two submissions never deadlock): two classes with the
        # same person submitted at once must not both pass the overlap check.
        list(Person.objects.select_for_update().filter(pk__in=[r.person_id for r in rows])
             .order_by("pk").values_list("pk", flat=True))
    return rows


def roster_errors(training_class: TrainingClass, roster: list[Enrollment], *,
                  check_status: bool, viewer: User | None = None) -> Errors:
    """The roster's rules; for a viewer who may not learn why a trainee is refused, each such
    trainee is named once with rules.TRAINEE_NOT_ELIGIBLE."""
    hidden = rules.TRAINEE_NOT_ELIGIBLE if rules.hides_reasons(viewer) else None
    found: Errors = capacity_errors(training_class, len(roster))
    for enrollment in roster:
        found += trainee_errors(training_class, enrollment.person, check_status=check_status,
                                hidden=hidden)
    found += overlap_errors(training_class, [e.person_id for e in roster], hidden=hidden)
    return list(dict.fromkeys(found))


def _submission_rules(t: Transition[TrainingClass]) -> Errors:
    """Submitted and approved: a roster, a valid designation, every trainee eligible. `t.actor`
    is who will read the refusal (an institution is not told a trainee's status or another
    institution's class)."""
    roster = _roster(t.obj, lock_persons=True)
    if not roster:
        return [("roster", rules.ROSTER_EMPTY)]
    return designation_errors(t.obj) + roster_errors(t.obj, roster, check_status=True,
                                                     viewer=t.actor)


def _late_filing_reason(t: Transition[TrainingClass], errors: Errors) -> dict[str, Any]:
    """A class submitted or approved after its start date keeps the step's comment as its
    late-filing reason (the history row keeps it too); a reason already given stays."""
    if (rules.filed_late(t.obj.start_date, t.today) and t.comment
            and not t.obj.late_filing_reason):
        return {"late_filing_reason": t.comment}
    return {}


def late_filing_errors(t: Transition[TrainingClass]) -> Errors:
    """Submitted or approved after its start date: only with a late-filing reason (补报原因)."""
    training_class = t.obj
    if (rules.filed_late(training_class.start_date, t.today) and not t.comment
            and not training_class.late_filing_reason):
        return [("late_filing_reason", rules.LATE_FILING_REASON_REQUIRED.format(
            date=training_class.start_date.isoformat(), action=gettext(rules.CLASS_WORKFLOW.label(t.action))))]
    return []


def registered_hours(training_class: TrainingClass) -> Decimal:
    """The hours the register holds: the sum of the class's sessions."""
    return sum(ClassSession.objects.filter(training_class=training_class)
               .values_list("hours", flat=True), Decimal("0"))


def hours_errors(training_class: TrainingClass) -> Errors:
    required = settings.CLASS_HOURS_REQUIRED
    registered = registered_hours(training_class)
    if rules.hours_enough(registered, training_class.hours, required):
        return []
    tolerance = (rules.HOURS_TOLERANCE_NOTE.format(percent=round(required * 100, 1))
                 if required < 1 else "")
    return [("hours", rules.COMPLETION_HOURS_SHORT.format(
        registered=registered, hours=training_class.hours, tolerance=tolerance))]


def end_date_errors(training_class: TrainingClass, today: Any) -> Errors:
    if today < training_class.end_date:
        return [("end_date", rules.COMPLETION_BEFORE_END.format(
            date=training_class.end_date.isoformat()))]
    return []


def open_rectifications(training_class: TrainingClass) -> list[Inspection]:
    return list(Inspection.objects.filter(training_class=training_class,
                                          rectification_required=True, rectified_on__isnull=True)
                .order_by("date", "pk"))


def rectification_errors(training_class: TrainingClass) -> Errors:
    return [("rectification", rules.AUDIT_RECTIFICATION_OPEN.format(date=row.date.isoformat()))
            for row in open_rectifications(training_class)]


def missing_results(roster: Iterable[Enrollment]) -> list[Enrollment]:
    """Trainees who completed without a result (培训成绩) on record."""
    return [e for e in roster if e.status == EnrollmentStatus.COMPLETED and not e.result.strip()]


def result_errors(roster: Iterable[Enrollment]) -> Errors:
    return [("result", rules.AUDIT_RESULT_MISSING.format(person=rules.describe_person(e.person)))
            for e in missing_results(roster)]


def _start_rules(t: Transition[TrainingClass]) -> Errors:
    training_class = t.obj
    found = designation_errors(training_class)
    if t.today < training_class.start_date:
        # The city approved these dates: a class cannot run (and be paid for) before them.
        found.append(("start_date", rules.NOT_STARTED_YET.format(
            date=training_class.start_date.isoformat())))
    if training_class.appraisal and not training_class.filing_number:
        found.append(("filing_number", rules.FILING_NUMBER_REQUIRED))
    return found


def _completion_rules(t: Transition[TrainingClass]) -> Errors:
    return (end_date_errors(t.obj, t.today) + hours_errors(t.obj)
            + attendance_errors(t.obj, _roster(t.obj, lock_persons=False)))


def _audit_rules(t: Transition[TrainingClass]) -> Errors:
    # Re-checked at the audit because the roster and attendance may have changed since the
    # approval. A trainee's status is not: a person who has since moved out or died did attend
    # the class the city is paying for.
    roster = _roster(t.obj, lock_persons=True)
    return (designation_errors(t.obj)
            + roster_errors(t.obj, roster, check_status=False, viewer=t.actor)
            + attendance_errors(t.obj, roster)
            + rectification_errors(t.obj) + result_errors(roster))


def _close_roster(t: Transition[TrainingClass]) -> dict[str, Any]:
    """At completion, trainees still `enrolled` complete when they attended enough, else fail."""
    training_class = t.obj
    threshold = settings.ATTENDANCE_THRESHOLD
    outcome = {"completed": 0, "failed": 0}
    now = timezone.now()
    for enrollment in Enrollment.objects.filter(training_class=training_class,
                                                status=EnrollmentStatus.ENROLLED):
        enough = rules.attendance_enough(enrollment.attended_hours, training_class.hours, threshold)
        enrollment.status = EnrollmentStatus.COMPLETED if enough else EnrollmentStatus.FAILED
        enrollment.updated_at = now
        enrollment.save(update_fields=["status", "updated_at"])
        outcome[enrollment.status] += 1
    return {"results": outcome}


def _announce_completion(t: Transition[TrainingClass]) -> None:
    """Once the city has audited the completion, it is final: the trainees who completed are
    announced (canpei.hooks.training_completed), so employment schedules their follow-ups in
    this same transaction. training never imports employment."""
    completed = list(Enrollment.objects.filter(training_class=t.obj,
                                               status=EnrollmentStatus.COMPLETED)
                     .order_by("pk").values_list("pk", flat=True))
    hooks.training_completed(enrollments=completed)


def _run_settlement_hooks(t: Transition[TrainingClass]) -> None:
    for hook in SETTLEMENT_HOOKS:
        hook(training_class=t.obj, actor=t.actor)


def roster_person_ids(training_class: TrainingClass) -> list[int]:
    """The persons on the class's roster: a step of the class (its completion, its audit) may
    change their outcome figures (hooks.outcomes_changed)."""
    return list(Enrollment.objects.filter(training_class=training_class)
                .values_list("person_id", flat=True))


# The rules PRODUCT.md lists, each at the step where it applies, and what a step does besides
# changing the state.
CLASS_LIFECYCLE: Lifecycle[TrainingClass] = Lifecycle(  # zh-data: audit record
    workflow=rules.CLASS_WORKFLOW, audit_name="class", lock=locked_class,
    event_model=ClassEvent, event_parent="training_class",
    describe=lambda training_class: f"培训班 {training_class.code}",
    hooks={A.SUBMIT: Hooks(prepare=_late_filing_reason, checks=(late_filing_errors, _submission_rules)),
           A.APPROVE: Hooks(prepare=_late_filing_reason, checks=(late_filing_errors, _submission_rules)),
           A.START: Hooks(checks=(_start_rules,)),
           A.COMPLETE: Hooks(checks=(_completion_rules,), effects=(_close_roster,)),
           A.PASS_AUDIT: Hooks(checks=(_audit_rules,), effects=(_announce_completion,)),
           A.SETTLE: Hooks(effects=(_run_settlement_hooks,))},
    outcomes=roster_person_ids)


def class_transition(*, training_class: TrainingClass, actor: User, action: str,
                     comment: str = "") -> TrainingClass:
    """Apply one step of the class lifecycle (rules.CLASS_WORKFLOW). Refusals name the rule
    broken (and the trainee or field); locking and refusals as in canpei.workflows."""
    if not has_perm(actor, Perm.CLASS_BROWSE):
        raise Forbidden()
    return CLASS_LIFECYCLE.apply(obj=training_class, actor=actor, action=action, comment=comment)


def class_actions_available(training_class: TrainingClass, actor: User) -> list[str]:
    """The steps worth offering this user on the class page: the table's, for the role and state."""
    if not has_perm(actor, Perm.CLASS_BROWSE):
        return []
    actions = rules.actions_for(actor.role, training_class.state)
    # Not offered before its day (the step checks it again): a button that can only be refused.
    if timezone.localdate() < training_class.start_date:
        actions = [a for a in actions if a != A.START]
    return actions


__all__ = ["SETTLEMENT_HOOKS", "class_actions_available", "class_transition", "ClassState"]
