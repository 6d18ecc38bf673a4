"""Writing ledgers and import reports that Excel opens safely."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from canpei.spreadsheets.importing import ImportResult, RowError, write_report
from canpei.spreadsheets.writer import (
    FORMULA_PREFIXES,
    csv_bytes,
    neutralise,
    write_csv,
    write_xlsx,
)
from tests.spreadsheets.files import read_back

WHEN = dt.datetime(2026, 3, 5, 9, 41)
DANGEROUS = [
    '=HYPERLINK("http://evil.example","点我")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1",
    "\r=1",
]


def starts_a_formula(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r"))


@given(st.text(max_size=30))
def test_neutralised_text_never_starts_a_formula_and_keeps_its_content(text):
    safe = neutralise(text)
    assert not starts_a_formula(safe)
    assert safe in (text, "'" + text)


def test_numbers_pass_neutralise_unchanged():
    assert neutralise(-5) == -5 and neutralise(1.5) == 1.5


def test_a_ledger_carries_title_exporter_time_and_chinese_headers():
    out = io.BytesIO()
    count = write_xlsx(
        out,
        title="残疾人实名制台账",
        headers=["序号", "姓名", "身份证号", "出生日期", "低保", "地址"],
        rows=[
            [1, "张三", "35058219900307001X", dt.date(1990, 3, 7), True, DANGEROUS[0]],
            [2, "李四", "350582198506120038", None, False, ""],
        ],
        exported_by="陈主任（city）",
        exported_at=WHEN,
    )
    assert count == 2
    rows = read_back(out.getvalue())
    assert rows[0][0] == "残疾人实名制台账"
    assert rows[1][0] == "导出人：陈主任（city）　导出时间：2026-03-05 09:41"
    assert rows[3] == ["序号", "姓名", "身份证号", "出生日期", "低保", "地址"]
    assert rows[4] == [
        1,
        "张三",
        "35058219900307001X",
        dt.date(1990, 3, 7),
        "是",
        "'" + DANGEROUS[0],
    ]
    assert rows[5][:5] == [2, "李四", "350582198506120038", "", "否"]


def test_a_ledger_keeps_its_header_in_view_and_filters_its_data():
    out = io.BytesIO()
    write_xlsx(
        out,
        title="台账",
        headers=["序号", "姓名", "镇街"],
        rows=[[1, "张三", "安海镇"], [2, "李四", "磁灶镇"]],
        exported_by="city",
        exported_at=WHEN,
    )
    sheet = load_workbook(io.BytesIO(out.getvalue())).active
    assert sheet.freeze_panes == "A5"
    assert sheet.auto_filter.ref == "A4:C6"


def test_no_cell_of_a_ledger_starts_a_formula():
    out = io.BytesIO()
    write_xlsx(
        out,
        title="=title",
        headers=["=h", "地址"],
        rows=[[v, v] for v in DANGEROUS],
        exported_by="=HYPERLINK(1)",
        exported_at=WHEN,
    )
    cells = [cell for row in read_back(out.getvalue()) for cell in row]
    assert not [c for c in cells if starts_a_formula(c)]


def test_a_csv_ledger_is_neutralised_too():
    out = io.StringIO()
    write_csv(
        out,
        headers=["序号", "地址"],
        rows=[[i, v] for i, v in enumerate(DANGEROUS)],
        exported_by="城",
        exported_at=WHEN,
    )
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == ["# 导出人：城 导出时间：2026-03-05 09:41"]
    assert rows[1] == ["序号", "地址"]
    assert not [c for row in rows for c in row if starts_a_formula(c)]
    assert csv_bytes(headers=["a"], rows=[], exported_by="x", exported_at=WHEN).startswith(
        b"\xef\xbb\xbf"
    )
    assert set(FORMULA_PREFIXES) >= {"=", "+", "-", "@"}


def test_the_report_has_the_original_rows_and_an_error_column():
    result = ImportResult(
        kind="persons",
        total=2,
        header=["姓名", "身份证号"],
        source=[(5, ["张三", "35058219900307001X"]), (6, ["李四", "123", "多出的格"])],
        # A plain list, as ImportResult also accepts (its `found` counts it).
        errors=[
            RowError(6, "身份证号", "123", "身份证号须为 18 位"),  # type: ignore[arg-type]
            RowError(0, "", "", "整个文件的问题"),
        ],
    )
    out = io.BytesIO()
    write_report(out, result)
    rows = read_back(out.getvalue())
    assert rows[0][0] == "已拒绝：2 处错误，未写入任何数据"
    assert rows[1][0] == "整个文件的问题"
    header = rows[3]
    assert header[:3] == ["行号", "姓名", "身份证号"] and header[-1] == "错误"
    error_col = len(header) - 1
    assert rows[4][:3] == [5, "张三", "35058219900307001X"] and rows[4][error_col] == ""
    # The extra cell of a ragged CSV row does not overwrite the error.
    assert rows[5][:4] == [6, "李四", "123", "多出的格"]
    assert rows[5][error_col] == "「身份证号」身份证号须为 18 位"


@pytest.mark.parametrize("value", DANGEROUS)
def test_the_report_neutralises_what_the_clerk_typed(value):
    result = ImportResult(kind="persons", header=["姓名", "地址"], source=[(2, ["张三", value])])
    out = io.BytesIO()
    write_report(out, result)
    assert not [c for row in read_back(out.getvalue()) for c in row if starts_a_formula(c)]
