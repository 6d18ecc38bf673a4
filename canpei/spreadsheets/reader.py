"""Reading the spreadsheets federations pass around: .xlsx (and .xls) through python-calamine,
.csv in UTF-8 (with or without BOM) or GB18030.

The reader only turns a file into rows of cells with their spreadsheet row numbers, after the
checks that protect the server (size, zip bombs, formulas); what the cells mean is the
importer's business.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
import re
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from collections.abc import Callable, Iterable, Iterator, Sequence
from xml.etree import ElementTree

import python_calamine
from django.utils.translation import gettext as _, gettext_noop

MAX_FILE_BYTES = 50 * 1024 * 1024
# An .xlsx is a zip: refuse archives that expand beyond this, or by more than this ratio.
MAX_UNCOMPRESSED_BYTES = 500 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
# An import holds at most this many data rows: a whole city's registry in one file (a province
# imports city by city). With the limits below, an import at the limits peaks under 500 MB
# (bench/import_export.py measures it).
MAX_ROWS = 100_000
# python-calamine allocates a sheet as a dense rectangle (about 64 bytes a cell once read, twice
# that while reading): rows x columns of the used range, checked before it is loaded; e.g.
# 100,000 rows of 20 columns.
MAX_CELLS = 2_000_000
MAX_SHARED_STRINGS_BYTES = 64 * 1024 * 1024
HEADER_SEARCH_ROWS = 15

FILE_EMPTY = gettext_noop("文件是空的")
FILE_TOO_LARGE = gettext_noop("文件超过 {limit} MB 的上限")
FILE_NOT_SPREADSHEET = gettext_noop("文件不是 Excel（.xlsx/.xls）或 CSV 文件")
FILE_CORRUPT = gettext_noop("文件已损坏或无法读取")
FILE_ZIP_BOMB = gettext_noop("文件解压后过大，疑似压缩炸弹，已拒绝")
FILE_ENCODING = gettext_noop("CSV 文件编码无法识别，请另存为 UTF-8 或 GB18030")
FILE_NO_HEADER = gettext_noop("未找到表头：前 {rows} 行中没有可识别的列名")
FILE_MISSING_COLUMNS = gettext_noop("缺少必需的列：{columns}")
FILE_DUPLICATE_COLUMN = gettext_noop("列名重复：{column}")
FILE_TOO_MANY_ROWS = gettext_noop("数据超过 {limit} 行的上限")
CELL_FORMULA = gettext_noop("单元格含公式，请复制后“粘贴为数值”再导入")
FILE_PASSWORD = gettext_noop("文件有密码保护，请取消密码后再导入")
FILE_DTD = gettext_noop("文件含有 DTD 声明（<!DOCTYPE 或 <!ENTITY），可能是恶意构造的文件，已拒绝；请在 Excel 中另存为 .xlsx 后再导入")  # noqa: E501
FILE_TOO_MANY_CELLS = gettext_noop(
    "工作表过大：超过 {limit} 个单元格（行数 × 列数）的上限，请删去多余的行列或分成几个文件")


class SpreadsheetError(ValueError):
    """The file as a whole cannot be read; nothing in it is imported."""


Cell = Any


@dataclass
class Sheet:
    """A sheet's rows, read lazily: `numbered()` goes through them again each time it is called,
    without keeping them (an .xlsx stays in python-calamine's compact form, a .csv in its
    bytes), so an import holds a chunk of rows at a time, not the file as Python lists.

    Rows are numbered as the spreadsheet numbers them (1-based).
    """

    source: Callable[[], Iterator[list[Cell]]]
    # Rows the file has, blank ones included (for progress; exact for CSV).
    height: int = 0
    formula_cells: set[tuple[int, int]] = field(default_factory=set)  # (row number, column index)
    # calamine starts a row at the first used column; the sheet's own column of rows[i][0].
    first_column: int = 0

    def numbered(self) -> Iterator[tuple[int, list[Cell]]]:
        return enumerate(self.source(), start=1)

    def head(self, count: int) -> list[list[Cell]]:
        return list(itertools.islice(self.source(), count))

    @property
    def rows(self) -> list[list[Cell]]:
        """Every row as a list (small sheets, tests)."""
        return list(self.source())

    @property
    def row_numbers(self) -> list[int]:
        return [number for number, _cells in self.numbered()]


def _is_zip(head: bytes) -> bool:
    return head.startswith(b"PK\x03\x04")


def _is_ole(head: bytes) -> bool:
    return head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")


# Formats people upload by mistake. Some of them (a small PDF) are plain ASCII at the start and
# would otherwise be read as a one-column CSV and rejected for the wrong reason.
_OTHER_FORMATS = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"II*\x00", b"MM\x00*",
                  b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf", b"{\\rtf", b"RIFF")


def _is_other_format(data: bytes) -> bool:
    if data.startswith(_OTHER_FORMATS):
        return True
    # HTML or XML "spreadsheets" (old systems' 导出Excel, SpreadsheetML 2003): markup, not rows.
    start = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith((b"<?xml", b"<html", b"<!doctype", b"<table", b"<workbook"))


def _check_zip(data: bytes) -> set[str]:
    """Refuse what must not reach an XML parser or python-calamine; return the parts holding a
    formula (cheap to note while every part is read anyway)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise SpreadsheetError(_(FILE_CORRUPT)) from None
    with archive:
        total = 0
        for info in archive.infolist():
            total += info.file_size
            if info.compress_size and info.file_size / info.compress_size > MAX_COMPRESSION_RATIO \
                    and info.file_size > 10 * 1024 * 1024:
                raise SpreadsheetError(_(FILE_ZIP_BOMB))
            if info.filename.lower().endswith("sharedstrings.xml") and info.file_size > MAX_SHARED_STRINGS_BYTES:
                # python-calamine holds every shared string in memory before the first row.
                raise SpreadsheetError(_(FILE_TOO_MANY_CELLS).format(limit=MAX_CELLS))
        if total > MAX_UNCOMPRESSED_BYTES:
            raise SpreadsheetError(_(FILE_ZIP_BOMB))
        if "xl/workbook.xml" not in archive.namelist():
            raise SpreadsheetError(_(FILE_NOT_SPREADSHEET))
        with_formulas: set[str] = set()
        try:
            for info in archive.infolist():
                if not info.is_dir() and _scan_part(archive, info.filename):
                    with_formulas.add(info.filename)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError):
            raise SpreadsheetError(_(FILE_CORRUPT)) from None
        return with_formulas


