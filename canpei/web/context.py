from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import gettext_lazy as _

from canpei.accounts.roles import Perm, has_perm

if TYPE_CHECKING:
    from canpei.regions.scope import Viewer

# (URL name, label, permission or permissions any of which opens it) — the navigation shows only
# what the role may open.
NAVIGATION = [
    ("dashboard", _("首页"), None),
    ("person-list", _("人员名册"), Perm.PERSON_BROWSE),
    ("person-lookup", _("按身份证号查找"), Perm.PERSON_LOOKUP),
    ("survey-list", _("需求调查"), Perm.PERSON_BROWSE),
    ("survey-progress", _("调查进度"), Perm.PERSON_BROWSE),
    ("skills", _("技能目录"), Perm.SKILLS_EDIT),
    ("institution-list", _("培训机构"), Perm.INSTITUTION_BROWSE),
    ("class-list", _("培训班"), Perm.CLASS_BROWSE),
    ("application-list", _("个人申请"), Perm.APPLICATION_BROWSE),
    ("staff-training-list", _("专干远程培训"), Perm.STAFF_TRAINING_BROWSE),
    ("followup_list", _("就业跟踪"), Perm.FOLLOWUP_BROWSE),
    ("service_list", _("就业服务"), Perm.SERVICE_BROWSE),
    ("funds", _("资金"), Perm.FUNDS_BROWSE),
    ("competition-list", _("技能竞赛"), Perm.COMPETITION_BROWSE),
    ("case-list", _("典型案例"), Perm.CASE_BROWSE),
    ("reports", _("统计报表"), Perm.REPORT_READ),
    # The targets' readers are exactly the roles that browse persons (canpei.reports.targets).
    ("reports_targets", _("计划目标"), Perm.PERSON_BROWSE),
    # Matching needs to supply: the roles that keep the surveys (canpei.reports.matching).
    ("reports_matching", _("供需匹配"), Perm.SURVEY_EDIT),
    ("plan-list", _("计划"), Perm.REPORT_READ),
    ("alert_list", _("监管预警"), Perm.ALERT_BROWSE),
    ("import-new", _("导入"), (Perm.IMPORT_RUN, Perm.ROSTER_EDIT, Perm.FOLLOWUP_RECORD)),
    ("audit", _("审计日志"), Perm.AUDIT_READ),
    ("users", _("用户管理"), Perm.USERS_MANAGE),
    ("users", _("角色与范围"), Perm.ROLES_MANAGE),
    ("role-proposals", _("管理员角色审批"), Perm.ROLE_PROPOSALS),
]


# The manual of each role under /help (docs/<page>.md) ...
HELP_PAGES = {
    "city_admin": "manual-city-admin", "town_staff": "manual-town-staff",
    "institution_staff": "manual-institution", "employment_service": "manual-employment",
    "auditor": "manual-auditor", "sys_admin": "manual-officers", "security_admin": "manual-officers",
    "audit_admin": "manual-officers",
}
# ... and the section a page links to: the first segment of its path, except these.
HELP_SECTIONS = {"": "home", "help": "top", "enrollments": "classes", "trainees": "classes", "plans": "reports",
                 "targets": "reports", "targets-uncovered": "reports", "indicators": "reports",
                 "followups": "employment", "employment-services": "employment",
                 "cases": "competitions"}


def help_url(role: str, path: str) -> str:
    """The /help link of a page's header: the role's manual at the page's section."""
    page = HELP_PAGES.get(role)
    if page is None:
        return reverse("help")
    first = path.strip("/").split("/", 1)[0]
    return reverse("help_page", args=[page]) + "#" + HELP_SECTIONS.get(first, first)


def nav_allowed(user: Viewer, perm: str | tuple[str, ...] | None) -> bool:
    """Whether a navigation entry shows for `user`: no permission, or any of those given."""
    if perm is None:
        return True
    return any(has_perm(user, p) for p in (perm if isinstance(perm, tuple) else (perm,)))


_NAV_URLS: dict[tuple[str | None, str], tuple[str, ...]] = {}


def _nav_urls() -> tuple[str, ...]:
    """The navigation's paths, in NAVIGATION's order: reversed once per URL configuration and
    script prefix (the same for every request a process serves), not about 25 times a page."""
    key = (get_urlconf(), get_script_prefix())
    urls = _NAV_URLS.get(key)
    if urls is None:
        urls = _NAV_URLS[key] = tuple(reverse(name) for name, _label, _perm in NAVIGATION)
    return urls


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items: list[dict[str, Any]] = [
        {"url": url, "label": label}
        for url, (_name, label, perm) in zip(_nav_urls(), NAVIGATION, strict=True)
        if nav_allowed(user, perm)]
    # The current page is the longest navigation entry the path starts with; else the entry of
    # the same first segment (an import's result page, /imports/<id>, is under 导入 at
    # /imports/new). The home page is current on itself only, not on every page.
    path = request.path.rstrip("/") or "/"
    matches: list[str] = [i["url"] for i in items if path == i["url"] or (
        i["url"] != "/" and path.startswith(i["url"].rstrip("/") + "/"))]
    if not matches:
        section = path.strip("/").split("/", 1)[0]
        matches = [i["url"] for i in items
                   if section and i["url"].strip("/").split("/", 1)[0] == section]
    current = max(matches, key=len) if matches else None
    for item in items:
        item["current"] = item["url"] == current
    return {"nav_items": items, "help_url": help_url(str(getattr(user, "role", "")), request.path)}
