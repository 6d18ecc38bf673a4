"""The alerts about a class, an institution or a person, on its page (`{% alerts_about %}`),
read from the alerts table in the viewer's scope (never computed on page load)."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from canpei.accounts.roles import Perm, has_perm
from canpei.supervision.rules import RULES
from canpei.supervision.selectors import alerts_about as about
from canpei.web.templatetags.canpei_lists import options

register = template.Library()

SHOWN = 20
PARAMS = {"class": "class", "institution": "institution", "person": "person"}


@register.inclusion_tag("supervision/_alerts_about.html", takes_context=True)
def alerts_about(context: dict[str, Any], kind: str, record: Any) -> dict[str, Any]:
    """For a user of the alert desk: up to 20 alerts about `record` (newest first) and a link to
    all of them; nothing for the other roles."""
    user = context["request"].user
    if not has_perm(user, Perm.ALERT_BROWSE):
        return {"shown": False}
    alerts = about(user=user, kind=kind, record_id=record.pk, limit=SHOWN + 1)
    more = (reverse("alert_list") + "?" + urlencode({PARAMS[kind]: record.pk})
            if len(alerts) > SHOWN else "")
    return {"shown": True, "alerts": alerts[:SHOWN], "more_url": more,
            "caption": gettext("与本记录有关的监管预警")}


@register.filter
def rule_label(code: str) -> str:
    rule = RULES.get(code)
    return rule.label if rule else code


@register.simple_tag
def institution_options(institutions: Any, chosen: int | None) -> SafeString:
    """The desk's institution filter, (id, name) pairs as <option>s rendered in one pass: the
    province has hundreds of institutions, and the template loop cost milliseconds a page."""
    return options(institutions, chosen)
