"""The matching page (供需匹配, /reports/matching): where to open what, from canpei.reports.matching
(as the API's `reports/matching`)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from canpei.accounts.models import signed_in_user
from canpei.accounts.roles import CITY_WIDE_READERS, Perm
from canpei.errors import InvalidInput, NotFound
from canpei.people.surveys.selectors import parse_town, parse_year
from canpei.reports import matching
from canpei.reports.targets import visible_towns
from canpei.web.pages import requires


@requires(Perm.SURVEY_EDIT)
def matching_page(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    errors: list[tuple[str, str]] = []
    year = timezone.localdate().year
    town = ""
    try:
        year = parse_year(request.GET.get("year"), default=year) or year
    except InvalidInput as exc:
        errors += exc.errors
    try:
        town = parse_town(request.GET.get("town"))
    except InvalidInput as exc:
        errors += exc.errors
    try:
        rows = matching.matching_report(user=user, year=year, town=town)
    except NotFound as exc:
        raise Http404() from exc
    return render(request, "reports/matching.html", {
        "rows": rows, "year": year, "town": town, "filter_errors": errors,
        "export_query": urlencode({"year": year, "town": town}),
        "towns": visible_towns(user) if user.role in CITY_WIDE_READERS else [],
    })