# Read size of the scans over the parts (a test makes it tiny to split the patterns).
SCAN_CHUNK = 1 << 20
# A DTD: external entities (XXE) or nested ones (billion laughs). No part of a workbook Excel
# writes has one, and XML text cannot hold a "<!" unescaped, so this never matches a cell.
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_DTD_TEXT = re.compile(r"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
# Cells as Excel, LibreOffice, WPS and xlsxwriter write them: the reference first. Any other
# spelling (no reference, a prefix, attributes in another order) is counted the slow way.
# Found without a match object a cell (a sheet at the limits has two million cells): the rows
# of six digits or more (100,000 and up) are rare and read one by one; below them the rows are
# bounded by 99,999 unless the columns are many. Columns of two or three letters likewise.
_CELL_LONG_ROW = re.compile(rb'<c r="[A-Z]{1,3}([0-9]{6,})"')
_CELL_ROW = re.compile(rb'<c r="[A-Z]{1,3}([0-9]{1,7})"')
_CELL_LONG_COLUMN = re.compile(rb'<c r="([A-Z]{2,3})[0-9]')
_CELL_LETTER = [re.compile(rb'<c r="[' + bytes([letter]) + rb'-Z][0-9]') for letter in range(65, 91)]
_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")
# A prefixed cell or formula (x:c, x:f): rare, and one scan finds either. Two-byte patterns
# starting with "<" are slow to search (every tag is a candidate); a pattern led by ":" or a
# single rare byte ("!", "f") is not, so these come first and the slow searches only run in a
# window they could match.
_PREFIXED = re.compile(rb":[cf][\s>/]")


def _scan_part(archive: zipfile.ZipFile, name: str) -> bool:
    """Check one part: no DTD; a sheet's cells within MAX_ROWS and MAX_CELLS. True when it has a
    formula."""
    with archive.open(name) as handle:
        head = handle.read(4)
        if b"\x00" in head or head.startswith((b"\xff\xfe", b"\xfe\xff")):
            # UTF-16 (Excel never writes it, but XML parsers accept it): look at the text.
            _scan_utf16(archive, name)
            return False
        tail = head
        cells = tagged = max_row = width = 0
        short_rows = False  # cells of rows below 100,000
        formula = False
        for chunk in iter(lambda: handle.read(SCAN_CHUNK), b""):
            # Up to the window's last tag end (`end`), not copied; the rest waits for the next.
            window = tail + chunk
            end = window.rfind(b">") + 1 or max(0, len(window) - 64)
            tail = window[end:]

            if window.find(b"!", 0, end) >= 0 and _DTD.search(window, 0, end):
                raise SpreadsheetError(_(FILE_DTD))
            prefixed = _PREFIXED.search(window, 0, end) is not None
            opened = window.count(b"<c", 0, end)  # cells, and <col>, <cfRule> … if any
            if opened or prefixed:
                here = window.count(b'<c r="', 0, end)
                for digits in _CELL_LONG_ROW.findall(window, 0, end):  # exact: above every short row
                    max_row = max(max_row, int(digits))
                short_rows = short_rows or here > 0
                for letters in _CELL_LONG_COLUMN.findall(window, 0, end):
                    width = max(width, _column_index(letters.decode()) + 1)
                while width < 26:
                    found = _CELL_LETTER[width].search(window, 0, end)  # a one-letter column past `width`
                    if not found:
                        break
                    width = window[found.start() + 6] - 64
                cells += here
                if opened == here and not prefixed:
                    tagged += here  # every "<c" opens a referenced cell: no other spelling
                else:
                    # Cells spelled otherwise (rare): <c>, <c/>, and prefixed ones (x:c).
                    tagged += sum(window.count(odd, 0, end) for odd in (b"<c ", b"<c>", b"<c/", b":c ", b":c>"))
            if not formula and window.find(b"f", 0, end) >= 0 and (
                    prefixed or window.find(b"<f", 0, end) >= 0) and _FORMULA.search(window, 0, end):
                formula = True
        if _DTD.search(tail):
            raise SpreadsheetError(_(FILE_DTD))
    if tagged != cells:
        max_row, width = _cell_extent(archive, name)
    elif not max_row and short_rows:
        # Every row below 100,000: that bound is enough unless it breaks a limit; then the rows
        # are read exactly (a sheet of more than 20 columns, or lower limits).
        max_row = 99_999
        if max_row > MAX_ROWS + HEADER_SEARCH_ROWS or max_row * width > MAX_CELLS:
            max_row = _highest_row(archive, name)
    _check_extent(max_row, width)
    return formula


def _highest_row(archive: zipfile.ZipFile, name: str) -> int:
    highest = 0
    with archive.open(name) as handle:
        tail = b""
        for chunk in iter(lambda: handle.read(SCAN_CHUNK), b""):
            window = tail + chunk
            cut = window.rfind(b">") + 1
            window, tail = window[:cut], window[cut:]
            rows = _CELL_ROW.findall(window)
            if rows:
                highest = max(highest, max(map(int, rows)))
    return highest


def _scan_utf16(archive: zipfile.ZipFile, name: str) -> None:
    with archive.open(name) as handle:
        head = handle.read(4)
        encoding = "utf-16" if head.startswith((b"\xff\xfe", b"\xfe\xff")) else \
            ("utf-16-le" if head[1:2] == b"\x00" else "utf-16-be")
        decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        tail = decoder.decode(head)
        for chunk in iter(lambda: handle.read(SCAN_CHUNK), b""):
            window = tail + decoder.decode(chunk)
            if _DTD_TEXT.search(window):
                raise SpreadsheetError(_(FILE_DTD))
            tail = window[-16:]
        if _DTD_TEXT.search(tail + decoder.decode(b"", final=True)):
            raise SpreadsheetError(_(FILE_DTD))
    _check_extent(*_cell_extent(archive, name))


def _cell_extent(archive: zipfile.ZipFile, name: str) -> tuple[int, int]:
    """(rows, columns) of the rectangle python-calamine would allocate for this part, read with
    a parser (no DTD is left by now): cells without a reference follow the previous one, as
    calamine places them."""
    max_row = width = 0
    row = 0
    column = -1
    try:
        with archive.open(name) as handle:
            for event, element in ElementTree.iterparse(handle, events=("start", "end")):
                tag = element.tag.rsplit("}", 1)[-1]
                if event == "start" and tag == "row":
                    given = element.get("r", "")
                    row = int(given) if given.isdigit() else row + 1
                    column = -1
                elif event == "start" and tag == "c":
                    match = _CELL_REF.match(element.get("r", ""))
                    if match:
                        row_of_cell, column = int(match.group(2)), _column_index(match.group(1))
                    else:
                        row_of_cell, column = max(row, 1), column + 1
                    max_row = max(max_row, row_of_cell)
                    width = max(width, column + 1)
                elif event == "end" and tag in ("row", "sheetData"):
                    element.clear()
    except ElementTree.ParseError:
        return 0, 0  # not XML (an image, a binary part): calamine reads no cells from it
    return max_row, width


def _check_extent(rows: int, columns: int) -> None:
    if rows > MAX_ROWS + HEADER_SEARCH_ROWS:
        raise SpreadsheetError(_(FILE_TOO_MANY_ROWS).format(limit=MAX_ROWS))
    if rows * columns > MAX_CELLS:
        raise SpreadsheetError(_(FILE_TOO_MANY_CELLS).format(limit=MAX_CELLS))


_CELL_REF = re.compile(r"^([A-Z]+)([0-9]+)$")


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + (ord(ch) - 64)
    return index - 1


def _first_sheet_xml(archive: zipfile.ZipFile) -> str | None:
    names = archive.namelist()
    if "xl/worksheets/sheet1.xml" in names:
        return "xl/worksheets/sheet1.xml"
    sheets = sorted(n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml"))
    return sheets[0] if sheets else None


def _formula_cells(data: bytes, with_formulas: set[str]) -> set[tuple[int, int]]:
    """Cells of the first sheet that hold a formula: (row number, column index).

    calamine returns a formula's cached value, indistinguishable from a typed one; a ledger must
    not import numbers that Excel computed from other cells, so these are found in the XML.
    """
    found: set[tuple[int, int]] = set()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        name = _first_sheet_xml(archive)
        # Most files have no formula at all: _check_zip noted those that have one.
        if name is None or name not in with_formulas:
            return found
        with archive.open(name) as handle:
            for _event, element in ElementTree.iterparse(handle, events=("end",)):
                if element.tag.endswith("}c") or element.tag == "c":
                    if any(child.tag.endswith("}f") or child.tag == "f" for child in element):
                        match = _CELL_REF.match(element.get("r", ""))
                        if match:
                            found.add((int(match.group(2)), _column_index(match.group(1))))
                    element.clear()
    return found


def _read_workbook(data: bytes) -> Sheet:
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not workbook.sheet_names:
            raise SpreadsheetError(_(FILE_EMPTY))
        sheet = workbook.get_sheet_by_index(0)
        height = (sheet.end or (-1, 0))[0] + 1
        if height > MAX_ROWS + HEADER_SEARCH_ROWS:  # an .xls, which the zip scan did not see
            raise SpreadsheetError(_(FILE_TOO_MANY_ROWS).format(limit=MAX_ROWS))
        first_column = (sheet.start or (0, 0))[1]
    except python_calamine.PasswordError:
        raise SpreadsheetError(_(FILE_PASSWORD)) from None
    except SpreadsheetError:
        raise
    except Exception:  # calamine raises several error types for damaged files
        raise SpreadsheetError(_(FILE_CORRUPT)) from None

    # python-calamine yields every row from the sheet's first (row 1), the empty ones above
    # the used range included, so a row's number is its place in the iteration.
    def source() -> Iterator[list[Cell]]:
        return iter(sheet.iter_rows())

    return Sheet(source=source, height=height, first_column=first_column)


def _csv_encoding(data: bytes) -> str:
    """UTF-8 (with or without BOM) or GB18030, checked over the whole file in chunks."""
    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    view = memoryview(data)[start:]
    for encoding in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for at in range(0, len(view), SCAN_CHUNK):
                if "\x00" in decoder.decode(view[at:at + SCAN_CHUNK]):
                    raise SpreadsheetError(_(FILE_NOT_SPREADSHEET))
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return "utf-8-sig" if start else encoding
    raise SpreadsheetError(_(FILE_ENCODING))


def _delimiter(text: str) -> str:
    """Comma, tab or semicolon: the one found on most of the first lines, comma on a tie.

    csv.Sniffer is not used: it fails on a title row above the header and may turn off
    doubled quotes ("" inside a quoted field), which Excel writes.
    """
    lines = [line for line in text[:65536].splitlines()[:30] if line.strip()]
    best, best_score = ",", (0, 0)
    for candidate in (",", "\t", ";"):
        score = (sum(1 for line in lines if candidate in line), sum(line.count(candidate) for line in lines))
        if score > best_score:
            best, best_score = candidate, score
    return best


def _read_csv(data: bytes) -> Sheet:
    encoding = _csv_encoding(data)
    delimiter = _delimiter(data[:65536].decode(encoding, errors="ignore"))

    def source() -> Iterator[list[Cell]]:
        text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
        # Excel shows a record with a line break inside a quoted cell as one row: records are
        # numbered, not lines, so that the report matches what the clerk sees.
        return csv.reader(text, delimiter=delimiter, doublequote=True, quotechar='"', strict=False)

    # One pass to count the records (and find a broken one) before any row is used.
    height = 0
    try:
        for _row in source():
            height += 1
            if height > MAX_ROWS + HEADER_SEARCH_ROWS:
                raise SpreadsheetError(_(FILE_TOO_MANY_ROWS).format(limit=MAX_ROWS))
    except csv.Error:
        raise SpreadsheetError(_(FILE_CORRUPT)) from None
    return Sheet(source=source, height=height)


def read_sheet(data: bytes, *, filename: str = "") -> Sheet:
    """Read the first sheet of an .xlsx/.xls or a .csv, by content (the name only breaks ties)."""
    if not data:
        raise SpreadsheetError(_(FILE_EMPTY))
    if len(data) > MAX_FILE_BYTES:
        raise SpreadsheetError(_(FILE_TOO_LARGE).format(limit=MAX_FILE_BYTES // (1024 * 1024)))
    head = data[:8]
    if _is_zip(head):
        with_formulas = _check_zip(data)
        sheet = _read_workbook(data)
        sheet.formula_cells = {(row, col - sheet.first_column)
                               for row, col in _formula_cells(data, with_formulas) if col >= sheet.first_column}
        return sheet
    if _is_ole(head):
        return _read_workbook(data)
    if _is_other_format(data):
        raise SpreadsheetError(_(FILE_NOT_SPREADSHEET))
    suffix = Path(filename).suffix.lower()
    if suffix in {".xlsx", ".xls", ".xlsm"}:
        raise SpreadsheetError(_(FILE_NOT_SPREADSHEET))
    # Anything else must be text: binary formats (PDF, images) fail to decode or hold NULs.
    if b"\x00" in data[:4096]:
        raise SpreadsheetError(_(FILE_NOT_SPREADSHEET))
    return _read_csv(data)


def read_sheet_from_path(path: str | Path) -> Sheet:
    target = Path(path)
    if target.stat().st_size > MAX_FILE_BYTES:
        raise SpreadsheetError(_(FILE_TOO_LARGE).format(limit=MAX_FILE_BYTES // (1024 * 1024)))
    return read_sheet(target.read_bytes(), filename=target.name)


# --- cells ---------------------------------------------------------------------------------

def normalize_header(value: Cell) -> str:
    """Full-width to half-width, no spaces, no required-field stars or bracketed notes."""
    text = unicodedata.normalize("NFKC", str(value or ""))
    text = re.sub(r"[（(][^）)]*[）)]", "", text)
    return re.sub(r"[\s*＊:：]", "", text)


def is_blank_row(row: Iterable[Cell]) -> bool:
    # A loop, not all() over a generator: called once a row, and a filled row ends at its first cell.
    for cell in row:  # noqa: SIM110  (a loop: called per cell of millions; no generator frame)
        if cell is not None and not (isinstance(cell, str) and not cell.strip()):
            return False
    return True


@dataclass
class Header:
    row_index: int                 # index into Sheet.rows
    columns: dict[str, int]        # field -> column index
    unknown: list[str]
    missing: dict[str, str] = field(default_factory=dict)  # required field -> its usual header


def find_header(sheet: Sheet, aliases: dict[str, tuple[str, ...]], required: Iterable[str], *,
                missing_ok: bool = False) -> Header:
    """Find the header row among the first rows (title rows above it are common).

    `aliases` maps each field to the column names federations use for it. A required column
    the header lacks is an error, or with `missing_ok` listed in `Header.missing` (the import
    then reports it along with the rows' errors).
    """
    lookup = {normalize_header(alias): name for name, names in aliases.items() for alias in names}
    best: tuple[int, int] | None = None
    head = sheet.head(HEADER_SEARCH_ROWS)
    for index, row in enumerate(head):
        hits = sum(1 for cell in row if normalize_header(cell) in lookup)
        if hits and (best is None or hits > best[1]):
            best = (index, hits)
    if best is None or best[1] < 2:
        raise SpreadsheetError(_(FILE_NO_HEADER).format(rows=HEADER_SEARCH_ROWS))
    index = best[0]
    columns: dict[str, int] = {}
    unknown: list[str] = []
    for col, cell in enumerate(head[index]):
        key = normalize_header(cell)
        if not key:
            continue
        name = lookup.get(key)
        if name is None:
            unknown.append(str(cell))
            continue
        if name in columns:
            raise SpreadsheetError(_(FILE_DUPLICATE_COLUMN).format(column=str(cell).strip()))
        columns[name] = col
    missing = {name: aliases[name][0] for name in required if name not in columns}
    if missing and not missing_ok:
        raise SpreadsheetError(_(FILE_MISSING_COLUMNS).format(columns="、".join(missing.values())))
    return Header(row_index=index, columns=columns, unknown=unknown, missing=missing)


# How the lines under a ledger's data begin: totals, sign-off lines, notes (表尾).
FOOTER_STARTS = (  # zh-data: the words a ledger's footer begins with
                 "合计", "总计", "小计", "共计", "填表人", "填报人", "制表人", "审核人", "负责人",
                 "经办人", "联系人", "填表日期", "填报日期", "制表日期", "填表单位", "填报单位", "单位负责人",
                 "单位盖章", "盖章", "备注", "说明", "注:", "注1", "注 ")
_FOOTER_STARTS = tuple(unicodedata.normalize("NFKC", start) for start in FOOTER_STARTS)


def is_footer_row(row: Sequence[Cell]) -> bool:
    """Whether a row reads as a ledger's footer: its first filled cell is text beginning with a
    total, a sign-off or a note (「合计」「填表人：…」「注：…」)."""
    for cell in row:
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            continue
        if not isinstance(cell, str):
            return False
        text = cell.strip()
        if text[:1].isascii():  # every footer begins with a Chinese character
            return False
        return unicodedata.normalize("NFKC", text).startswith(_FOOTER_STARTS)
    return False


def data_rows(sheet: Sheet, header: Header,
              footers: list[int] | None = None) -> Iterator[tuple[int, list[Cell]]]:
    """(row number, cells) after the header, blank rows skipped, and so are the footer rows
    after the last data row (totals, sign-off lines, notes; their numbers are added to
    `footers` once the rows have all been gone through). A footer-like row with data after it
    is a data row like any other, and is judged as one."""
    numbered = sheet.numbered()
    for _above in itertools.islice(numbered, header.row_index + 1):
        pass
    held: list[tuple[int, list[Cell]]] = []
    for number, row in numbered:
        if is_blank_row(row):
            continue
        if is_footer_row(row):
            held.append((number, row))
            continue
        if held:
            yield from held
            held.clear()
        yield number, row
    if footers is not None:
        footers.extend(number for number, _row in held)


EXCEL_EPOCH = dt.date(1899, 12, 30)
_SERIAL_TEXT = re.compile(r"^[0-9]{1,5}(\.[0-9]+)?$")
_TIME_SUFFIX = re.compile(r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$")
# The ways a date is written in a clerk's sheet.
DATE_PATTERNS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日")  # zh-data
DATE_INVALID = gettext_noop("日期无效，应为 2024-01-31 这样的格式")


# Zero-width characters come along when a number is copied from a web page or a chat.
_INVISIBLE = dict.fromkeys([0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF])
# Finding one is a single scan; translating a text that has none builds it anew (~6x slower).
_HAS_INVISIBLE = re.compile("[" + "".join(map(chr, _INVISIBLE)) + "]").search


def cell_text(value: Cell) -> str:
    """A cell as text: full-width characters folded, edges trimmed, 12.0 shown as 12."""
    if value is None:
        return ""
    if type(value) is str and value.isascii():
        return value.strip()  # NFKC leaves ASCII as it is, and no invisible character is ASCII
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()[:10]
    text = unicodedata.normalize("NFKC", str(value))
    return (text.translate(_INVISIBLE) if _HAS_INVISIBLE(text) else text).strip()


def cell_date(value: Cell) -> dt.date | None:
    """A date from a date cell, an Excel serial number, or text (2024-01-31, 2024/1/31, 20240131)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 2958466:  # Excel's serial range: 1900-01-01 .. 9999-12-31
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise ValueError(_(DATE_INVALID))
    text = cell_text(value)
    if _SERIAL_TEXT.match(text):
        # A serial pasted as text, or a CSV saved from a sheet whose date column had no format.
        return cell_date(float(text))
    # A date written with its time (2024-01-31 00:00:00, 2024-01-31T08:30): the day counts.
    text = _TIME_SUFFIX.sub("", text)
    for pattern in DATE_PATTERNS:
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(_(DATE_INVALID))
