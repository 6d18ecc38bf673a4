"""Printable documents of a class that a federation files on paper: the class application with
its roster (开班申请表及花名册), a session's sign-in sheet (签到表), the completion list (结业名单)
and the training certificates (培训合格证).

HTML made for print (A4, page breaks, no navigation; canpei/print.css), read like the class page:
the class through the scoped selector (out of scope is not found), its roster as far as the user
sees it (town staff: their town's trainees). ID numbers are masked as on screen."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from canpei.accounts.models import signed_in_user
from canpei.accounts.roles import Perm
from canpei.training import rules
from canpei.training.classes import selectors
from canpei.training.models import ClassState, EnrollmentStatus, TrainingClass
from canpei.web.pages import requires

# A sign-in sheet lists whoever is on the roster and has not withdrawn.
SIGNING = (EnrollmentStatus.ENROLLED, EnrollmentStatus.COMPLETED, EnrollmentStatus.FAILED)
# The completion list and certificates exist once completion is declared (结业申报).
COMPLETED_STATES = rules.CERTIFICATE_STATES


def _class(request: HttpRequest, class_id: int) -> TrainingClass:
    return selectors.class_get(user=signed_in_user(request), class_id=class_id)


def _roster(request: HttpRequest, training_class: TrainingClass, *statuses: str) -> list[Any]:
    rows = selectors.roster(user=signed_in_user(request), training_class=training_class)
    if statuses:
        rows = rows.filter(status__in=statuses)
    return list(rows)


def _page(request: HttpRequest, template: str, training_class: TrainingClass,
          **context: Any) -> HttpResponse:
    return render(request, template, {"c": training_class, "printed_on": timezone.localdate(),
                                      **context})


@requires(Perm.CLASS_BROWSE)
def class_application_print(request: HttpRequest, class_id: int) -> HttpResponse:
    training_class = _class(request, class_id)
    return _page(request, "print/class_application.html", training_class,
                 teachers=list(training_class.teachers.all()),
                 roster=_roster(request, training_class, *SIGNING))


@requires(Perm.CLASS_BROWSE)
def sign_in_sheet_print(request: HttpRequest, class_id: int) -> HttpResponse:
    """The sheet of one recorded session (`?session=`), or a blank one with the date to write in."""
    training_class = _class(request, class_id)
    if training_class.state in (ClassState.CANCELLED,):
        raise Http404()
    session = None
    wanted = request.GET.get("session", "")
    if wanted:
        if not wanted.isdigit():
            raise Http404()
        session = selectors.sessions(user=signed_in_user(request),
                                     training_class=training_class).filter(pk=int(wanted)).first()
        if session is None:
            raise Http404()
    return _page(request, "print/sign_in_sheet.html", training_class, session=session,
                 roster=_roster(request, training_class, *SIGNING))


@requires(Perm.CLASS_BROWSE)
def completion_list_print(request: HttpRequest, class_id: int) -> HttpResponse:
    training_class = _class(request, class_id)
    if training_class.state not in COMPLETED_STATES:
        raise Http404()
    return _page(request, "print/completion_list.html", training_class,
                 roster=_roster(request, training_class, EnrollmentStatus.COMPLETED))


@requires(Perm.CLASS_BROWSE)
def certificates_print(request: HttpRequest, class_id: int) -> HttpResponse:
    """One 培训合格证 a page for each trainee who completed (`?enrollment=` for one of them)."""
    training_class = _class(request, class_id)
    if training_class.state not in COMPLETED_STATES:
        raise Http404()
    trainees = _roster(request, training_class, EnrollmentStatus.COMPLETED)
    wanted = request.GET.get("enrollment", "")
    if wanted:
        trainees = [e for e in trainees if str(e.pk) == wanted]
        if not trainees:
            raise Http404()
    return _page(request, "print/certificates.html", training_class, trainees=trainees)
