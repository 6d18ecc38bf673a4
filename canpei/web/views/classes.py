"""Pages of training classes: the list, the application form, the class page with its whole
story (lifecycle, roster, register, inspections), the register grid and the trainee record.

Thin like the other pages: every read goes through canpei.training.selectors (scoped), every write
through canpei.training.services, whose refusals come back beside the field or as the rule's
message at the top of the form.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.middleware.csrf import get_token
from django.template.defaultfilters import date as date_filter
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from canpei.accounts.models import User, signed_in_user
from canpei.accounts.roles import Perm, Role, has_perm
from canpei.codes import TrainingType
from canpei.errors import ServiceError
from canpei.institutions.selectors import institution_list
from canpei.masking import mask_id_number
from canpei.people.models import Person
from canpei.reports import matching
from canpei.training import rules
from canpei.training.classes import checks, selectors, services
from canpei.training.lookup_limit import enrolment_lookup_count
from canpei.training.classes.forms import (
    ClassForm, ClassTransitionForm, EnrollForm, EnrollmentForm, InspectionForm, RectifyForm,
    SessionForm, WithdrawForm, class_initial, enrollment_initial,
)
from canpei.training.models import (
    AppraisalResult, ClassEvent, ClassState, Enrollment, EnrollmentStatus, TrainingClass,
)
from canpei.web.templatetags.canpei_lists import code_labels, options
from canpei.web.pages import (
    create_page, lifecycle_steps, list_context, posted_action, requires, saved, step_forms, submit,
    town_options, without_nul,
)

S = ClassState
# The states in which something of a trainee's record may be written (enrollment_update).
ENROLLMENT_EDIT_STATES = rules.ATTENDANCE_STATES | rules.CERTIFICATE_STATES
# A register session shows its default hours until the institution has recorded one.
DEFAULT_SESSION_HOURS = "4"
# Before a class starts its trainees are signed up (已报名), not yet in training (在训).
NOT_STARTED = frozenset({S.DRAFT, S.SUBMITTED, S.RETURNED, S.APPROVED})
# ID numbers pasted onto a roster at once (a class has at most a few dozen trainees).
MAX_PASTED = 200


def _to_class_page(class_id: int, section: str) -> HttpResponse:
    """Back to the class page, scrolled to the section just changed (its heading's id)."""
    return redirect(reverse("class-detail", kwargs={"class_id": class_id}) + f"#{section}")


def _class(request: HttpRequest, class_id: int) -> TrainingClass:
    return selectors.class_get(user=signed_in_user(request), class_id=class_id)


def _enrollment(request: HttpRequest, enrollment_id: int) -> Enrollment:
    return selectors.enrollment_get(user=signed_in_user(request), enrollment_id=enrollment_id)


def _errors_text(exc: ServiceError) -> str:
    return "；".join(message for _field, message in exc.errors) or exc.message


# ---- list ----------------------------------------------------------------------------------------

@requires(Perm.CLASS_BROWSE)
def class_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    context = list_context(
        request, selectors.ClassFilters,
        lambda filters: selectors.class_list(user=user, filters=filters))
    filters = context["filters"]
    institution_staff = user.role == Role.INSTITUTION_STAFF
    return render(request, "classes/class_list.html", {
        **context, "export_query": urlencode(filters.as_params()),
        # Rendered here in one pass: a city has hundreds of institutions, and a template loop
        # with a comparison per option costs more than the whole query of the page.
        "institution_options": "" if institution_staff else options(
            institution_list(user=user).values_list("pk", "name"), filters.institution),
        "towns": town_options(user, hidden_for=Role.INSTITUTION_STAFF),
        "states": ClassState.choices, "types": TrainingType.choices,
        "can_create": has_perm(user, Perm.CLASS_EDIT),
    })


# ---- the application form ------------------------------------------------------------------------

def _institutions(request: HttpRequest) -> Any:
    return institution_list(user=signed_in_user(request)).order_by("name", "id")


@requires(Perm.CLASS_EDIT)
@require_http_methods(["GET", "POST"])
def class_create(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = ClassForm(request.POST or None, user=user, institutions=_institutions(request))
    return create_page(
        request, form, "classes/class_form.html", {"training_class": None},
        lambda data: services.class_create(actor=user, data=data),
        lambda training_class: _("已新建培训班：%(code)s %(name)s") % {
            "code": training_class.code, "name": training_class.name},
        "class-detail", "class_id")


@requires(Perm.CLASS_EDIT)
@require_http_methods(["GET", "POST"])
def class_edit(request: HttpRequest, class_id: int) -> HttpResponse:
    user = signed_in_user(request)
    training_class = _class(request, class_id)
    if not ClassForm.editable(training_class):
        messages.error(request, rules.NOT_EDITABLE_STATE.format(
            state=_(ClassState(training_class.state).label)))
        return redirect("class-detail", class_id=training_class.pk)
    form = ClassForm(request.POST or None, user=user, training_class=training_class,
                     institutions=_institutions(request), initial=class_initial(training_class))
    status = 200
    if request.method == "POST":
        submission = submit(form, lambda: services.class_update(
            actor=user, training_class=training_class,
            data=form.service_data(only=form.changed_data)))
        if submission.saved:
            return saved(request, _("已保存"), "class-detail", class_id=training_class.pk)
        status = submission.status
    return render(request, "classes/class_form.html",
                  {"form": form, "training_class": training_class}, status=status)


# ---- the class page ------------------------------------------------------------------------------

def _roster_rows(user: User, training_class: TrainingClass,
                 enrollments: list[Enrollment]) -> list[dict[str, Any]]:
    can_roster = has_perm(user, Perm.ROSTER_EDIT)
    state = training_class.state
    can_remove = can_roster and state in rules.ROSTER_OPEN_STATES
    # Before submission a mistake is removed, not withdrawn.
    may_withdraw = (can_roster and state in rules.WITHDRAW_STATES
                    and state not in rules.ROSTER_OPEN_STATES)
    may_edit = can_roster and state in ENROLLMENT_EDIT_STATES
    category, grade = code_labels(Person, "category"), code_labels(Person, "grade")
    status, appraisal = code_labels(Enrollment, "status"), code_labels(Enrollment, "appraisal_result")
    certificate, level = (code_labels(Enrollment, "certificate_type"),
                          code_labels(Enrollment, "certificate_level"))
    rows = []
    for enrollment in enrollments:
        person = enrollment.person
        rows.append({
            "enrollment": enrollment,
            "person": person,
            "category": category.get(person.category, person.category),
            "grade": grade.get(person.grade, person.grade),
            "status": status.get(enrollment.status, enrollment.status),
            "appraisal": appraisal.get(enrollment.appraisal_result, enrollment.appraisal_result),
            "certificate_type": certificate.get(enrollment.certificate_type,
                                                enrollment.certificate_type),
            "certificate_level": level.get(enrollment.certificate_level,
                                           enrollment.certificate_level),
            "can_remove": can_remove,
            "can_withdraw": may_withdraw and enrollment.status == EnrollmentStatus.ENROLLED,
            "can_edit": may_edit and enrollment.status != EnrollmentStatus.WITHDRAWN,
        })
    return rows


def _roster_html(request: HttpRequest, rows: list[dict[str, Any]], *, can_roster: bool,
                 can_link_persons: bool, not_started: bool) -> SafeString:
    """The roster table's rows, rendered here in one pass: a class has dozens of trainees, and
    the template loop (a dozen lookups, two URLs and three translations a row) cost more than
    the page's queries. The markup is the one the template wrote row by row."""
    signed_up, remove, record, withdraw = _("已报名"), _("移出"), _("登记成绩/证书"), _("退学")
    token = get_token(request) if can_roster else ""
    html = []
    for row in rows:
        e, p = row["enrollment"], row["person"]
        name = (format_html('<a href="{}">{}</a>', reverse("person-detail", args=[p.pk]), p.name)
                if can_link_persons else conditional_escape(p.name))
        status = signed_up if not_started and e.status == "enrolled" else row["status"]
        if e.withdraw_reason:
            status = format_html("{}（{}）", status, e.withdraw_reason)
        certificate: str = "—"
        if e.certificate_number:
            level = format_html(" {}", row["certificate_level"]) if e.certificate_level else ""
            certificate = format_html('{}{} <span class="mono">{}</span>（{}，{}）',
                                      row["certificate_type"], level, e.certificate_number,
                                      date_filter(e.certificate_date, "Y-m-d"),
                                      e.certificate_issuer)
        actions: str = ""
        if can_roster:
            removing = format_html(
                '<form method="post" action="{}"><input type="hidden" name="csrfmiddlewaretoken"'
                ' value="{}"><button type="submit" class="link-button">{}<span'
                ' class="visually-hidden"> {}</span></button></form>',
                reverse("enrollment-remove", args=[e.pk]), token, remove, p.name,
            ) if row["can_remove"] else ""
            editing = format_html(
                '<a href="{}">{}<span class="visually-hidden"> {}</span></a>',
                reverse("enrollment-edit", args=[e.pk]), record if row["can_edit"] else withdraw,
                p.name,
            ) if row["can_edit"] or row["can_withdraw"] else ""
            none = "" if row["can_remove"] or row["can_edit"] or row["can_withdraw"] else "—"
            actions = format_html("<td>\n          {}\n          {}\n          {}\n        </td>",
                                  removing, editing, none)
        html.append(format_html(
            '\n      <tr>\n        <th scope="row">{}</th>\n        <td class="mono">{}</td>\n'
            '        <td>{}</td><td>{}</td>\n        <td>{}</td>\n'
            '        <td class="num">{}</td>\n        <td>{}</td>\n        <td>{}</td>\n'
            '        <td>{}</td>\n        {}\n      </tr>\n    ',
            name, p.id_number_masked, row["category"], row["grade"], status,
            localize(e.attended_hours), e.result or "—", row["appraisal"] or "—", certificate,
            actions))
    return mark_safe("".join(html))


def _history_rows(user: User, training_class: TrainingClass) -> list[dict[str, Any]]:
    states = code_labels(ClassEvent, "from_state")
    return [{"event": event, "from_state": states.get(event.from_state, event.from_state),
             "to_state": states.get(event.to_state, event.to_state)}
            for event in selectors.class_history(user=user, training_class=training_class)]


def _render_detail(request: HttpRequest, training_class: TrainingClass, *,
                   bound: ClassTransitionForm | None = None, enroll_form: EnrollForm | None = None,
                   rectify_form: RectifyForm | None = None, status: int = 200) -> HttpResponse:
    user = signed_in_user(request)
    late = rules.filed_late(training_class.start_date, timezone.localdate())
    transition_forms = step_forms(services.class_actions_available(training_class, user), bound,
                                  lambda action: ClassTransitionForm(action=action, late=late))
    can_roster = has_perm(user, Perm.ROSTER_EDIT)
    can_inspect = has_perm(user, Perm.INSPECTION_RECORD)
    session_list = list(selectors.sessions(user=user, training_class=training_class))
    inspections = list(selectors.inspections(user=user, training_class=training_class))
    enrollments = list(selectors.roster(user=user, training_class=training_class))
    rectify_forms = []
    if can_inspect:
        for inspection in inspections:
            if inspection.rectification_required and inspection.rectified_on is None:
                rectify_forms.append(
                    (inspection, rectify_form if rectify_form is not None
                     and rectify_form.inspection_id == inspection.pk
                     else RectifyForm(inspection_id=inspection.pk,
                                      initial={"rectified_on": timezone.localdate().isoformat()})))
    roster = _roster_rows(user, training_class, enrollments)
    flags = [label for field, label in (
        ("free_for_hardship", _("困难残疾人免费")), ("folk_craft", _("民间工艺/闽南传统文化")),
        ("high_skill", _("高技能人才")), ("young_adult_focus", _("青壮年")))
        if getattr(training_class, field)]
    return render(request, "classes/class_detail.html", {
        "c": training_class,
        "steps": lifecycle_steps(rules.CLASS_MAIN_PATH, dict(ClassState.choices), training_class.state,
                                 rules.CLASS_DETOURS),
        "flags": flags,
        "teachers": list(training_class.teachers.all()),
        "history": _history_rows(user, training_class),
        "roster": roster,
        "roster_html": _roster_html(request, roster, can_roster=can_roster,
                                    can_link_persons=has_perm(user, Perm.PERSON_BROWSE),
                                    not_started=training_class.state in NOT_STARTED),
        "transition_forms": transition_forms,
        "bound": bound,
        "can_edit": has_perm(user, Perm.CLASS_EDIT) and ClassForm.editable(training_class),
        "can_roster": can_roster,
        "can_link_persons": has_perm(user, Perm.PERSON_BROWSE),
        # Town staff see the class as far as their town's trainees: no class-wide head counts.
        "whole_class": selectors.sees_whole_class(user),
        "can_link_institution": has_perm(user, Perm.INSTITUTION_BROWSE),
        "enroll_form": (enroll_form or EnrollForm()) if (
            can_roster and training_class.state in rules.ROSTER_OPEN_STATES) else None,
        "can_record_attendance": can_roster and training_class.state in rules.ATTENDANCE_STATES,
        "not_started": training_class.state in NOT_STARTED,
        "can_bulk_results": can_roster and training_class.state in rules.CERTIFICATE_STATES,
        "printable_completion": training_class.state in rules.CERTIFICATE_STATES,
        "sessions": session_list,
        "hours_taught": sum((s.hours for s in session_list), Decimal("0")),
        "inspections": inspections,
        "can_inspect": can_inspect and training_class.state == S.RUNNING,
        "rectify_forms": rectify_forms,
        "threshold": round(_threshold() * 100),
        # The checklist reads what the page has read: the register, inspections and roster.
        "checklist": _checklist(user, checks.ClassFacts(
            training_class, session_hours=(s.hours for s in session_list),
            inspections=inspections, roster=enrollments)),
        "candidates": matching.class_candidates(user=user, training_class=training_class),
    }, status=status)


def _checklist(user: User, facts: checks.ClassFacts) -> list[checks.CheckResult] | None:
    """The completion-audit checklist, shown from the time the class runs to whoever sees the
    whole class: the city reads it before it passes or fails the audit. The class, its register,
    inspections and roster were read in the user's scope, and whoever sees the whole class sees
    the whole roster."""
    if (facts.training_class.state not in checks.CHECKLIST_STATES
            or not selectors.sees_whole_class(user)):
        return None
    return checks.checklist(facts)


def _threshold() -> float:
    return float(settings.ATTENDANCE_THRESHOLD)


@requires(Perm.CLASS_BROWSE)
def class_detail(request: HttpRequest, class_id: int) -> HttpResponse:
    return _render_detail(request, _class(request, class_id))


@requires(Perm.CLASS_BROWSE)
@require_POST
def class_transition(request: HttpRequest, class_id: int) -> HttpResponse:
    training_class = _class(request, class_id)
    action = posted_action(request, rules.CLASS_TRANSITIONS)
    form = ClassTransitionForm(request.POST, action=action)
    submission = submit(form, lambda: services.class_transition(
        training_class=training_class, actor=signed_in_user(request), action=action,
        comment=form.cleaned_data["comment"]))
    if submission.saved:
        messages.success(request, _("已%(action)s") % {"action": rules.ClassAction(action).label})
        return redirect("class-detail", class_id=training_class.pk)
    training_class = _class(request, class_id)
    return _render_detail(request, training_class, bound=form, status=submission.status)


# ---- roster --------------------------------------------------------------------------------------

def _enrol(request: HttpRequest, training_class: TrainingClass, id_number: str) -> Enrollment:
    # An institution's enrolment by ID number is a lookup, rate-limited as one.
    user = signed_in_user(request)
    enrolment_lookup_count(user, id_number)
    return services.enrollment_add(actor=user, training_class=training_class,
                                   person=id_number)


@requires(Perm.ROSTER_EDIT)
@require_POST
def class_enroll_candidate(request: HttpRequest, class_id: int) -> HttpResponse:
    """One press from the class page's list of surveyed persons (canpei.reports.matching): the
    person by id, through the enrolment service, which checks the scope and the class's rules."""
    training_class = _class(request, class_id)
    try:
        enrollment = services.enrollment_add(actor=signed_in_user(request),
                                             training_class=training_class,
                                             person=request.POST.get("person", ""))
    except ServiceError as exc:
        messages.error(request, "；".join(m for _f, m in exc.errors) or exc.message)
    else:
        messages.success(request, _("已加入花名册：%(person)s") % {
            "person": enrollment.person.name})
    return redirect("class-detail", class_id=training_class.pk)


@requires(Perm.ROSTER_EDIT)
@require_http_methods(["GET", "POST"])
def class_enroll(request: HttpRequest, class_id: int) -> HttpResponse:
    """Enrol by ID number, from the class page or from this page (which stays open for the next
    trainee, so a whole roster can be typed in one after another)."""
    training_class = _class(request, class_id)
    if request.method == "POST" and "numbers" in request.POST:
        return _enrol_pasted(request, training_class)
    from_page = request.POST.get("from") == "class"
    form = EnrollForm(request.POST or None)
    status = 200
    if request.method == "POST":
        submission = submit(form, lambda: _enrol(request, training_class,
                                                 form.cleaned_data["person"]))
        if submission.saved and submission.result is not None:
            messages.success(request, _("已加入花名册：%(person)s") % {
                "person": rules.describe_person(submission.result.person)})
            if from_page:
                return _to_class_page(training_class.pk, "roster-heading")
            return redirect("class-enroll", class_id=training_class.pk)
        status = submission.status
        if from_page:
            training_class = _class(request, class_id)
            return _render_detail(request, training_class, enroll_form=form, status=status)
    return _render_enroll(request, training_class, form=form, status=status)


def _render_enroll(request: HttpRequest, training_class: TrainingClass, *, form: EnrollForm,
                   status: int = 200, pasted: str = "",
                   outcome: list[dict[str, str]] | None = None) -> HttpResponse:
    return render(request, "classes/class_enroll.html", {
        "c": training_class, "form": form, "pasted": pasted, "outcome": outcome,
        "not_started": training_class.state in NOT_STARTED,
        "max_pasted": MAX_PASTED,
        "open": training_class.state in rules.ROSTER_OPEN_STATES,
        "roster": selectors.roster(user=signed_in_user(request), training_class=training_class),
    }, status=status)


def _enrol_pasted(request: HttpRequest, training_class: TrainingClass) -> HttpResponse:
    """A column of ID numbers pasted from a ledger, one a line: each is enrolled as if typed alone
    (its own checks, its own audit entry); the page lists who joined and why each other line was
    refused, and keeps the refused lines in the box for another try."""
    lines = [line.strip() for line in request.POST.get("numbers", "").replace("\x00", "").splitlines()]
    numbers = list(dict.fromkeys(line for line in lines if line))
    form = EnrollForm()
    if not numbers or len(numbers) > MAX_PASTED:
        message = (_("请粘贴身份证号，每行一个") if not numbers else
                   _("一次最多粘贴 %(count)s 个身份证号") % {"count": MAX_PASTED})
        return _render_enroll(request, training_class, form=form, status=422,
                              outcome=[{"line": "", "error": message}])
    outcome: list[dict[str, str]] = []
    for number in numbers:
        try:
            enrollment = _enrol(request, training_class, number)
        except ServiceError as exc:
            outcome.append({"line": mask_id_number(number), "error": _errors_text(exc),
                            "number": number})
        else:
            outcome.append({"line": mask_id_number(number),
                            "person": rules.describe_person(enrollment.person)})
    refused = [row["number"] for row in outcome if "error" in row]
    return _render_enroll(request, training_class, form=form, outcome=outcome,
                          pasted="\n".join(refused), status=422 if refused else 200)


@requires(Perm.ROSTER_EDIT)
@require_POST
def enrollment_remove(request: HttpRequest, enrollment_id: int) -> HttpResponse:
    enrollment = _enrollment(request, enrollment_id)
    who = rules.describe_person(enrollment.person)
    try:
        services.enrollment_remove(actor=signed_in_user(request), enrollment=enrollment)
    except ServiceError as exc:
        messages.error(request, _("未能移出 %(person)s：%(reason)s") % {
            "person": who, "reason": _errors_text(exc)})
    else:
        messages.success(request, _("已移出花名册：%(person)s") % {"person": who})
    return _to_class_page(enrollment.training_class_id, "roster-heading")


def _has_register(request: HttpRequest, training_class: TrainingClass) -> bool:
    # Once a class keeps a register, its trainees' hours are the register's sums.
    return selectors.sessions(user=signed_in_user(request), training_class=training_class).exists()


def _render_enrollment(request: HttpRequest, enrollment: Enrollment, *,
                       form: EnrollmentForm | None = None, withdraw_form: WithdrawForm | None = None,
                       status: int = 200) -> HttpResponse:
    training_class = enrollment.training_class
    has_register = _has_register(request, training_class)
    if form is None:
        form = EnrollmentForm(enrollment=enrollment, has_register=has_register,
                              initial=enrollment_initial(enrollment))
    state = training_class.state
    can_withdraw = (enrollment.status == EnrollmentStatus.ENROLLED
                    and state in rules.WITHDRAW_STATES and state not in rules.ROSTER_OPEN_STATES)
    return render(request, "classes/enrollment_form.html", {
        "e": enrollment, "c": training_class, "person": enrollment.person, "form": form,
        "has_register": has_register,
        "withdraw_form": (withdraw_form or WithdrawForm()) if can_withdraw else None,
    }, status=status)


@requires(Perm.ROSTER_EDIT)
@require_http_methods(["GET", "POST"])
def enrollment_edit(request: HttpRequest, enrollment_id: int) -> HttpResponse:
    enrollment = _enrollment(request, enrollment_id)
    if request.method == "GET":
        return _render_enrollment(request, enrollment)
    has_register = _has_register(request, enrollment.training_class)
    form = EnrollmentForm(request.POST, enrollment=enrollment, has_register=has_register,
                          initial=enrollment_initial(enrollment))
    submission = submit(form, lambda: services.enrollment_update(
        actor=signed_in_user(request), enrollment=enrollment,
        data={key: value for key, value in form.cleaned_data.items() if key in form.changed_data}))
    if submission.saved:
        messages.success(request, _("已保存：%(person)s") % {
            "person": rules.describe_person(enrollment.person)})
        return _to_class_page(enrollment.training_class_id, "roster-heading")
    return _render_enrollment(request, enrollment, form=form, status=submission.status)


@requires(Perm.ROSTER_EDIT)
@require_POST
def enrollment_withdraw(request: HttpRequest, enrollment_id: int) -> HttpResponse:
    enrollment = _enrollment(request, enrollment_id)
    form = WithdrawForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            services.enrollment_update(actor=signed_in_user(request), enrollment=enrollment, data={
                "status": EnrollmentStatus.WITHDRAWN,
                "withdraw_reason": form.cleaned_data["withdraw_reason"]})
        except ServiceError as exc:
            # The service names the status field when the trainee may not withdraw now.
            for field, message in exc.errors:
                form.add_error("withdraw_reason" if field == "withdraw_reason" else None, message)
            if not exc.errors:
                form.add_error(None, exc.message)
            status = exc.status
        else:
            messages.success(request, _("已办理退学：%(person)s") % {
                "person": rules.describe_person(enrollment.person)})
            return _to_class_page(enrollment.training_class_id, "roster-heading")
    enrollment = _enrollment(request, enrollment_id)
    return _render_enrollment(request, enrollment, withdraw_form=form, status=status)


# ---- results of the whole roster -----------------------------------------------------------------

def _results_rows(request: HttpRequest, training_class: TrainingClass,
                  posted: dict[int, str]) -> list[dict[str, Any]]:
    """The completed trainees, each with the result its drop-down shows (what was posted, else
    鉴定合格)."""
    return [{"enrollment": e, "value": posted.get(e.pk, "passed")}
            for e in selectors.roster(user=signed_in_user(request), training_class=training_class)
            if e.status == EnrollmentStatus.COMPLETED]


@requires(Perm.ROSTER_EDIT)
@require_http_methods(["GET", "POST"])
def class_results(request: HttpRequest, class_id: int) -> HttpResponse:
    """Appraisal results for the whole roster at once: every trainee not yet recorded is 鉴定合格
    unless the clerk picks otherwise on their row; results already recorded are kept."""
    training_class = _class(request, class_id)
    errors: list[str] = []
    posted: dict[int, str] = {}
    status = 200
    if request.method == "POST":
        for key in request.POST:
            if key.startswith("result-") and key[7:].isdigit():
                posted[int(key[7:])] = request.POST.get(key, "")
        # Only the exceptions go to the service: the rest are "passed" by its own rule.
        exceptions = {key: value for key, value in posted.items() if value != "passed"}
        try:
            outcome = services.appraisal_bulk(actor=signed_in_user(request),
                                              training_class=training_class,
                                              exceptions=exceptions)
        except ServiceError as exc:
            errors = [message for _field, message in exc.errors] or [exc.message]
            status = exc.status
        else:
            messages.success(request, _("已登记鉴定结果 %(recorded)s 人，已有结果的 %(kept)s 人保持不变")
                             % outcome)
            return _to_class_page(training_class.pk, "roster-heading")
    return render(request, "classes/class_results.html", {
        "c": training_class, "rows": _results_rows(request, training_class, posted),
        "open": training_class.state in rules.CERTIFICATE_STATES,
        "choices": AppraisalResult.choices, "errors": list(dict.fromkeys(errors)),
    }, status=status)


# ---- register ------------------------------------------------------------------------------------

def _register_trainees(request: HttpRequest, training_class: TrainingClass) -> list[Enrollment]:
    # The register covers everyone on the roster but withdrawals, as session_record does.
    return [e for e in selectors.roster(user=signed_in_user(request), training_class=training_class)
            if e.status != EnrollmentStatus.WITHDRAWN]


def _default_date(training_class: TrainingClass, session_list: list[Any]) -> str:
    """The date a new session starts from: the day after the latest one recorded (so the date
    moves on as a clerk enters the sessions one after another), else today; within the class's
    dates and never after today (a register records what happened: issue 12)."""
    today = timezone.localdate()
    day = max(s.date for s in session_list) + dt.timedelta(days=1) if session_list else today
    last = min(training_class.end_date, today)
    return min(max(day, training_class.start_date), last).isoformat()


def _grid_values(form_data: Any, trainees: list[Enrollment], hours: str) -> dict[int, str]:
    """Each trainee's input after the session hours changed: those still showing the hours the
    grid was filled with follow the new hours; those already changed (absentees) keep theirs."""
    filled = str(form_data.get("prefilled", ""))
    values: dict[int, str] = {}
    for enrollment in trainees:
        given = form_data.get(SessionForm.trainee_field(enrollment.pk))
        values[enrollment.pk] = hours if given is None or given == filled else str(given)
    return values


def _render_register(request: HttpRequest, training_class: TrainingClass, *,
                     form: SessionForm | None = None, status: int = 200) -> HttpResponse:
    user = signed_in_user(request)
    trainees = _register_trainees(request, training_class)
    session_list = list(selectors.sessions(user=user, training_class=training_class))
    hours_of = selectors.register(user=user, training_class=training_class)
    can_record = (has_perm(user, Perm.ROSTER_EDIT)
                  and training_class.state in rules.ATTENDANCE_STATES)
    if form is None and can_record:
        chosen = next((s for s in session_list if str(s.pk) == request.GET.get("session")), None)
        if chosen is not None:
            # Loading a recorded session to correct it: same date and topic, its hours.
            initial = {"date": chosen.date.isoformat(), "hours": str(chosen.hours),
                       "topic": chosen.topic}
            for enrollment in trainees:
                initial[SessionForm.trainee_field(enrollment.pk)] = str(
                    hours_of.get((chosen.pk, enrollment.pk), Decimal("0")))
        else:
            hours = str(session_list[-1].hours) if session_list else DEFAULT_SESSION_HOURS
            initial = {"date": _default_date(training_class, session_list), "hours": hours,
                       "topic": ""}
            for enrollment in trainees:
                initial[SessionForm.trainee_field(enrollment.pk)] = hours
        form = SessionForm(trainees=trainees, initial=initial)
    rows = []
    for session in session_list:
        present = sum(1 for e in trainees if hours_of.get((session.pk, e.pk), Decimal("0")) > 0)
        rows.append({"session": session, "present": present})
    return render(request, "classes/class_register.html", {
        "c": training_class, "form": form, "trainees": trainees,
        "grid": _grid(form, trainees) if form is not None else [],
        "prefilled": _field_value(form, "hours") if form is not None else "",
        "sessions": rows, "can_record": can_record,
        "hours_taught": sum((s.hours for s in session_list), Decimal("0")),
        "threshold": round(_threshold() * 100),
        "totals": [{"enrollment": e, "percent": (e.attended_hours * 100 / training_class.hours)
                    if training_class.hours else Decimal("0")} for e in trainees],
    }, status=status)


def _field_value(form: SessionForm, name: str) -> str:
    value = form[name].value()
    return "" if value is None else str(value)


def _grid(form: SessionForm, trainees: list[Enrollment]) -> list[dict[str, Any]]:
    return [{"enrollment": e, "field": form[SessionForm.trainee_field(e.pk)]} for e in trainees]


@requires(Perm.CLASS_BROWSE)
@require_http_methods(["GET", "POST"])
def class_register(request: HttpRequest, class_id: int) -> HttpResponse:
    user = signed_in_user(request)
    training_class = _class(request, class_id)
    if request.method == "GET":
        return _render_register(request, training_class)
    if not has_perm(user, Perm.ROSTER_EDIT):
        raise Http404()
    trainees = _register_trainees(request, training_class)
    form = SessionForm(request.POST, trainees=trainees)
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        try:
            session = services.session_record(
                actor=user, training_class=training_class, date=data["date"],
                hours=data["hours"], topic=data["topic"], attendance=form.attendance())
        except ServiceError as exc:
            for field, message in exc.errors:
                # The service names a trainee's hours "attendance.<enrollment id>".
                key = field.removeprefix("attendance.")
                if key != field and key.isdigit():
                    field = SessionForm.trainee_field(int(key))
                form.add_error(field if field in form.fields else None, message)
            if not exc.errors:
                form.add_error(None, exc.message)
            status = exc.status
        else:
            messages.success(request, _("已登记考勤：%(date)s %(topic)s") % {
                "date": session.date.isoformat(), "topic": session.topic})
            return redirect("class-register", class_id=training_class.pk)
    training_class = _class(request, class_id)
    return _render_register(request, training_class, form=form, status=status)


@requires(Perm.ROSTER_EDIT)
def class_register_grid(request: HttpRequest, class_id: int) -> HttpResponse:
    """The trainees' inputs again, refilled for new session hours (htmx, when the hours change)."""
    training_class = _class(request, class_id)
    trainees = _register_trainees(request, training_class)
    params, _errors = without_nul(request.GET)
    hours = params.get("hours", "").strip()[:10]
    values = _grid_values(params, trainees, hours)
    form = SessionForm(trainees=trainees, initial={
        SessionForm.trainee_field(pk): value for pk, value in values.items()})
    return render(request, "classes/_register_grid.html", {
        "c": training_class, "grid": _grid(form, trainees), "prefilled": hours,
    })


# ---- inspections ---------------------------------------------------------------------------------

@requires(Perm.INSPECTION_RECORD)
@require_http_methods(["GET", "POST"])
def inspection_create(request: HttpRequest, class_id: int) -> HttpResponse:
    user = signed_in_user(request)
    training_class = _class(request, class_id)
    if training_class.state != S.RUNNING:
        messages.error(request, rules.INSPECTION_CLOSED)
        return redirect("class-detail", class_id=training_class.pk)
    form = InspectionForm(request.POST or None, initial={
        "date": timezone.localdate().isoformat(),
        "inspector_name": user.get_full_name() or user.username})
    status = 200
    if request.method == "POST":
        submission = submit(form, lambda: services.inspection_record(
            actor=user, training_class=training_class, data=dict(form.cleaned_data)))
        if submission.saved:
            messages.success(request, _("已登记过程检查"))
            return _to_class_page(training_class.pk, "inspections-heading")
        status = submission.status
    on_roster = sum(1 for e in selectors.roster(user=user, training_class=training_class)
                    if e.status == EnrollmentStatus.ENROLLED)
    return render(request, "classes/inspection_form.html", {
        "c": training_class, "form": form, "on_roster": on_roster}, status=status)


@requires(Perm.INSPECTION_RECORD)
@require_POST
def inspection_rectified(request: HttpRequest, class_id: int, inspection_id: int) -> HttpResponse:
    user = signed_in_user(request)
    training_class = _class(request, class_id)
    inspection = selectors.inspection_get(user=user, training_class=training_class,
                                          inspection_id=inspection_id)
    form = RectifyForm(request.POST, inspection_id=inspection.pk)
    submission = submit(form, lambda: services.inspection_rectified(
        actor=user, inspection=inspection, note=form.cleaned_data["rectification_note"],
        rectified_on=form.cleaned_data["rectified_on"]))
    if submission.saved:
        messages.success(request, _("已登记整改完成"))
        return _to_class_page(training_class.pk, "inspections-heading")
    return _render_detail(request, training_class, rectify_form=form, status=submission.status)
