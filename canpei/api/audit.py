from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Query, Router, Schema

from canpei.accounts.roles import Perm, has_perm
from canpei.api.common import MAX_PAGE_SIZE, Page, Text, api_user, errors, paginate
from canpei.audit.selectors import audit_entries
from canpei.errors import Forbidden

router = Router(tags=["audit"])


class AuditEntryOut(Schema):
    id: int
    at: dt.datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    summary: str
    changes: dict[str, Any]


class AuditPage(Page[AuditEntryOut]):
    pass


@router.get("", response={200: AuditPage, **errors(401, 403, 422)})
def audit_list(request: HttpRequest, page: int = Query(1, ge=1, le=1_000_000),
               page_size: int = Query(50, ge=1, le=MAX_PAGE_SIZE),
               action: Text = Query("", max_length=64),
               actor: Text = Query("", max_length=150)) -> AuditPage:
    user = api_user(request)
    if not has_perm(user, Perm.AUDIT_READ):
        raise Forbidden(gettext("只有审计管理员可以查看审计日志"))
    count, rows = paginate(audit_entries(user=user, action=action, actor=actor), page, page_size)
    return AuditPage(count=count, results=[
        AuditEntryOut(id=e.pk, at=e.at, actor=e.actor_username, action=e.action,
                      object_type=e.object_type, object_id=e.object_id, summary=e.summary,
                      changes=e.changes) for e in rows])
