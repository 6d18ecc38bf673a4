from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils import timezone

from canpei.accounts.roles import Perm, has_perm
from canpei.audit.actions import AuditAction
from canpei.audit.models import AuditEntry
from canpei.errors import Message as _
from canpei.selectors import FilterParams, ListFilters, choice_filter, date_filter, filter_given

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from canpei.accounts.models import User

# Messages, translated where they are raised (the constants stay Chinese for the tests).
ACTION_FILTER_INVALID = _("请从列表中选择操作")
TEXT_FILTER_TOO_LONG = _("不能超过 64 个字")
DATES_REVERSED = _("结束日期不能早于开始日期")


@dataclass(frozen=True)
class AuditFilters(ListFilters):
    action: str = choice_filter({a.value for a in AuditAction}, ACTION_FILTER_INVALID)
    actor: str = ""          # the account's user name, as logged
    object_type: str = ""    # people.person …
    object_id: str = ""
    date_from: dt.date | None = date_filter()
    date_to: dt.date | None = date_filter()

    @classmethod
    def parse(cls, read: FilterParams) -> dict[str, Any]:
        values = super().parse(read)
        values["actor"] = read.text("actor")[:150]
        for key in ("object_type", "object_id"):
            values[key] = read.text(key)
            if len(values[key]) > 64:
                read.errors.append((key, TEXT_FILTER_TOO_LONG))
        if values["date_from"] and values["date_to"] and values["date_to"] < values["date_from"]:
            read.errors.append(("date_to", DATES_REVERSED))
        return values


def audit_entries(*, user: User | AnonymousUser, filters: AuditFilters | None = None,
                  action: str = "", actor: str = "") -> QuerySet[AuditEntry]:
    """The audit log, newest first, for the audit officer only; anyone else gets an empty set."""
    if not has_perm(user, Perm.AUDIT_READ):
        return AuditEntry.objects.none()
    f = filters or AuditFilters(action=action, actor=actor)
    qs = filter_given(AuditEntry.objects.select_related("actor").order_by("-id"),
                      action=f.action, actor_username=f.actor, object_type=f.object_type,
                      object_id=f.object_id)
    zone = timezone.get_current_timezone()
    if f.date_from:
        qs = qs.filter(at__gte=dt.datetime.combine(f.date_from, dt.time.min, zone))
    if f.date_to:
        qs = qs.filter(at__lt=dt.datetime.combine(f.date_to + dt.timedelta(days=1), dt.time.min, zone))
    return qs
