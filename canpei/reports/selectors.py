"""Figures computed over the records a user may see: the dashboard's registry overview and each
role's worklist (what to do next, with the count of each list behind it).

This app owns aggregates. The yearly targets and the indicators measured against them (issue 10:
targets, ledgers, supervision alerts) are to live here too, as further selectors of the same
shape: keyword-only, taking the requesting user, starting from the user's scope
(`canpei.regions.scope`), and returning plain dataclasses a page, the API or an export can read
without knowing how the counts were made.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from canpei.accounts.models import RoleProposal, User
from canpei.employment.followups.selectors import followup_counts
from canpei.employment.support.selectors import referrals_pending
from canpei.errors import NotFound
from canpei.accounts.roles import OFFICER_ROLES, OfficerAction, Perm, Role, has_perm, officer_may
from canpei.institutions.models import Institution
from canpei.institutions.selectors import institution_get
from canpei.people.models import Survey
from canpei.people.rules import PersonStatus
from canpei.people.selectors import persons_visible_to, working_age_q
from canpei.regions.models import Region
from canpei.reports.indicators import IndicatorFilters, indicators
from canpei.reports.summaries.registry import town_counts
from canpei.reports.targets import TARGETS, default_plan, may_read_targets, targets_report
from canpei.training.applications.selectors import applications_visible_to
from canpei.training.classes.selectors import (
    RECTIFICATION_OPEN, classes_visible_to, rectification_open_q,
)
from canpei.training.models import ApplicationState, ClassState


@dataclass
class TownFigures:
    """One town's registry beside this year's survey season."""

    town: str
    town_name: str
    total: int = 0           # persons registered
    active: int = 0          # of them on the registry (status active)
    working_age: int = 0     # of them active and of working age today
    due: int = 0             # due a survey this year
    surveyed: int = 0        # of those, surveyed this year

    @property
    def remaining(self) -> int:
        return self.due - self.surveyed


@dataclass
class RegistryOverview:
    """The registry in the user's scope, town by town, with the sums over those towns."""

    today: dt.date
    towns: list[TownFigures]
    totals: TownFigures = field(init=False)

    def __post_init__(self) -> None:
        self.totals = TownFigures(
            town="", town_name="",
            **{name: sum(getattr(t, name) for t in self.towns)
               for name in ("total", "active", "working_age", "due", "surveyed")})


@dataclass(frozen=True)
class WorkItem:
    """One line of a worklist: how many records wait, and the list that shows exactly those.
    `count` None is a plain link (a place to work, not a number of records)."""

    label: str | Promise
    count: int | None
    url: str


@dataclass
class WorkGroup:
    """A heading of the worklist and its lines. Another part adds its own group (follow-ups
    due, referrals pending, targets by town) with one `Dashboard.groups.append(...)`."""

    title: str | Promise
    items: list[WorkItem] = field(default_factory=list)

    def add(self, label: str | Promise, count: int | None, name: str, *, anchor: str = "",
            **params: object) -> WorkGroup:
        """A line linking to the page named `name` with the query `params` (its filters) and,
        given an `anchor`, to that part of the page."""
        url = (reverse(name) + ("?" + urlencode(params) if params else "")
               + (f"#{anchor}" if anchor else ""))
        self.items.append(WorkItem(label=label, count=count, url=url))
        return self


@dataclass
class Dashboard:
    """What the landing page shows a user: which of its parts apply, and their figures."""

    officer: bool
    registry: RegistryOverview | None = None
    institution: Institution | None = None
    groups: list[WorkGroup] = field(default_factory=list)


def registry_overview(*, user: User, today: dt.date, live: bool = False) -> RegistryOverview:
    """Persons registered, active and of working age per town the user sees (towns without a
    person are left out), with the town's survey progress of `today`'s year: from the registry's
    summary (canpei.reports.summaries.registry), or counted from the persons with `live=True`."""
    if not live:
        counts = town_counts(user, today)
        names = dict(Region.objects.filter(code__in=list(counts)).values_list("code", "name"))
        return RegistryOverview(today=today, towns=[
            TownFigures(town=code, town_name=names.get(code, code), total=c["total"],
                        active=c["active"], working_age=c["working_age"], due=c["working_age"],
                        surveyed=c["surveyed"])
            for code, c in sorted(counts.items()) if c["total"]])
    active = Q(status=PersonStatus.ACTIVE)
    # Due a survey this year: active and of working age today (people.surveys.selectors'
    # survey_progress for today's year, whose reference day is today), counted in the same pass
    # over the persons; the survey of this year is looked up for those persons only.
    due = active & working_age_q(today)
    surveyed = Survey.objects.filter(person=OuterRef("pk"), year=today.year)
    rows = (persons_visible_to(user).annotate(done=Exists(surveyed))
            .values("town_id", "town__name")
            .annotate(total=Count("id"), active=Count("id", filter=active),
                      # Not "working_age": Person already has a property of that name.
                      of_working_age=Count("id", filter=due),
                      surveyed=Count("id", filter=due & Q(done=True)))
            .order_by("town_id"))
    towns = [TownFigures(town=row["town_id"], town_name=row["town__name"], total=row["total"],
                         active=row["active"], working_age=row["of_working_age"],
                         due=row["of_working_age"], surveyed=row["surveyed"])
             for row in rows]
    return RegistryOverview(today=today, towns=towns)


