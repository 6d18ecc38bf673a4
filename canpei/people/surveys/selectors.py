"""Reads of the annual needs survey, through the caller's scope of persons."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_noop

from canpei.accounts.roles import Role
from canpei.errors import InvalidInput
from canpei.people.models import Person, Survey
from canpei.people.rules import PersonStatus
from canpei.people.selectors import persons_visible_to, working_age_q
from canpei.regions.models import Region
from canpei.selectors import TOWN_FILTER_INVALID, get_in_scope

if TYPE_CHECKING:
    from canpei.regions.scope import Viewer

YEAR_FILTER_INVALID = gettext_noop("年度须为四位数字")


def parse_year(raw: Any, *, default: int | None = None) -> int | None:
    text = "" if raw is None else str(raw).strip()
    if not text:
        return default
    if not re.fullmatch(r"(19|20)[0-9]{2}", text):
        raise InvalidInput([("year", _(YEAR_FILTER_INVALID))])
    return int(text)


def parse_town(raw: Any) -> str:
    text = "" if raw is None else str(raw).strip()
    if text and not re.fullmatch(r"[0-9]{12}", text):
        raise InvalidInput([("town", TOWN_FILTER_INVALID)])
    return text


def surveys_visible_to(user: Viewer) -> QuerySet[Survey]:
    return Survey.objects.filter(person__in=persons_visible_to(user))


def survey_list(*, user: Viewer, year: int | None = None, town: str = "",
                person: int | None = None) -> QuerySet[Survey]:
    qs = surveys_visible_to(user)
    if year:
        qs = qs.filter(year=year)
    if town:
        qs = qs.filter(person__town_id=town)
    if person:
        qs = qs.filter(person_id=person)
    return qs.select_related("person", "person__town").prefetch_related("wanted_skills") \
        .order_by("-year", "id")


def person_surveys(person: Person) -> QuerySet[Survey]:
    """The surveys of a person the caller already read through a scoped selector (`person_get`),
    newest first: no second scope check and no join back to the person, whose row each survey
    shares (the related manager sets it). Without their wanted skills: the person page shows
    none, and matching reads the latest survey's as a subquery."""
    return person.surveys.order_by("-year", "id")


def survey_get(*, user: Viewer, survey_id: int | str) -> Survey:
    return get_in_scope(survey_list(user=user), survey_id)


def reference_date(year: int) -> dt.date:
    """The day on which working age is judged for a survey year: today, or 31 December of a past year."""
    today = timezone.localdate()
    return today if year >= today.year else dt.date(year, 12, 31)


def _due(user: Viewer, year: int) -> QuerySet[Person]:
    """Persons due a survey in `year`: active and of working age."""
    return persons_visible_to(user).filter(Q(status=PersonStatus.ACTIVE)
                                           & working_age_q(reference_date(year)))


@dataclass
class TownProgress:
    town: str
    town_name: str
    due: int
    surveyed: int

    @property
    def remaining(self) -> int:
        return self.due - self.surveyed

    @property
    def ratio(self) -> float:
        return round(self.surveyed / self.due, 4) if self.due else 0.0


def survey_progress(*, user: Viewer, year: int, order: str = "town") -> list[TownProgress]:
    """Per town: working-age persons on the registry vs. those surveyed this year."""
    surveyed = Survey.objects.filter(person=OuterRef("pk"), year=year)
    rows = (_due(user, year).annotate(done=Exists(surveyed)).values("town_id")
            .annotate(due=Count("id"), surveyed=Count("id", filter=Q(done=True))))
    counts: dict[str, dict[str, Any]] = {r["town_id"]: dict(r) for r in rows}
    towns = Region.objects.filter(level=Region.Level.TOWN).order_by("code")
    if user.is_authenticated and user.role == Role.TOWN_STAFF:
        towns = towns.filter(code=user.town_id)
    result = [TownProgress(t.code, t.name, counts.get(t.code, {}).get("due", 0),
                           counts.get(t.code, {}).get("surveyed", 0)) for t in towns]
    keys = {"town": lambda p: p.town, "ratio": lambda p: (p.ratio, p.town),
            "-ratio": lambda p: (-p.ratio, p.town), "remaining": lambda p: (-p.remaining, p.town),
            "due": lambda p: (-p.due, p.town)}
    return sorted(result, key=keys.get(order, keys["town"]))


def unsurveyed_persons(*, user: Viewer, year: int, town: str = "") -> QuerySet[Person]:
    qs = _due(user, year).exclude(Exists(Survey.objects.filter(person=OuterRef("pk"), year=year)))
    if town:
        qs = qs.filter(town_id=town)
    return qs.select_related("town").order_by("town_id", "id")
