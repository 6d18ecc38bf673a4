"""Creating and editing training classes (the application form an institution fills in)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from canpei.accounts.roles import Perm, Role, has_perm
from canpei.audit.services import audit_record
from canpei.codes import TrainingLevel, TrainingMode, TrainingType
from canpei.errors import Conflict, Forbidden, InvalidInput, NotFound
from canpei.institutions.models import Institution, Teacher
from canpei.people.models import Skill
from canpei.institutions.selectors import institutions_visible_to
from canpei.training import rules
from canpei.training.models import ClassCodeCounter, ClassState, TrainingClass
from canpei.training.selectors import classes_visible_to
from canpei.training.services.common import (
    Errors, bad_text, diff, one_line, parse_bool, parse_date, parse_decimal, parse_int, text,
)

EDITABLE_FIELDS = ("name", "institution", "training_type", "mode", "occupation", "skill",
                   "industry", "level", "appraisal", "filing_number", "start_date", "end_date",
                   "hours", "capacity", "venue", "teachers", "subsidy_standard",
                   "free_for_hardship", "folk_craft", "high_skill", "young_adult_focus")
REQUIRED_FIELDS = ("name", "institution", "training_type", "mode", "occupation", "level",
                   "start_date", "end_date", "hours", "capacity")
FLAG_FIELDS = ("appraisal", "free_for_hardship", "folk_craft", "high_skill", "young_adult_focus")
# The filing number (开班备案号) usually arrives after approval, and an appraisal class needs it
# before it starts: so it stays editable until the class runs.
FILING_EDITABLE_STATES = frozenset({ClassState.DRAFT, ClassState.RETURNED, ClassState.SUBMITTED,
                                    ClassState.APPROVED})
MAX_SPAN = dt.timedelta(days=3 * 366)


def class_snapshot(training_class: TrainingClass) -> dict[str, Any]:
    snapshot: dict[str, Any] = {
        field: getattr(training_class, field) for field in
        ("name", "training_type", "mode", "occupation", "industry", "level", "appraisal",
         "filing_number", "hours", "capacity", "venue", *FLAG_FIELDS[1:])}
    snapshot["institution"] = training_class.institution_id
    snapshot["skill"] = training_class.skill_id
    snapshot["start_date"] = training_class.start_date.isoformat() if training_class.start_date else None
    snapshot["end_date"] = training_class.end_date.isoformat() if training_class.end_date else None
    snapshot["subsidy_standard"] = str(training_class.subsidy_standard)
    if training_class.pk:
        snapshot["teachers"] = sorted(training_class.teachers.values_list("pk", flat=True))
    return snapshot


def clean_class_input(data: dict[str, Any], *, actor: Any,
                      current: TrainingClass | None) -> dict[str, Any]:
    """Validate every given field at once (the form shows all problems together) and return the
    values to set; `teachers` comes back as a list of Teacher rows. Shared by page, API and import."""
    errors: Errors = []
    values: dict[str, Any] = {}
    bad = {key for key, value in data.items() if bad_text(value) or bad_text(key)}
    for key in data:
        if key == "state":
            errors.append((key, rules.STATE_FIELD))
        elif key not in EDITABLE_FIELDS:
            errors.append((key, rules.UNKNOWN_FIELD))
    refused = {field for field, _m in errors}
    data = {key: ("" if key in bad else value) for key, value in data.items() if key not in refused}

    def wanted(field: str) -> bool:
        return current is None or field in data

    if wanted("name"):
        name = one_line(data.get("name"))
        if not name:
            errors.append(("name", rules.NAME_REQUIRED))
        elif len(name) > 100:
            errors.append(("name", rules.NAME_TOO_LONG))
        else:
            values["name"] = name

    institution = current.institution if current is not None else None
    if getattr(actor, "role", None) == Role.INSTITUTION_STAFF:
        own = getattr(actor, "institution_id", None)
        given = text(data.get("institution"))
        if given and given != str(own):
            errors.append(("institution", rules.INSTITUTION_FIXED))
        elif current is None:
            institution = Institution.objects.filter(pk=own).first() if own else None
            values["institution"] = institution
    elif wanted("institution"):
        given = text(data.get("institution"))
        if not given:
            errors.append(("institution", rules.INSTITUTION_REQUIRED))
        else:
            found = (institutions_visible_to(actor).filter(pk=int(given)).first()
                     if given.isdigit() and len(given) < 10 else None)
            if found is None:
                errors.append(("institution", rules.INSTITUTION_INVALID))
            else:
                institution = values["institution"] = found

    for field, choices, message in (("training_type", TrainingType.values, rules.TYPE_INVALID),
                                    ("mode", TrainingMode.values, rules.MODE_INVALID),
                                    ("level", TrainingLevel.values, rules.LEVEL_INVALID)):
        if wanted(field):
            value = text(data.get(field))
            if value not in choices:
                errors.append((field, message))
            else:
                values[field] = value

    if wanted("occupation"):
        occupation = one_line(data.get("occupation"))
        if not occupation:
            errors.append(("occupation", rules.OCCUPATION_REQUIRED))
        elif len(occupation) > 50:
            errors.append(("occupation", rules.OCCUPATION_TOO_LONG))
        else:
            values["occupation"] = occupation

    if "skill" in data:
        code = text(data.get("skill"))
        if not code:
            values["skill"] = None
        else:
            skill = Skill.objects.filter(code=code[:40]).first()
            if skill is None:
                errors.append(("skill", rules.SKILL_INVALID))
            else:
                values["skill"] = skill

    for field, limit, message in (("industry", 50, rules.INDUSTRY_TOO_LONG),
                                  ("venue", 200, rules.VENUE_TOO_LONG),
                                  ("filing_number", 50, rules.FILING_TOO_LONG)):
        if field in data:
            value = one_line(data[field])
            if len(value) > limit:
                errors.append((field, message))
            else:
                values[field] = value

    for field in FLAG_FIELDS:
        if field in data:
            flag = parse_bool(data[field], field, errors)
            if flag is not None:
                values[field] = flag

    start = (parse_date(data.get("start_date"), "start_date", errors, required=True)
             if wanted("start_date") else current.start_date if current else None)
    end = (parse_date(data.get("end_date"), "end_date", errors, required=True)
           if wanted("end_date") else current.end_date if current else None)
    if wanted("start_date") and start is not None:
        values["start_date"] = start
    if wanted("end_date") and end is not None:
        values["end_date"] = end
    if start is not None and end is not None and ("start_date" in values or "end_date" in values):
        if end < start:
            errors.append(("end_date", rules.DATES_ORDER))
        elif end - start > MAX_SPAN:
            errors.append(("end_date", rules.DATES_TOO_LONG))

    if wanted("hours"):
        hours = parse_int(data.get("hours"), "hours", errors, low=1, high=5000,
                          message=rules.HOURS_INVALID)
        if hours is not None:
            values["hours"] = hours
    if wanted("capacity"):
        capacity = parse_int(data.get("capacity"), "capacity", errors, low=1, high=1000,
                             message=rules.CAPACITY_INVALID)
        if capacity is not None:
            values["capacity"] = capacity
    if "subsidy_standard" in data:
        raw = data["subsidy_standard"]
        amount = parse_decimal("0" if raw in (None, "") else raw, "subsidy_standard", errors,
                               low=Decimal("0"), high=Decimal("100000"), places=2,
                               message=rules.SUBSIDY_INVALID)
        if amount is not None:
            values["subsidy_standard"] = amount

    appraisal = values.get("appraisal", current.appraisal if current else False)
    filing = values.get("filing_number", current.filing_number if current else "")
    if filing and not appraisal and ("filing_number" in values or "appraisal" in values):
        errors.append(("filing_number", rules.FILING_WITHOUT_APPRAISAL))

    if "teachers" in data:
        ids = data["teachers"]
        if ids in (None, ""):
            ids = []
        if isinstance(ids, (str, int)):
            ids = [ids]
        teachers: list[Teacher] = []
        if not isinstance(ids, (list, tuple)) or any(not str(i).strip().isdigit() or
                                                     len(str(i).strip()) > 9 for i in ids):
            errors.append(("teachers", rules.TEACHERS_INVALID))
        elif institution is not None:
            wanted_ids = {int(str(i).strip()) for i in ids}
            teachers = list(Teacher.objects.filter(pk__in=wanted_ids, institution=institution,
                                                   active=True))
            if len(teachers) != len(wanted_ids):
                errors.append(("teachers", rules.TEACHERS_INVALID))
        values["teachers"] = teachers

    if bad:
        errors = [e for e in errors if e[0] not in bad] + [
            (k, rules.TEXT_INVALID) for k in sorted(bad) if k not in refused]
    if errors:
        raise InvalidInput(errors)
    return values


def _next_code(year: int) -> str:
    """The next class code of the year, e.g. `PX2026-00042`.

    The counter row is locked until the creating transaction commits, so two institutions
    creating classes at once get consecutive numbers, never the same one.
    """
    counter = ClassCodeCounter.objects.select_for_update().filter(year=year).first()
    if counter is None:
        try:
            with transaction.atomic():
                ClassCodeCounter.objects.create(year=year, last=0)
        except IntegrityError:
            pass  # another transaction created it first; its lock orders us behind it
        counter = ClassCodeCounter.objects.select_for_update().get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"PX{year}-{counter.last:05d}"


def class_create(*, actor: Any, data: dict[str, Any]) -> TrainingClass:
    """A new class, in draft: the institution fills in its roster before it submits."""
    if not has_perm(actor, Perm.CLASS_EDIT):
        raise Forbidden()
    values = clean_class_input(data, actor=actor, current=None)
    if values.get("institution") is None:
        raise InvalidInput([("institution", rules.INSTITUTION_INVALID)])
    teachers = values.pop("teachers", [])
    training_class = TrainingClass(state=ClassState.DRAFT, created_by=actor, **values)
    with transaction.atomic():
        training_class.code = _next_code(training_class.start_date.year)
        training_class.save()
        if teachers:
            training_class.teachers.set(teachers)
        audit_record(actor=actor, action="class.create", obj=training_class,
                     summary=f"新建培训班 {training_class.code}",
                     changes={"after": class_snapshot(training_class)})
    return training_class


def locked_class(actor: Any, class_id: int) -> TrainingClass:
    """The class, visible to the actor, locked until the transaction ends: every write to a class
    (edit, transition, roster, register) takes this lock first, so none interleave."""
    if not classes_visible_to(actor).filter(pk=class_id).exists():
        raise NotFound()
    # Locked by primary key alone: the scope's EXISTS subquery has no place in FOR UPDATE.
    return TrainingClass.objects.select_for_update().select_related("institution").get(pk=class_id)


def class_update(*, actor: Any, training_class: TrainingClass,
                 data: dict[str, Any]) -> TrainingClass:
    """Edit a draft or returned class; the filing number alone may still change until it runs."""
    if not has_perm(actor, Perm.CLASS_EDIT):
        raise Forbidden()
    with transaction.atomic():
        locked = locked_class(actor, training_class.pk)
        given = {key for key in data if key in EDITABLE_FIELDS}
        if locked.state not in rules.EDITABLE_STATES and not (
                given <= {"filing_number", "appraisal"} and locked.state in FILING_EDITABLE_STATES):
            message = rules.NOT_EDITABLE_STATE.format(state=ClassState(locked.state).label)
            raise Conflict(message, [(next(iter(sorted(given)), "state"), message)])
        before = class_snapshot(locked)
        values = clean_class_input(data, actor=actor, current=locked)
        teachers = values.pop("teachers", None)
        if "institution" in values and values["institution"].pk != locked.institution_id:
            # A class changing institution takes none of the old one's teachers along.
            teachers = [t for t in (teachers or []) if t.institution_id == values["institution"].pk]
        for key, value in values.items():
            setattr(locked, key, value)
        if teachers is not None:
            locked.teachers.set(teachers)
        elif "institution" in values:
            locked.teachers.clear()
        changes = diff(before, class_snapshot(locked))
        if not changes:
            return locked
        locked.updated_at = timezone.now()
        locked.save()
        audit_record(actor=actor, action="class.update", obj=locked,
                     summary=f"修改培训班 {locked.code}", changes={"diff": changes})
    return locked
