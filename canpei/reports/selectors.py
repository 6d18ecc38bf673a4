"""Figures computed over the records a user may see: today the dashboard's registry overview.

This app owns aggregates. The yearly targets and the indicators measured against them (issue 10:
targets, ledgers, supervision alerts) are to live here too, as further selectors of the same
shape: keyword-only, taking the requesting user, starting from the user's scope
(`canpei.regions.scope`), and returning plain dataclasses a page, the API or an export can read
without knowing how the counts were made.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q

from canpei.accounts.models import User
from canpei.accounts.roles import OFFICER_ROLES, Perm, Role, has_perm
from canpei.institutions.models import Institution
from canpei.institutions.selectors import institution_get
from canpei.people.rules import PersonStatus
from canpei.people.selectors import working_age_q
from canpei.people.surveys.selectors import survey_progress
from canpei.people.selectors import persons_visible_to


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


@dataclass
class Dashboard:
    """What the landing page shows a user: which of its parts apply, and their figures."""

    officer: bool
    registry: RegistryOverview | None = None
    institution: Institution | None = None


def registry_overview(*, user: User, today: dt.date) -> RegistryOverview:
    """Persons registered, active and of working age per town the user sees (towns without a
    person are left out), with the town's survey progress of `today`'s year."""
    active = Q(status=PersonStatus.ACTIVE)
    rows = (persons_visible_to(user).values("town_id", "town__name")
            .annotate(total=Count("id"), active=Count("id", filter=active),
                      # Not "working_age": Person already has a property of that name.
                      of_working_age=Count("id", filter=active & working_age_q(today)))
            .order_by("town_id"))
    progress = {p.town: p for p in survey_progress(user=user, year=today.year)}
    towns = []
    for row in rows:
        town_progress = progress.get(row["town_id"])
        towns.append(TownFigures(
            town=row["town_id"], town_name=row["town__name"], total=row["total"],
            active=row["active"], working_age=row["of_working_age"],
            due=town_progress.due if town_progress else 0,
            surveyed=town_progress.surveyed if town_progress else 0))
    return RegistryOverview(today=today, towns=towns)


def dashboard_for(*, user: User, today: dt.date) -> Dashboard:
    """The dashboard of `user`: the registry overview for the roles that browse persons, the
    institution's own record for its staff, nothing for officers (they never see business data)."""
    dashboard = Dashboard(officer=user.role in OFFICER_ROLES)
    if has_perm(user, Perm.PERSON_BROWSE):
        dashboard.registry = registry_overview(user=user, today=today)
    if user.role == Role.INSTITUTION_STAFF and user.institution_id is not None:
        dashboard.institution = institution_get(user=user, institution_id=user.institution_id)
    return dashboard
