"""Online training (网上远程培训) of the towns' federation liaisons and employment counsellors:
records kept by each town's staff for their own town, and by the city for any town."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from canpei.accounts.models import User
from canpei.accounts.roles import Perm, Role, has_perm
from canpei.audit.actions import AuditAction
from canpei.audit.services import audit_record
from canpei.errors import Forbidden, InvalidInput, NotFound
from canpei.regions.models import Region
from canpei.training import rules
from canpei.training.applications.selectors import staff_trainings_visible_to
from canpei.training.models import StaffPosition, StaffTraining
from canpei.training.common import edit_save
from canpei.validation import Fields, model_update, text

EDITABLE_FIELDS = ("town", "staff_name", "position", "course", "year", "hours", "completed",
                   "completed_on", "fee_paid")
FIRST_YEAR = 2000


def staff_training_snapshot(record: StaffTraining) -> dict[str, Any]:
    return {
        "town": record.town_id, "staff_name": record.staff_name, "position": record.position,
        "course": record.course, "year": record.year, "hours": str(record.hours),
        "completed": record.completed,
        "completed_on": record.completed_on.isoformat() if record.completed_on else None,
        "fee_paid": str(record.fee_paid),
    }


def clean_staff_training_input(data: dict[str, Any], *, actor: User,
                               current: StaffTraining | None) -> dict[str, Any]:
    """Validate every given field at once and return the values to set. Shared by page and API."""
    today = timezone.localdate()
    f = Fields(data, allowed=EDITABLE_FIELDS, current=current)
    values = f.values

    # Town staff keep their own town's records: the town is theirs whether or not they name it.
    own_town = actor.town_id if actor.role == Role.TOWN_STAFF else None
    if own_town is not None:
        given = text(f.raw("town"))
        if given and given != own_town:
            f.error("town", rules.STAFF_TOWN_FIXED)
        elif current is None:
            values["town"] = Region.objects.filter(code=own_town).first()
    elif f.wanted("town"):
        code = text(f.raw("town"))
        town = (Region.objects.filter(code=code, level=Region.Level.TOWN).first()
                if code and len(code) <= 12 else None)
        if not code:
            f.error("town", rules.STAFF_TOWN_REQUIRED)
        elif town is None:
            f.error("town", rules.STAFF_TOWN_INVALID)
        else:
            values["town"] = town

    f.text("staff_name", max_length=30, too_long=rules.STAFF_NAME_TOO_LONG,
           required=rules.STAFF_NAME_REQUIRED, single_line=True)
    f.choice("position", StaffPosition, rules.STAFF_POSITION_INVALID, required=True)
    f.text("course", max_length=100, too_long=rules.STAFF_COURSE_TOO_LONG,
           required=rules.STAFF_COURSE_REQUIRED, single_line=True)
    # Next year's course may be booked already; nothing further ahead.
    last_year = today.year + 1
    f.integer("year", low=FIRST_YEAR, high=last_year, required=True,
              message=rules.STAFF_YEAR_INVALID.format(last=last_year))
    f.decimal("hours", low=Decimal("0.5"), high=Decimal("1000"), places=1, required=True,
              message=rules.STAFF_HOURS_INVALID)
    f.money("fee_paid", message=rules.STAFF_FEE_INVALID)
    f.boolean("completed")
    f.date("completed_on")

    # The completion date goes with the completion, is not in the future and not before the
    # training's year began; checked on the record as it will stand.
    if not f.failed("completed", "completed_on", "year") and (
            {"completed", "completed_on", "year"} & set(values)):
        completed = f.final("completed", False)
        completed_on: dt.date | None = f.final("completed_on", None)
        year_value = f.final("year", None)
        if completed and completed_on is None:
            f.error("completed_on", rules.STAFF_COMPLETED_ON_REQUIRED)
        elif not completed and completed_on is not None:
            f.error("completed_on", rules.STAFF_COMPLETED_ON_UNEXPECTED)
        elif completed_on is not None and completed_on > today:
            f.error("completed_on", rules.STAFF_COMPLETED_ON_FUTURE)
        elif completed_on is not None and year_value and completed_on.year < year_value:
            f.error("completed_on", rules.STAFF_COMPLETED_ON_EARLY.format(year=year_value))
    return f.finish()


def staff_training_create(*, actor: User, data: dict[str, Any]) -> StaffTraining:
    if not has_perm(actor, Perm.STAFF_TRAINING_EDIT):
        raise Forbidden()
    values = clean_staff_training_input(data, actor=actor, current=None)
    if values.get("town") is None:
        raise InvalidInput([("town", rules.STAFF_TOWN_INVALID)])
    record = StaffTraining(**values)
    with transaction.atomic():
        record.save()
        audit_record(actor=actor, action=AuditAction.STAFF_TRAINING_CREATE, obj=record,  # zh-data: audit record
                     summary=f"登记专干远程培训 #{record.pk}",
                     changes={"after": staff_training_snapshot(record)})
    return record


def staff_training_update(*, actor: User, record: StaffTraining,
                          data: dict[str, Any]) -> StaffTraining:
    if not has_perm(actor, Perm.STAFF_TRAINING_EDIT):
        raise Forbidden()
    with transaction.atomic():
        if not staff_trainings_visible_to(actor).filter(pk=record.pk).exists():
            raise NotFound()
        # The row lock orders two edits of one record: each validates against what the other
        # committed (completed and its date are checked together).
        locked = StaffTraining.objects.select_for_update().get(pk=record.pk)
        values = clean_staff_training_input(data, actor=actor, current=locked)
        edit_save(actor=actor, record=locked,  # zh-data: audit record
                  changes=model_update(locked, values, snapshot=staff_training_snapshot),
                  action=AuditAction.STAFF_TRAINING_UPDATE,
                  summary=f"修改专干远程培训 #{locked.pk}")
    return locked
