"""Reads of individual applications and of the staff's online training. Every one starts from
the caller's scope (canpei.regions.scope): town staff see their own town's, city-wide roles all."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils import timezone

from canpei.accounts.roles import Perm
from canpei.regions.scope import ScopePaths
from canpei.selectors import FilterParams, filter_given, filters_as_params, get_in_scope
from canpei.errors import Listed, Message as _
from canpei.training.models import (
    Application, ApplicationEvent, ApplicationKind, ApplicationState, StaffTraining,
)

if TYPE_CHECKING:
    from canpei.regions.scope import Viewer

# Applications follow the applicant's town; institutions see none.
APPLICATION_SCOPE = ScopePaths(model=Application, permission=Perm.APPLICATION_BROWSE,
                               town="person__town_id")
STAFF_TRAINING_SCOPE = ScopePaths(model=StaffTraining, permission=Perm.STAFF_TRAINING_BROWSE,
                                  town="town_id")
applications_visible_to = APPLICATION_SCOPE.visible_to
staff_trainings_visible_to = STAFF_TRAINING_SCOPE.visible_to


STATE_INVALID = _("状态须为 {values}", values=Listed(ApplicationState.values))
KIND_INVALID = _("申请类型须为 {values}", values=Listed(ApplicationKind.values))


@dataclass(frozen=True)
class ApplicationFilters:
    state: str = ""
    kind: str = ""
    town: str = ""
    year: int | None = None

    @classmethod
    def from_params(cls, params: Any) -> ApplicationFilters:
        """Parse query parameters, naming each bad one; unknown parameters are ignored."""
        read = FilterParams(params)
        filters = cls(state=read.choice("state", ApplicationState.values, STATE_INVALID),
                      kind=read.choice("kind", ApplicationKind.values, KIND_INVALID),
                      town=read.town(), year=read.year())
        read.done()
        return filters

    def as_params(self) -> dict[str, str]:
        return filters_as_params(self)


def _year_range(year: int) -> tuple[dt.datetime, dt.datetime]:
    # The year an application was submitted, in local time, as a range the index can serve.
    zone = timezone.get_current_timezone()
    return (dt.datetime(year, 1, 1, tzinfo=zone), dt.datetime(year + 1, 1, 1, tzinfo=zone))


def application_list(*, user: Viewer,
                     filters: ApplicationFilters | None = None) -> QuerySet[Application]:
    """Newest first; a year is the year the application was submitted."""
    f = filters or ApplicationFilters()
    qs = filter_given(applications_visible_to(user), state=f.state, kind=f.kind,
                      person__town_id=f.town)
    if f.year:
        start, end = _year_range(f.year)
        qs = qs.filter(created_at__gte=start, created_at__lt=end)
    return (qs.select_related("person", "person__town", "institution")
            .order_by("-created_at", "-id"))


def application_get(*, user: Viewer, application_id: int | str) -> Application:
    return get_in_scope(applications_visible_to(user).select_related(
        "person", "person__town", "institution", "created_by"), application_id)


def application_history(*, user: Viewer,
                        application: Application) -> QuerySet[ApplicationEvent]:
    return (ApplicationEvent.objects
            .filter(application__in=applications_visible_to(user), application=application)
            .select_related("actor").order_by("at", "id"))


@dataclass(frozen=True)
class StaffTrainingFilters:
    town: str = ""
    year: int | None = None

    @classmethod
    def from_params(cls, params: Any) -> StaffTrainingFilters:
        read = FilterParams(params)
        filters = cls(town=read.town(), year=read.year())
        read.done()
        return filters

    def as_params(self) -> dict[str, str]:
        return filters_as_params(self)


def staff_training_list(*, user: Viewer,
                        filters: StaffTrainingFilters | None = None) -> QuerySet[StaffTraining]:
    f = filters or StaffTrainingFilters()
    qs = filter_given(staff_trainings_visible_to(user), town_id=f.town, year=f.year)
    return qs.select_related("town").order_by("-year", "town_id", "id")


def staff_training_get(*, user: Viewer, record_id: int | str) -> StaffTraining:
    return get_in_scope(staff_trainings_visible_to(user).select_related("town"), record_id)
