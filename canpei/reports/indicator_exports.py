"""The indicators as a ledger (培训成效指标台账): the same figures as `/reports` and
`GET /api/v1/reports/indicators`, one row per group, written through the caller's scope."""

from __future__ import annotations

from typing import IO, Any
from collections.abc import Iterator, Mapping

from django.conf import settings
from django.utils import timezone

from canpei.accounts.models import User
from canpei.accounts.roles import Perm
from canpei.audit.actions import AuditAction
from canpei.reports.indicators import Figures, IndicatorFilters, Indicators, indicators
from canpei.spreadsheets.registry import ExportSpec, Ledger, ledger_write


def _headers() -> list[str]:
    headers = ["分组", "名称", "培训人数", "培训人次", "困难残疾人免费培训（人次）", "取得证书",
               "参加鉴定", "鉴定合格", "鉴定合格率（%）"]
    for months in settings.FOLLOWUP_MONTHS:
        headers += [f"{months}个月应跟踪", f"{months}个月未跟踪", f"{months}个月已就业",
                    f"{months}个月就业率（%）", f"{months}个月月收入中位数（元）"]
    return headers


INDICATOR_HEADERS = _headers()


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def _row(group: str, f: Figures) -> list[Any]:
    row: list[Any] = [group, f.label, f.trained, f.trainee_times, f.free_hardship, f.certificates,
                      f.appraised, f.passed, _percent(f.pass_rate)]
    for m in f.employment:
        row += [m.due, m.unrecorded, m.employed, _percent(m.rate), m.median_income]
    return row


def _rows(report: Indicators) -> Iterator[list[Any]]:
    yield _row("合计", report.total)
    yield _row("重点项目", report.heritage)
    yield _row("重点项目", report.high_skill)
    for group, figures in (("镇街", report.by_town), ("培训机构", report.by_institution),
                           ("培训类型", report.by_type), ("年度", report.by_year),
                           ("计划期", report.by_plan)):
        for f in figures:
            yield _row(group, f)


def indicators_export(*, actor: User, filters: IndicatorFilters, out: str | IO[Any],
                      fmt: str = "xlsx") -> int:
    """Write the indicators the actor may see, filtered; the export is audited."""
    def build() -> Ledger:
        report = indicators(user=actor, filters=filters, as_of=timezone.localdate())
        return Ledger(title=f"培训成效指标（截至 {report.as_of:%Y-%m-%d}）",
                      headers=INDICATOR_HEADERS, widths=[10, 24] + [12] * (len(INDICATOR_HEADERS) - 2),
                      rows=_rows(report), action=AuditAction.EXPORT_INDICATORS,
                      object_type="reports.indicators", summary="导出培训成效指标",
                      filters=filters.as_params())

    return ledger_write(actor=actor, permission=Perm.REPORT_READ, ledger=build, out=out, fmt=fmt)


def _indicators_run(*, actor: User, out: str | IO[Any], fmt: str, year: int | None = None,
                    town: str = "", params: Mapping[str, Any] | None = None,
                    purpose: str | None = None) -> int:
    # Figures only: no ID numbers to release, so a purpose changes nothing.
    filters = IndicatorFilters.from_params(params if params is not None
                                           else {"year": year or "", "town": town})
    return indicators_export(actor=actor, filters=filters, out=out, fmt=fmt)


# Registered by ReportsConfig.ready().
EXPORTS = (
    ExportSpec(kind="indicators", label="培训成效指标", permission=Perm.REPORT_READ,
               list_url="/reports", headers=INDICATOR_HEADERS, run=_indicators_run),
)
