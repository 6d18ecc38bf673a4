"""The home page: the figures of the signed-in user's scope."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from canpei.accounts.models import signed_in_user
from canpei.reports.selectors import dashboard_for


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "web/dashboard.html",
                  {"dashboard": dashboard_for(user=signed_in_user(request),
                                              today=timezone.localdate())})
