"""What a user may see: the one place that turns a role and its scope into query filters.

Every selector starts from these querysets, so a page, an API route, an export and a report
see exactly the same records. A record outside the scope is simply absent (404).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, QuerySet

from canpei.accounts.roles import CITY_WIDE_READERS, Perm, Role, has_perm

if TYPE_CHECKING:
    from canpei.institutions.models import Institution
    from canpei.people.models import Person
    from canpei.training.models import Application, Enrollment, StaffTraining, TrainingClass


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


def classes_visible_to(user: object) -> "QuerySet[TrainingClass]":
    """Training classes: all for city-wide roles, an institution's own for its staff, and for
    town staff the classes with a trainee of their town (where the person lives now) on the
    roster."""
    from canpei.training.models import Enrollment, TrainingClass

    if not has_perm(user, Perm.CLASS_BROWSE):
        return TrainingClass.objects.none()
    role = getattr(user, "role")
    if role in CITY_WIDE_READERS:
        return TrainingClass.objects.all()
    if role == Role.INSTITUTION_STAFF:
        return TrainingClass.objects.filter(institution_id=getattr(user, "institution_id"))
    if role == Role.TOWN_STAFF:
        return TrainingClass.objects.filter(Exists(Enrollment.objects.filter(
            training_class=OuterRef("pk"), town_id=getattr(user, "town_id"))))
    return TrainingClass.objects.none()


def enrollments_visible_to(user: object) -> "QuerySet[Enrollment]":
    """Roster rows: an institution sees its classes' whole rosters; town staff only their own
    town's trainees, even in a class shared with other towns."""
    from canpei.training.models import Enrollment

    if not has_perm(user, Perm.CLASS_BROWSE):
        return Enrollment.objects.none()
    role = getattr(user, "role")
    if role in CITY_WIDE_READERS:
        return Enrollment.objects.all()
    if role == Role.INSTITUTION_STAFF:
        return Enrollment.objects.filter(
            training_class__institution_id=getattr(user, "institution_id"))
    if role == Role.TOWN_STAFF:
        return Enrollment.objects.filter(town_id=getattr(user, "town_id"))
    return Enrollment.objects.none()


def applications_visible_to(user: object) -> "QuerySet[Application]":
    from canpei.training.models import Application

    if not has_perm(user, Perm.APPLICATION_BROWSE):
        return Application.objects.none()
    role = getattr(user, "role")
    if role in CITY_WIDE_READERS:
        return Application.objects.all()
    if role == Role.TOWN_STAFF:
        return Application.objects.filter(person__town_id=getattr(user, "town_id"))
    return Application.objects.none()


def staff_trainings_visible_to(user: object) -> "QuerySet[StaffTraining]":
    from canpei.training.models import StaffTraining

    if not has_perm(user, Perm.STAFF_TRAINING_BROWSE):
        return StaffTraining.objects.none()
    role = getattr(user, "role")
    if role in CITY_WIDE_READERS:
        return StaffTraining.objects.all()
    if role == Role.TOWN_STAFF:
        return StaffTraining.objects.filter(town_id=getattr(user, "town_id"))
    return StaffTraining.objects.none()
