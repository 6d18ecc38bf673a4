"""The cells of the indicators' tables (`/reports`), rendered in Python: a province's report has
hundreds of institutions, and an include per cell cost more than everything else on the page.
The output is what the templates reports/_figures_cells.html and reports/_rate.html wrote before
(tests/web/test_report_cells.py renders both and compares)."""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import floatformat
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

register = template.Library()


@register.simple_tag
def rate(percent: float | None, name: str) -> SafeString:
    """A rate as a percentage and a progress bar named `name`, or a dash when there is none."""
    if percent is None:
        return format_html('—<span class="visually-hidden">{}</span>', gettext("无数据"))
    shown = floatformat(percent, 1)
    return format_html('<span class="rate">{}%</span> <progress max="100" value="{}" '
                       'aria-label="{}：{}%"></progress>', shown, f"{percent:.1f}", name, shown)


@register.simple_tag
def figures_cells(f: Any) -> SafeString:
    """The cells of one group of the indicators (canpei.reports.indicators.Figures)."""
    group = str(f.label)
    parts: list[str] = [format_html('<td class="num">{}</td>', intcomma(value))
             for value in (f.trained, f.trainee_times, f.free_hardship, f.certificates)]
    parts.append("\n")
    parts.append(format_html('<td class="num">{}</td>', rate(
        f.pass_percent, gettext("%(group)s 鉴定合格率") % {"group": group})))
    parts.append("\n")
    for m in f.employment:
        name = gettext("%(group)s %(months)s 个月就业率") % {"group": group, "months": m.months}
        median = "—" if m.median_income is None else conditional_escape(m.median_income)
        parts.append(format_html('<td class="num">{}</td><td class="num">{}</td>',
                                 rate(m.percent, name), median))
    return mark_safe("".join(str(p) for p in parts))  # noqa: S308 (each part escaped above)
