"""Writing ledgers (台账) as .xlsx streams or .csv, safe to open in Excel."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import IO, Any
from collections.abc import Iterable, Sequence

import xlsxwriter

# A cell starting with one of these is run as a formula by Excel or LibreOffice (CSV injection).
# How a ledger writes a yes/no cell: the federation's forms are Chinese whatever the language.
YES, NO = "是", "否"  # zh-data
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\x00")


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would execute gets a leading apostrophe; numbers pass."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def write_xlsx(out: str | IO[bytes], *, title: str, headers: Sequence[str],
               rows: Iterable[Sequence[Any]], exported_by: str,
               exported_at: dt.datetime, widths: Sequence[int] | None = None) -> int:
    """Stream rows into a workbook in constant memory; return the number of data rows.

    Row 1 carries the title, row 2 who exported it and when (the export mark of QUALITY.md),
    row 4 the headers, frozen so they stay in view, with an autofilter over the data. Every
    string is written as a string, never as a formula or a number, so an ID number keeps its
    18 digits.
    """
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                         "strings_to_numbers": False, "strings_to_urls": False,
                                         "in_memory": False})
    bold = workbook.add_format({"bold": True})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    money_format = workbook.add_format({"num_format": "0.00"})
    sheet = workbook.add_worksheet(title[:31])
    for col, width in enumerate(widths or [16] * len(headers)):
        sheet.set_column(col, col, width)
    sheet.write_string(0, 0, neutralise(title), bold)
    # The ledgers keep the federation's Chinese forms whatever the reader's language.
    sheet.write_string(1, 0, f"导出人：{neutralise(exported_by)}　导出时间：{exported_at:%Y-%m-%d %H:%M}")  # zh-data  # noqa: E501
    for col, header in enumerate(headers):
        sheet.write_string(3, col, neutralise(str(header)), bold)
    # Both are worksheet settings, written when the workbook closes: constant memory allows them.
    sheet.freeze_panes(4, 0)
    count = 0
    row_index = 4
    for row in rows:
        for col, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, bool):
                sheet.write_string(row_index, col, YES if value else NO)
            elif isinstance(value, (int, float)):
                sheet.write_number(row_index, col, value)
            elif isinstance(value, Decimal):
                # Money: the exact decimal text as the cell's number, shown to the fen.
                sheet.write_number(row_index, col, value, money_format)
            elif isinstance(value, dt.datetime):
                sheet.write_string(row_index, col, f"{value:%Y-%m-%d %H:%M}")
            elif isinstance(value, dt.date):
                sheet.write_datetime(row_index, col, dt.datetime(value.year, value.month, value.day),
                                     date_format)
            else:
                sheet.write_string(row_index, col, neutralise(str(value)))
        row_index += 1
        count += 1
    if headers:
        sheet.autofilter(3, 0, 3 + count, len(headers) - 1)
    workbook.close()
    return count


def write_csv(out: IO[str], *, headers: Sequence[str], rows: Iterable[Sequence[Any]],
              exported_by: str, exported_at: dt.datetime) -> int:
    """CSV with a BOM-less UTF-8 stream expected from the caller; formula cells neutralised."""
    writer = csv.writer(out)
    writer.writerow([f"# 导出人：{exported_by} 导出时间：{exported_at:%Y-%m-%d %H:%M}"])  # zh-data
    writer.writerow([neutralise(h) for h in headers])
    count = 0
    for row in rows:
        writer.writerow(["" if v is None else neutralise(v if not isinstance(v, bool) else (YES if v else NO))
                         for v in row])
        count += 1
    return count


def csv_bytes(**kwargs: Any) -> bytes:
    buffer = io.StringIO()
    write_csv(buffer, **kwargs)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
