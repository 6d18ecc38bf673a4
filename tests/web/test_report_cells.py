"""The indicators' table cells (canpei.web.templatetags.canpei_reports): what a screen reader and
the eye get for a group, escaped, in Chinese and in English."""

from __future__ import annotations

from decimal import Decimal

from django.utils import translation

from canpei.reports.indicators import Figures, Milestone
from canpei.web.templatetags.canpei_reports import figures_cells, rate

FIGURES = Figures(
    key="1",
    label="晋江<市>职校 & Co",
    trained=1234,
    trainee_times=5678,
    free_hardship=3,
    certificates=0,
    appraised=3,
    passed=2,
    employment=[
        Milestone(months=3, due=10, recorded=5, employed=3, median_income=Decimal("3900.50")),
        Milestone(months=6),
    ],
)


def test_a_groups_cells_in_chinese() -> None:
    with translation.override("zh-hans"):
        assert str(figures_cells(FIGURES)) == (
            '<td class="num">1234</td><td class="num">5678</td><td class="num">3</td><td class="num">0</td>\n'
            '<td class="num"><span class="rate">66.7%</span> <progress max="100" value="66.7" '
            'aria-label="晋江&lt;市&gt;职校 &amp; Co 鉴定合格率：66.7%"></progress></td>\n'
            '<td class="num"><span class="rate">30.0%</span> <progress max="100" value="30.0" '
            'aria-label="晋江&lt;市&gt;职校 &amp; Co 3 个月就业率：30.0%"></progress></td>'
            '<td class="num">3900.50</td>'
            '<td class="num">—<span class="visually-hidden">无数据</span></td><td class="num">—</td>'
        )


def test_a_groups_cells_in_english() -> None:
    with translation.override("en"):
        cells = str(figures_cells(FIGURES))
    assert '<td class="num">1,234</td>' in cells
    assert 'aria-label="晋江&lt;市&gt;职校 &amp; Co appraisal pass rate：66.7%"' in cells
    assert 'aria-label="晋江&lt;市&gt;职校 &amp; Co employment rate at 3 months：30.0%"' in cells
    assert '<span class="visually-hidden">No data</span>' in cells


def test_a_rate_rounds_to_one_decimal_and_a_missing_one_is_a_dash() -> None:
    with translation.override("zh-hans"):
        assert str(rate(12.345, "甲")) == (
            '<span class="rate">12.3%</span> <progress max="100" value="12.3" aria-label="甲：12.3%"></progress>'
        )
        assert '<span class="rate">12.3%</span>' in str(
            rate(12.25, "甲")
        )  # half up, as floatformat
        assert str(rate(None, "甲")) == '—<span class="visually-hidden">无数据</span>'
        assert str(rate(0.0, "<b>")) == (
            '<span class="rate">0.0%</span> <progress max="100" value="0.0" aria-label="&lt;b&gt;：0.0%"></progress>'
        )
