"""Plans (计划): reads and writes of a plan's name, period and document number.

A plan is not anyone's record in particular: every role that reads reports (REPORT_READ) or keeps
plans (PLAN_EDIT, the city admin) sees them all; the officers see none. Only PLAN_EDIT writes,
audited. The targets of a plan are computed (canpei.reports.targets), never stored here.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from canpei.accounts.models import User
from canpei.accounts.roles import Perm, has_perm
from canpei.audit.actions import AuditAction
from canpei.audit.services import audit_record
from canpei.codes import field_label, field_length
from canpei.errors import Forbidden, InvalidInput, NotFound
from canpei.errors import lazy_message as _
from canpei.reports.models import Plan
from canpei.reports.summaries.targets import rebuild_targets
from canpei.reports.summaries.indicators import rebuild_plan_cells
from canpei.validation import END_BEFORE_START as PERIOD_ORDER
from canpei.validation import (
    END_REQUIRED, START_REQUIRED, TOO_LONG_GE_ZI, Fields, model_update, too_long_for,
)

if TYPE_CHECKING:
    from canpei.regions.scope import Viewer


EDITABLE_FIELDS = ("name", "period_start", "period_end", "document")
NAME_TAKEN = _("已有同名计划")
PERIOD_TOO_LONG = _("计划期不能超过 10 年")
PERIOD_RANGE = _("日期须在 2000 年至 2099 年之间")
NO_PLANS = _("当前角色不能查看计划")


def may_read_plans(user: Viewer) -> bool:
    return has_perm(user, Perm.REPORT_READ) or has_perm(user, Perm.PLAN_EDIT)


def plan_list(*, user: Viewer) -> QuerySet[Plan]:
    """Every plan, the latest first; Forbidden for a role that reads no reports."""
    if not may_read_plans(user):
        raise Forbidden(NO_PLANS)
    return Plan.objects.order_by("-period_start", "id")


def plans_visible_to(user: Viewer) -> QuerySet[Plan]:
    return Plan.objects.all() if may_read_plans(user) else Plan.objects.none()


def plan_get(*, user: Viewer, plan_id: int | str) -> Plan:
    text = str(plan_id)
    if not text.isdigit() or len(text) > 18:
        raise NotFound()
    plan = plans_visible_to(user).filter(pk=int(text)).first()
    if plan is None:
        raise NotFound()
    return plan


def plan_snapshot(plan: Plan) -> dict[str, Any]:
    return {"name": plan.name, "period_start": plan.period_start.isoformat(),
            "period_end": plan.period_end.isoformat(), "document": plan.document}


def _text(f: Fields, name: str, *, required: bool = False) -> None:
    """One line of text of the plan: its label and length are the model field's, and so its
    refusals (「请填写计划名称」, 「计划名称不能超过 100 个字」)."""
    label, length = field_label(Plan, name), field_length(Plan, name)
    f.text(name, label=label, max_length=length, required=required, single_line=True,
           too_long=too_long_for(label, length, TOO_LONG_GE_ZI.msgid))


def clean_plan_input(data: dict[str, Any], *, current: Plan | None) -> dict[str, Any]:
    """Validate every given field at once; shared by the page and the API."""
    f = Fields(data, allowed=EDITABLE_FIELDS, current=current)
    _text(f, "name", required=True)
    _text(f, "document")
    f.date("period_start", required=START_REQUIRED)
    f.date("period_end", required=END_REQUIRED)
    for name in ("period_start", "period_end"):
        day = f.values.get(name)
        if day is not None and not dt.date(2000, 1, 1) <= day <= dt.date(2099, 12, 31):
            f.error(name, PERIOD_RANGE)
            f.values.pop(name)
    if not f.failed("period_start", "period_end"):
        start, end = f.final("period_start", None), f.final("period_end", None)
        if start is not None and end is not None:
            if end < start:
                f.error("period_end", PERIOD_ORDER)
            elif end.year - start.year >= 10:
                f.error("period_end", PERIOD_TOO_LONG)
    new_name = f.values.get("name")
    if new_name:
        clash = Plan.objects.filter(name=new_name)
        if current is not None:
            clash = clash.exclude(pk=current.pk)
        if clash.exists():
            f.error("name", NAME_TAKEN)
    return f.finish()


def plan_create(*, actor: User, data: dict[str, Any]) -> Plan:
    if not has_perm(actor, Perm.PLAN_EDIT):
        raise Forbidden()
    values = clean_plan_input(data, current=None)
    plan = Plan(**values)
    with transaction.atomic():
        # The name's uniqueness is the database's in the end; two racing creates meet here.
        if Plan.objects.select_for_update().filter(name=plan.name).exists():
            raise InvalidInput([("name", NAME_TAKEN)])
        plan.save()
        rebuild_targets(plan)
        rebuild_plan_cells()
        audit_record(actor=actor, action=AuditAction.PLAN_CREATE, obj=plan,  # zh-data: audit words
                     summary=f"新建计划 {plan.name}", changes={"after": plan_snapshot(plan)})
    return plan


def plan_update(*, actor: User, plan: Plan, data: dict[str, Any]) -> Plan:
    if not has_perm(actor, Perm.PLAN_EDIT):
        raise Forbidden()
    with transaction.atomic():
        locked = Plan.objects.select_for_update().filter(pk=plan.pk).first()
        if locked is None:
            raise NotFound()
        values = clean_plan_input(data, current=locked)
        changes = model_update(locked, values, snapshot=plan_snapshot)
        if changes:
            locked.updated_at = timezone.now()
            locked.save()
            if {"period_start", "period_end"} & set(changes):
                rebuild_targets(locked)
                rebuild_plan_cells()
            audit_record(actor=actor, action=AuditAction.PLAN_UPDATE, obj=locked,  # zh-data: audit words
                         summary=f"修改计划 {locked.name}", changes={"diff": changes})
    return locked
