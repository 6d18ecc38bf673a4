"""Pages of employment services (就业服务): list, the choice of a person, form, record."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods
from django.utils.translation import gettext as _

from canpei.accounts.models import signed_in_user
from canpei.accounts.roles import Perm, Role, has_perm
from canpei.employment.models import ReferralResult, ServiceKind
from canpei.employment.support import selectors, services
from canpei.employment.support.forms import ServiceForm, service_initial
from canpei.people.selectors import person_get
from canpei.web.pages import create_page, edit_view, list_view, person_search, requires

service_list = list_view(
    Perm.SERVICE_BROWSE, "employment/service_list.html", selectors.ServiceFilters,
    selectors.service_list, towns_hidden_for=Role.TOWN_STAFF, exported=True,
    context={"kinds": ServiceKind.choices, "results": ReferralResult.choices},
    perms={"can_record": Perm.SERVICE_RECORD},
    extra=lambda request: {"pending": selectors.referrals_pending(user=signed_in_user(request))})


def _pick_person(request: HttpRequest) -> HttpResponse:
    """Find the person first: a search of the registry as far as the user may browse it."""
    return render(request, "employment/service_pick_person.html", person_search(request))


@requires(Perm.SERVICE_RECORD)
@require_http_methods(["GET", "POST"])
def service_new(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if not request.GET.get("person"):
        return _pick_person(request)
    # Out of scope, like absent: 404.
    person = person_get(user=user, person_id=request.GET.get("person", ""))
    form = ServiceForm(request.POST or None, initial={
        "date": timezone.localdate().isoformat(),
        "provider": user.get_full_name()[:30]})
    return create_page(
        request, form, "employment/service_form.html", {"person": person, "service": None},
        lambda data: services.service_create(actor=user, data={**data, "person": person.pk}),
        lambda _service: _("已登记就业服务：%(name)s") % {"name": person.name}, "service_detail", "service_id")


@requires(Perm.SERVICE_BROWSE)
def service_detail(request: HttpRequest, service_id: int) -> HttpResponse:
    service = selectors.service_get(user=signed_in_user(request), service_id=service_id)
    return render(request, "employment/service_detail.html", {
        "service": service, "person": service.person,
        "can_edit": has_perm(request.user, Perm.SERVICE_RECORD)})


service_edit = edit_view(
    Perm.SERVICE_RECORD, selectors.service_get, "employment/service_form.html",
    form=lambda data, service, _user: ServiceForm(data, initial=service_initial(service)),
    context=lambda service: {"person": service.person, "service": service},
    update=lambda user, service, changed: services.service_update(actor=user, service=service,
                                                                  data=changed),
    detail="service_detail")
