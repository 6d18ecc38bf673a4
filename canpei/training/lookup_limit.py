"""The rate limit of lookups by full ID number (CANPEI_LOOKUP_RATE a minute per user).

A lookup tells whether a number belongs to a registered disabled person and, if so, their name:
persons/lookup (page and API) and an institution's enrolment by ID number on the roster page or
the API count. The roster import does not: it finds a person only from the number and the name
together (canpei.training.classes.imports), so it confirms what the institution holds rather
than looking anyone up; it is audited as a batch of lookups.

The count lives in the database (training.LookupWindow, one row per user, locked while counted),
so all gunicorn workers and web hosts share it. Windows are calendar minutes. The first refusal
in a window writes a `person.lookup_throttled` audit entry and a WARNING log line (the user's id
and role, never a number or a name); later refusals in that window are counted on the row.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from canpei.accounts.models import User
from canpei.audit.actions import AuditAction
from canpei.audit.services import audit_record
from canpei.errors import Message as _
from canpei.errors import Throttled
from canpei.training import rules
from canpei.training.models import LookupWindow

LOOKUP_THROTTLED = _("按身份证号查找过于频繁（每分钟最多 {rate} 次），请 {seconds} 秒后再试")

logger = logging.getLogger("canpei.lookups")


def _window(actor: User, start: dt.datetime) -> LookupWindow:
    """The actor's row, locked; created on their first lookup."""
    row = LookupWindow.objects.select_for_update().filter(user_id=actor.pk).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return LookupWindow.objects.create(user_id=actor.pk, window_start=start)
    except IntegrityError:
        # Another process created it meanwhile: wait for its lock.
        return LookupWindow.objects.select_for_update().get(user_id=actor.pk)


def lookup_count(actor: User, *, now: dt.datetime | None = None) -> None:
    """Count one lookup by `actor`, or refuse it with Throttled (429) once the minute's
    allowance is spent. Called by the page and the API before the lookup itself; the count is
    committed whatever the lookup then answers."""
    rate = settings.LOOKUP_RATE
    now = now or timezone.now()
    start = now.replace(second=0, microsecond=0)
    with transaction.atomic():
        row = _window(actor, start)
        if row.window_start != start:
            row.window_start, row.lookups, row.refused = start, 0, 0
        allowed = row.lookups < rate
        if allowed:
            row.lookups += 1
        else:
            row.refused += 1
            if row.refused == 1:
                audit_record(actor=actor, action=AuditAction.PERSON_LOOKUP_THROTTLED,  # zh-data: audit record
                             object_type="accounts.user", object_id=actor.pk,
                             summary=f"按身份证号查找超过每分钟 {rate} 次，本分钟内的查找被拒绝",
                             changes={"limit": rate, "window": start.isoformat()})
                logger.warning("person lookups throttled: user id %s (%s) exceeded %s a minute",
                               actor.pk, actor.role, rate)
        row.save(update_fields=["window_start", "lookups", "refused"])
    if not allowed:
        seconds = max(1, 60 - now.second)
        raise Throttled(LOOKUP_THROTTLED.format(rate=rate, seconds=seconds), retry_after=seconds)


def enrolment_lookup_count(actor: User, person: Any) -> None:
    """An institution's enrolment by full ID number is a lookup (success shows the name); one by
    a person id was counted when that person was looked up, and the city browses the registry."""
    raw = str(person if person is not None else "").strip()
    by_number = len(raw) >= 15 or (bool(raw) and not raw.isdigit())
    if by_number and rules.hides_reasons(actor):
        lookup_count(actor)
