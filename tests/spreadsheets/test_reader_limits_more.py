"""The reader's checks that make mutate found unguarded (issue 18): a UTF-16 part in big-endian
without a byte-order mark, a DTD split across tiny reads of a UTF-16 part, a UTF-16 sheet's
extent, rows numbered only by their <row> (cells without a reference, plain or prefixed), the
compression ratio's boundary, a damaged .xls, markup-like text, blank header cells, and a
file read from its path."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from canpei.spreadsheets import reader
from canpei.spreadsheets.reader import (
    SpreadsheetError,
    find_header,
    read_sheet,
    read_sheet_from_path,
)
from tests.spreadsheets.files import xlsx
from tests.spreadsheets.test_hostile_xlsx import XXE, rewritten

FILE_DTD = (
    "文件含有 DTD 声明（<!DOCTYPE 或 <!ENTITY），可能是恶意构造的文件，已拒绝；"
    "请在 Excel 中另存为 .xlsx 后再导入"
)
TOO_MANY_ROWS = "数据超过 100000 行的上限"
TOO_MANY_CELLS = (
    "工作表过大：超过 2000000 个单元格（行数 × 列数）的上限，请删去多余的行列或分成几个文件"
)
ZIP_BOMB = "文件解压后过大，疑似压缩炸弹，已拒绝"
CORRUPT = "文件已损坏或无法读取"
NOT_SPREADSHEET = "文件不是 Excel（.xlsx/.xls）或 CSV 文件"
SHEET = "xl/worksheets/sheet1.xml"
FAR_ROW = 200_000


def small() -> bytes:
    return xlsx([["姓名", "身份证号"], ["张三", "1"]])


def refused(data: bytes) -> str:
    with pytest.raises(SpreadsheetError) as caught:
        read_sheet(data, filename="名册.xlsx")
    return str(caught.value)


def in_utf16(text: str, codec: str) -> bytes:
    return text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode(codec)


def with_far_row(row: str) -> object:
    return lambda text: text.replace("</sheetData>", row + "</sheetData>") if text else ""


# ---- UTF-16 parts --------------------------------------------------------------------------


def test_a_dtd_in_a_big_endian_utf16_part_without_byte_order_mark_is_refused():
    def change(body: bytes) -> bytes:
        if not body:
            return b""
        head, rest = body.decode("utf-8").split("?>", 1)
        return in_utf16(head + "?>" + XXE + rest, "utf-16-be")

    assert refused(rewritten(small(), "xl/workbook.xml", change)) == FILE_DTD


def test_a_dtd_split_across_tiny_reads_of_a_utf16_part_is_found(monkeypatch):
    def change(body: bytes) -> bytes:
        if not body:
            return b""
        head, rest = body.decode("utf-8").split("?>", 1)
        return in_utf16(head + "?>" + XXE + rest, "utf-16")

    monkeypatch.setattr(reader, "SCAN_CHUNK", 4)
    assert refused(rewritten(small(), "xl/workbook.xml", change)) == FILE_DTD


def test_a_utf16_sheet_reaching_past_the_row_limit_is_refused():
    far = f'<row r="{FAR_ROW}"><c r="A{FAR_ROW}"><v>1</v></c></row>'

    def change(body: bytes) -> bytes:
        if not body:
            return b""
        return in_utf16(
            body.decode("utf-8").replace("</sheetData>", far + "</sheetData>"), "utf-16"
        )

    assert refused(rewritten(small(), SHEET, change)) == TOO_MANY_ROWS


# ---- rows numbered by <row> only -----------------------------------------------------------


def wide_row(number: int, *, prefix: str = "") -> str:
    """Row `number` with 25 cells that have no reference (each follows the one before)."""
    cells = f"<{prefix}c><{prefix}v>1</{prefix}v></{prefix}c>" * 25
    return f'<{prefix}row r="{number}">{cells}</{prefix}row>'


def test_cells_without_reference_take_their_rows_number_from_the_row():
    # 99,000 rows of 25 columns: under the row limit, over the cells limit.
    assert refused(rewritten(small(), SHEET, with_far_row(wide_row(99_000)))) == TOO_MANY_CELLS
    # Low in the sheet the same spelling is read.
    assert read_sheet(rewritten(small(), SHEET, with_far_row(wide_row(9)))).height == 9


def test_prefixed_cells_without_reference_are_counted_exactly():
    def change(text: str) -> str:
        if not text:
            return ""
        text = text.replace(
            "<worksheet ",
            '<worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ',
            1,
        )
        return text.replace("</sheetData>", wide_row(99_000, prefix="x:") + "</sheetData>")

    assert refused(rewritten(small(), SHEET, change)) == TOO_MANY_CELLS


# ---- the compression ratio's boundary ------------------------------------------------------


def padded() -> tuple[bytes, float]:
    """A workbook with an 11 MB part that compresses well, and that part's ratio."""
    data = small()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "a") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info.filename))
        target.writestr(
            "xl/media/padding.bin", b"0123456789abcdef" * (11 * 65536), zipfile.ZIP_DEFLATED
        )
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        info = archive.getinfo("xl/media/padding.bin")
        return out.getvalue(), info.file_size / info.compress_size