def _by_state(records: QuerySet[Any]) -> dict[str, int]:
    rows = records.order_by().values("state").annotate(n=Count("pk"))
    return {row["state"]: row["n"] for row in rows}


def city_worklist(*, user: User) -> list[WorkGroup]:
    """The city's decisions: classes to approve, audit and settle, applications to decide and
    reimburse, and the inspections whose rectification is still open."""
    classes = _by_state(classes_visible_to(user))
    applications = _by_state(applications_visible_to(user))
    rectification = classes_visible_to(user).filter(rectification_open_q()).count()
    CS, AS = ClassState, ApplicationState
    return [WorkGroup(_("待您处理"))
            .add(_("培训班开班申请待审批"), classes.get(CS.SUBMITTED, 0), "class-list",
                 state=CS.SUBMITTED)
            .add(_("培训班结业待审核"), classes.get(CS.COMPLETED, 0), "class-list",
                 state=CS.COMPLETED)
            .add(_("培训班审核通过待结算"), classes.get(CS.AUDITED, 0), "class-list",
                 state=CS.AUDITED)
            .add(_("个人申请待审批"), applications.get(AS.SUBMITTED, 0), "application-list",
                 state=AS.SUBMITTED)
            .add(_("个人申请已完成待报销"), applications.get(AS.COMPLETED, 0), "application-list",
                 state=AS.COMPLETED)
            .add(_("过程检查要求整改、尚未整改完成的培训班"), rectification, "class-list",
                 rectification=RECTIFICATION_OPEN)]


def town_worklist(*, user: User, today: dt.date,
                  registry: RegistryOverview | None) -> list[WorkGroup]:
    """A town's clerk: the persons not yet surveyed this year, the approved applications whose
    completion they record, and how their town's other applications stand."""
    applications: dict[str, int] = {}
    this_year: dict[str, int] = {}
    # One pass over the town's applications: by state, and by state of those filed this year.
    filed = Q(created_at__year=today.year)
    for row in (applications_visible_to(user).order_by().values("state")
                .annotate(n=Count("pk"), n_year=Count("pk", filter=filed))):
        applications[row["state"]] = row["n"]
        this_year[row["state"]] = row["n_year"]
    AS = ApplicationState
    todo = WorkGroup(_("待您处理"))
    for town in registry.towns if registry else []:
        todo.add(_("本年尚未调查的人员"), town.remaining, "survey-progress",
                 anchor="missing", year=today.year, town=town.town)
    todo.add(_("已批准、待登记完成的个人申请"), applications.get(AS.APPROVED, 0),
             "application-list", state=AS.APPROVED)
    waiting = (WorkGroup(_("本镇街的个人申请"))
               .add(_("已提交、待市残联审批"), applications.get(AS.SUBMITTED, 0),
                    "application-list", state=AS.SUBMITTED)
               .add(_("本年未获批准"), this_year.get(AS.REJECTED, 0), "application-list",
                    state=AS.REJECTED, year=today.year))
    return [todo, waiting]


# An institution's classes by what it does next, the returned ones first.
_INSTITUTION_STEPS: list[tuple[str, str | Promise]] = [
    (ClassState.RETURNED, _("已退回、待修改后重新提交")),
    (ClassState.AUDIT_FAILED, _("结业审核未通过、待更正后重新申报")),
    (ClassState.DRAFT, _("草稿、待提交开班申请")),
    (ClassState.APPROVED, _("已批准、待开班")),
    (ClassState.RUNNING, _("开班中、结业后申报")),
]
_INSTITUTION_WAITING: list[tuple[str, str | Promise]] = [
    (ClassState.SUBMITTED, _("已提交、待市残联审批")),
    (ClassState.COMPLETED, _("已结业申报、待市残联审核")),
]


def institution_worklist(*, user: User) -> list[WorkGroup]:
    classes = _by_state(classes_visible_to(user))
    todo, waiting = WorkGroup(_("您的培训班：下一步")), WorkGroup(_("等待市残联"))
    for group, steps in ((todo, _INSTITUTION_STEPS), (waiting, _INSTITUTION_WAITING)):
        for state, label in steps:
            group.add(label, classes.get(state, 0), "class-list", state=state)
    return [todo, waiting]


def training_figures(*, user: User) -> list[WorkGroup]:
    """The city-wide readers (auditor, employment service): classes and applications by state."""
    classes = _by_state(classes_visible_to(user))
    applications = _by_state(applications_visible_to(user))
    class_group, application_group = WorkGroup(_("培训班")), WorkGroup(_("个人申请"))
    for state in (ClassState.SUBMITTED, ClassState.APPROVED, ClassState.RUNNING,
                  ClassState.COMPLETED, ClassState.AUDITED, ClassState.SETTLED):
        class_group.add(_(str(state.label)), classes.get(state, 0), "class-list", state=state)
    for a_state in (ApplicationState.SUBMITTED, ApplicationState.APPROVED,
                    ApplicationState.COMPLETED, ApplicationState.REIMBURSED):
        application_group.add(_(str(a_state.label)), applications.get(a_state, 0), "application-list",
                              state=a_state)
    return [class_group, application_group]


