"""Reads of employment services, and a person's timeline. Every one starts from the caller's
scope (canpei.employment.selectors.services_visible_to and the scopes of the records the
timeline gathers): town staff see their own town's, the city-wide roles the city's, institution
staff and the three officers none."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.text import format_lazy as lazy_format
from django.utils.translation import gettext as _, gettext_lazy as lazy_text

from canpei.employment.models import (
    EmploymentService, FollowUpMethod, ReferralResult, ServiceKind,
)
from canpei.employment.selectors import followups_visible_to, services_visible_to
from canpei.people.models import Person
from canpei.people.selectors import search_q
from canpei.people.surveys.selectors import survey_list
from canpei.selectors import FilterParams, ListFilters, filter_given, get_in_scope
from canpei.training.applications.selectors import applications_visible_to
from canpei.training.classes.selectors import classes_visible_to, person_trainings
from canpei.training.models import ApplicationKind, ApplicationState

if TYPE_CHECKING:
    from canpei.people.models import Survey
    from canpei.regions.scope import Viewer
    from canpei.training.models import Enrollment

# Messages translate when shown; typed as the str they stand for, which the shared helpers
# (canpei.errors, canpei.validation, canpei.workflows) take.
gettext_lazy = cast("Callable[[str], str]", lazy_text)
format_lazy = cast("Callable[..., str]", lazy_format)

KIND_FILTER_INVALID = format_lazy(gettext_lazy("服务类别须为 {values}"), values="、".join(ServiceKind.values))
RESULT_FILTER_INVALID = format_lazy(gettext_lazy("推荐结果须为 {values}"), values="、".join(ReferralResult.values))
DATE_FILTER_INVALID = gettext_lazy("日期须为 YYYY-MM-DD")
DATE_RANGE_INVALID = gettext_lazy("结束日期不能早于开始日期")
PERSON_FILTER_INVALID = gettext_lazy("服务对象须为人员编号")
QUERY_TOO_LONG = gettext_lazy("搜索内容不能超过 30 个字符")

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date_param(read: FilterParams, key: str) -> dt.date | None:
    raw = read.text(key)
    if not raw:
        return None
    try:
        if not _DATE.fullmatch(raw):
            raise ValueError(raw)
        return dt.date.fromisoformat(raw)
    except ValueError:
        read.errors.append((key, DATE_FILTER_INVALID))
        return None


@dataclass(frozen=True)
class ServiceFilters(ListFilters):
    """The service list's filters: the town (of the person), kind, referral result, year or a
    date range (both ends included), one person, and a search of the person's name (characters,
    pinyin, initials) or ID tail."""

    town: str = ""
    kind: str = ""
    result: str = ""
    year: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    person: int | None = None
    q: str = ""

    @classmethod
    def parse(cls, read: FilterParams) -> dict[str, Any]:
        start, end = _date_param(read, "date_from"), _date_param(read, "date_to")
        if start is not None and end is not None and end < start:
            read.errors.append(("date_to", DATE_RANGE_INVALID))
        return {
            "town": read.town(),
            "kind": read.choice("kind", ServiceKind.values, KIND_FILTER_INVALID),
            "result": read.choice("result", ReferralResult.values, RESULT_FILTER_INVALID),
            "year": read.year(),
            "date_from": start,
            "date_to": end,
            "person": read.record_id("person", PERSON_FILTER_INVALID),
            "q": read.search(limit=30, message=QUERY_TOO_LONG),
        }


def service_list(*, user: Viewer,
                 filters: ServiceFilters | None = None) -> QuerySet[EmploymentService]:
    """Newest first."""
    f = filters or ServiceFilters()
    qs = filter_given(services_visible_to(user), town_id=f.town, kind=f.kind, result=f.result,
                      person_id=f.person, date__gte=f.date_from, date__lte=f.date_to)
    if f.year:
        qs = qs.filter(date__gte=dt.date(f.year, 1, 1), date__lte=dt.date(f.year, 12, 31))
    if f.q:
        qs = qs.filter(person__in=Person.objects.filter(search_q(f.q)).values("pk"))
    return qs.select_related("person", "town").order_by("-date", "-id")


def service_get(*, user: Viewer, service_id: int | str) -> EmploymentService:
    return get_in_scope(services_visible_to(user).select_related("person", "person__town", "town",
                                                                 "recorded_by"), service_id)


def referrals_pending(*, user: Viewer) -> int:
    """Job referrals whose result is still pending, in the user's scope (a home page's count;
    the list behind it is /employment/services?kind=job_referral&result=pending)."""
    return services_visible_to(user).filter(kind="job_referral", result="pending").count()


def service_counts(*, user: Viewer, year: int | None = None) -> dict[str, int]:
    """Services by kind (every kind, zero included) in the user's scope, in one year or all."""
    qs = services_visible_to(user)
    if year:
        qs = qs.filter(date__gte=dt.date(year, 1, 1), date__lte=dt.date(year, 12, 31))
    found = dict(qs.values_list("kind").annotate(n=Count("id")).order_by())
    return {kind: found.get(kind, 0) for kind in ServiceKind.values}


# ---- a person's timeline -----------------------------------------------------------------------

@dataclass(frozen=True)
class TimelineEntry:
    """One event of a person's record: when, what kind, a title and a short summary, and the
    page it links to (a URL name and its one argument) when there is one the viewer may open."""

    date: dt.date
    kind: str  # survey, class, application, followup, followup_due, service
    kind_label: str
    title: str
    summary: str
    url_name: str = ""
    url_arg: int | None = None
    # Kinds on the same day: the later step of a person's path first (a service after a class).
    order: int = 0


