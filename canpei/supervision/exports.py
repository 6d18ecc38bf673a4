"""The alert ledger (监管预警台账), `canpei export alerts` and /alerts/export: the alerts the user
may see, filtered as the desk, streamed and audited. The sentences hold no ID or phone numbers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import IO, Any

from canpei.codes import labels_of
from canpei.accounts.models import User
from canpei.accounts.roles import Perm
from canpei.audit.actions import AuditAction
from canpei.spreadsheets.registry import ExportSpec, Ledger, ledger_write
from canpei.supervision.rules import RULES
from canpei.supervision.selectors import AlertFilters, alert_list
from canpei.supervision.workflow import AlertState

HEADERS = ["序号", "预警编号", "规则", "状态", "说明", "年度", "业务日期", "发现日期", "相关记录"]
WIDTHS = [7, 9, 26, 9, 70, 7, 11, 11, 40]


def _rows(actor: User, filters: AlertFilters) -> Iterator[list[Any]]:
    states = labels_of(AlertState)
    for index, alert in enumerate(alert_list(user=actor, filters=filters).iterator(
            chunk_size=2000), start=1):
        rule = RULES.get(alert.rule)
        yield [index, alert.pk, rule.title if rule else alert.rule, states[alert.state],
               alert.summary, alert.year, alert.on_date, alert.raised_on,
               "；".join(str(link.get("label", "")) for link in alert.links)]


def alerts_export(*, actor: User, filters: AlertFilters, out: str | IO[Any],
                  fmt: str = "xlsx") -> int:
    def build() -> Ledger:
        title = f"{filters.year}年度监管预警台账" if filters.year else "监管预警台账"
        return Ledger(title=title, headers=HEADERS, widths=WIDTHS, rows=_rows(actor, filters),
                      action=AuditAction.EXPORT_ALERTS, object_type="supervision.alert",
                      summary="导出监管预警台账", filters=filters.as_params())

    return ledger_write(actor=actor, permission=Perm.ALERT_BROWSE, ledger=build, out=out,
                        fmt=fmt)


def _run(*, actor: User, out: str | IO[Any], fmt: str, year: int | None = None, town: str = "",
         params: Mapping[str, Any] | None = None, purpose: str | None = None) -> int:
    filters = AlertFilters.from_params(params if params is not None
                                       else {"year": year or "", "town": town})
    return alerts_export(actor=actor, filters=filters, out=out, fmt=fmt)


# Registered by SupervisionConfig.ready().
EXPORTS = (
    ExportSpec(kind="alerts", label="监管预警", permission=Perm.ALERT_BROWSE, list_url="/alerts",
               headers=HEADERS, run=_run),
)
