"""Edges of the reader that mutation testing found unguarded (issue 18, gaps 7 to 10): the zip
bomb's limit on the total expanded size, formulas in columns of two letters, row numbers of a
sheet whose used range starts below row 1, the row limit's boundary and the ends of Excel's
date serials."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest

from canpei.spreadsheets import reader
from canpei.spreadsheets.reader import (
    DATE_INVALID,
    FILE_TOO_MANY_ROWS,
    FILE_ZIP_BOMB,
    HEADER_SEARCH_ROWS,
    MAX_ROWS,
    SpreadsheetError,
    cell_date,
    data_rows,
    find_header,
    read_sheet,
)
from tests.spreadsheets.files import xlsx

ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("姓名",),
    "id_number": ("身份证号",),
    "town": ("所属镇街",),
}
ROWS = [["姓名", "身份证号"], ["张三", "35058219900307001X"], ["李四", "350582198506120038"]]


def expanded_size(data: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return sum(info.file_size for info in archive.infolist())


# ---- 7. the limit on the total expanded size ----------------------------------------------------


def test_a_workbook_expanding_beyond_the_total_limit_is_refused(monkeypatch):
    data = xlsx(ROWS)
    total = expanded_size(data)
    # No part alone reaches the limit (nor the ratio's 10 MB): only their sum can break it.
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert max(info.file_size for info in archive.infolist()) < total - 1
    monkeypatch.setattr(reader, "MAX_UNCOMPRESSED_BYTES", total)
    assert read_sheet(data).rows == ROWS
    monkeypatch.setattr(reader, "MAX_UNCOMPRESSED_BYTES", total - 1)
    with pytest.raises(SpreadsheetError) as refused:
        read_sheet(data)
    assert str(refused.value) == "文件解压后过大，疑似压缩炸弹，已拒绝" == FILE_ZIP_BOMB


def test_the_total_limit_is_500_mb_and_the_ratio_limit_200():
    assert reader.MAX_UNCOMPRESSED_BYTES == 500 * 1024 * 1024
    assert reader.MAX_COMPRESSION_RATIO == 200


# ---- 8. formulas in columns AA and beyond -------------------------------------------------------


@pytest.mark.parametrize("column", [25, 26, 27, 51, 52, 701, 702])
def test_a_formula_is_found_in_its_column_past_z(column):
    row = ["x"] * (column + 1)
    data = xlsx([["姓名", "身份证号"], row], formulas={(1, column): "=1+1"})
    assert read_sheet(data).formula_cells == {(2, column)}


def test_column_letters_count_as_excel_counts_them():
    assert [
        reader._column_index(letters) for letters in ("A", "Z", "AA", "AZ", "BA", "ZZ", "AAA")
    ] == [0, 25, 26, 51, 52, 701, 702]


# ---- 9. row numbers when the used range starts below row 1 --------------------------------------


def test_rows_keep_their_spreadsheet_numbers_below_leading_blank_rows():
    data = xlsx([[], [], ["姓名", "身份证号"], ["张三", "35058219900307001X"], [], ["李四", "x"]])
    sheet = read_sheet(data)
    header = find_header(sheet, ALIASES, ("name", "id_number"))
    assert header.row_index == 2
    assert [number for number, _row in data_rows(sheet, header)] == [4, 6]


@pytest.mark.django_db
def test_an_import_error_names_the_row_the_clerk_sees_below_blank_rows(users):
    from canpei.people.imports import persons_import
    from tests.spreadsheets.files import PERSON_HEADER, person_row

    rows = [[], [], [], PERSON_HEADER, person_row(11), person_row(13, town="火星镇")]
    result = persons_import(actor=users.city_admin, data=xlsx(rows), filename="名册.xlsx")
    assert not result.ok
    assert [(e.row, e.column, e.value) for e in result.errors] == [(6, "所属镇街", "火星镇")]


# ---- 10. the row limit's boundary and the ends of the date serials ------------------------------


def test_a_csv_at_the_row_limit_is_read_and_one_row_more_is_refused():
    limit = MAX_ROWS + HEADER_SEARCH_ROWS
    body = "姓名,身份证号\r\n" + "张三,1\r\n" * (limit - 1)
    assert read_sheet(body.encode(), filename="名册.csv").height == limit
    with pytest.raises(SpreadsheetError) as refused:
        read_sheet((body + "李四,2\r\n").encode(), filename="名册.csv")
    assert (
        str(refused.value)
        == "数据超过 100000 行的上限"
        == FILE_TOO_MANY_ROWS.format(limit=MAX_ROWS)
    )


def test_a_workbook_at_the_row_limit_is_read_and_one_row_more_is_refused(monkeypatch):
    monkeypatch.setattr(reader, "MAX_ROWS", 5)
    rows = [["姓名", "身份证号"]] + [["张三", str(n)] for n in range(5 + HEADER_SEARCH_ROWS - 1)]
    assert len(read_sheet(xlsx(rows)).rows) == 5 + HEADER_SEARCH_ROWS
    with pytest.raises(SpreadsheetError) as refused:
        read_sheet(xlsx(rows + [["李四", "x"]]))
    assert str(refused.value) == "数据超过 5 行的上限"


@pytest.mark.parametrize(
    "value,day",
    [
        (61, dt.date(1900, 3, 1)),
        (45322, dt.date(2024, 1, 31)),
        (45322.75, dt.date(2024, 1, 31)),
        ("45322", dt.date(2024, 1, 31)),
        (2958465, dt.date(9999, 12, 31)),
    ],
)
def test_excel_serials_up_to_the_last_day_excel_knows(value, day):
    assert cell_date(value) == day


def test_the_first_serial_is_a_date_and_the_ones_outside_the_range_are_errors():
    assert cell_date(1) in (dt.date(1899, 12, 31), dt.date(1900, 1, 1))
    for value in (0, 0.5, -1, 2958466, 2958465.5 + 1, "2958466"):
        with pytest.raises(ValueError) as caught:
            cell_date(value)
        assert str(caught.value) == "日期无效，应为 2024-01-31 这样的格式" == DATE_INVALID


@pytest.mark.parametrize("value", [None, ""])
def test_an_empty_date_cell_is_no_date(value):
    assert cell_date(value) is None


def test_a_blank_text_date_cell_is_an_error_not_a_date():
    with pytest.raises(ValueError):
        cell_date("   ")


# ---- survivors of `make mutate` -----------------------------------------------------------------


def renamed_sheet(data: bytes, name: str) -> bytes:
    """The workbook with its sheet part stored under another name (as some tools write it)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                target.writestr(f"xl/worksheets/{name}", body)
                continue
            if info.filename == "xl/_rels/workbook.xml.rels":
                body = body.replace(b"worksheets/sheet1.xml", f"worksheets/{name}".encode())
            target.writestr(info.filename, body)
    return out.getvalue()


