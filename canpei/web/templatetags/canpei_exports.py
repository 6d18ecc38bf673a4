"""The list pages' request for a ledger with full ID numbers: a small form asking why."""

from __future__ import annotations

from typing import Any

from django import template

from canpei.accounts.roles import Perm, has_perm
from canpei.spreadsheets.registry import PURPOSE_MAX

register = template.Library()

# Query parameters of the list that are not filters of the ledger.
_NOT_FILTERS = {"page", "purpose", "full_numbers", "format"}


@register.inclusion_tag("web/_full_numbers_export.html", takes_context=True)
def full_numbers_export(context: dict[str, Any], kind: str) -> dict[str, Any]:
    """For a role that may reveal ID numbers: the current filters, and a purpose to give."""
    request = context["request"]
    if not has_perm(request.user, Perm.PERSON_REVEAL):
        return {"show": False}
    hidden = [(name, value) for name, values in request.GET.lists() if name not in _NOT_FILTERS
              for value in values]
    return {"show": True, "kind": kind, "hidden": hidden, "purpose_max": PURPOSE_MAX}
