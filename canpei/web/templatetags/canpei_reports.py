"""The cells of the indicators' tables (`/reports`), rendered in Python: a province's report has
hundreds of institutions, and an include per cell cost more than everything else on the page.
The output is what the templates reports/_figures_cells.html and reports/_rate.html wrote
(tests/web/test_report_cells.py holds it literally): numbers grouped as the language groups them
(intcomma), rates to one decimal rounded half up (floatformat), every text escaped."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import floatformat
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

register = template.Library()
TENTH = Decimal("0.1")


@lru_cache(maxsize=16)
def _style(language: str | None) -> tuple[str, str]:
    """How the active language writes 1000 and 0.5 (the thousands and decimal separators that
    intcomma and floatformat would use), read once per language."""
    grouped = str(intcomma(1000))
    return (grouped[1:-3] if len(grouped) > 4 else ""), str(floatformat(0.5, 1))[1:-1]


def _integer(value: int, thousands: str) -> str:
    return f"{value:,}".replace(",", thousands) if thousands else str(value)


def _tenths(percent: float, point: str) -> str:
    return str(Decimal(repr(percent)).quantize(TENTH, rounding=ROUND_HALF_UP)).replace(".", point)


def _rate(percent: float | None, name: str, point: str) -> str:
    """`name` is already escaped."""
    if percent is None:
        return f'—<span class="visually-hidden">{escape(gettext("无数据"))}</span>'
    shown = _tenths(percent, point)
    return (f'<span class="rate">{shown}%</span> <progress max="100" value="{percent:.1f}" '
            f'aria-label="{name}：{shown}%"></progress>')


@register.simple_tag
def rate(percent: float | None, name: str) -> SafeString:
    """A rate as a percentage and a progress bar named `name`, or a dash when there is none."""
    return mark_safe(_rate(percent, escape(name), _style(get_language())[1]))  # noqa: S308


@register.simple_tag
def figures_cells(f: Any) -> SafeString:
    """The cells of one group of the indicators (canpei.reports.indicators.Figures)."""
    thousands, point = _style(get_language())
    group = str(f.label)
    counts = "".join(f'<td class="num">{_integer(value, thousands)}</td>'
                     for value in (f.trained, f.trainee_times, f.free_hardship, f.certificates))
    pass_name = escape(gettext("%(group)s 鉴定合格率") % {"group": group})
    parts = [counts, "\n", f'<td class="num">{_rate(f.pass_percent, pass_name, point)}</td>', "\n"]
    for m in f.employment:
        name = escape(gettext("%(group)s %(months)s 个月就业率") % {"group": group,
                                                                  "months": m.months})
        median = "—" if m.median_income is None else escape(m.median_income)
        parts.append(f'<td class="num">{_rate(m.percent, name, point)}</td>'
                     f'<td class="num">{median}</td>')
    return mark_safe("".join(parts))  # noqa: S308 (every text escaped above)
