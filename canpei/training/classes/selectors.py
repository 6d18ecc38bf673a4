"""Reads of classes, rosters, registers and inspections. Every one starts from the caller's scope
(canpei.regions.scope): institutions see their own classes, town staff their town's trainees."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from canpei.accounts.roles import Perm, Role
from canpei.codes import TrainingType
from canpei.regions.scope import ScopePaths
from canpei.selectors import (
    ListFilters, choice_filter, filter_given, get_in_scope, record_filter, search_filter,
    town_filter, year_filter,
)
from canpei.errors import Listed, Message as _
from canpei.training.models import (
    Attendance, ClassEvent, ClassSession, ClassState, Enrollment, EnrollmentStatus, Inspection,
    TrainingClass,
)

if TYPE_CHECKING:
    from canpei.regions.scope import Viewer


def _has_trainee_of(town: str) -> Q:
    return Q(Exists(Enrollment.objects.filter(training_class=OuterRef("pk"), town_id=town)))


# Training classes: all for city-wide roles, an institution's own for its staff, and for town
# staff the classes with a trainee of their town (where the person lives now) on the roster.
CLASS_SCOPE = ScopePaths(model=TrainingClass, permission=Perm.CLASS_BROWSE,
                         town=_has_trainee_of, institution="institution_id")
# Roster rows: an institution sees its classes' whole rosters; town staff only their own town's
# trainees, even in a class shared with other towns.
ENROLLMENT_SCOPE = ScopePaths(model=Enrollment, permission=Perm.CLASS_BROWSE, town="town_id",
                              institution="training_class__institution_id")
classes_visible_to = CLASS_SCOPE.visible_to
enrollments_visible_to = ENROLLMENT_SCOPE.visible_to


STATE_INVALID = _("状态须为 {values}", values=Listed(ClassState.values))
TYPE_INVALID = _("培训类型须为 {values}", values=Listed(TrainingType.values))
INSTITUTION_INVALID = _("培训机构须为机构编号")
QUERY_TOO_LONG = _("搜索内容不能超过 50 个字符")
RECTIFICATION_INVALID = _("整改筛选须为 open")
# A class with an inspection that asked for rectification not yet recorded as done.
RECTIFICATION_OPEN = "open"


def rectification_open_q() -> Q:
    return Q(Exists(Inspection.objects.filter(training_class=OuterRef("pk"),
                                              rectification_required=True,
                                              rectified_on__isnull=True)))


@dataclass(frozen=True)
class ClassFilters(ListFilters):
    year: int | None = year_filter()
    state: str = choice_filter(ClassState.values, STATE_INVALID)
    institution: int | None = record_filter(INSTITUTION_INVALID)
    type: str = choice_filter(TrainingType.values, TYPE_INVALID)
    town: str = town_filter()
    q: str = search_filter(limit=50, message=QUERY_TOO_LONG)
    rectification: str = choice_filter([RECTIFICATION_OPEN], RECTIFICATION_INVALID)


def _enrolled_count(user: Viewer) -> Subquery:
    """Trainees on the roster (less withdrawals) as far as the user sees them: a town's staff
    count their own town's trainees, not the other towns' in the same class."""
    return Subquery(
        enrollments_visible_to(user).filter(training_class=OuterRef("pk"))
        .exclude(status=EnrollmentStatus.WITHDRAWN)
        .order_by().values("training_class").annotate(n=Count("pk")).values("n"),
        output_field=IntegerField())


def sees_whole_class(user: Viewer) -> bool:
    """Whether the user sees a class's whole roster. Town staff see a class only as far as their
    own town's trainees are in it: its counts are of those trainees (class_list, the classes
    ledger), and class-wide head counts (an inspection's on-roster and present) are withheld."""
    return isinstance(user, AnonymousUser) or user.role != Role.TOWN_STAFF


def class_list(*, user: Viewer, filters: ClassFilters | None = None) -> QuerySet[TrainingClass]:
    """Newest first. `trainee_count` (roster less withdrawals) is computed for the page's rows
    only, by a correlated subquery on the (class, status) index."""
    f = filters or ClassFilters()
    # A class counts in its start year (PRODUCT.md); a range keeps the index usable. The town
    # is the institution's: classes held by institutions of the town.
    qs = filter_given(classes_visible_to(user), start_date__year=f.year, state=f.state,
                      institution_id=f.institution, training_type=f.type,
                      institution__town_id=f.town)
    if f.q:
        qs = qs.filter(Q(code__startswith=f.q.upper()) | Q(name__startswith=f.q))
    if f.rectification == RECTIFICATION_OPEN:
        qs = qs.filter(rectification_open_q())
    return (qs.select_related("institution")
            .annotate(trainee_count=Coalesce(_enrolled_count(user), 0))
            .order_by("-start_date", "-id"))


def class_get(*, user: Viewer, class_id: int | str) -> TrainingClass:
    return get_in_scope(
        classes_visible_to(user).select_related("institution", "institution__town", "skill",
                                                "created_by")
        .annotate(trainee_count=Coalesce(_enrolled_count(user), 0)),
        class_id)


def _this_class(user: Viewer, training_class: TrainingClass) -> QuerySet[TrainingClass, Any]:
    """The class, if the user may see it: the scope applied to one row, a primary-key probe
    (not the whole visible set, which for the city is every class)."""
    return classes_visible_to(user).filter(pk=training_class.pk).values("pk")


def class_history(*, user: Viewer, training_class: TrainingClass) -> QuerySet[ClassEvent]:
    return (ClassEvent.objects.filter(training_class__in=_this_class(user, training_class),
                                      training_class=training_class)
            .select_related("actor").order_by("at", "id"))


def roster(*, user: Viewer, training_class: TrainingClass) -> QuerySet[Enrollment]:
    """The class's roster as far as the user may see it (town staff: their town's trainees)."""
    return (enrollments_visible_to(user).filter(training_class=training_class)
            .select_related("person", "person__town").order_by("id"))


def enrollment_get(*, user: Viewer, enrollment_id: int | str) -> Enrollment:
    return get_in_scope(enrollments_visible_to(user).select_related(
        "person", "training_class", "training_class__institution"), enrollment_id)


def sessions(*, user: Viewer, training_class: TrainingClass) -> QuerySet[ClassSession]:
    return (ClassSession.objects.filter(training_class__in=_this_class(user, training_class),
                                        training_class=training_class).order_by("date", "id"))


def register(*, user: Viewer, training_class: TrainingClass) -> dict[tuple[int, int], Any]:
    """Hours per (session, enrollment) of the register, for the trainees the user may see."""
    visible = roster(user=user, training_class=training_class).values("pk")
    return {(a.session_id, a.enrollment_id): a.hours for a in
            Attendance.objects.filter(session__training_class=training_class,
                                      enrollment__in=visible)}


def inspections(*, user: Viewer, training_class: TrainingClass) -> QuerySet[Inspection]:
    return (Inspection.objects.filter(training_class__in=_this_class(user, training_class),
                                      training_class=training_class).order_by("date", "id"))


def inspection_get(*, user: Viewer, training_class: TrainingClass,
                   inspection_id: int | str) -> Inspection:
    return get_in_scope(inspections(user=user, training_class=training_class), inspection_id)


def person_trainings(*, user: Viewer, person_id: int) -> QuerySet[Enrollment]:
    """A person's classes, newest first, for their page: as far as the user sees rosters."""
    return (enrollments_visible_to(user).filter(person_id=person_id)
            .select_related("training_class", "training_class__institution")
            .order_by("-training_class__start_date", "-id"))


def enrollment_list(*, user: Viewer, filters: ClassFilters | None = None) -> QuerySet[Enrollment]:
    """Roster rows across classes (the trainees ledger), as far as the user may see them: the
    class filters apply to the class, except `town`, which is where the trainee lives (a town's
    ledger lists its own people, wherever they trained)."""
    f = filters or ClassFilters()
    qs = filter_given(enrollments_visible_to(user), training_class__start_date__year=f.year,
                      training_class__state=f.state, training_class__institution_id=f.institution,
                      training_class__training_type=f.type, person__town_id=f.town)
    if f.q:
        qs = qs.filter(Q(training_class__code__startswith=f.q.upper())
                       | Q(training_class__name__startswith=f.q))
    return (qs.select_related("training_class", "training_class__institution", "person",
                              "person__town")
            .order_by("-training_class__start_date", "training_class_id", "id"))
