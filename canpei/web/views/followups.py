"""Pages of the follow-ups (就业跟踪): the worklist at /employment, a follow-up's page and its
record form."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from canpei.accounts.models import signed_in_user
from canpei.accounts.roles import Perm, Role, has_perm
from canpei.employment.followups import selectors, services
from canpei.employment.followups.forms import FollowUpForm
from canpei.employment.models import FollowUp
from canpei.web.pages import SAVED, changed_service_data, form_page, list_page, requires, saved

# Labels translated where the page shows them.
TABS = [("", "全部"), ("due", "本月待跟踪"), ("overdue", "已逾期"), ("done", "已完成"),  # zh-msgid
        ("upcoming", "以后到期")]
OUTCOMES = [("employed", "已就业"), ("not_employed", "未就业"),  # zh-msgid
            ("unrecorded", "应跟踪未跟踪")]


@requires(Perm.FOLLOWUP_BROWSE)
def followup_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    today = timezone.localdate()
    counts = selectors.followup_counts(user=user, today=today)
    return list_page(request, "employment/followup_list.html", selectors.FollowUpFilters,
                     selectors.followup_list, {
                         "tabs": TABS, "outcomes": OUTCOMES, "counts": counts, "today": today,
                         "town_counts": selectors.followup_counts_by_town(user=user, today=today),
                         "months_choices": services.followup_months(),
                         "can_record": has_perm(user, Perm.FOLLOWUP_RECORD),
                         "can_export_followups": has_perm(user, Perm.FOLLOWUP_BROWSE),
                     }, towns_hidden_for=Role.TOWN_STAFF, exported=True)


def _context(request: HttpRequest, followup: FollowUp) -> dict[str, object]:
    return {"followup": followup, "person": followup.person,
            "status": selectors.followup_status(followup, timezone.localdate()),
            "can_record": has_perm(request.user, Perm.FOLLOWUP_RECORD)}


@requires(Perm.FOLLOWUP_BROWSE)
def followup_detail(request: HttpRequest, followup_id: int) -> HttpResponse:
    from django.shortcuts import render

    followup = selectors.followup_get(user=signed_in_user(request), followup_id=followup_id)
    return render(request, "employment/followup_detail.html", _context(request, followup))


@requires(Perm.FOLLOWUP_RECORD)
@require_http_methods(["GET", "POST"])
def followup_edit(request: HttpRequest, followup_id: int) -> HttpResponse:
    user = signed_in_user(request)
    followup = selectors.followup_get(user=user, followup_id=followup_id)
    first = followup.date is None
    form = FollowUpForm(request.POST or None,
                        initial=FollowUpForm.initial_for(followup, timezone.localdate()))

    def save() -> FollowUp:
        # A first record sends every field (the date shown is a suggestion, not yet stored);
        # a correction only those changed, so the audit diff shows just them.
        data = form.service_data() if first else changed_service_data(form)
        return services.followup_record(actor=user, followup=followup, data=data)

    return form_page(request, form, "employment/followup_form.html",
                     _context(request, followup), save=save,
                     done=lambda _f: saved(request, str(SAVED), "followup_detail",
                                           followup_id=followup.pk))
