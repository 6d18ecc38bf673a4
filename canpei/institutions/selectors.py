"""Reads of institutions. Every one starts from the caller's scope
(INSTITUTION_SCOPE below): an institution's staff see only their own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from canpei.accounts.roles import Perm
from canpei.institutions.models import (
    DesignationEvent, DesignationState, Institution, InstitutionType, Teacher,
)
from canpei.regions.scope import ScopePaths, any_town
from canpei.errors import Message as _
from canpei.selectors import (
    ListFilters, choice_filter, filter_given, get_in_scope, search_filter, town_filter,
)

if TYPE_CHECKING:
    from canpei.regions.scope import Viewer

# The city's institutions for business roles (town staff included); an institution's staff see
# only their own.
INSTITUTION_SCOPE = ScopePaths(model=Institution, permission=Perm.INSTITUTION_BROWSE,
                               town=any_town, institution="pk")
institutions_visible_to = INSTITUTION_SCOPE.visible_to


STATE_FILTER_INVALID = _("状态须为 applied、designated、demonstration、suspended 或 revoked")
TYPE_FILTER_INVALID = _("机构类型不在可选范围内")
QUERY_TOO_LONG = _("搜索内容不能超过 50 个字符")


@dataclass(frozen=True)
class InstitutionFilters(ListFilters):
    town: str = town_filter()
    state: str = choice_filter(DesignationState.values, STATE_FILTER_INVALID)
    type: str = choice_filter(InstitutionType.values, TYPE_FILTER_INVALID)
    q: str = search_filter(limit=50, message=QUERY_TOO_LONG)


def institution_list(*, user: Viewer, filters: InstitutionFilters | None = None) -> QuerySet[Institution]:
    f = filters or InstitutionFilters()
    qs = filter_given(institutions_visible_to(user), town_id=f.town, state=f.state, type=f.type)
    if f.q:
        # A name prefix: served by the name index like the person search.
        qs = qs.filter(name__startswith=f.q)
    return qs.select_related("town").order_by("id")


def institution_get(*, user: Viewer, institution_id: int | str) -> Institution:
    return get_in_scope(institutions_visible_to(user).select_related("town"), institution_id)


def teacher_list(*, user: Viewer, institution: Institution) -> QuerySet[Teacher]:
    # Through the scope again: a caller handed an institution it may not see gets nothing.
    return Teacher.objects.filter(institution__in=institutions_visible_to(user),
                                  institution=institution).order_by("-active", "id")


def teacher_get(*, user: Viewer, institution: Institution, teacher_id: int | str) -> Teacher:
    return get_in_scope(teacher_list(user=user, institution=institution), teacher_id)


def designation_history(*, user: Viewer, institution: Institution) -> QuerySet[DesignationEvent]:
    return (DesignationEvent.objects
            .filter(institution__in=institutions_visible_to(user), institution=institution)
            .select_related("actor").order_by("at", "id"))
