"""What a user may see: the one place that turns a role and its scope into query filters.

Each app declares, beside its selectors, where a kind of record says whose it is (`ScopePaths`:
the lookup to its town, the lookup to its institution); `visible_to` is the one function that
decides from those paths. Every selector starts from it, so a page, an API route, an export
and a report see exactly the same records. A record outside the scope is simply absent (404).
This module imports no app: adding an app adds a declaration, not a branch here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar
from collections.abc import Callable

from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, Q, QuerySet

from canpei.accounts.roles import CITY_WIDE_READERS, Perm, Role, has_perm

if TYPE_CHECKING:
    from canpei.accounts.models import User

    # Who asks for a read: a page's request.user may be anonymous, who sees nothing.
    Viewer = User | AnonymousUser

M = TypeVar("M", bound=Model)

# A town path: a lookup to the record's town code, or a function of the town code giving the
# condition when the town is not one field away (a class: any trainee of the town on its roster).
TownPath = str | Callable[[str], Q]


def any_town(_town: str) -> Q:
    """The town path of records every town's staff may browse (the city's institutions)."""
    return Q()


@dataclass(frozen=True)
class ScopePaths(Generic[M]):
    """Where a kind of record says whose it is.

    City-wide readers (CITY_WIDE_READERS) holding `permission` see every record; town staff the
    records whose `town` path is their town; institution staff those whose `institution` path is
    their institution. A role without a path sees none, and so does every role without
    `permission`.
    """

    model: type[M]
    permission: str
    town: TownPath | None = None
    institution: str | None = None

    def visible_to(self, user: Viewer) -> QuerySet[M]:
        """The records `user` may see (an app names it: `persons_visible_to = ….visible_to`)."""
        return visible_to(user, self)


def visible_to(user: Viewer, paths: ScopePaths[M]) -> QuerySet[M]:
    """The records of `paths.model` that `user` may see."""
    records: QuerySet[M] = paths.model._default_manager.all()
    if isinstance(user, AnonymousUser) or not has_perm(user, paths.permission):
        return records.none()
    role = user.role
    if role in CITY_WIDE_READERS:
        return records
    if role == Role.TOWN_STAFF and paths.town is not None:
        town = user.town_id or ""
        if callable(paths.town):
            return records.filter(paths.town(town))
        return records.filter(**{paths.town: town})
    if role == Role.INSTITUTION_STAFF and paths.institution is not None:
        return records.filter(**{paths.institution: user.institution_id})
    return records.none()


def town_codes_writable_by(user: User) -> set[str] | None:
    """Towns whose persons the user may create or edit; None means every town."""
    if not has_perm(user, Perm.PERSON_CREATE):
        return set()
    if user.role == Role.TOWN_STAFF:
        return {user.town_id or ""}
    return None
