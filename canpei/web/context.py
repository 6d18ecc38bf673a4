from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from canpei.accounts.roles import Perm, has_perm

# (url, label, permission or permissions any of which opens it) — the navigation shows only
# what the role may open.
NAVIGATION = [
    ("/", _("首页"), None),
    ("/persons", _("人员名册"), Perm.PERSON_BROWSE),
    ("/persons/lookup", _("按身份证号查找"), Perm.PERSON_LOOKUP),
    ("/surveys", _("需求调查"), Perm.PERSON_BROWSE),
    ("/surveys/progress", _("调查进度"), Perm.PERSON_BROWSE),
    ("/surveys/skills", _("技能目录"), Perm.SKILLS_EDIT),
    ("/institutions", _("培训机构"), Perm.INSTITUTION_BROWSE),
    ("/classes", _("培训班"), Perm.CLASS_BROWSE),
    ("/applications", _("个人申请"), Perm.APPLICATION_BROWSE),
    ("/staff-training", _("专干远程培训"), Perm.STAFF_TRAINING_BROWSE),
    ("/imports/new", _("导入"), (Perm.IMPORT_RUN, Perm.ROSTER_EDIT)),
    ("/audit", _("审计日志"), Perm.AUDIT_READ),
    ("/admin/users", _("用户管理"), Perm.USERS_MANAGE),
    ("/admin/users", _("角色与范围"), Perm.ROLES_MANAGE),
    ("/admin/role-proposals", _("管理员角色审批"), Perm.ROLE_PROPOSALS),
]


def nav_allowed(user: Any, perm: str | tuple[str, ...] | None) -> bool:
    """Whether a navigation entry shows for `user`: no permission, or any of those given."""
    if perm is None:
        return True
    return any(has_perm(user, p) for p in (perm if isinstance(perm, tuple) else (perm,)))


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items: list[dict[str, Any]] = [{"url": url, "label": label} for url, label, perm in NAVIGATION
             if nav_allowed(user, perm)]
    # The current page is the longest navigation entry the path starts with.
    path = request.path.rstrip("/") or "/"
    matches: list[str] = [i["url"] for i in items if path == i["url"] or path.startswith(i["url"].rstrip("/") + "/")]
    current = max(matches, key=len) if matches else None
    for item in items:
        item["current"] = item["url"] == current
    return {"nav_items": items}
