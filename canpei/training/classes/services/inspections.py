"""Process inspections (过程检查): city staff visit a running class and count who is there."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from canpei.accounts.models import User
from canpei.accounts.roles import Perm, has_perm
from canpei.audit.actions import AuditAction
from canpei.audit.services import audit_record
from canpei.errors import Conflict, Forbidden, InvalidInput, NotFound
from canpei.training import rules
from canpei.training.models import ClassState, Enrollment, EnrollmentStatus, Inspection, TrainingClass
from canpei.training.classes.services.records import locked_class
from canpei.training.common import (
    Errors, bad_text, one_line, parse_bool, parse_date, parse_int, text,
)

INSPECTION_FIELDS = ("date", "inspector_name", "present", "findings", "rectification_required")


def inspection_snapshot(inspection: Inspection) -> dict[str, Any]:
    return {"date": inspection.date.isoformat(), "inspector_name": inspection.inspector_name,
            "on_roster": inspection.on_roster, "present": inspection.present,
            "findings": inspection.findings,
            "rectification_required": inspection.rectification_required,
            "rectification_note": inspection.rectification_note,
            "rectified_on": inspection.rectified_on.isoformat() if inspection.rectified_on else None}


def inspection_record(*, actor: User, training_class: TrainingClass,
                      data: dict[str, Any]) -> Inspection:
    """Record an inspection of a running class. The roster count is the service's, taken under
    the class lock at the moment of recording, so it cannot be typed in to match the present."""
    if not has_perm(actor, Perm.INSPECTION_RECORD):
        raise Forbidden()
    errors: Errors = [(k, rules.UNKNOWN_FIELD) for k in data if k not in INSPECTION_FIELDS]
    bad = sorted(k for k, v in data.items() if bad_text(v))
    errors += [(k, rules.TEXT_INVALID) for k in bad]
    data = {k: v for k, v in data.items() if k in INSPECTION_FIELDS and k not in bad}
    today = timezone.localdate()
    with transaction.atomic():
        locked = locked_class(actor, training_class.pk)
        if locked.state != ClassState.RUNNING:
            raise Conflict(rules.INSPECTION_CLOSED, [("date", rules.INSPECTION_CLOSED)])
        on_roster = Enrollment.objects.filter(training_class=locked,
                                              status=EnrollmentStatus.ENROLLED).count()
        day = parse_date(data.get("date") or today.isoformat(), "date", errors, required=True)
        if day is not None and not locked.start_date <= day <= today:
            errors.append(("date", rules.INSPECTION_DATE_OUTSIDE.format(
                start=locked.start_date.isoformat())))
        inspector = one_line(data.get("inspector_name")) or (
            actor.get_full_name() or actor.username if hasattr(actor, "get_full_name") else "")
        if not inspector:
            errors.append(("inspector_name", rules.INSPECTOR_REQUIRED))
        present = parse_int(data.get("present"), "present", errors, low=0, high=on_roster,
                            message=rules.PRESENT_INVALID.format(count=on_roster))
        findings = text(data.get("findings"))
        if len(findings) > 2000:
            errors.append(("findings", rules.FINDINGS_TOO_LONG))
        required = parse_bool(data.get("rectification_required", False),
                              "rectification_required", errors)
        if errors:
            raise InvalidInput(errors)
        assert day is not None and present is not None
        inspection = Inspection.objects.create(
            training_class=locked, date=day, inspector=actor if actor.pk else None,
            inspector_name=inspector[:30], on_roster=on_roster, present=present,
            findings=findings, rectification_required=bool(required))
        audit_record(actor=actor, action=AuditAction.INSPECTION_CREATE, obj=inspection,  # zh-data: audit record
                     summary=f"培训班 {locked.code} 过程检查",
                     changes={"class": locked.pk, "after": inspection_snapshot(inspection)})
    return inspection


def inspection_rectified(*, actor: User, inspection: Inspection, note: str,
                         rectified_on: Any) -> Inspection:
    """Record that the rectification an inspection required has been done."""
    if not has_perm(actor, Perm.INSPECTION_RECORD):
        raise Forbidden()
    errors: Errors = []
    note = text(note)
    if bad_text(note):
        errors.append(("rectification_note", rules.TEXT_INVALID))
    elif len(note) > 2000:
        errors.append(("rectification_note", rules.FINDINGS_TOO_LONG))
    day = parse_date(rectified_on, "rectified_on", errors, required=True)
    with transaction.atomic():
        locked_class(actor, inspection.training_class_id)
        row = Inspection.objects.select_for_update().filter(pk=inspection.pk).first()
        if row is None:
            raise NotFound()
        if not row.rectification_required:
            raise Conflict(rules.RECTIFIED_WITHOUT_REQUIREMENT,
                           [("rectified_on", rules.RECTIFIED_WITHOUT_REQUIREMENT)])
        if day is not None and day < row.date:
            errors.append(("rectified_on", rules.RECTIFICATION_DATE_EARLY))
        if errors:
            raise InvalidInput(errors)
        before = inspection_snapshot(row)
        row.rectification_note = note
        row.rectified_on = day
        row.save(update_fields=["rectification_note", "rectified_on"])
        audit_record(actor=actor, action=AuditAction.INSPECTION_RECTIFIED, obj=row,  # zh-data: audit record
                     summary=f"过程检查 #{row.pk} 整改完成",
                     changes={"before": before, "after": inspection_snapshot(row)})
    return row
