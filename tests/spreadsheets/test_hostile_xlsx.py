"""Hostile workbooks built by hand (issue 8, items 7 and 15): a DTD in any part (XXE, billion
laughs) and a sheet whose few cells span an immense rectangle are file-level errors, refused
before any XML parser or python-calamine sees them."""

from __future__ import annotations

import io
import zipfile

import pytest

from canpei.people.imports import persons_import
from canpei.people.models import Person
from canpei.spreadsheets import reader
from canpei.spreadsheets.reader import SpreadsheetError, read_sheet
from tests.spreadsheets.files import PERSON_HEADER, person_row, xlsx

FILE_DTD = "文件含有 DTD 声明（<!DOCTYPE 或 <!ENTITY），可能是恶意构造的文件，已拒绝；请在 Excel 中另存为 .xlsx 后再导入"  # noqa: E501

XXE = '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
LAUGHS = (
    '<!DOCTYPE sst [<!ENTITY a "hahahahahahahahahaha">'
    + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
    + "]>"
)


def rewritten(data: bytes, part: str, change) -> bytes:
    """The workbook `data` with one part's text passed through `change` (the others as they were)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == part:
                body = (
                    change(body.decode("utf-8")).encode("utf-8")
                    if isinstance(change(""), str)
                    else change(body)
                )
            target.writestr(info.filename, body)
    return out.getvalue()


def with_doctype(doctype: str, *, entity_in_cell: str = ""):
    def change(text: str) -> str:
        if not text:
            return ""
        head, rest = text.split("?>", 1)
        if entity_in_cell:
            rest = rest.replace("<t>张三丰</t>", f"<t>{entity_in_cell}</t>", 1)
        return head + "?>" + doctype + rest

    return change


def good() -> bytes:
    return xlsx([PERSON_HEADER, person_row(11), person_row(13)])


def refused(data: bytes) -> str:
    with pytest.raises(SpreadsheetError) as caught:
        read_sheet(data, filename="名册.xlsx")
    return str(caught.value)


def test_the_workbook_without_dtd_is_read():
    assert len(read_sheet(good()).rows) == 3


def test_an_external_entity_in_the_sheet_is_refused():
    data = rewritten(good(), "xl/sharedStrings.xml", with_doctype(XXE, entity_in_cell="&xxe;"))
    assert refused(data) == FILE_DTD


def test_a_billion_laughs_in_the_shared_strings_is_refused():
    data = rewritten(good(), "xl/sharedStrings.xml", with_doctype(LAUGHS, entity_in_cell="&j;"))
    assert refused(data) == FILE_DTD


@pytest.mark.parametrize(
    "part",
    [
        "xl/worksheets/sheet1.xml",
        "xl/workbook.xml",
        "xl/styles.xml",
        "[Content_Types].xml",
        "_rels/.rels",
        "docProps/core.xml",
    ],
)
def test_a_doctype_in_any_part_is_refused(part):
    assert refused(rewritten(good(), part, with_doctype("<!DOCTYPE x>"))) == FILE_DTD


def test_an_entity_declaration_alone_is_refused():
    data = rewritten(
        good(),
        "xl/worksheets/sheet1.xml",
        lambda text: text.replace("<sheetData>", '<!ENTITY e "x"><sheetData>') if text else "",
    )
    assert refused(data) == FILE_DTD


def test_a_dtd_hidden_in_utf16_or_lower_case_is_refused():
    def utf16(body: bytes) -> bytes:
        if not body:
            return b""
        text = body.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
        head, rest = text.split("?>", 1)
        return (head + "?>" + XXE + rest).encode("utf-16")

    assert refused(rewritten(good(), "xl/workbook.xml", utf16)) == FILE_DTD
    assert refused(rewritten(good(), "xl/workbook.xml", with_doctype("<!doctype x>"))) == FILE_DTD


def test_a_dtd_split_across_read_chunks_is_found(monkeypatch):
    monkeypatch.setattr(reader, "SCAN_CHUNK", 7)
    data = rewritten(good(), "xl/worksheets/sheet1.xml", with_doctype(XXE))
    assert refused(data) == FILE_DTD


def test_a_cell_that_says_doctype_is_only_text():
    data = xlsx([PERSON_HEADER, ["<!DOCTYPE html>", "<!ENTITY x>"] + person_row(11)[2:]])
    assert read_sheet(data).rows[1][:2] == ["<!DOCTYPE html>", "<!ENTITY x>"]


@pytest.mark.django_db
def test_the_import_reports_a_dtd_as_a_file_error_and_writes_nothing(users):
    data = rewritten(good(), "xl/sharedStrings.xml", with_doctype(LAUGHS, entity_in_cell="&j;"))
    result = persons_import(actor=users.city_admin, data=data, filename="名册.xlsx")
    assert [(e.row, e.column, e.message) for e in result.errors] == [(0, "", FILE_DTD)]
    assert result.summary() == "已拒绝：1 处错误，未写入任何数据"
    assert not Person.objects.exists()


# --- a few cells spanning an immense rectangle (python-calamine allocates it densely) -------


def sparse_sheet(cells: str) -> bytes:
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet '
        'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        + cells
        + "</sheetData></worksheet>"
    )
    return rewritten(good(), "xl/worksheets/sheet1.xml", lambda text: sheet if text else "")


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def test_two_cells_far_apart_are_refused_before_calamine_allocates_the_rectangle():
    # python-calamine would allocate 16,384 x 100,000 cells (50 GB) and abort the process.
    data = sparse_sheet(
        f'<row r="1">{inline("A1", "姓名")}{inline("B1", "身份证号")}</row>'
        f'<row r="100000">{inline("XFD100000", "x")}</row>'
    )
    assert refused(data) == reader.FILE_TOO_MANY_CELLS.format(limit=reader.MAX_CELLS)


def test_cells_without_references_count_where_calamine_puts_them(monkeypatch):
    monkeypatch.setattr(reader, "MAX_CELLS", 100)
    row = "<row>" + "<c><v>1</v></c>" * 11 + "</row>"
    assert refused(sparse_sheet(row * 10)) == reader.FILE_TOO_MANY_CELLS.format(limit=100)
    assert len(read_sheet(sparse_sheet(row * 9)).rows) == 9


def test_the_rectangle_at_the_cell_limit_is_read_and_one_more_row_is_refused(monkeypatch):
    monkeypatch.setattr(reader, "MAX_CELLS", 20)
    rows = "".join(
        f'<row r="{r}">{inline(f"A{r}", "a")}{inline(f"B{r}", "b")}</row>' for r in range(1, 11)
    )
    assert len(read_sheet(sparse_sheet(rows)).rows) == 10
    rows += f'<row r="11">{inline("A11", "a")}</row>'
    assert refused(sparse_sheet(rows)) == reader.FILE_TOO_MANY_CELLS.format(limit=20)


def test_too_many_rows_are_refused_before_the_sheet_is_loaded(monkeypatch):
    monkeypatch.setattr(reader, "MAX_ROWS", 5)
    rows = "".join(
        f'<row r="{r}">{inline(f"A{r}", "a")}</row>'
        for r in range(1, 5 + reader.HEADER_SEARCH_ROWS + 2)
    )
    assert refused(sparse_sheet(rows)) == reader.FILE_TOO_MANY_ROWS.format(limit=5)


def test_prefixed_cells_are_counted_too(monkeypatch):
    monkeypatch.setattr(reader, "MAX_CELLS", 100)
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?><x:worksheet '
        'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>'
        '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>a</x:t></x:is></x:c></x:row>'
        '<x:row r="20"><x:c r="F20" t="inlineStr"><x:is><x:t>b</x:t></x:is></x:c></x:row>'
        "</x:sheetData></x:worksheet>"
    )
    data = rewritten(good(), "xl/worksheets/sheet1.xml", lambda text: sheet if text else "")
    assert refused(data) == reader.FILE_TOO_MANY_CELLS.format(limit=100)


@pytest.mark.parametrize("chunk", [reader.SCAN_CHUNK, 7])
def test_the_scan_finds_every_spelling_of_a_cell_and_a_formula(monkeypatch, chunk):
    # The scan searches the rare bytes first (":", "!", "f") and counts "<c" once: a window
    # whose "<c" are not all referenced cells, or that holds a prefixed one, is counted in full.
    monkeypatch.setattr(reader, "SCAN_CHUNK", chunk)
    monkeypatch.setattr(reader, "MAX_CELLS", 100)
    self_closing = "<row>" + '<c r="A1"/>' + "<c/>" * 10 + "</row>"
    assert refused(sparse_sheet(self_closing * 10)) == reader.FILE_TOO_MANY_CELLS.format(limit=100)
    assert reader._check_zip(sparse_sheet(self_closing * 9)) == set()  # 99 cells: within
    formula = '<row r="1"><c r="A1"><f>1+1</f><v>2</v></c></row>'
    assert reader._check_zip(sparse_sheet(formula)) == {"xl/worksheets/sheet1.xml"}
    prefixed = (
        '<?xml version="1.0" encoding="UTF-8"?><x:worksheet '
        'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>'
        '<x:row r="1"><x:c r="A1"><x:f>1+1</x:f><x:v>2</x:v></x:c></x:row>'
        "</x:sheetData></x:worksheet>"
    )
    data = rewritten(good(), "xl/worksheets/sheet1.xml", lambda text: prefixed if text else "")
    assert reader._check_zip(data) == {"xl/worksheets/sheet1.xml"}
    assert read_sheet(data).formula_cells == {(1, 0)}
    assert reader._check_zip(sparse_sheet(inline("A1", "f:c x:f"))) == set()
