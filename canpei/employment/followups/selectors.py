"""Reads of follow-ups, always from canpei.employment.selectors.followups_visible_to: town staff
their town's, the city, the employment service centre and the auditor every town's.

The worklist's three statuses, on a given day (`today`):

- due (本月待跟踪): not recorded, due from today to the end of this month;
- overdue (已逾期): not recorded, due before today;
- done (已完成): recorded (a date), whenever it was due.

A follow-up due after this month is "upcoming" and in none of the three (the list without a
status filter shows it).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q, QuerySet

from canpei.accounts.roles import CITY_WIDE_READERS, Perm, Role, has_perm
from canpei.employment.followups.summary import month_of, open_before
from canpei.employment.models import FollowUp
from canpei.employment.selectors import followups_visible_to
from canpei.errors import lazy_message as _
from canpei.regions.models import Region
from canpei.selectors import FilterParams, ListFilters, filter_given, get_in_scope

if TYPE_CHECKING:
    from canpei.regions.scope import Viewer


STATUSES = ("due", "overdue", "done", "upcoming")
STATUS_INVALID = _("状态须为 due（本月待跟踪）、overdue（已逾期）、done（已完成）或 upcoming（以后到期）")
MONTHS_INVALID = _("跟踪节点须为已配置的月数之一")
# What became of the follow-ups due by today (the denominator of the employment rate after
# training, canpei.reports.indicators.Milestone): the list behind each bar of its chart.
OUTCOMES = ("employed", "not_employed", "unrecorded")
OUTCOME_INVALID = _("跟踪结果须为 employed（已就业）、not_employed（未就业）或 unrecorded（应跟踪未跟踪）")


def month_end(today: dt.date) -> dt.date:
    return today.replace(day=calendar.monthrange(today.year, today.month)[1])


def status_q(status: str, today: dt.date) -> Q:
    if status == "due":
        return Q(date__isnull=True, due_on__gte=today, due_on__lte=month_end(today))
    if status == "overdue":
        return Q(date__isnull=True, due_on__lt=today)
    if status == "done":
        return Q(date__isnull=False)
    if status == "upcoming":
        return Q(date__isnull=True, due_on__gt=month_end(today))
    return Q()


def outcome_q(outcome: str, today: dt.date) -> Q:
    """The follow-ups due by `today` that came out as `outcome` (see OUTCOMES)."""
    due = Q(due_on__lte=today)
    if outcome == "employed":
        return due & Q(date__isnull=False, employed=True)
    if outcome == "not_employed":
        return due & Q(date__isnull=False) & ~Q(employed=True)
    if outcome == "unrecorded":
        return due & Q(date__isnull=True)
    return Q()


def followup_status(followup: FollowUp, today: dt.date) -> str:
    if followup.date is not None:
        return "done"
    if followup.due_on < today:
        return "overdue"
    return "due" if followup.due_on <= month_end(today) else "upcoming"


@dataclass(frozen=True)
class FollowUpFilters(ListFilters):
    town: str = ""
    status: str = ""
    months: int | None = None
    year: int | None = None
    outcome: str = ""

    @classmethod
    def parse(cls, read: FilterParams) -> dict[str, Any]:
        months_raw = read.choice("months", [str(m) for m in settings.FOLLOWUP_MONTHS],
                                 MONTHS_INVALID)
        return {"town": read.town(), "status": read.choice("status", STATUSES, STATUS_INVALID),
                "months": int(months_raw) if months_raw.isdigit() else None,
                "year": read.year(),
                "outcome": read.choice("outcome", OUTCOMES, OUTCOME_INVALID)}


def followup_list(*, user: Viewer, filters: FollowUpFilters | None = None,
                  today: dt.date | None = None) -> QuerySet[FollowUp]:
    """The follow-ups the user may see, filtered; oldest due first. `year` is the year due."""
    from django.utils import timezone

    f = filters or FollowUpFilters()
    day = today or timezone.localdate()
    qs = filter_given(followups_visible_to(user), town_id=f.town, months=f.months)
    if f.status:
        qs = qs.filter(status_q(f.status, day))
    if f.outcome:
        qs = qs.filter(outcome_q(f.outcome, day))
    if f.year:
        qs = qs.filter(due_on__gte=dt.date(f.year, 1, 1), due_on__lte=dt.date(f.year, 12, 31))
    return qs.select_related("person", "town", "enrollment__training_class",
                             "application").order_by("due_on", "id")


def followup_get(*, user: Viewer, followup_id: int | str) -> FollowUp:
    return get_in_scope(followup_list(user=user), followup_id)


@dataclass(frozen=True)
class FollowUpCounts:
    due_this_month: int
    overdue: int
    done: int


def _aggregates(today: dt.date) -> dict[str, Any]:
    return {"due_this_month": Count("id", filter=status_q("due", today)),
            "overdue": Count("id", filter=status_q("overdue", today)),
            "done": Count("id", filter=status_q("done", today))}


def followup_counts(*, user: Viewer, today: dt.date, done: bool = True) -> FollowUpCounts:
    """The user's worklist in three numbers (home pages link each to /employment?status=…).
    The open ones are counted over the unrecorded follow-ups due by the month's end only (a
    partial index holds exactly those); `done=False` leaves the recorded ones uncounted (0),
    as the home pages, which show only what is left to do, ask."""
    visible = followups_visible_to(user)
    # The months before this one from the open follow-ups' summary (one town's cells, or every
    # town's) when the user's scope is a whole town or the city; this month from the records.
    role = getattr(user, "role", None)
    allowed = not isinstance(user, AnonymousUser) and has_perm(user, Perm.FOLLOWUP_BROWSE)
    town = str(getattr(user, "town_id", "") or "") if role == Role.TOWN_STAFF else None
    since = (month_of(today) if allowed and (role in CITY_WIDE_READERS or town is not None)
             else None)
    # Counting due_on alone, so the partial index answers without reading the rows.
    open_ones = visible.filter(date__isnull=True, due_on__lte=month_end(today))
    if since is not None:
        open_ones = open_ones.filter(due_on__gte=since)
    row = open_ones.aggregate(due_this_month=Count("due_on", filter=Q(due_on__gte=today)),
                              overdue=Count("due_on", filter=Q(due_on__lt=today)))
    earlier = open_before(since, town) if since is not None else 0
    return FollowUpCounts(due_this_month=row["due_this_month"], overdue=row["overdue"] + earlier,
                          done=visible.filter(status_q("done", today)).count() if done else 0)


@dataclass(frozen=True)
class TownCounts:
    town: str
    town_name: str
    due_this_month: int
    overdue: int
    done: int


def followup_counts_by_town(*, user: Viewer, today: dt.date) -> list[TownCounts]:
    """The worklist's counts for each town the user may see (every town for the city-wide
    roles, their own for town staff), in town code order; towns without follow-ups show 0."""
    rows: dict[str, Any] = {r["town_id"]: r for r in followups_visible_to(user).values("town_id")
            .annotate(**_aggregates(today)).order_by()}
    towns = Region.objects.filter(level=Region.Level.TOWN).order_by("code")
    role = getattr(user, "role", None)
    if role == Role.TOWN_STAFF:
        towns = towns.filter(code=getattr(user, "town_id", ""))
    elif role not in (Role.CITY_ADMIN, Role.EMPLOYMENT_SERVICE, Role.AUDITOR):
        return []
    result = []
    for town in towns:
        r: dict[str, Any] = rows.get(town.code, {})
        result.append(TownCounts(town.code, town.name, r.get("due_this_month", 0),
                                 r.get("overdue", 0), r.get("done", 0)))
    return result
