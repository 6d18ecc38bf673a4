"""Reading what federations send: the checks that protect the server, then rows and cells."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from canpei.spreadsheets import reader
from canpei.spreadsheets.reader import (
    CELL_FORMULA,
    DATE_INVALID,
    FILE_CORRUPT,
    FILE_DUPLICATE_COLUMN,
    FILE_EMPTY,
    FILE_MISSING_COLUMNS,
    FILE_NO_HEADER,
    FILE_NOT_SPREADSHEET,
    FILE_TOO_LARGE,
    FILE_ZIP_BOMB,
    HEADER_SEARCH_ROWS,
    SpreadsheetError,
    cell_date,
    cell_text,
    data_rows,
    find_header,
    read_sheet,
)
from tests.spreadsheets.files import PDF, PNG, csv_text, xlsx, zip_bomb

ALIASES = {
    "name": ("姓名",),
    "id_number": ("身份证号", "身份证号码", "公民身份号码"),
    "town": ("所属镇街", "镇(街道)"),
}
REQUIRED = ("name", "id_number")


def rejected(data: bytes, filename: str = "名册.xlsx") -> str:
    with pytest.raises(SpreadsheetError) as caught:
        read_sheet(data, filename=filename)
    return str(caught.value)


# --- the file as a whole ------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, filename",
    [
        (PNG, "名册.xlsx"),
        (PNG, "照片.png"),
        (PDF, "名册.pdf"),
        (PDF, "名册.csv"),
        (PDF, "名册.xlsx"),
        ("<html><table><tr><td>姓名</td></tr></table></html>".encode(), "名册.xls"),
        (b"just some text", "名册.xlsx"),
    ],
)
def test_it_rejects_a_file_that_is_not_a_spreadsheet(data, filename):
    assert rejected(data, filename) == FILE_NOT_SPREADSHEET


def test_it_rejects_a_zip_that_is_not_a_workbook():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    assert rejected(buffer.getvalue()) == FILE_NOT_SPREADSHEET


def test_it_rejects_an_empty_file():
    assert rejected(b"") == FILE_EMPTY


def test_it_rejects_a_damaged_workbook():
    data = xlsx([["姓名", "身份证号"], ["张三", "1"]])
    assert rejected(data[: len(data) // 2]) == FILE_CORRUPT


def test_it_rejects_a_file_over_the_size_limit(monkeypatch):
    monkeypatch.setattr(reader, "MAX_FILE_BYTES", 1024 * 1024)
    data = csv_text([["姓名", "身份证号"]] + [["张三", "x" * 100]] * 20000).encode()
    assert len(data) > 1024 * 1024
    assert rejected(data, "名册.csv") == FILE_TOO_LARGE.format(limit=1)


def test_it_rejects_a_zip_bomb_disguised_as_a_workbook():
    bomb = zip_bomb()
    assert len(bomb) < 1024 * 1024  # small on the wire, 64 MB once expanded
    assert rejected(bomb) == FILE_ZIP_BOMB


# --- encodings and layouts ----------------------------------------------------------------

ROWS = [["姓名", "身份证号"], ["张三", "35058219900307001X"], ["李四", "350582198506120038"]]


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode("utf-8"),
        lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"),
        lambda text: text.encode("gb18030"),
    ],
    ids=["utf-8", "utf-8-bom", "gb18030"],
)
def test_it_reads_csv_in_every_encoding_federations_use(encode):
    sheet = read_sheet(encode(csv_text(ROWS)), filename="名册.csv")
    assert sheet.rows == ROWS
    header = find_header(sheet, ALIASES, REQUIRED)
    assert header.columns == {"name": 0, "id_number": 1}


def test_it_reads_tab_and_semicolon_separated_text():
    for separator in ("\t", ";"):
        text = "\n".join(separator.join(row) for row in ROWS)
        assert read_sheet(text.encode(), filename="a.txt").rows == ROWS


def test_it_keeps_doubled_quotes_and_line_breaks_inside_a_csv_cell():
    rows = [
        ["姓名", "身份证号", "地址"],
        ["张三", "35058219900307001X", '中山路"1"号\n2栋'],
        ["李四", "350582198506120038", "a;b;c;d"],
    ]
    sheet = read_sheet(csv_text(rows).encode(), filename="a.csv")
    assert sheet.rows == rows
    # Numbered as Excel shows the records, not by lines of text.
    assert sheet.row_numbers == [1, 2, 3]


def test_it_finds_the_header_under_title_rows_and_skips_blank_rows():
    sheet = read_sheet(
        xlsx(
            [
                ["晋江市残疾人名册"],
                ["填报单位：安海镇"],
                [],
                ROWS[0],
                ROWS[1],
                [],
                ["", None],
                ROWS[2],
            ]
        )
    )
    header = find_header(sheet, ALIASES, REQUIRED)
    assert sheet.rows[header.row_index] == ROWS[0]
    assert [(n, row[:2]) for n, row in data_rows(sheet, header)] == [(5, ROWS[1]), (8, ROWS[2])]


@pytest.mark.parametrize(
    "title",
    [
        "身份证号",
        "身份证号码",
        "公民身份号码",
        " 身份证号 ",
        "身份证号（必填）",
        "*身份证号",
        "身份证号：",
    ],
)
def test_it_matches_the_names_federations_give_a_column(title):
    sheet = read_sheet(csv_text([["姓名", title]]).encode(), filename="a.csv")
    assert find_header(sheet, ALIASES, REQUIRED).columns == {"name": 0, "id_number": 1}


def test_it_rejects_a_workbook_with_no_recognisable_header():
    sheet = read_sheet(xlsx([["第一列", "第二列"], ["a", "b"]]))
    with pytest.raises(SpreadsheetError) as caught:
        find_header(sheet, ALIASES, REQUIRED)
    assert str(caught.value) == FILE_NO_HEADER.format(rows=HEADER_SEARCH_ROWS)


def test_it_names_the_required_columns_missing_from_an_unknown_layout():
    sheet = read_sheet(xlsx([["姓名", "所属镇街", "电话"], ["张三", "安海镇", "13800000000"]]))
    with pytest.raises(SpreadsheetError) as caught:
        find_header(sheet, ALIASES, REQUIRED)
    assert str(caught.value) == FILE_MISSING_COLUMNS.format(columns="身份证号")


def test_it_rejects_two_columns_for_the_same_field():
    sheet = read_sheet(xlsx([["姓名", "身份证号", "公民身份号码"]]))
    with pytest.raises(SpreadsheetError) as caught:
        find_header(sheet, ALIASES, REQUIRED)
    assert str(caught.value) == FILE_DUPLICATE_COLUMN.format(column="公民身份号码")


def test_it_locates_formula_cells_even_when_the_sheet_starts_in_a_later_column():
    data = xlsx(
        [["姓名", "身份证号"], ["张三", None]], formulas={(1, 1): '="3505"&"82"'}, first_column=2
    )
    sheet = read_sheet(data)
    header = find_header(sheet, ALIASES, REQUIRED)
    assert header.columns == {"name": 0, "id_number": 1}
    assert sheet.formula_cells == {(2, 1)}
    assert CELL_FORMULA  # the importers' message for these cells


# --- cells --------------------------------------------------------------------------------


def test_a_cell_is_read_as_trimmed_half_width_text():
    assert cell_text("　３５０５８２１９９００３０７００１ｘ ") == "35058219900307001x"
    assert cell_text("\u200b350582\u200b ") == "350582"
    assert cell_text(12.0) == "12"
    assert cell_text(None) == ""
    assert cell_text(dt.datetime(2024, 1, 31, 8, 0)) == "2024-01-31"


@pytest.mark.parametrize(
    "value",
    [
        45322,
        45322.0,
        45322.75,
        "45322",
        dt.date(2024, 1, 31),
        dt.datetime(2024, 1, 31, 9, 30),
        "2024-01-31",
        "2024/1/31",
        "20240131",
        "2024.01.31",
        "2024年1月31日",
        "２０２４－０１－３１",
        "2024-01-31 00:00:00",
    ],
)
def test_a_date_is_read_from_serials_date_cells_and_text(value):
    assert cell_date(value) == dt.date(2024, 1, 31)


@pytest.mark.parametrize(
    "value", ["2024-02-30", "2023-13-01", "明天", "0", -5, 3_000_000, "2024-1-1-1"]
)
def test_an_impossible_date_is_an_error(value):
    with pytest.raises(ValueError) as caught:
        cell_date(value)
    assert str(caught.value) == DATE_INVALID


@given(st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 31)))
def test_every_date_survives_each_way_a_spreadsheet_writes_it(day):
    serial = (day - reader.EXCEL_EPOCH).days
    assert cell_date(serial) == cell_date(float(serial)) == day
    assert (
        cell_date(day.isoformat())
        == cell_date(f"{day:%Y/%m/%d}")
        == cell_date(f"{day:%Y%m%d}")
        == day
    )


@given(st.text(max_size=40))
def test_cell_text_is_trimmed_and_stable(text):
    once = cell_text(text)
    assert once == once.strip()
    assert cell_text(once) == once


@pytest.mark.parametrize(
    "row, blank",
    [
        ([], True),
        ([None, "", "  ", "\t\u3000"], True),
        ([None, 0], False),
        (["", False], False),
        ([" ", "x"], False),
        (["x", None], False),
        ([dt.date(2024, 1, 31)], False),
    ],
)
def test_a_blank_row_holds_nothing_but_empty_or_white_cells(row, blank):
    assert reader.is_blank_row(row) is blank


def test_the_data_rows_start_below_the_header_and_skip_blank_ones():
    text = csv_text([["标题"], ["姓名", "身份证号"], ["张三", "1"], ["", " "], ["李四", "2"]])
    sheet = reader.read_sheet(text.encode(), filename="a.csv")
    header = reader.Header(row_index=1, columns={"name": 0, "id_number": 1}, unknown=[])
    assert list(reader.data_rows(sheet, header)) == [(3, ["张三", "1"]), (5, ["李四", "2"])]