def _label(choices: Any, value: str) -> str:
    return str(dict(choices).get(value, value))


def _both(*parts: str) -> str:
    """Parts of a timeline summary, joined as the language joins clauses (；in Chinese)."""
    return _("；").join(str(p) for p in parts)


def _survey_entries(user: Viewer, person: Person,
                    surveys: list[Survey] | None) -> list[TimelineEntry]:
    entries = []
    for s in survey_list(user=user, person=person.pk) if surveys is None else surveys:
        form = s.get_employment_form_display() if s.employment_form else _("未就业")
        need = _("有培训需求") if s.training_need else _("无培训需求")
        entries.append(TimelineEntry(
            date=s.surveyed_on, kind="survey", kind_label=_("需求调查"),
            title=_("%(year)s 年需求调查") % {"year": s.year},
            summary=_both(form, need), url_name="survey-detail", url_arg=s.pk, order=0))
    return entries


def _class_entries(user: Viewer, person: Person,
                   trainings: list[Enrollment] | None) -> list[TimelineEntry]:
    enrolments = (list(person_trainings(user=user, person_id=person.pk)) if trainings is None
                  else trainings)
    # A class page only where the viewer may open it (town staff: a class with a trainee of
    # their town; the enrolment alone does not say so once the person has moved).
    # A scope without a condition (the city-wide roles) sees every class: no query for that.
    scope = classes_visible_to(user)
    class_ids = [e.training_class_id for e in enrolments]
    visible = (set(scope.filter(pk__in=class_ids).values_list("pk", flat=True))
               if scope.query.has_filters() else set(class_ids))
    entries = []
    for e in enrolments:
        c = e.training_class
        shown = c.pk in visible
        entries.append(TimelineEntry(
            date=c.start_date, kind="class", kind_label=_("培训班"),
            title=f"{c.code} {c.name}" if shown else _("培训班"),
            summary=_("%(start)s 至 %(end)s；学员状态：%(status)s") % {
                "start": f"{c.start_date:%Y-%m-%d}", "end": f"{c.end_date:%Y-%m-%d}",
                "status": e.get_status_display()},
            url_name="class-detail" if shown else "", url_arg=c.pk if shown else None, order=1))
    return entries


def _application_entries(user: Viewer, person: Person) -> list[TimelineEntry]:
    entries = []
    for a in applications_visible_to(user).filter(person_id=person.pk).order_by("-created_at"):
        entries.append(TimelineEntry(
            date=timezone.localtime(a.created_at).date(), kind="application",
            kind_label=_("个人申请"), title=_label(ApplicationKind.choices, a.kind),
            summary=_both(a.occupation, _label(ApplicationState.choices, a.state)),
            url_name="application-detail", url_arg=a.pk, order=2))
    return entries


def _followup_entries(user: Viewer, person: Person) -> list[TimelineEntry]:
    today = timezone.localdate()
    entries = []
    for f in followups_visible_to(user).filter(person_id=person.pk).order_by("-due_on"):
        title = _("%(months)s 个月就业跟踪") % {"months": f.months}
        if f.date is not None:
            parts = [_label(FollowUpMethod.choices, f.method)] if f.method else []
            if f.employed is True:
                parts.append(_("已就业（%(employer)s）") % {"employer": f.employer}
                             if f.employer else _("已就业"))
            elif f.employed is False:
                parts.append(_("未就业"))
            entries.append(TimelineEntry(
                date=f.date, kind="followup", kind_label=_("就业跟踪"), title=title,
                summary=_both(*parts) if parts else _("已跟踪"), order=3))
        else:
            state = _("已逾期") if f.due_on < today else _("待跟踪")
            entries.append(TimelineEntry(
                date=f.due_on, kind="followup_due", kind_label=_("就业跟踪"), title=title,
                summary=_("%(state)s（应于 %(date)s 跟踪）") % {
                    "state": state, "date": f"{f.due_on:%Y-%m-%d}"}, order=3))
    return entries


def service_summary(service: EmploymentService) -> str:
    """A line saying what the service was: a referral's employer, position and result, or the
    first words of the content."""
    if service.kind == "job_referral":
        result = _label(ReferralResult.choices, service.result) if service.result else ""
        return _both(f"{service.employer} · {service.position}", result)
    content = " ".join(service.content.split())
    return content if len(content) <= 40 else content[:40] + "…"


def _service_entries(user: Viewer, person: Person) -> list[TimelineEntry]:
    return [TimelineEntry(date=s.date, kind="service", kind_label=_("就业服务"),
                          title=s.get_kind_display(), summary=service_summary(s),
                          url_name="service_detail", url_arg=s.pk, order=4)
            for s in services_visible_to(user).filter(person_id=person.pk)]


def person_timeline(*, user: Viewer, person: Person, surveys: list[Survey] | None = None,
                    trainings: list[Enrollment] | None = None) -> list[TimelineEntry]:
    """Everything the viewer may see of a person's path, newest first: surveys, classes (the
    enrolment with its status), individual applications, follow-ups (recorded, or due) and
    employment services. Each kind is read through its own scope, so the timeline shows no
    more than the lists do. A page that has already read the person's surveys (survey_list)
    or enrolments (person_trainings) for the same user passes them instead of reading again."""
    entries = [*_survey_entries(user, person, surveys), *_class_entries(user, person, trainings),
               *_application_entries(user, person), *_followup_entries(user, person),
               *_service_entries(user, person)]
    entries.sort(key=lambda e: (e.date, e.order), reverse=True)
    return entries
