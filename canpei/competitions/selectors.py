"""Reads of competitions, entries and typical cases. Every one starts from the caller's scope:
competitions (no personal data) are read by every role holding COMPETITION_BROWSE; an entry by
town staff of the entrant's town and by the city-wide readers; a case about a person likewise by
the person's town, a case about no one by the city-wide readers only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet

from canpei.accounts.roles import Perm
from canpei.codes import AwardGrade, CompetitionLevel
from canpei.competitions.models import CaseChannel, Competition, Entry, TypicalCase
from canpei.errors import lazy_message as _
from canpei.errors import lazy_format as format_lazy
from canpei.regions.scope import ScopePaths, any_town
from canpei.selectors import (
    ListFilters, choice_filter, filter_given, get_in_scope, search_filter, town_filter,
    year_filter,
)

if TYPE_CHECKING:
    from canpei.regions.scope import Viewer


COMPETITION_SCOPE = ScopePaths(model=Competition, permission=Perm.COMPETITION_BROWSE,
                               town=any_town)
ENTRY_SCOPE = ScopePaths(model=Entry, permission=Perm.COMPETITION_BROWSE, town="town_id")
CASE_SCOPE = ScopePaths(model=TypicalCase, permission=Perm.CASE_BROWSE, town="town_id")

competitions_visible_to = COMPETITION_SCOPE.visible_to
entries_visible_to = ENTRY_SCOPE.visible_to
cases_visible_to = CASE_SCOPE.visible_to

LEVEL_FILTER_INVALID = format_lazy(_("竞赛级别须为 {values}"), values="、".join(CompetitionLevel.values))
AWARD_FILTER_INVALID = format_lazy(_("获奖等次须为 {values} 或 any"), values="、".join(AwardGrade.values))
CHANNEL_FILTER_INVALID = format_lazy(_("宣传渠道须为 {values}"), values="、".join(CaseChannel.values))
PUBLISHED_FILTER_INVALID = _("发布状态须为 yes 或 no")
QUERY_TOO_LONG = _("搜索内容不能超过 30 个字符")


def _year_q(year: int | None, field: str) -> Q:
    if not year:
        return Q()
    return Q(**{f"{field}__gte": dt.date(year, 1, 1), f"{field}__lte": dt.date(year, 12, 31)})


@dataclass(frozen=True)
class CompetitionFilters(ListFilters):
    """The year (of the start date), the level and a search of the name."""

    year: int | None = year_filter()
    level: str = choice_filter(CompetitionLevel.values, LEVEL_FILTER_INVALID)
    q: str = search_filter(limit=30, message=QUERY_TOO_LONG)


def competition_list(*, user: Viewer,
                     filters: CompetitionFilters | None = None) -> QuerySet[Competition]:
    """Newest first, each with its number of events and of entries the user may see."""
    f = filters or CompetitionFilters()
    qs = filter_given(competitions_visible_to(user), level=f.level).filter(
        _year_q(f.year, "start_date"))
    if f.q:
        qs = qs.filter(name__icontains=f.q)
    visible = entries_visible_to(user).values("pk")
    return qs.annotate(
        event_count=Count("events", distinct=True),
        entry_count=Count("events__entries", filter=Q(events__entries__in=visible),
                          distinct=True),
    ).order_by("-start_date", "-id")


def competition_get(*, user: Viewer, competition_id: int | str) -> Competition:
    return get_in_scope(competitions_visible_to(user), competition_id)


@dataclass(frozen=True)
class EntryFilters(ListFilters):
    """The year (of the competition's start), its level, the award (a grade, or `any`), town."""

    year: int | None = year_filter()
    level: str = choice_filter(CompetitionLevel.values, LEVEL_FILTER_INVALID)
    award: str = choice_filter([*AwardGrade.values, "any"], AWARD_FILTER_INVALID)
    town: str = town_filter()


def entry_list(*, user: Viewer, competition_id: int | None = None,
               filters: EntryFilters | None = None) -> QuerySet[Entry]:
    """The entries the user may see, by competition, event and entry order."""
    f = filters or EntryFilters()
    qs = filter_given(entries_visible_to(user), event__competition_id=competition_id,
                      event__competition__level=f.level, town_id=f.town).filter(
        _year_q(f.year, "event__competition__start_date"))
    if f.award == "any":
        qs = qs.exclude(award="")
    elif f.award:
        qs = qs.filter(award=f.award)
    return qs.select_related("event", "event__competition", "person", "town").order_by(
        "-event__competition__start_date", "event__competition_id", "event_id", "id")


def entry_get(*, user: Viewer, entry_id: int | str) -> Entry:
    return get_in_scope(entries_visible_to(user).select_related(
        "event", "event__competition", "person", "town"), entry_id)


def awarded_entries(user: Viewer, year: int | None = None) -> QuerySet[Entry]:
    """The entries with an award grade, in the user's scope, of competitions starting in `year`
    (every year if None): what an award disbursement pays for."""
    return entry_list(user=user, filters=EntryFilters(year=year, award="any"))


@dataclass(frozen=True)
class CaseFilters(ListFilters):
    """Published or not, the channel, the year (of publication) and a search of the title."""

    published: str = choice_filter(["yes", "no"], PUBLISHED_FILTER_INVALID)
    channel: str = choice_filter(CaseChannel.values, CHANNEL_FILTER_INVALID)
    year: int | None = year_filter()
    q: str = search_filter(limit=30, message=QUERY_TOO_LONG)


def case_list(*, user: Viewer, filters: CaseFilters | None = None) -> QuerySet[TypicalCase]:
    f = filters or CaseFilters()
    qs = filter_given(cases_visible_to(user), channel=f.channel).filter(
        _year_q(f.year, "published_on"))
    if f.published:
        qs = qs.filter(published_on__isnull=f.published == "no")
    if f.q:
        qs = qs.filter(title__icontains=f.q)
    return qs.select_related("person", "town").order_by("-created_at", "-id")


def case_get(*, user: Viewer, case_id: int | str) -> TypicalCase:
    return get_in_scope(cases_visible_to(user).select_related("person", "town"), case_id)
