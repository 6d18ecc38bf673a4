"""Reads of the registry. Every one starts from the caller's scope (canpei.regions.scope)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from canpei.accounts.roles import Perm, Role
from canpei.people import crypto
from canpei.people.models import Person
from canpei.people.rules import (
    CATEGORY_INVALID, EMPLOYMENT_FORM_INVALID, GRADE_INVALID, STATUS_INVALID, Category,
    EmploymentForm, Gender, Grade, PersonStatus, normalize_id_number, working_age_birth_range,
)
from canpei.errors import Message as _
from canpei.regions.models import Region
from canpei.regions.scope import ScopePaths
from canpei.selectors import (
    FilterParams, ListFilters, choice_filter, filter_given, get_in_scope, search_filter,
    town_filter,
)

if TYPE_CHECKING:
    from canpei.regions.scope import Viewer

# The registry: the city for city-wide roles, one town (where the person lives) for its staff.
PERSON_SCOPE = ScopePaths(model=Person, permission=Perm.PERSON_BROWSE, town="town_id")
persons_visible_to = PERSON_SCOPE.visible_to


WORKING_AGE_FILTER_INVALID = _("working_age 只能为 true 或 false")
QUERY_TOO_LONG = _("搜索内容不能超过 30 个字符")

ID_TAIL = re.compile(r"^[0-9]{1,3}[0-9X]$|^[0-9]$")
PINYIN = re.compile(r"^[a-z]+$")


@dataclass(frozen=True)
class PersonFilters(ListFilters):
    town: str = town_filter()
    q: str = search_filter(limit=30, message=QUERY_TOO_LONG)
    category: str = choice_filter(Category.values, CATEGORY_INVALID)
    grade: str = choice_filter(Grade.values, GRADE_INVALID)
    employment_form: str = choice_filter(EmploymentForm.values + ["none"],
                                         EMPLOYMENT_FORM_INVALID)
    working_age: bool | None = None  # read below, after the declared fields
    status: str = choice_filter(PersonStatus.values, STATUS_INVALID)

    @classmethod
    def parse(cls, read: FilterParams) -> dict[str, Any]:
        values = super().parse(read)
        working_age: bool | None = None
        raw_age = read.text("working_age").lower()
        if raw_age in {"true", "1", "yes"}:
            working_age = True
        elif raw_age in {"false", "0", "no"}:
            working_age = False
        elif raw_age:
            read.errors.append(("working_age", WORKING_AGE_FILTER_INVALID))
        return {**values, "working_age": working_age}


def working_age_q(on: Any = None) -> Q:
    on = on or timezone.localdate()
    condition = Q()
    for gender in (Gender.MALE, Gender.FEMALE):
        after, until = working_age_birth_range(gender, on)
        condition |= Q(gender=gender, birth_date__gt=after, birth_date__lte=until)
    return condition


def _search_branches(q: str) -> list[Q]:
    upper = q.upper().replace(" ", "")
    if len(upper) == 18:
        return [Q(id_hash=crypto.lookup_hash(normalize_id_number(upper)))]
    if ID_TAIL.match(upper):
        return [Q(id_tail=upper) if len(upper) == 4 else Q(id_tail__endswith=upper)]
    lower = q.lower().replace(" ", "")
    if PINYIN.match(lower):
        return [Q(name_pinyin__startswith=lower), Q(name_initials__startswith=lower)]
    return [Q(name__startswith=q.replace(" ", ""))]


def search_q(q: str) -> Q:
    """Name by prefix, full pinyin or initials by prefix, ID by its tail or in full.

    Every branch is an equality or a prefix match, so each is served by an index.
    """
    branches = _search_branches(q)
    condition = branches[0]
    for branch in branches[1:]:
        condition |= branch
    return condition


def search_parts(q: str) -> list[Q]:
    """search_q(q) as disjoint conditions whose counts add up to its count.

    "pinyin OR initials" becomes "pinyin" and "initials AND NOT pinyin"; each is an index-only
    scan (the initials indexes carry the pinyin for that), where the OR is not.
    """
    branches = _search_branches(q)
    return [branch & ~Q(*branches[:i], _connector=Q.OR) if i else branch
            for i, branch in enumerate(branches)]


def _filtered(*, user: Viewer, f: PersonFilters) -> QuerySet[Person]:
    """Scope and every filter except the search."""
    # employment_form "none" asks for the persons without one.
    form = "" if f.employment_form == "none" else f.employment_form
    qs = filter_given(persons_visible_to(user), town_id=f.town, category=f.category,
                      grade=f.grade, employment_form=form, status=f.status)
    if f.employment_form == "none":
        qs = qs.filter(employment_form="")
    if f.working_age is True:
        qs = qs.filter(working_age_q())
    elif f.working_age is False:
        qs = qs.exclude(working_age_q())
    return qs


def person_list(*, user: Viewer, filters: PersonFilters | None = None) -> QuerySet[Person]:
    f = filters or PersonFilters()
    qs = _filtered(user=user, f=f)
    if f.q:
        qs = qs.filter(search_q(f.q))
    return qs.select_related("town", "village").order_by("id")


def person_count(*, user: Viewer, filters: PersonFilters | None = None) -> int:
    """The exact number of rows person_list gives, counted the cheap way.

    A latin search is "pinyin prefix OR initials prefix". Counted as one OR, PostgreSQL joins two
    bitmaps and must then visit every matching row in the table (130 ms for "chen" among
    1,000,000 persons); counted as two disjoint parts each is an index-only scan (a few ms).
    Every other list is counted in one query.
    """
    f = filters or PersonFilters()
    qs = _filtered(user=user, f=f)
    if not f.q:
        return qs.count()
    return sum(qs.filter(part).count() for part in search_parts(f.q))


def person_get(*, user: Viewer, person_id: int | str) -> Person:
    return get_in_scope(persons_visible_to(user).select_related("town", "village"), person_id)


def lookup_candidates(*, user: Viewer) -> QuerySet[Person]:
    """Whom an exact lookup by full ID number (persons/lookup) may find: active persons only, so
    that a number of someone who moved out, died or left the registry answers exactly as an
    unknown one; town staff within their town, the other roles allowed to look up city-wide."""
    if user.is_authenticated and user.role == Role.TOWN_STAFF:  # noqa: SIM108  (the ternary would not fit a line)
        base = persons_visible_to(user)
    else:
        base = Person.objects.all()
    return base.filter(status=PersonStatus.ACTIVE)


def town_choices() -> QuerySet[Region]:
    return Region.objects.filter(level=Region.Level.TOWN).order_by("code")
