"""Online training (网上远程培训) of the towns' federation liaisons and employment counsellors:
records kept by each town's staff for their own town, and by the city for any town."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from canpei.accounts.roles import Perm, Role, has_perm
from canpei.audit.services import audit_record
from canpei.errors import Forbidden, InvalidInput, NotFound
from canpei.regions.models import Region
from canpei.training import rules
from canpei.training.application_selectors import staff_trainings_visible_to
from canpei.training.models import StaffPosition, StaffTraining
from canpei.training.services.common import (
    Errors, bad_text, diff, one_line, parse_bool, parse_date, parse_decimal, parse_int, text,
)

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


def clean_staff_training_input(data: dict[str, Any], *, actor: Any,
                               current: StaffTraining | None) -> dict[str, Any]:
    """Validate every given field at once and return the values to set. Shared by page and API."""
    errors: Errors = []
    values: dict[str, Any] = {}
    today = timezone.localdate()
    bad = {key for key, value in data.items() if bad_text(value) or bad_text(key)}
    for key in data:
        if key not in EDITABLE_FIELDS:
            errors.append((key, rules.UNKNOWN_FIELD))
    refused = {field for field, _m in errors}
    data = {key: ("" if key in bad else value) for key, value in data.items() if key not in refused}

    def wanted(field: str) -> bool:
        return current is None or field in data

    # Town staff keep their own town's records: the town is theirs whether or not they name it.
    own_town = getattr(actor, "town_id", None) if getattr(actor, "role", None) == Role.TOWN_STAFF else None
    if own_town is not None:
        given = text(data.get("town"))
        if given and given != own_town:
            errors.append(("town", rules.STAFF_TOWN_FIXED))
        elif current is None:
            values["town"] = Region.objects.filter(code=own_town).first()
    elif wanted("town"):
        code = text(data.get("town"))
        town = (Region.objects.filter(code=code, level=Region.Level.TOWN).first()
                if code and len(code) <= 12 else None)
        if not code:
            errors.append(("town", rules.STAFF_TOWN_REQUIRED))
        elif town is None:
            errors.append(("town", rules.STAFF_TOWN_INVALID))
        else:
            values["town"] = town

    if wanted("staff_name"):
        name = one_line(data.get("staff_name"))
        if not name:
            errors.append(("staff_name", rules.STAFF_NAME_REQUIRED))
        elif len(name) > 30:
            errors.append(("staff_name", rules.STAFF_NAME_TOO_LONG))
        else:
            values["staff_name"] = name

    if wanted("position"):
        position = text(data.get("position"))
        if position not in StaffPosition.values:
            errors.append(("position", rules.STAFF_POSITION_INVALID))
        else:
            values["position"] = position

    if wanted("course"):
        course = one_line(data.get("course"))
        if not course:
            errors.append(("course", rules.STAFF_COURSE_REQUIRED))
        elif len(course) > 100:
            errors.append(("course", rules.STAFF_COURSE_TOO_LONG))
        else:
            values["course"] = course

    # Next year's course may be booked already; nothing further ahead.
    last_year = today.year + 1
    if wanted("year"):
        year = parse_int(data.get("year"), "year", errors, low=FIRST_YEAR, high=last_year,
                         message=rules.STAFF_YEAR_INVALID.format(last=last_year))
        if year is not None:
            values["year"] = year

    if wanted("hours"):
        hours = parse_decimal(data.get("hours"), "hours", errors, low=Decimal("0.5"),
                              high=Decimal("1000"), places=1, message=rules.STAFF_HOURS_INVALID)
        if hours is not None:
            values["hours"] = hours

    if "fee_paid" in data:
        raw = data["fee_paid"]
        fee = parse_decimal("0" if raw in (None, "") else raw, "fee_paid", errors,
                            low=Decimal("0"), high=Decimal("100000"), places=2,
                            message=rules.STAFF_FEE_INVALID)
        if fee is not None:
            values["fee_paid"] = fee

    if "completed" in data:
        flag = parse_bool(data["completed"], "completed", errors)
        if flag is not None:
            values["completed"] = flag
    if "completed_on" in data:
        day = parse_date(data["completed_on"], "completed_on", errors)
        if not any(f == "completed_on" for f, _m in errors):
            values["completed_on"] = day

    # The completion date goes with the completion, is not in the future and not before the
    # training's year began; checked on the record as it will stand.
    if not any(f in ("completed", "completed_on", "year") for f, _m in errors) and (
            {"completed", "completed_on", "year"} & set(values)):
        completed = values.get("completed", current.completed if current else False)
        completed_on: dt.date | None = values.get(
            "completed_on", current.completed_on if current else None)
        year_value = values.get("year", current.year if current else None)
        if completed and completed_on is None:
            errors.append(("completed_on", rules.STAFF_COMPLETED_ON_REQUIRED))
        elif not completed and completed_on is not None:
            errors.append(("completed_on", rules.STAFF_COMPLETED_ON_UNEXPECTED))
        elif completed_on is not None and completed_on > today:
            errors.append(("completed_on", rules.STAFF_COMPLETED_ON_FUTURE))
        elif completed_on is not None and year_value and completed_on.year < year_value:
            errors.append(("completed_on", rules.STAFF_COMPLETED_ON_EARLY.format(year=year_value)))

    if bad:
        errors = [e for e in errors if e[0] not in bad] + [
            (k, rules.TEXT_INVALID) for k in sorted(bad) if k not in refused]
    if errors:
        raise InvalidInput(errors)
    return values


def staff_training_create(*, actor: Any, data: dict[str, Any]) -> StaffTraining:
    if not has_perm(actor, Perm.STAFF_TRAINING_EDIT):
        raise Forbidden()
    values = clean_staff_training_input(data, actor=actor, current=None)
    if values.get("town") is None:
        raise InvalidInput([("town", rules.STAFF_TOWN_INVALID)])
    record = StaffTraining(**values)
    with transaction.atomic():
        record.save()
        audit_record(actor=actor, action="staff_training.create", obj=record,
                     summary=f"登记专干远程培训 #{record.pk}",
                     changes={"after": staff_training_snapshot(record)})
    return record


def staff_training_update(*, actor: Any, record: StaffTraining,
                          data: dict[str, Any]) -> StaffTraining:
    if not has_perm(actor, Perm.STAFF_TRAINING_EDIT):
        raise Forbidden()
    with transaction.atomic():
        if not staff_trainings_visible_to(actor).filter(pk=record.pk).exists():
            raise NotFound()
        # The row lock orders two edits of one record: each validates against what the other
        # committed (completed and its date are checked together).
        locked = StaffTraining.objects.select_for_update().get(pk=record.pk)
        before = staff_training_snapshot(locked)
        values = clean_staff_training_input(data, actor=actor, current=locked)
        for key, value in values.items():
            setattr(locked, key, value)
        changes = diff(before, staff_training_snapshot(locked))
        if not changes:
            return locked
        locked.updated_at = timezone.now()
        locked.save()
        audit_record(actor=actor, action="staff_training.update", obj=locked,
                     summary=f"修改专干远程培训 #{locked.pk}", changes={"diff": changes})
    return locked
