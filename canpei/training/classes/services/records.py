"""Creating and editing training classes (the application form an institution fills in)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from canpei import hooks
from canpei.accounts.models import User
from canpei.accounts.roles import Perm, Role, has_perm
from canpei.audit.actions import AuditAction
from canpei.audit.services import audit_record
from canpei.codes import TrainingLevel, TrainingMode, TrainingType
from canpei.errors import Conflict, Forbidden, InvalidInput, NotFound
from canpei.institutions.models import Institution, Teacher
from canpei.people.models import Skill
from canpei.training import rules
from canpei.training.models import ClassCodeCounter, ClassState, Enrollment, TrainingClass
from canpei.training.classes.selectors import classes_visible_to
from canpei.training.common import check_occupation, edit_save, institution_by_id
from canpei.validation import Fields, snapshot_diff, text

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
# The class's code-table fields, each required: (field, code table, message).
CODE_FIELDS = (("training_type", TrainingType, rules.TYPE_INVALID),
               ("mode", TrainingMode, rules.MODE_INVALID),
               ("level", TrainingLevel, rules.LEVEL_INVALID))


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


def _class_refusal(key: str) -> str | None:
    return rules.STATE_FIELD if key == "state" else None


def clean_class_input(data: dict[str, Any], *, actor: User,
                      current: TrainingClass | None) -> dict[str, Any]:
    """Validate every given field at once (the form shows all problems together) and return the
    values to set; `teachers` comes back as a list of Teacher rows. Shared by page, API and import."""
    f = Fields(data, allowed=EDITABLE_FIELDS, current=current, refuse=_class_refusal)
    values = f.values
    f.text("name", max_length=100, too_long=rules.NAME_TOO_LONG, required=rules.NAME_REQUIRED,
           single_line=True)

    institution = current.institution if current is not None else None
    if actor.role == Role.INSTITUTION_STAFF:
        own = actor.institution_id
        given = text(f.raw("institution"))
        if given and given != str(own):
            f.error("institution", rules.INSTITUTION_FIXED)
        elif current is None:
            institution = Institution.objects.filter(pk=own).first() if own else None
            values["institution"] = institution
    elif f.wanted("institution"):
        given = text(f.raw("institution"))
        if not given:
            f.error("institution", rules.INSTITUTION_REQUIRED)
        else:
            found = institution_by_id(actor, given)
            if found is None:
                f.error("institution", rules.INSTITUTION_INVALID)
            else:
                institution = values["institution"] = found

    for field, table, message in CODE_FIELDS:
        f.choice(field, table, message, required=True)
    check_occupation(f)

    if "skill" in f.data:
        code = text(f.data["skill"])
        skill = Skill.objects.filter(code=code[:40]).first() if code else None
        if code and skill is None:
            f.error("skill", rules.SKILL_INVALID)
        else:
            values["skill"] = skill

    f.text("industry", max_length=50, too_long=rules.INDUSTRY_TOO_LONG, single_line=True)
    f.text("venue", max_length=200, too_long=rules.VENUE_TOO_LONG, single_line=True)
    f.text("filing_number", max_length=50, too_long=rules.FILING_TOO_LONG, single_line=True)
    for field in FLAG_FIELDS:
        f.boolean(field)

    start = f.date("start_date", required=True) if f.wanted("start_date") else f.final("start_date", None)
    end = f.date("end_date", required=True) if f.wanted("end_date") else f.final("end_date", None)
    if start is not None and end is not None and ("start_date" in values or "end_date" in values):
        if end < start:
            f.error("end_date", rules.DATES_ORDER)
        elif end - start > MAX_SPAN:
            f.error("end_date", rules.DATES_TOO_LONG)

    f.integer("hours", low=1, high=5000, message=rules.HOURS_INVALID, required=True)
    f.integer("capacity", low=1, high=1000, message=rules.CAPACITY_INVALID, required=True)
    f.money("subsidy_standard", message=rules.SUBSIDY_INVALID)

    if (f.final("filing_number") and not f.final("appraisal", False)
            and ("filing_number" in values or "appraisal" in values)):
        f.error("filing_number", rules.FILING_WITHOUT_APPRAISAL)

    if "teachers" in f.data:
        ids = f.data["teachers"]
        if ids in (None, ""):
            ids = []
        if isinstance(ids, (str, int)):
            ids = [ids]
        teachers: list[Teacher] = []
        if not isinstance(ids, (list, tuple)) or any(not str(i).strip().isdigit() or
                                                     len(str(i).strip()) > 9 for i in ids):
            f.error("teachers", rules.TEACHERS_INVALID)
        elif institution is not None:
            wanted_ids = {int(str(i).strip()) for i in ids}
            teachers = list(Teacher.objects.filter(pk__in=wanted_ids, institution=institution,
                                                   active=True))
            if len(teachers) != len(wanted_ids):
                f.error("teachers", rules.TEACHERS_INVALID)
        values["teachers"] = teachers
    return f.finish()


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


def class_create(*, actor: User, data: dict[str, Any]) -> TrainingClass:
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
        audit_record(actor=actor, action=AuditAction.CLASS_CREATE, obj=training_class,  # zh-data: audit record
                     summary=f"新建培训班 {training_class.code}",
                     changes={"after": class_snapshot(training_class)})
    return training_class


def locked_class(actor: User, class_id: int) -> TrainingClass:
    """The class, visible to the actor, locked until the transaction ends: every write to a class
    (edit, transition, roster, register) takes this lock first, so none interleave."""
    if not classes_visible_to(actor).filter(pk=class_id).exists():
        raise NotFound()
    # Locked by primary key alone: the scope's EXISTS subquery has no place in FOR UPDATE.
    return TrainingClass.objects.select_for_update().select_related("institution").get(pk=class_id)


def class_update(*, actor: User, training_class: TrainingClass,
                 data: dict[str, Any]) -> TrainingClass:
    """Edit a draft or returned class; the filing number alone may still change until it runs."""
    if not has_perm(actor, Perm.CLASS_EDIT):
        raise Forbidden()
    with transaction.atomic():
        locked = locked_class(actor, training_class.pk)
        given = {key for key in data if key in EDITABLE_FIELDS}
        if locked.state not in rules.EDITABLE_STATES and not (
                given <= {"filing_number", "appraisal"} and locked.state in FILING_EDITABLE_STATES):
            message = rules.NOT_EDITABLE_STATE.format(state=gettext(ClassState(locked.state).label))
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
        edit_save(actor=actor, record=locked,  # zh-data: audit record
                  changes=snapshot_diff(before, class_snapshot(locked)),
                  action=AuditAction.CLASS_UPDATE, summary=f"修改培训班 {locked.code}")
        hooks.outcomes_changed(Enrollment.objects.filter(training_class=locked)
                               .values_list("person_id", flat=True))
    return locked