def test_a_formula_is_found_in_a_sheet_part_not_named_sheet1():
    data = renamed_sheet(xlsx(ROWS, formulas={(1, 1): "=1+1"}), "data.xml")
    sheet = read_sheet(data)
    assert sheet.formula_cells == {(2, 1)}
    assert sheet.rows[0] == ["姓名", "身份证号"]


def test_a_sheet_counts_its_rows_not_its_columns():
    assert read_sheet(xlsx(ROWS)).height == 3
    assert read_sheet(xlsx([["姓名", "身份证号", "a", "b", "c"]])).height == 1


def test_an_html_page_named_csv_is_not_read_as_rows():
    page = b"<html><body><table><tr><td>\xe5\xa7\x93\xe5\x90\x8d</td></tr></table></body></html>"
    with pytest.raises(SpreadsheetError) as refused:
        read_sheet(page, filename="名册.csv")
    assert str(refused.value) == "文件不是 Excel（.xlsx/.xls）或 CSV 文件"


def test_a_csv_cell_keeps_the_windows_line_break_inside_its_quotes():
    data = '姓名,地址\r\n张三,"中山路1号\r\n2栋"\r\n'.encode()
    assert read_sheet(data, filename="名册.csv").rows == [
        ["姓名", "地址"],
        ["张三", "中山路1号\r\n2栋"],
    ]


