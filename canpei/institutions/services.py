"""Writes to institutions and their teachers, and the designation lifecycle. Each takes the acting
user, checks the rules, locks what it changes and writes its audit entry in the same transaction."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from canpei.accounts.models import User
from canpei.accounts.roles import Perm, Role, has_perm
from canpei.audit.actions import AuditAction
from canpei.audit.services import audit_record
from canpei.errors import Conflict, Forbidden, NotFound
from canpei.institutions import rules
from canpei.institutions.models import (
    DesignationEvent, DesignationState, Institution, InstitutionType, Teacher,
)
from canpei.regions.models import Region
from canpei.institutions.selectors import institutions_visible_to
from canpei.validation import Fields, model_update, parse_date, text
from canpei.workflows import Errors, Hooks, Lifecycle, Transition

EDITABLE_FIELDS = ("name", "credit_code", "type", "town", "address", "license_number",
                   "specialties", "accessibility", "contact_person", "phone")
# The city's record of what it designated: an institution's own staff keep the rest up to date.
CITY_ONLY_FIELDS = ("credit_code", "type", "town")
DESIGNATION_FIELDS = ("state", "designated_from", "designated_to")
TEACHER_FIELDS = ("name", "specialty", "qualification", "active")

# (field, maximum length, message) of the free-text fields.
TEXT_LIMITS = (("address", 200, rules.ADDRESS_TOO_LONG),
               ("license_number", 50, rules.LICENSE_TOO_LONG),
               ("specialties", 1000, rules.SPECIALTIES_TOO_LONG),
               ("contact_person", 30, rules.CONTACT_TOO_LONG))


def institution_snapshot(institution: Institution) -> dict[str, Any]:
    return {
        "name": institution.name, "credit_code": institution.credit_code,
        "type": institution.type, "town": institution.town_id, "address": institution.address,
        "license_number": institution.license_number, "specialties": institution.specialties,
        "accessibility": list(institution.accessibility or []),
        "contact_person": institution.contact_person, "phone": institution.phone,
        "state": institution.state,
        "designated_from": institution.designated_from.isoformat() if institution.designated_from else None,
        "designated_to": institution.designated_to.isoformat() if institution.designated_to else None,
    }


def _refusal(actor: User, current: Institution | None) -> Callable[[str], str | None]:
    def refuse(key: str) -> str | None:
        if key in DESIGNATION_FIELDS:
            return rules.DESIGNATION_FIELD
        if (key in CITY_ONLY_FIELDS and key in EDITABLE_FIELDS and current is not None
                and actor.role == Role.INSTITUTION_STAFF):
            return rules.CITY_ONLY_FIELD
        return None
    return refuse


def clean_institution_input(data: dict[str, Any], *, actor: User,
                            current: Institution | None) -> dict[str, Any]:
    """Validate every given field at once, so the user sees all problems together.

    Returns the model values to set. Shared by the page and the API.
    """
    f = Fields(data, allowed=EDITABLE_FIELDS, current=current, refuse=_refusal(actor, current))
    f.text("name", max_length=100, too_long=rules.NAME_TOO_LONG, required=rules.NAME_REQUIRED,
           single_line=True)

    if f.wanted("credit_code"):
        code = rules.normalize_credit_code(text(f.raw("credit_code")))
        message = rules.CREDIT_CODE_REQUIRED if not code else rules.credit_code_error(code)
        if message:
            f.error("credit_code", message)
        else:
            f.values["credit_code"] = code

    f.choice("type", InstitutionType, rules.TYPE_INVALID, required=True)

    if f.wanted("town"):
        code = text(f.raw("town"))
        town = (Region.objects.filter(code=code, level=Region.Level.TOWN).first()
                if code and len(code) <= 12 else None)
        if not code:
            f.error("town", rules.TOWN_REQUIRED)
        elif town is None:
            f.error("town", rules.TOWN_INVALID)
        else:
            f.values["town"] = town

    for key, limit, message in TEXT_LIMITS:
        f.text(key, max_length=limit, too_long=message)
    f.phone("phone", message=rules.PHONE_INVALID)

    if "accessibility" in f.data:
        slugs = f.data["accessibility"]
        if slugs is None or slugs == "":
            slugs = []
        if isinstance(slugs, str):
            slugs = [s for s in re.split(r"[,，\s]+", slugs) if s]
        if (not isinstance(slugs, (list, tuple))
                or any(not isinstance(s, str) or s not in rules.PREMISES_ACCESSIBILITY for s in slugs)):
            f.error("accessibility", rules.ACCESSIBILITY_INVALID)
        else:
            # Stored in the table's order, each once: the same choice always reads the same.
            f.values["accessibility"] = [s for s in rules.PREMISES_ACCESSIBILITY if s in slugs]
    return f.finish()


def _check_unique(institution: Institution) -> None:
    others = Institution.objects.exclude(pk=institution.pk) if institution.pk else Institution.objects.all()
    if others.filter(credit_code=institution.credit_code).exists():
        raise Conflict(rules.CREDIT_CODE_DUPLICATE, [("credit_code", rules.CREDIT_CODE_DUPLICATE)])


def _save_unique(institution: Institution) -> None:
    """Save, turning a lost race on the unique credit code into the same 409 as the check."""
    try:
        with transaction.atomic():
            institution.save()
    except IntegrityError:
        _check_unique(institution)
        raise


def institution_create(*, actor: User, data: dict[str, Any]) -> Institution:
    """Register an institution; it starts as an applicant (申请中) until the city designates it."""
    if not has_perm(actor, Perm.INSTITUTION_CREATE):
        raise Forbidden()
    values = clean_institution_input(data, actor=actor, current=None)
    institution = Institution(state=DesignationState.APPLIED, **values)
    with transaction.atomic():
        _check_unique(institution)
        _save_unique(institution)
        audit_record(actor=actor, action=AuditAction.INSTITUTION_CREATE, obj=institution,  # zh-data: audit record
                     summary=f"登记培训机构 #{institution.pk} {institution.name}",
                     changes={"after": institution_snapshot(institution)})
    return institution


def _locked(actor: User, institution_id: int) -> Institution:
    # The row lock serialises every write to one institution: an edit and a transition, or two
    # transitions, never interleave their read-check-write.
    institution = (institutions_visible_to(actor).select_for_update()
                   .filter(pk=institution_id).first())
    if institution is None:
        raise NotFound()
    return institution


def institution_update(*, actor: User, institution: Institution,
                       data: dict[str, Any]) -> Institution:
    """Edit the record: city_admin any institution; an institution's staff only their own, and
    never its credit code, type, town or designation."""
    if not has_perm(actor, Perm.INSTITUTION_EDIT):
        raise Forbidden()
    with transaction.atomic():
        locked = _locked(actor, institution.pk)
        values = clean_institution_input(data, actor=actor, current=locked)
        changes = model_update(locked, values, snapshot=institution_snapshot)
        if not changes:
            return locked
        locked.updated_at = timezone.now()
        _check_unique(locked)
        _save_unique(locked)
        audit_record(actor=actor, action=AuditAction.INSTITUTION_UPDATE, obj=locked,  # zh-data: audit record
                     summary=f"修改培训机构 #{locked.pk}", changes={"diff": changes})
    return locked


def _designation_dates(t: Transition[Institution], errors: Errors) -> dict[str, Any]:
    """`designate` records the validity dates; no other step takes them."""
    given = {name: t.data.get(name) for name in ("designated_from", "designated_to")}
    parsed = {name: parse_date(value, name, errors) for name, value in given.items()}
    if t.action == rules.Action.DESIGNATE:
        if not errors:
            errors += rules.designation_dates_errors(parsed["designated_from"],
                                                     parsed["designated_to"], t.today)
        return parsed
    errors += [(name, rules.DATES_ONLY_FOR_DESIGNATE) for name, value in given.items()
               if value not in (None, "") and not any(f == name for f, _m in errors)]
    return {}


def _dates_allow(t: Transition[Institution]) -> Errors:
    message = rules.date_refusal(t.obj, t.action, t.today)
    return [("action", message)] if message else []


DESIGNATION_HOOKS: Hooks[Institution] = Hooks(prepare=_designation_dates, checks=(_dates_allow,))

DESIGNATION_LIFECYCLE: Lifecycle[Institution] = Lifecycle(  # zh-data: audit record
    workflow=rules.DESIGNATION_WORKFLOW, audit_name="institution", lock=_locked,
    event_model=DesignationEvent, event_parent="institution",
    describe=lambda institution: f"培训机构 #{institution.pk}",
    hooks={action: DESIGNATION_HOOKS for action in rules.TRANSITIONS},
    # The validity dates each step leaves go into its history row and audit entry.
    event_fields=lambda institution: {"designated_from": institution.designated_from,
                                      "designated_to": institution.designated_to})


def institution_transition(*, institution: Institution, actor: User, action: str,
                           comment: str = "", designated_from: Any = None,
                           designated_to: Any = None) -> Institution:
    """Apply one step of the designation lifecycle (rules.DESIGNATION_WORKFLOW): `designate`
    with its validity dates, which no other step takes. Refusals and locking as in
    canpei.workflows."""
    if not has_perm(actor, Perm.INSTITUTION_DESIGNATE):
        raise Forbidden()
    return DESIGNATION_LIFECYCLE.apply(
        obj=institution, actor=actor, action=action, comment=comment,
        data={"designated_from": designated_from, "designated_to": designated_to})


# ---- teachers ----------------------------------------------------------------------------------

def clean_teacher_input(data: dict[str, Any], *, current: Teacher | None) -> dict[str, Any]:
    f = Fields(data, allowed=TEACHER_FIELDS, current=current)
    f.text("name", max_length=30, too_long=rules.TEACHER_NAME_TOO_LONG,
           required=rules.TEACHER_NAME_REQUIRED, single_line=True)
    f.text("specialty", max_length=50, too_long=rules.TEACHER_SPECIALTY_TOO_LONG)
    f.text("qualification", max_length=100, too_long=rules.TEACHER_QUALIFICATION_TOO_LONG)
    if "active" in f.data:
        # Only a true boolean (the page and the API both send one): a None from a partial body
        # must not read as "no" and retire the teacher.
        if not isinstance(f.data["active"], bool):
            f.error("active", rules.BOOLEAN_INVALID)
        else:
            f.values["active"] = f.data["active"]
    return f.finish()


def _teacher_snapshot(teacher: Teacher) -> dict[str, Any]:
    return {"name": teacher.name, "specialty": teacher.specialty,
            "qualification": teacher.qualification, "active": teacher.active}


def teacher_add(*, actor: User, institution: Institution, data: dict[str, Any]) -> Teacher:
    if not has_perm(actor, Perm.INSTITUTION_EDIT):
        raise Forbidden()
    values = clean_teacher_input(data, current=None)
    with transaction.atomic():
        locked = _locked(actor, institution.pk)
        teacher = Teacher.objects.create(institution=locked, **values)
        audit_record(actor=actor, action=AuditAction.TEACHER_CREATE, obj=teacher,  # zh-data: audit record
                     summary=f"培训机构 #{locked.pk} 添加教师 #{teacher.pk}",
                     changes={"institution": locked.pk, "after": _teacher_snapshot(teacher)})
    return teacher


def teacher_update(*, actor: User, teacher: Teacher, data: dict[str, Any]) -> Teacher:
    if not has_perm(actor, Perm.INSTITUTION_EDIT):
        raise Forbidden()
    with transaction.atomic():
        # The institution's scope decides; its row lock orders edits of its teachers.
        _locked(actor, teacher.institution_id)
        locked = Teacher.objects.select_for_update().get(pk=teacher.pk)
        changes = model_update(locked, clean_teacher_input(data, current=locked),
                               snapshot=_teacher_snapshot)
        if not changes:
            return locked
        locked.save()
        audit_record(actor=actor, action=AuditAction.TEACHER_UPDATE, obj=locked,  # zh-data: audit record
                     summary=f"修改教师 #{locked.pk}",
                     changes={"institution": locked.institution_id, "diff": changes})
    return locked
