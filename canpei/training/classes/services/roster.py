"""The roster (花名册) of a class: enrolment, withdrawal, the attendance register, results and
certificates. Every write locks the class first (classes.locked_class)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext

from canpei import hooks
from canpei.accounts.models import User
from canpei.accounts.roles import Perm, Role, has_perm
from canpei.audit.actions import AuditAction
from canpei.audit.models import AuditEntry
from canpei.audit.services import audit_record
from canpei.codes import TrainingLevel
from canpei.errors import Conflict, Forbidden, InvalidInput, NotFound
from canpei.errors import Message as _
from canpei.people import crypto
from canpei.people.models import Person
from canpei.people.rules import PersonStatus, id_number_error, normalize_id_number
from canpei.people.selectors import persons_visible_to
from canpei.training import rules
from canpei.training.models import (
    AppraisalResult, Attendance, CertificateType, ClassSession, ClassState, Enrollment,
    EnrollmentStatus, TrainingClass,
)
from canpei.training.classes.selectors import enrollments_visible_to
from canpei.training.classes.services.records import locked_class
from canpei.training.common import (
    Errors, bad_text, diff, edit_save, one_line, parse_date, parse_decimal, text,
)
from canpei.training.classes.services.transitions import overlap_errors, trainee_errors
from canpei.validation import parse_choice, parse_text

# An institution enrols a person it has looked up by full ID number (persons/lookup) within this
# time, or by giving the number itself: it never browses the registry, so a bare person id it has
# not looked up is refused as unknown.
LOOKUP_VALID_FOR = dt.timedelta(hours=12)
MAX_HOURS = Decimal("5000")
CERTIFICATE_FIELDS = ("certificate_type", "certificate_level", "certificate_number",
                      "certificate_date", "certificate_issuer")
ENROLLMENT_FIELDS = ("status", "attended_hours", "result", "appraisal_result", "certificate",
                     "withdraw_reason", *CERTIFICATE_FIELDS)


def enrollment_snapshot(enrollment: Enrollment) -> dict[str, Any]:
    return {
        "status": enrollment.status, "attended_hours": str(enrollment.attended_hours),
        "result": enrollment.result, "appraisal_result": enrollment.appraisal_result,
        "certificate_type": enrollment.certificate_type,
        "certificate_level": enrollment.certificate_level,
        "certificate_number": enrollment.certificate_number,
        "certificate_date": (enrollment.certificate_date.isoformat()
                             if enrollment.certificate_date else None),
        "certificate_issuer": enrollment.certificate_issuer,
        "withdraw_reason": enrollment.withdraw_reason,
    }


def _person_for(actor: User, person: Any) -> Person:
    """The person to enrol, from an ID number or a person id, as far as the actor may name them."""
    raw = text(person)
    if not raw:
        raise InvalidInput([("person", rules.PERSON_REQUIRED)])
    if len(raw) >= 15 or not raw.isdigit():
        number = normalize_id_number(raw)
        message = id_number_error(number)
        if message:
            raise InvalidInput([("person", message)])
        found = Person.objects.filter(id_hash=crypto.lookup_hash(number)).first()
        if found is not None and actor.role == Role.TOWN_STAFF:
            found = persons_visible_to(actor).filter(pk=found.pk).first()
        if found is None and rules.hides_reasons(actor):
            # To an institution an unregistered number answers as an inactive person does.
            raise Conflict(rules.NOT_ENROLLABLE, [("person", rules.NOT_ENROLLABLE)])
        if found is None:
            raise InvalidInput([("person", rules.PERSON_NOT_FOUND)])
        return found
    pk = int(raw)
    if actor.role == Role.INSTITUTION_STAFF:
        looked_up = AuditEntry.objects.filter(
            actor_id=actor.pk, action=AuditAction.PERSON_LOOKUP, object_type="people.person",
            object_id=str(pk), at__gte=timezone.now() - LOOKUP_VALID_FOR).exists()
        found = Person.objects.filter(pk=pk).first() if looked_up else None
    else:
        found = persons_visible_to(actor).filter(pk=pk).first()
    if found is None:
        raise InvalidInput([("person", rules.PERSON_NOT_FOUND)])
    return found


def enrollment_add(*, actor: User, training_class: TrainingClass, person: Any) -> Enrollment:
    """Put a person on the roster of a draft or returned class, checking at once what the
    submission will check (status, certificate, working age, capacity, overlap), so the
    institution learns it while the person is in front of it."""
    if not has_perm(actor, Perm.ROSTER_EDIT):
        raise Forbidden()
    with transaction.atomic():
        locked = locked_class(actor, training_class.pk)
        if locked.state not in rules.ROSTER_OPEN_STATES:
            message = rules.ROSTER_CLOSED.format(state=gettext(ClassState(locked.state).label))
            raise Conflict(message, [("person", message)])
        found = _person_for(actor, person)
        hidden = rules.NOT_ENROLLABLE if rules.hides_reasons(actor) else None
        if hidden and found.status != PersonStatus.ACTIVE:
            # Before any other check, so that nothing (another rule naming the person, their
            # age) tells an institution this number is on the registry.
            raise Conflict(hidden, [("person", hidden)])
        existing = Enrollment.objects.filter(training_class=locked, person=found).first()
        if existing is not None and existing.status != EnrollmentStatus.WITHDRAWN:
            message = rules.ALREADY_ENROLLED.format(person=rules.describe_person(found))
            raise Conflict(message, [("person", message)])
        count = Enrollment.objects.filter(training_class=locked,
                                          status=EnrollmentStatus.ENROLLED).count()
        # An institution enrolling by number is not told the name by a refusal either (the
        # masked number it typed names the person); the enrolment itself is audited.
        problems = trainee_errors(locked, found, hidden=hidden,
                                  who=found.id_number_masked if hidden else None)
        if count + 1 > locked.capacity:
            problems.append(("capacity", rules.CAPACITY_EXCEEDED.format(
                count=count + 1, capacity=locked.capacity)))
        problems += overlap_errors(locked, [found.pk], hidden=hidden)
        if problems:
            shown = list(dict.fromkeys(m for _f, m in problems))
            raise Conflict(shown[0], [("person", m) for m in shown])
        if existing is not None:
            # Re-enrolling a withdrawn trainee reuses the row (one per class and person).
            existing.status = EnrollmentStatus.ENROLLED
            existing.town_id = found.town_id
            existing.withdrawn_on = None
            existing.withdraw_reason = ""
            existing.updated_at = timezone.now()
            existing.save(update_fields=["status", "town", "withdrawn_on", "withdraw_reason",
                                          "updated_at"])
            enrollment = existing
        else:
            try:
                with transaction.atomic():
                    enrollment = Enrollment.objects.create(training_class=locked, person=found,
                                                           town_id=found.town_id)
            except IntegrityError:
                message = rules.ALREADY_ENROLLED.format(person=rules.describe_person(found))
                raise Conflict(message, [("person", message)]) from None
        audit_record(actor=actor, action=AuditAction.ENROLLMENT_CREATE, obj=enrollment,  # zh-data: audit record
                     summary=f"培训班 {locked.code} 加入学员 #{found.pk}",
                     changes={"class": locked.pk, "person": found.pk})
        hooks.outcomes_changed([found.pk])
    return enrollment


def _locked_enrollment(actor: User, enrollment_id: int) -> tuple[TrainingClass, Enrollment]:
    enrollment = enrollments_visible_to(actor).filter(pk=enrollment_id).first()
    if enrollment is None:
        raise NotFound()
    locked = locked_class(actor, enrollment.training_class_id)
    row = Enrollment.objects.select_for_update().select_related("person").get(pk=enrollment_id)
    return locked, row


def enrollment_remove(*, actor: User, enrollment: Enrollment) -> None:
    """Take a person off a roster that has not been submitted (a mistake, not a withdrawal)."""
    if not has_perm(actor, Perm.ROSTER_EDIT):
        raise Forbidden()
    with transaction.atomic():
        locked, row = _locked_enrollment(actor, enrollment.pk)
        if locked.state not in rules.ROSTER_OPEN_STATES:
            message = rules.ROSTER_CLOSED.format(state=gettext(ClassState(locked.state).label))
            raise Conflict(message, [("person", message)])
        if row.attendance.exists():
            # Never the case before a class runs; kept as a guard for the register's history.
            raise Conflict(rules.ROSTER_CLOSED.format(state=gettext(ClassState(locked.state).label)))
        audit_record(actor=actor, action=AuditAction.ENROLLMENT_DELETE, obj=row,  # zh-data: audit record
                     summary=f"培训班 {locked.code} 移出学员 #{row.person_id}",
                     changes={"class": locked.pk, "person": row.person_id})
        row.delete()
        hooks.outcomes_changed([row.person_id])


def _clean_certificate(data: dict[str, Any], row: Enrollment, errors: Errors) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field, choices, invalid in (
            ("certificate_type", CertificateType, rules.CERTIFICATE_TYPE_INVALID),
            ("certificate_level", TrainingLevel, rules.CERTIFICATE_LEVEL_INVALID)):
        if field in data:
            code = parse_choice(data[field], field, errors, choices, invalid, blank=True)
            if code is not None:
                values[field] = code
    for field, limit, message in (("certificate_number", 50, rules.CERTIFICATE_NUMBER_TOO_LONG),
                                  ("certificate_issuer", 100, rules.CERTIFICATE_ISSUER_TOO_LONG)):
        if field in data:
            value = parse_text(data[field], field, errors, max_length=limit, too_long=message,
                               single_line=True)
            if value is not None:
                values[field] = value
    if "certificate_date" in data:
        values["certificate_date"] = parse_date(data["certificate_date"], "certificate_date", errors)
    return values


def enrollment_update(*, actor: User, enrollment: Enrollment, data: dict[str, Any]) -> Enrollment:
    """Record a trainee's status, reported hours, result, appraisal and certificate.

    Each part has its time: hours and results while the class runs (or is being corrected after
    a failed audit), certificates once completion is declared. `certificate` may be given as one
    object {type, level, number, date, issuer}.
    """
    if not has_perm(actor, Perm.ROSTER_EDIT):
        raise Forbidden()
    errors: Errors = []
    data = dict(data)
    certificate = data.pop("certificate", None)
    if isinstance(certificate, dict):
        for key in ("type", "level", "number", "date", "issuer"):
            if key in certificate:
                data.setdefault(f"certificate_{key}", certificate[key])
    elif certificate not in (None, ""):
        errors.append(("certificate", rules.CERTIFICATE_FIELDS_INCOMPLETE))
    for key in data:
        if key not in ENROLLMENT_FIELDS:
            errors.append((key, rules.UNKNOWN_FIELD))
    bad = sorted(k for k, v in data.items() if bad_text(v) or bad_text(k))
    errors += [(k, rules.TEXT_INVALID) for k in bad]
    data = {k: v for k, v in data.items() if k in ENROLLMENT_FIELDS and k not in bad}
    today = timezone.localdate()
    with transaction.atomic():
        locked, row = _locked_enrollment(actor, enrollment.pk)
        state = ClassState(locked.state)
        before = enrollment_snapshot(row)
        values: dict[str, Any] = {}

        if "status" in data:
            status = text(data["status"])
            if status not in EnrollmentStatus.values:
                errors.append(("status", rules.STATUS_INVALID))
            elif status != row.status:
                if status == EnrollmentStatus.WITHDRAWN:
                    reason = one_line(data.get("withdraw_reason"))
                    if row.status != EnrollmentStatus.ENROLLED or state not in rules.WITHDRAW_STATES:
                        message = rules.WITHDRAW_NOT_ALLOWED.format(
                            status=gettext(EnrollmentStatus(row.status).label))
                        raise Conflict(message, [("status", message)])
                    if not reason:
                        errors.append(("withdraw_reason", rules.WITHDRAW_REASON_REQUIRED))
                    values.update(status=status, withdraw_reason=reason[:200], withdrawn_on=today)
                elif status == EnrollmentStatus.ENROLLED:
                    message = rules.WITHDRAW_NOT_ALLOWED.format(
                        status=gettext(EnrollmentStatus(row.status).label))
                    raise Conflict(message, [("status", message)])
                else:
                    if state not in rules.ATTENDANCE_STATES or row.status == EnrollmentStatus.WITHDRAWN:
                        message = rules.RESULT_CLOSED.format(state=gettext(state.label))
                        raise Conflict(message, [("status", message)])
                    values["status"] = status

        if "attended_hours" in data:
            if state not in rules.ATTENDANCE_STATES:
                message = rules.ATTENDANCE_CLOSED.format(state=gettext(state.label))
                raise Conflict(message, [("attended_hours", message)])
            if ClassSession.objects.filter(training_class=locked).exists():
                raise Conflict(rules.ATTENDANCE_FROM_REGISTER,
                               [("attended_hours", rules.ATTENDANCE_FROM_REGISTER)])
            hours = parse_decimal(data["attended_hours"], "attended_hours", errors,
                                  low=Decimal("0"), high=MAX_HOURS, places=1,
                                  message=rules.HOURS_VALUE_INVALID)
            if hours is not None and hours > locked.hours:
                errors.append(("attended_hours",
                               rules.ATTENDANCE_EXCEEDS_CLASS.format(hours=locked.hours)))
            elif hours is not None:
                values["attended_hours"] = hours

        if "result" in data:
            if state not in rules.ATTENDANCE_STATES | {ClassState.COMPLETED}:
                message = rules.RESULT_CLOSED.format(state=gettext(state.label))
                raise Conflict(message, [("result", message)])
            result = one_line(data["result"])
            if len(result) > 50:
                errors.append(("result", rules.RESULT_TOO_LONG))
            else:
                values["result"] = result

        cert_keys = [k for k in ("appraisal_result", *CERTIFICATE_FIELDS) if k in data]
        if cert_keys:
            if state not in rules.CERTIFICATE_STATES:
                raise Conflict(rules.CERTIFICATE_CLOSED,
                               [(cert_keys[0], rules.CERTIFICATE_CLOSED)])
            if row.status != EnrollmentStatus.COMPLETED and values.get("status") != EnrollmentStatus.COMPLETED:
                message = rules.CERTIFICATE_NOT_COMPLETED.format(
                    person=rules.describe_person(row.person))
                raise Conflict(message, [(cert_keys[0], message)])
            if "appraisal_result" in data:
                outcome = text(data["appraisal_result"])
                if outcome and outcome not in AppraisalResult.values:
                    errors.append(("appraisal_result", rules.APPRAISAL_RESULT_INVALID))
                else:
                    values["appraisal_result"] = outcome
            values.update(_clean_certificate(data, row, errors))
            merged = {key: values.get(key, getattr(row, key)) for key in CERTIFICATE_FIELDS}
            given = [key for key in CERTIFICATE_FIELDS if key != "certificate_level" and merged[key]]
            if given and len(given) < 4 and not any(f in dict(errors) for f in CERTIFICATE_FIELDS):
                missing = [key for key in CERTIFICATE_FIELDS
                           if key != "certificate_level" and not merged[key]]
                errors += [(key, rules.CERTIFICATE_FIELDS_INCOMPLETE) for key in missing]
            issued = merged["certificate_date"]
            if issued is not None and "certificate_date" in values:
                if issued < locked.start_date:
                    errors.append(("certificate_date", rules.CERTIFICATE_DATE_EARLY.format(
                        date=locked.start_date.isoformat())))
                elif issued > today:
                    errors.append(("certificate_date", rules.CERTIFICATE_DATE_FUTURE))

        if errors:
            raise InvalidInput(errors)
        for key, value in values.items():
            setattr(row, key, value)
        edit_save(actor=actor, record=row, changes=diff(before, enrollment_snapshot(row)),  # zh-data: audit record
                  action=AuditAction.ENROLLMENT_UPDATE,
                  summary=f"培训班 {locked.code} 学员 #{row.person_id} 记录更新",
                  context={"class": locked.pk})
        hooks.outcomes_changed([row.person_id])
    return row


# ---- the attendance register ---------------------------------------------------------------------

def session_record(*, actor: User, training_class: TrainingClass, date: Any, hours: Any,
                   topic: str = "", attendance: dict[Any, Any]) -> ClassSession:
    """Record one session of the register: its date and hours, and the hours each trainee on the
    roster attended (absent trainees 0). Recording the same date and topic again corrects it.

    The trainees' attended hours become the sum of the register, in the same transaction.
    """
    if not has_perm(actor, Perm.ROSTER_EDIT):
        raise Forbidden()
    errors: Errors = []
    day = parse_date(date, "date", errors, required=True)
    session_hours = parse_decimal(hours, "hours", errors, low=Decimal("0.5"), high=Decimal("24"),
                                  places=1, message=rules.SESSION_HOURS_INVALID)
    topic = one_line(topic)
    if bad_text(topic):
        errors.append(("topic", rules.TEXT_INVALID))
    elif len(topic) > 100:
        errors.append(("topic", rules.TOPIC_TOO_LONG))
    if not isinstance(attendance, dict):
        raise InvalidInput([("attendance", rules.HOURS_VALUE_INVALID)])
    with transaction.atomic():
        locked = locked_class(actor, training_class.pk)
        if locked.state not in rules.ATTENDANCE_STATES:
            message = rules.ATTENDANCE_CLOSED.format(state=gettext(ClassState(locked.state).label))
            raise Conflict(message, [("date", message)])
        if day is not None and not locked.start_date <= day <= locked.end_date:
            errors.append(("date", rules.SESSION_DATE_OUTSIDE.format(
                start=locked.start_date.isoformat(), end=locked.end_date.isoformat())))
        elif day is not None and day > timezone.localdate():
            # A register records what happened: no session for a day still to come (issue 12).
            errors.append(("date", rules.SESSION_DATE_FUTURE.format(date=day.isoformat())))
        roster = {e.pk: e for e in Enrollment.objects.filter(
            training_class=locked).exclude(status=EnrollmentStatus.WITHDRAWN)}
        per_trainee: dict[int, Decimal] = {}
        for key, value in attendance.items():
            field = f"attendance.{key}"
            pk = int(key) if str(key).isdigit() and len(str(key)) < 10 else None
            if pk is None or pk not in roster:
                errors.append((field, rules.PERSON_NOT_FOUND))
                continue
            amount = parse_decimal("0" if value in (None, "") else value, field, errors,
                                   low=Decimal("0"), high=Decimal("24"), places=1,
                                   message=rules.HOURS_VALUE_INVALID)
            if amount is None:
                continue
            if session_hours is not None and amount > session_hours:
                errors.append((field, rules.ATTENDANCE_EXCEEDS_SESSION.format(hours=session_hours)))
                continue
            per_trainee[pk] = amount
        if errors:
            raise InvalidInput(errors)
        assert day is not None and session_hours is not None
        session, created = ClassSession.objects.get_or_create(
            training_class=locked, date=day, topic=topic, defaults={"hours": session_hours})
        before = {a.enrollment_id: str(a.hours) for a in session.attendance.all()}
        if not created and session.hours != session_hours:
            session.hours = session_hours
            session.save(update_fields=["hours"])
        # Only the current roster's hours are replaced: a trainee who withdrew keeps the hours
        # they attended before, when a session is corrected later.
        Attendance.objects.filter(session=session, enrollment_id__in=list(roster)).delete()
        Attendance.objects.bulk_create(
            Attendance(session=session, enrollment_id=pk, hours=per_trainee.get(pk, Decimal("0")))
            for pk in roster)
        _recount_hours(locked)
        audit_record(actor=actor, action=AuditAction.ATTENDANCE_RECORD, obj=session,  # zh-data: audit record
                     summary=f"培训班 {locked.code} 考勤 {day.isoformat()}",
                     changes={"class": locked.pk, "hours": str(session_hours), "topic": topic,
                              "before": before,
                              "after": {pk: str(per_trainee.get(pk, Decimal("0"))) for pk in roster}})
    return session


def _recount_hours(training_class: TrainingClass) -> None:
    totals = dict(Attendance.objects.filter(session__training_class=training_class)
                  .values("enrollment_id").annotate(total=Sum("hours"))
                  .values_list("enrollment_id", "total"))
    now = timezone.now()
    for enrollment in Enrollment.objects.filter(training_class=training_class):
        total = totals.get(enrollment.pk) or Decimal("0")
        if enrollment.attended_hours != total:
            enrollment.attended_hours = total
            enrollment.updated_at = now
            enrollment.save(update_fields=["attended_hours", "updated_at"])


# ---- results of a whole roster -------------------------------------------------------------------

APPRAISAL_KEPT = _("已登记鉴定结果的学员请在其学员记录中修改")


def appraisal_bulk(*, actor: User, training_class: TrainingClass,
                   exceptions: dict[int, str]) -> dict[str, int]:
    """"全部合格，再改例外": every completed trainee of the class (as far as the actor sees) whose
    appraisal result is not yet recorded gets `passed`, or the result `exceptions` gives for their
    enrolment id. Results already recorded are kept; an exception naming one of those, or a
    trainee not of this list, is refused. All or nothing, each trainee's change audited."""
    if not has_perm(actor, Perm.ROSTER_EDIT):
        raise Forbidden()
    with transaction.atomic():
        locked = locked_class(actor, training_class.pk)
        if locked.state not in rules.CERTIFICATE_STATES:
            raise Conflict(rules.CERTIFICATE_CLOSED, [("appraisal_result", rules.CERTIFICATE_CLOSED)])
        visible = enrollments_visible_to(actor).filter(
            training_class=locked, status=EnrollmentStatus.COMPLETED).values_list("pk", flat=True)
        rows = list(Enrollment.objects.select_for_update().select_related("person")
                    .filter(pk__in=list(visible)).order_by("pk"))
        open_rows = {row.pk: row for row in rows if not row.appraisal_result}
        errors: Errors = []
        for key, outcome in exceptions.items():
            if key not in open_rows:
                errors.append((f"appraisal_result.{key}", APPRAISAL_KEPT if any(
                    row.pk == key for row in rows) else rules.PERSON_NOT_FOUND))
            elif outcome not in AppraisalResult.values:
                errors.append((f"appraisal_result.{key}", rules.APPRAISAL_RESULT_INVALID))
        if errors:
            raise InvalidInput(errors)
        outcome_counts = {"recorded": 0, "kept": len(rows) - len(open_rows)}
        for row in open_rows.values():
            before = enrollment_snapshot(row)
            row.appraisal_result = exceptions.get(row.pk, "passed")
            edit_save(actor=actor, record=row, changes=diff(before, enrollment_snapshot(row)),  # zh-data: audit record
                      action=AuditAction.ENROLLMENT_UPDATE,
                      summary=f"培训班 {locked.code} 学员 #{row.person_id} 鉴定结果（整班登记）",
                      context={"class": locked.pk})
            outcome_counts["recorded"] += 1
        if open_rows:
            hooks.outcomes_changed([row.person_id for row in open_rows.values()])
    return outcome_counts
