"""The fund ledger (资金台账) an auditor reads: `canpei export funds` and /funds/export.

One sheet: the year's figures by source and by use (budget, committed, paid, balance), then
every disbursement of the year with its computation line by line (trainee, standard, amount)
and its total, reversals as negative entries naming the payment they reverse. Amounts are
exact decimals to the fen. ID numbers masked unless released with a purpose.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import IO, Any

from django.utils import timezone

from canpei.accounts.models import User
from canpei.accounts.roles import Perm
from canpei.audit.actions import AuditAction
from canpei.codes import FundSource, labels_of
from canpei.funds.models import Purpose
from canpei.funds.selectors import DisbursementFilters, disbursement_list, fund_ledger, lines_visible_to
from canpei.selectors import FilterParams
from canpei.spreadsheets.registry import ExportSpec, Ledger, ledger_write, numbers_released

HEADERS = ["类别", "拨付单号", "拨付时间", "年度", "资金来源", "用途", "拨付对象", "收款机构",
           "学员", "身份证号", "所属镇街", "补贴标准", "金额（元）", "冲销拨付单", "冲销原因/说明",
           "预算（元）", "已承诺（元）", "已拨付（元）", "结余（元）"]
WIDTHS = [10, 9, 17, 6, 16, 12, 30, 24, 10, 21, 10, 30, 12, 10, 24, 14, 14, 14, 14]
BLANK_TO_AMOUNT = [""] * 12


def _rows(actor: User, year: int, reveal: bool) -> Iterator[list[Any]]:
    ledger = fund_ledger(user=actor, year=year)
    for section, rows in (("来源汇总", [*ledger.sources, ledger.total]), ("用途汇总", ledger.uses)):
        for row in rows:
            yield [section, "", "", year, row.label if section == "来源汇总" else "",
                   row.label if section == "用途汇总" else "", *[""] * 9,
                   row.budget if section == "来源汇总" else "", row.committed, row.paid,
                   row.balance if section == "来源汇总" else ""]
    sources, purposes = labels_of(FundSource), labels_of(Purpose)
    filters = DisbursementFilters(year=year)
    for d in disbursement_list(user=actor, filters=filters).order_by("id").select_related(
            "institution").iterator(chunk_size=500):
        head = [d.pk, timezone.localtime(d.created_at), d.year, sources.get(d.source, d.source),
                purposes.get(d.purpose, d.purpose), d.target_label,
                d.institution.name if d.institution else ""]
        for line in lines_visible_to(actor, d):
            number = line.person.id_number if reveal else line.person.id_number_masked
            yield ["拨付明细", *head, line.person.name, number, line.town.name,
                   str(line.standard) if line.standard else "", line.amount]
        yield ["拨付合计", *head, "", "", "", "", d.amount, d.reverses_id or "",
               d.reason or d.note]


def funds_export(*, actor: User, year: int, out: str | IO[Any], fmt: str = "xlsx",
                 purpose: str | None = None) -> int:
    def build() -> Ledger:
        reveal = numbers_released(actor, purpose)
        return Ledger(title=f"{year}年度资金台账", headers=HEADERS, widths=WIDTHS,
                      rows=_rows(actor, year, reveal), action=AuditAction.EXPORT_FUNDS,
                      object_type="funds.disbursement", summary="导出资金台账",
                      filters={"year": year}, full_numbers=reveal, purpose=purpose or "")

    return ledger_write(actor=actor, permission=Perm.FUNDS_LEDGER, ledger=build, out=out, fmt=fmt)


def _run(*, actor: User, out: str | IO[Any], fmt: str, year: int | None = None, town: str = "",
         params: Mapping[str, Any] | None = None, purpose: str | None = None) -> int:
    read = FilterParams(params if params is not None else {"year": year or ""})
    chosen = read.year()
    read.done()
    return funds_export(actor=actor, year=chosen or timezone.localdate().year, out=out, fmt=fmt,
                        purpose=purpose)


# Registered by FundsConfig.ready().
EXPORTS = (
    ExportSpec(kind="funds", label="资金", permission=Perm.FUNDS_LEDGER, list_url="/funds",
               headers=HEADERS, run=_run),
)
