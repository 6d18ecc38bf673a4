"""What a user may see: the one place that turns a role and its scope into query filters.

Every selector starts from these querysets, so a page, an API route, an export and a report
see exactly the same records. A record outside the scope is simply absent (404).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from canpei.accounts.roles import CITY_WIDE_READERS, Perm, Role, has_perm

if TYPE_CHECKING:
    from canpei.institutions.models import Institution
    from canpei.people.models import Person


def persons_visible_to(user: object) -> "QuerySet[Person]":
    """Persons a user may browse: the city for city-wide roles, one town for its staff."""
    from canpei.people.models import Person

    if not has_perm(user, Perm.PERSON_BROWSE):
        return Person.objects.none()
    role = getattr(user, "role")
    if role in CITY_WIDE_READERS:
        return Person.objects.all()
    if role == Role.TOWN_STAFF:
        return Person.objects.filter(town_id=getattr(user, "town_id"))
    return Person.objects.none()


def town_codes_writable_by(user: object) -> set[str] | None:
    """Towns whose persons the user may create or edit; None means every town."""
    if not has_perm(user, Perm.PERSON_CREATE):
        return set()
    if getattr(user, "role") == Role.TOWN_STAFF:
        return {getattr(user, "town_id")}
    return None


def institutions_visible_to(user: object) -> "QuerySet[Institution]":
    """The city's institutions for business roles; an institution's staff see only their own."""
    from canpei.institutions.models import Institution

    if not has_perm(user, Perm.INSTITUTION_BROWSE):
        return Institution.objects.none()
    if getattr(user, "role") == Role.INSTITUTION_STAFF:
        return Institution.objects.filter(pk=getattr(user, "institution_id"))
    return Institution.objects.all()