def test_a_part_exactly_at_the_compression_ratio_limit_is_accepted_and_above_it_refused(
    monkeypatch,
):
    data, ratio = padded()
    monkeypatch.setattr(reader, "MAX_COMPRESSION_RATIO", ratio)
    assert read_sheet(data, filename="名册.xlsx").rows == [["姓名", "身份证号"], ["张三", "1"]]
    monkeypatch.setattr(reader, "MAX_COMPRESSION_RATIO", ratio * 0.999)
    assert refused(data) == ZIP_BOMB


# ---- other files ---------------------------------------------------------------------------


def test_a_damaged_xls_is_refused_as_damaged():
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2048
    with pytest.raises(SpreadsheetError) as caught:
        read_sheet(data, filename="名册.xls")
    assert str(caught.value) == CORRUPT


def test_text_that_only_looks_like_markup_after_an_x_is_read_as_csv():
    data = "X<table>,说明\n1,2\n".encode()
    assert read_sheet(data, filename="a.csv").rows == [["X<table>", "说明"], ["1", "2"]]


def test_blank_header_cells_are_neither_columns_nor_unknown_names():
    sheet = read_sheet("姓名,,身份证号,,备注列\n张三,,1,,\n".encode(), filename="a.csv")
    header = find_header(
        sheet, {"name": ("姓名",), "id_number": ("身份证号",)}, required=["name", "id_number"]
    )
    assert header.columns == {"name": 0, "id_number": 2}
    assert header.unknown == ["备注列"]


def test_a_file_is_read_from_its_path_and_its_name_breaks_ties(tmp_path):
    text = tmp_path / "名册.csv"
    text.write_bytes("姓名,身份证号\n张三,1\n".encode())
    assert read_sheet_from_path(text).rows == [["姓名", "身份证号"], ["张三", "1"]]
    named = tmp_path / "名册.xlsx"
    named.write_bytes("姓名,身份证号\n张三,1\n".encode())
    with pytest.raises(SpreadsheetError) as caught:
        read_sheet_from_path(named)
    assert str(caught.value) == NOT_SPREADSHEET


# ---- formulas ------------------------------------------------------------------------------


def test_a_formula_is_found_when_a_read_window_begins_with_an_f(monkeypatch):
    data = xlsx([["姓名", "金额"], ["张三", None]], formulas={(1, 1): "=1+1"})

    def change(text: str) -> str:
        if not text:
            return ""
        text = text.replace("<sheetData>", "<sheetData>" + " " * 2000, 1)
        return re.sub(
            r'<c r="A2"[^>]*>.*?</c>', '<c r="A2" t="inlineStr"><is><t>foo</t></is></c>', text
        )

    data = rewritten(data, SHEET, change)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        part = archive.read(SHEET)
    at = part.index(b">foo<") + 1  # the "f" of foo, right after a tag's end
    assert part.index(b"<f>") > at
    # The first window (4 bytes of head, then a chunk) ends just after that "f": the next
    # window begins with it and holds the whole formula.
    monkeypatch.setattr(reader, "SCAN_CHUNK", at + 1 - 4)
    assert len(part) - (at + 1) <= reader.SCAN_CHUNK
    assert read_sheet(data, filename="名册.xlsx").formula_cells == {(2, 1)}


def test_a_formula_cell_without_reference_does_not_stop_the_reading():
    data = xlsx([["姓名", "金额"], ["张三", None]], formulas={(1, 1): "=1+1"})
    data = rewritten(data, SHEET, lambda text: text.replace('<c r="B2"', "<c", 1) if text else "")
    sheet = read_sheet(data, filename="名册.xlsx")
    assert sheet.rows[0] == ["姓名", "金额"]
    assert sheet.rows[1][0] == "张三"
