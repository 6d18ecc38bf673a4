"""Writes to institutions and their teachers, and the designation lifecycle. Each takes the acting
user, checks the rules, locks what it changes and writes its audit entry in the same transaction."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from canpei.accounts.roles import Perm, Role, has_perm
from canpei.audit.services import audit_record
from canpei.errors import Conflict, Forbidden, InvalidInput, NotFound
from canpei.institutions import rules
from canpei.institutions.models import (
    DesignationEvent, DesignationState, Institution, InstitutionType, Teacher,
)
from canpei.regions.models import Region
from canpei.regions.scope import institutions_visible_to
from canpei.workflows import Errors, Hooks, Lifecycle, Transition

if TYPE_CHECKING:
    from canpei.accounts.models import User

MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
LANDLINE = re.compile(r"^0[0-9]{2,3}-?[0-9]{7,8}$")

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


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value).strip()


def _bad_text(value: Any) -> bool:
    """U+0000 (PostgreSQL cannot store it), lone surrogates (not encodable) and control characters
    other than line breaks and tabs."""
    if isinstance(value, (list, tuple)):
        return any(_bad_text(item) for item in value)
    if not isinstance(value, str):
        return False
    return any(unicodedata.category(c) in ("Cs", "Cc") and c not in "\n\r\t" for c in value)


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


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {key: [before.get(key), after[key]] for key in after if before.get(key) != after[key]}


def clean_institution_input(data: dict[str, Any], *, actor: Any,
                            current: Institution | None) -> dict[str, Any]:
    """Validate every given field at once, so the user sees all problems together.

    Returns the model values to set. Shared by the page and the API.
    """
    errors: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    bad = {key for key, value in data.items() if _bad_text(value) or _bad_text(key)}
    for key in data:
        if key in DESIGNATION_FIELDS:
            errors.append((key, rules.DESIGNATION_FIELD))
        elif key not in EDITABLE_FIELDS:
            errors.append((key, rules.UNKNOWN_FIELD))
        elif (key in CITY_ONLY_FIELDS and current is not None
              and getattr(actor, "role", None) == Role.INSTITUTION_STAFF):
            errors.append((key, rules.CITY_ONLY_FIELD))
    refused = {field for field, _m in errors}
    data = {key: ("" if key in bad else value) for key, value in data.items()
            if key not in refused}

    if current is None or "name" in data:
        name = re.sub(r"\s+", " ", _text(data.get("name")))
        if not name:
            errors.append(("name", rules.NAME_REQUIRED))
        elif len(name) > 100:
            errors.append(("name", rules.NAME_TOO_LONG))
        else:
            values["name"] = name

    if current is None or "credit_code" in data:
        code = rules.normalize_credit_code(_text(data.get("credit_code")))
        message = rules.CREDIT_CODE_REQUIRED if not code else rules.credit_code_error(code)
        if message:
            errors.append(("credit_code", message))
        else:
            values["credit_code"] = code

    if current is None or "type" in data:
        kind = _text(data.get("type"))
        if kind not in InstitutionType.values:
            errors.append(("type", rules.TYPE_INVALID))
        else:
            values["type"] = kind

    if current is None or "town" in data:
        code = _text(data.get("town"))
        town = (Region.objects.filter(code=code, level=Region.Level.TOWN).first()
                if code and len(code) <= 12 else None)
        if not code:
            errors.append(("town", rules.TOWN_REQUIRED))
        elif town is None:
            errors.append(("town", rules.TOWN_INVALID))
        else:
            values["town"] = town

    for key, limit, message in TEXT_LIMITS:
        if key in data:
            text = _text(data[key])
            if len(text) > limit:
                errors.append((key, message))
            else:
                values[key] = text

    if "phone" in data:
        phone = re.sub(r"\s", "", _text(data["phone"]))
        if phone and not (MOBILE.match(phone) or LANDLINE.match(phone)):
            errors.append(("phone", rules.PHONE_INVALID))
        else:
            values["phone"] = phone

    if "accessibility" in data:
        slugs = data["accessibility"]
        if slugs is None or slugs == "":
            slugs = []
        if isinstance(slugs, str):
            slugs = [s for s in re.split(r"[,，\s]+", slugs) if s]
        if (not isinstance(slugs, (list, tuple))
                or any(not isinstance(s, str) or s not in rules.PREMISES_ACCESSIBILITY for s in slugs)):
            errors.append(("accessibility", rules.ACCESSIBILITY_INVALID))
        else:
            # Stored in the table's order, each once: the same choice always reads the same.
            values["accessibility"] = [s for s in rules.PREMISES_ACCESSIBILITY if s in slugs]

    if bad:
        errors = [e for e in errors if e[0] not in bad] + [
            (k, rules.TEXT_INVALID) for k in sorted(bad) if k not in refused]
    if errors:
        raise InvalidInput(errors)
    return values


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


def institution_create(*, actor: Any, data: dict[str, Any]) -> Institution:
    """Register an institution; it starts as an applicant (申请中) until the city designates it."""
    if not has_perm(actor, Perm.INSTITUTION_CREATE):
        raise Forbidden()
    values = clean_institution_input(data, actor=actor, current=None)
    institution = Institution(state=DesignationState.APPLIED, **values)
    with transaction.atomic():
        _check_unique(institution)
        _save_unique(institution)
        audit_record(actor=actor, action="institution.create", obj=institution,
                     summary=f"登记培训机构 #{institution.pk} {institution.name}",
                     changes={"after": institution_snapshot(institution)})
    return institution


def _locked(actor: Any, institution_id: int) -> Institution:
    # The row lock serialises every write to one institution: an edit and a transition, or two
    # transitions, never interleave their read-check-write.
    institution = (institutions_visible_to(actor).select_for_update()
                   .filter(pk=institution_id).first())
    if institution is None:
        raise NotFound()
    return institution


def institution_update(*, actor: Any, institution: Institution,
                       data: dict[str, Any]) -> Institution:
    """Edit the record: city_admin any institution; an institution's staff only their own, and
    never its credit code, type, town or designation."""
    if not has_perm(actor, Perm.INSTITUTION_EDIT):
        raise Forbidden()
    with transaction.atomic():
        locked = _locked(actor, institution.pk)
        before = institution_snapshot(locked)
        values = clean_institution_input(data, actor=actor, current=locked)
        for key, value in values.items():
            setattr(locked, key, value)
        changes = _diff(before, institution_snapshot(locked))
        if not changes:
            return locked
        locked.updated_at = timezone.now()
        _check_unique(locked)
        _save_unique(locked)
        audit_record(actor=actor, action="institution.update", obj=locked,
                     summary=f"修改培训机构 #{locked.pk}", changes={"diff": changes})
    return locked


def _parse_date(value: Any, field: str, errors: list[tuple[str, str]]) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        errors.append((field, "日期格式须为 YYYY-MM-DD"))
        return None


def _designation_dates(t: Transition[Institution], errors: Errors) -> dict[str, Any]:
    """`designate` records the validity dates; no other step takes them."""
    given = {name: t.data.get(name) for name in ("designated_from", "designated_to")}
    parsed = {name: _parse_date(value, name, errors) for name, value in given.items()}
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

DESIGNATION_LIFECYCLE: Lifecycle[Institution] = Lifecycle(
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
    errors: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    bad = {key for key, value in data.items() if _bad_text(value) or _bad_text(key)}
    for key in data:
        if key not in TEACHER_FIELDS:
            errors.append((key, rules.UNKNOWN_FIELD))
    data = {key: ("" if key in bad else value) for key, value in data.items()}
    if current is None or "name" in data:
        name = re.sub(r"\s+", " ", _text(data.get("name")))
        if not name:
            errors.append(("name", rules.TEACHER_NAME_REQUIRED))
        elif len(name) > 30:
            errors.append(("name", rules.TEACHER_NAME_TOO_LONG))
        else:
            values["name"] = name
    for key, limit, message in (("specialty", 50, rules.TEACHER_SPECIALTY_TOO_LONG),
                                ("qualification", 100, rules.TEACHER_QUALIFICATION_TOO_LONG)):
        if key in data:
            text = _text(data[key])
            if len(text) > limit:
                errors.append((key, message))
            else:
                values[key] = text
    if "active" in data:
        if not isinstance(data["active"], bool):
            errors.append(("active", rules.BOOLEAN_INVALID))
        else:
            values["active"] = data["active"]
    if bad:
        errors = [e for e in errors if e[0] not in bad] + [(k, rules.TEXT_INVALID) for k in sorted(bad)]
    if errors:
        raise InvalidInput(errors)
    return values


def _teacher_snapshot(teacher: Teacher) -> dict[str, Any]:
    return {"name": teacher.name, "specialty": teacher.specialty,
            "qualification": teacher.qualification, "active": teacher.active}


def teacher_add(*, actor: Any, institution: Institution, data: dict[str, Any]) -> Teacher:
    if not has_perm(actor, Perm.INSTITUTION_EDIT):
        raise Forbidden()
    values = clean_teacher_input(data, current=None)
    with transaction.atomic():
        locked = _locked(actor, institution.pk)
        teacher = Teacher.objects.create(institution=locked, **values)
        audit_record(actor=actor, action="teacher.create", obj=teacher,
                     summary=f"培训机构 #{locked.pk} 添加教师 #{teacher.pk}",
                     changes={"institution": locked.pk, "after": _teacher_snapshot(teacher)})
    return teacher


def teacher_update(*, actor: Any, teacher: Teacher, data: dict[str, Any]) -> Teacher:
    if not has_perm(actor, Perm.INSTITUTION_EDIT):
        raise Forbidden()
    with transaction.atomic():
        # The institution's scope decides; its row lock orders edits of its teachers.
        _locked(actor, teacher.institution_id)
        locked = Teacher.objects.select_for_update().get(pk=teacher.pk)
        before = _teacher_snapshot(locked)
        for key, value in clean_teacher_input(data, current=locked).items():
            setattr(locked, key, value)
        changes = _diff(before, _teacher_snapshot(locked))
        if not changes:
            return locked
        locked.save()
        audit_record(actor=actor, action="teacher.update", obj=locked,
                     summary=f"修改教师 #{locked.pk}",
                     changes={"institution": locked.institution_id, "diff": changes})
    return locked