def test_the_first_of_two_rows_naming_the_columns_is_the_header():
    sheet = read_sheet(xlsx([["姓名", "身份证号"], ["姓名", "身份证号"], ["张三", "x"]]))
    assert find_header(sheet, ALIASES, ("name", "id_number")).row_index == 0


def test_a_row_naming_a_single_known_column_is_no_header():
    sheet = read_sheet(xlsx([["姓名", "年龄"], ["张三", "30"]]))
    with pytest.raises(SpreadsheetError) as refused:
        find_header(sheet, ALIASES, ("name",))
    assert str(refused.value) == "未找到表头：前 15 行中没有可识别的列名"


@pytest.mark.parametrize(
    "row,footer",
    [
        (["合计", 12], True),
        ([None, " ", "填表人：王五"], True),
        ([12, "合计"], False),
        (["张三", "合计"], False),
        (["Total"], False),
        ([None, ""], False),
    ],
)
def test_a_footer_row_begins_with_a_total_a_signature_or_a_note(row, footer):
    assert reader.is_footer_row(row) is footer


def test_a_small_part_that_compresses_well_is_no_zip_bomb():
    rows = [["姓名", "地址"]] + [["张三", "安" * 10000 + str(n)] for n in range(40)]
    data = xlsx(rows)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        ratios = [i.file_size / i.compress_size for i in archive.infolist() if i.compress_size]
    assert max(ratios) > reader.MAX_COMPRESSION_RATIO
    assert len(read_sheet(data).rows) == 41


def test_shared_strings_over_their_limit_are_refused(monkeypatch):
    data = xlsx([["姓名", "地址"]] + [["张三", "中山路" + str(n)] for n in range(50)])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        size = archive.getinfo("xl/sharedStrings.xml").file_size
    monkeypatch.setattr(reader, "MAX_SHARED_STRINGS_BYTES", size)
    assert len(read_sheet(data).rows) == 51
    monkeypatch.setattr(reader, "MAX_SHARED_STRINGS_BYTES", size - 1)
    with pytest.raises(SpreadsheetError) as refused:
        read_sheet(data)
    assert str(refused.value) == (
        "工作表过大：超过 2000000 个单元格（行数 × 列数）的上限，请删去多余的行列或分成几个文件"
    )


@pytest.mark.parametrize("filename", ["名册.xls", "名册.xlsx", "名册.XLSM"])
def test_text_named_as_a_workbook_is_refused(filename):
    with pytest.raises(SpreadsheetError) as refused:
        read_sheet("姓名,身份证号\r\n张三,1\r\n".encode(), filename=filename)
    assert str(refused.value) == "文件不是 Excel（.xlsx/.xls）或 CSV 文件"


def test_a_file_of_exactly_the_size_limit_is_read(monkeypatch):
    data = "姓名,身份证号\r\n张三,1\r\n".encode()
    monkeypatch.setattr(reader, "MAX_FILE_BYTES", len(data))
    assert read_sheet(data, filename="名册.csv").height == 2
    monkeypatch.setattr(reader, "MAX_FILE_BYTES", len(data) - 1)
    with pytest.raises(SpreadsheetError):
        read_sheet(data, filename="名册.csv")


def test_a_nul_deep_in_a_text_file_is_refused():
    data = ("姓名,身份证号\r\n" + "张三,1\r\n" * 1000).encode() + b"\x00" + "李四,2\r\n".encode()
    assert b"\x00" not in data[:4096]
    with pytest.raises(SpreadsheetError) as refused:
        read_sheet(data, filename="名册.csv")
    assert str(refused.value) == "文件不是 Excel（.xlsx/.xls）或 CSV 文件"


def test_a_formula_is_noted_when_the_scan_reads_one_byte_at_a_time(monkeypatch):
    monkeypatch.setattr(reader, "SCAN_CHUNK", 1)
    sheet = read_sheet(xlsx(ROWS, formulas={(2, 1): "=1+1"}))
    assert sheet.formula_cells == {(3, 1)}
