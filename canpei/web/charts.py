"""Charts drawn from a data table: a page builds a `Chart`, and `{% include "web/_chart.html"
with chart=... %}` renders a figure holding a caption (the text summary), the data table (the
source of truth, and what a screen reader and a browser without JavaScript get) and an empty box
that canpei/charts.js fills with Apache ECharts, reading the table: one bar per cell, each bar
linking where its cell links (the list behind the number)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.functional import Promise


@dataclass(frozen=True)
class Cell:
    value: int | float
    url: str = ""          # the list behind the number; "" for none
    text: str = ""         # how the table shows the value, when not the plain number


@dataclass(frozen=True)
class ChartRow:
    label: str | Promise
    cells: list[Cell]
    url: str = ""          # the row's own page (a town's list), if any


@dataclass
class Chart:
    """A bar (or line) chart of `rows` × `series`. `key` names the figure on its page (its ids);
    `summary` is the sentence a screen reader reads for the whole chart."""

    key: str
    title: str | Promise
    summary: str | Promise
    category: str | Promise                 # the header of the rows' column (镇街, 年度…)
    series: list[str | Promise]
    rows: list[ChartRow] = field(default_factory=list)
    kind: str = "bar"                       # "bar" or "line"
    stacked: bool = False
