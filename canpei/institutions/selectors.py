"""Reads of institutions. Every one starts from the caller's scope
(INSTITUTION_SCOPE below): an institution's staff see only their own."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from canpei.accounts.roles import Perm
from canpei.errors import InvalidInput, NotFound
from canpei.institutions.models import (
    DesignationEvent, DesignationState, Institution, InstitutionType, Teacher,
)
from canpei.regions.scope import ScopePaths, any_town, visible_to

if TYPE_CHECKING:
    from canpei.regions.scope import Viewer

# The city's institutions for business roles (town staff included); an institution's staff see
# only their own.
INSTITUTION_SCOPE = ScopePaths(model=Institution, permission=Perm.INSTITUTION_BROWSE,
                               town=any_town, institution="pk")


def institutions_visible_to(user: Viewer) -> QuerySet[Institution]:
    return visible_to(user, INSTITUTION_SCOPE)


TOWN_FILTER_INVALID = "镇街代码须为 12 位数字"
STATE_FILTER_INVALID = "状态须为 applied、designated、demonstration、suspended 或 revoked"
TYPE_FILTER_INVALID = "机构类型不在可选范围内"
QUERY_TOO_LONG = "搜索内容不能超过 50 个字符"


@dataclass(frozen=True)
class InstitutionFilters:
    town: str = ""
    state: str = ""
    type: str = ""
    q: str = ""

    @classmethod
    def from_params(cls, params: Any) -> "InstitutionFilters":
        """Parse query parameters, naming each bad one; unknown parameters are ignored."""
        def get(key: str) -> str:
            value = params.get(key)
            return str(value).strip() if value is not None else ""

        errors: list[tuple[str, str]] = []
        town = get("town")
        if town and not re.fullmatch(r"[0-9]{12}", town):
            errors.append(("town", TOWN_FILTER_INVALID))
        if get("state") and get("state") not in DesignationState.values:
            errors.append(("state", STATE_FILTER_INVALID))
        if get("type") and get("type") not in InstitutionType.values:
            errors.append(("type", TYPE_FILTER_INVALID))
        q = unicodedata.normalize("NFKC", get("q"))
        if len(q) > 50:
            errors.append(("q", QUERY_TOO_LONG))
        if errors:
            raise InvalidInput(errors)
        return cls(town=town, state=get("state"), type=get("type"), q=q)

    def as_params(self) -> dict[str, str]:
        return {key: value for key, value in vars(self).items() if value}


def institution_list(*, user: Viewer, filters: InstitutionFilters | None = None) -> QuerySet[Institution]:
    f = filters or InstitutionFilters()
    qs = institutions_visible_to(user)
    if f.town:
        qs = qs.filter(town_id=f.town)
    if f.state:
        qs = qs.filter(state=f.state)
    if f.type:
        qs = qs.filter(type=f.type)
    if f.q:
        # A name prefix: served by the name index like the person search.
        qs = qs.filter(name__startswith=f.q)
    return qs.select_related("town").order_by("id")


def institution_get(*, user: Viewer, institution_id: int | str) -> Institution:
    try:
        pk = int(institution_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    institution = institutions_visible_to(user).select_related("town").filter(pk=pk).first()
    if institution is None:
        raise NotFound()
    return institution


def teacher_list(*, user: Viewer, institution: Institution) -> QuerySet[Teacher]:
    # Through the scope again: a caller handed an institution it may not see gets nothing.
    return Teacher.objects.filter(institution__in=institutions_visible_to(user),
                                  institution=institution).order_by("-active", "id")


def teacher_get(*, user: Viewer, institution: Institution, teacher_id: int | str) -> Teacher:
    try:
        pk = int(teacher_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    teacher = teacher_list(user=user, institution=institution).filter(pk=pk).first()
    if teacher is None:
        raise NotFound()
    return teacher


def designation_history(*, user: Viewer, institution: Institution) -> QuerySet[DesignationEvent]:
    return (DesignationEvent.objects
            .filter(institution__in=institutions_visible_to(user), institution=institution)
            .select_related("actor").order_by("at", "id"))
