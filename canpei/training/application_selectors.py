"""Reads of individual applications and of the staff's online training. Every one starts from
the caller's scope (canpei.regions.scope): town staff see their own town's, city-wide roles all."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils import timezone

from canpei.accounts.roles import Perm
from canpei.errors import InvalidInput, NotFound
from canpei.regions.scope import ScopePaths, visible_to
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


def applications_visible_to(user: Viewer) -> QuerySet[Application]:
    return visible_to(user, APPLICATION_SCOPE)


def staff_trainings_visible_to(user: Viewer) -> QuerySet[StaffTraining]:
    return visible_to(user, STAFF_TRAINING_SCOPE)


YEAR_INVALID = "年度须为 2000 至 2100 的整数"
STATE_INVALID = "状态须为 " + "、".join(ApplicationState.values)
KIND_INVALID = "申请类型须为 " + "、".join(ApplicationKind.values)
TOWN_INVALID = "镇街代码须为 12 位数字"


def _get(params: Any, key: str) -> str:
    value = params.get(key)
    return str(value).strip() if value is not None else ""


def _year(params: Any, errors: list[tuple[str, str]]) -> int | None:
    raw = _get(params, "year")
    if not raw:
        return None
    if re.fullmatch(r"[0-9]{4}", raw) and 2000 <= int(raw) <= 2100:
        return int(raw)
    errors.append(("year", YEAR_INVALID))
    return None


def _town(params: Any, errors: list[tuple[str, str]]) -> str:
    raw = _get(params, "town")
    if raw and not re.fullmatch(r"[0-9]{12}", raw):
        errors.append(("town", TOWN_INVALID))
        return ""
    return raw


@dataclass(frozen=True)
class ApplicationFilters:
    state: str = ""
    kind: str = ""
    town: str = ""
    year: int | None = None

    @classmethod
    def from_params(cls, params: Any) -> "ApplicationFilters":
        """Parse query parameters, naming each bad one; unknown parameters are ignored."""
        errors: list[tuple[str, str]] = []
        state, kind = _get(params, "state"), _get(params, "kind")
        if state and state not in ApplicationState.values:
            errors.append(("state", STATE_INVALID))
        if kind and kind not in ApplicationKind.values:
            errors.append(("kind", KIND_INVALID))
        town = _town(params, errors)
        year = _year(params, errors)
        if errors:
            raise InvalidInput(errors)
        return cls(state=state, kind=kind, town=town, year=year)

    def as_params(self) -> dict[str, str]:
        return {key: str(value) for key, value in vars(self).items() if value not in ("", None)}


def _year_range(year: int) -> tuple[dt.datetime, dt.datetime]:
    # The year an application was submitted, in local time, as a range the index can serve.
    zone = timezone.get_current_timezone()
    return (dt.datetime(year, 1, 1, tzinfo=zone), dt.datetime(year + 1, 1, 1, tzinfo=zone))


def application_list(*, user: Viewer,
                     filters: ApplicationFilters | None = None) -> QuerySet[Application]:
    """Newest first; a year is the year the application was submitted."""
    f = filters or ApplicationFilters()
    qs = applications_visible_to(user)
    if f.state:
        qs = qs.filter(state=f.state)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.town:
        qs = qs.filter(person__town_id=f.town)
    if f.year:
        start, end = _year_range(f.year)
        qs = qs.filter(created_at__gte=start, created_at__lt=end)
    return (qs.select_related("person", "person__town", "institution")
            .order_by("-created_at", "-id"))


def application_get(*, user: Viewer, application_id: int | str) -> Application:
    try:
        pk = int(application_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    found = (applications_visible_to(user)
             .select_related("person", "person__town", "institution", "created_by")
             .filter(pk=pk).first())
    if found is None:
        raise NotFound()
    return found


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
    def from_params(cls, params: Any) -> "StaffTrainingFilters":
        errors: list[tuple[str, str]] = []
        town = _town(params, errors)
        year = _year(params, errors)
        if errors:
            raise InvalidInput(errors)
        return cls(town=town, year=year)

    def as_params(self) -> dict[str, str]:
        return {key: str(value) for key, value in vars(self).items() if value not in ("", None)}


def staff_training_list(*, user: Viewer,
                        filters: StaffTrainingFilters | None = None) -> QuerySet[StaffTraining]:
    f = filters or StaffTrainingFilters()
    qs = staff_trainings_visible_to(user)
    if f.town:
        qs = qs.filter(town_id=f.town)
    if f.year:
        qs = qs.filter(year=f.year)
    return qs.select_related("town").order_by("-year", "town_id", "id")


def staff_training_get(*, user: Viewer, record_id: int | str) -> StaffTraining:
    try:
        pk = int(record_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    found = staff_trainings_visible_to(user).select_related("town").filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found