def officer_worklist(*, user: User) -> list[WorkGroup]:
    """An officer's own work: accounts, officer-role proposals, the audit log. Never a figure of
    the business data (三员分立)."""
    group = WorkGroup(_("您的工作"))
    if officer_may(user, OfficerAction.LIST_USERS):
        group.add(_("尚未分配角色的账户"), User.objects.filter(role="").count(), "users",
                  role="none")
        group.add(_("全部账户"), User.objects.count(), "users")
    if officer_may(user, OfficerAction.CONFIRM_OFFICER_ROLE):
        group.add(_("待确认的管理员角色变更"),
                  RoleProposal.objects.filter(state=RoleProposal.State.PENDING).count(),
                  "role-proposals", state=RoleProposal.State.PENDING)
    if officer_may(user, OfficerAction.READ_AUDIT):
        group.add(_("审计日志"), None, "audit")
    return [group] if group.items else []


def dashboard_for(*, user: User, today: dt.date) -> Dashboard:
    """The dashboard of `user`: the worklist of the role, the registry overview for the roles
    that browse persons, the institution's own record for its staff, and for officers only
    their own work (they never see business data)."""
    dashboard = Dashboard(officer=user.role in OFFICER_ROLES)
    if dashboard.officer:
        dashboard.groups = officer_worklist(user=user)
        return dashboard
    if has_perm(user, Perm.PERSON_BROWSE):
        dashboard.registry = registry_overview(user=user, today=today)
    if user.role == Role.INSTITUTION_STAFF and user.institution_id is not None:
        dashboard.institution = institution_get(user=user, institution_id=user.institution_id)
    if user.role == Role.CITY_ADMIN:
        dashboard.groups = city_worklist(user=user) + targets_worklist(user=user, today=today)
    elif user.role == Role.TOWN_STAFF:
        dashboard.groups = (town_worklist(user=user, today=today, registry=dashboard.registry)
                            + followup_worklist(user=user, today=today)
                            + targets_worklist(user=user, today=today))
    elif user.role == Role.INSTITUTION_STAFF:
        dashboard.groups = institution_worklist(user=user)
    elif user.role == Role.EMPLOYMENT_SERVICE:
        dashboard.groups = (followup_worklist(user=user, today=today, referrals=True)
                            + training_figures(user=user))
    elif user.role == Role.AUDITOR:
        dashboard.groups = indicator_figures(user=user, today=today) + training_figures(user=user)
    return dashboard


def followup_worklist(*, user: User, today: dt.date, referrals: bool = False) -> list[WorkGroup]:
    """Follow-ups due this month and overdue in the user's scope (a town, or the city), and for
    the employment service centre the job referrals still pending."""
    counts = followup_counts(user=user, today=today, done=False)
    group = (WorkGroup(_("就业跟踪与服务"))
             .add(_("本月应跟踪"), counts.due_this_month, "followup_list", status="due")
             .add(_("逾期未跟踪"), counts.overdue, "followup_list", status="overdue"))
    if referrals:
        group.add(_("职业介绍结果待定"), referrals_pending(user=user), "service_list",
                  kind="job_referral", result="pending")
    return [group]


def targets_worklist(*, user: User, today: dt.date) -> list[WorkGroup]:
    """The plan running today: for each of its three targets, the persons of the user's scope
    not yet covered, linking to their list; the city also gets the table by town."""
    if not may_read_targets(user):
        return []
    try:
        plan = default_plan(today)
    except NotFound:
        return []
    report = targets_report(user=user, plan=plan)
    rows = [report.city] if report.city is not None else report.towns
    group = WorkGroup(_("计划目标尚未覆盖的人员（%(plan)s）") % {"plan": plan.name})
    for i, target in enumerate(TARGETS):
        uncovered = sum(row.targets[i].uncovered for row in rows if row is not None)
        params = {"plan": str(plan.pk), "target": str(target.number)}
        if user.role == Role.TOWN_STAFF and user.town_id:
            params["town"] = user.town_id
        group.add(_("目标%(number)s：%(short)s") % {"number": target.number, "short": target.short},
                  uncovered, "reports_uncovered", **params)
    if report.city is not None:
        group.add(_("各镇街目标完成情况"), None, "reports_targets", plan=plan.pk)
    return [group]


def indicator_figures(*, user: User, today: dt.date) -> list[WorkGroup]:
    """The auditor's overview: this year's training outcomes, each linking to /reports."""
    report = indicators(user=user, filters=IndicatorFilters(year=today.year), as_of=today)
    t = report.total
    return [WorkGroup(_("%(year)s 年培训成效") % {"year": today.year})
            .add(_("培训人数"), t.trained, "reports", year=today.year)
            .add(_("培训人次"), t.trainee_times, "reports", year=today.year)
            .add(_("取得证书"), t.certificates, "reports", year=today.year)
            .add(_("鉴定合格"), t.passed, "reports", year=today.year)]
