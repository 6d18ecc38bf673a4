"""Pages of training institutions: list and ledger export, record, teachers, designation."""

from __future__ import annotations

import datetime as dt
import tempfile

from django.contrib import messages
from django.forms.models import model_to_dict
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST
from django.utils.translation import gettext as _

from canpei.accounts.models import User, signed_in_user
from canpei.accounts.roles import Perm, Role, has_perm
from canpei.errors import ServiceError
from canpei.institutions import rules, selectors, services
from canpei.institutions.exports import institutions_export
from canpei.institutions.forms import InstitutionForm, TeacherForm, TransitionForm
from canpei.institutions.models import DesignationState, Institution, InstitutionType
from canpei.forms import add_service_errors
from canpei.web.pages import (
    edit_view, list_filters, list_view, on_record, register_page, requires, step_forms, step_view,
)


institution_list = list_view(
    Perm.INSTITUTION_BROWSE, "institutions/institution_list.html", selectors.InstitutionFilters,
    selectors.institution_list, towns_hidden_for=Role.INSTITUTION_STAFF, exported=True,
    context={"states": DesignationState.choices, "types": InstitutionType.choices},
    perms={"can_create": Perm.INSTITUTION_CREATE},
    extra=lambda _request: {"today": timezone.localdate()})


@requires(Perm.INSTITUTION_BROWSE)
def institution_export(request: HttpRequest) -> HttpResponse | FileResponse:
    filters, _params, errors = list_filters(request, selectors.InstitutionFilters)
    if errors:
        messages.error(request, "；".join(m for _f, m in errors))
        return redirect("institution-list")
    # A spooled file: the workbook is written as a stream and sent without holding it in memory.
    spool = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it after streaming)
    institutions_export(actor=signed_in_user(request), filters=filters, out=spool)
    spool.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return FileResponse(spool, as_attachment=True, filename=f"培训机构台账-{stamp}.xlsx")  # zh-data: a ledger




@requires(Perm.INSTITUTION_CREATE)
@require_http_methods(["GET", "POST"])
def institution_create(request: HttpRequest) -> HttpResponse:
    return register_page(request, InstitutionForm, "institutions/institution_form.html",
                         "institution", services.institution_create, "institution-detail",
                         "institution_id", label=lambda institution: institution.name)


institution_edit = edit_view(
    Perm.INSTITUTION_EDIT, selectors.institution_get, "institutions/institution_form.html",
    # The record's own values: the designation fields are not on the form (they have steps).
    form=lambda data, institution, user: InstitutionForm(
        data, user=user, editing=True,
        initial=model_to_dict(institution, fields=list(InstitutionForm.base_fields))),
    context=lambda institution: {"institution": institution},
    update=lambda user, institution, changed: services.institution_update(
        actor=user, institution=institution, data=changed),
    detail="institution-detail")


def _render_detail(request: HttpRequest, institution: Institution, *,
                   bound: TransitionForm | None = None, teacher_form: TeacherForm | None = None,
                   status: int = 200) -> HttpResponse:
    user = signed_in_user(request)
    today = timezone.localdate()
    # A designation runs to the end of a year; three calendar years is the usual term.
    term = {"designated_from": today, "designated_to": dt.date(today.year + 2, 12, 31)}
    transition_forms = (step_forms(
        rules.actions_available(institution, today), bound,
        lambda action: TransitionForm(
            action=action, initial=term if action == rules.Action.DESIGNATE else None))
        if has_perm(user, Perm.INSTITUTION_DESIGNATE) else [])
    can_edit = has_perm(user, Perm.INSTITUTION_EDIT)
    return render(request, "institutions/institution_detail.html", {
        "institution": institution,
        "teachers": selectors.teacher_list(user=user, institution=institution),
        "history": selectors.designation_history(user=user, institution=institution),
        "can_edit": can_edit,
        "teacher_form": teacher_form or (TeacherForm() if can_edit else None),
        "transition_forms": transition_forms,
        "bound": bound,
        "today": today,
    }, status=status)


@requires(Perm.INSTITUTION_BROWSE)
def institution_detail(request: HttpRequest, institution_id: int) -> HttpResponse:
    user = signed_in_user(request)
    institution = selectors.institution_get(user=user, institution_id=institution_id)
    return _render_detail(request, institution)


institution_transition = step_view(
    Perm.INSTITUTION_DESIGNATE, selectors.institution_get,
    actions=rules.TRANSITIONS, form_class=TransitionForm,
    apply=lambda institution, action, form, user: services.institution_transition(
        institution=institution, actor=user, action=action,
        comment=form.cleaned_data.get("comment", ""),
        designated_from=form.cleaned_data.get("designated_from"),
        designated_to=form.cleaned_data.get("designated_to")),
    label=lambda action: rules.Action(action).label,
    render_detail=_render_detail, detail="institution-detail")


@on_record(Perm.INSTITUTION_EDIT, selectors.institution_get)
def teacher_add(request: HttpRequest, user: User, institution: Institution) -> HttpResponse:
    form = TeacherForm(request.POST)
    if form.is_valid():
        try:
            teacher = services.teacher_add(actor=user, institution=institution,
                                           data=dict(form.cleaned_data))
        except ServiceError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已添加教师：%(name)s") % {"name": teacher.name})
            return redirect("institution-detail", institution_id=institution.pk)
    return _render_detail(request, institution, teacher_form=form, status=422)


@requires(Perm.INSTITUTION_EDIT)
@require_POST
def teacher_active(request: HttpRequest, institution_id: int, teacher_id: int) -> HttpResponse:
    user = signed_in_user(request)
    institution = selectors.institution_get(user=user, institution_id=institution_id)
    teacher = selectors.teacher_get(user=user, institution=institution, teacher_id=teacher_id)
    active = request.POST.get("active") == "1"
    services.teacher_update(actor=user, teacher=teacher, data={"active": active})
    done = _("%(name)s：已恢复在岗") if active else _("%(name)s：已停用")
    messages.success(request, done % {"name": teacher.name})
    return redirect("institution-detail", institution_id=institution.pk)
