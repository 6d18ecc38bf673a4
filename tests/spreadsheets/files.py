"""Spreadsheets as federations send them, built in memory for the import and export tests."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from typing import Any

import python_calamine
import xlsxwriter

from tests.conftest import ANHAI, make_id

PERSON_HEADER = ["姓名", "身份证号", "残疾证号", "残疾类别", "残疾等级", "所属镇街"]


def an_id(n: int, *, born: str = "19900307") -> str:
    """A valid Jinjiang ID number, different for each n below 1000 (odd n: a man)."""
    return make_id(f"350582{born}{n:03d}")


def person_row(n: int, **overrides: Any) -> list[Any]:
    """One valid row under PERSON_HEADER."""
    number = overrides.pop("id_number", None) or an_id(n)
    values = {
        "name": overrides.pop("name", "张三丰"),
        "id_number": number,
        "cert_number": overrides.pop("cert_number", number + "42"),
        "category": overrides.pop("category", "4"),
        "grade": overrides.pop("grade", "2"),
        "town": overrides.pop("town", ANHAI),
    }
    assert not overrides, overrides
    return list(values.values())


def xlsx(
    rows: Sequence[Sequence[Any]],
    *,
    formulas: dict[tuple[int, int], str] | None = None,
    first_column: int = 0,
) -> bytes:
    """Rows written as typed cells (strings stay strings); `formulas` maps (row, col), 0-based."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet = workbook.add_worksheet("名册")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            col = c + first_column
            if formulas and (r, c) in formulas:
                sheet.write_formula(r, col, formulas[(r, c)])
            elif value is None or value == "":
                continue
            elif isinstance(value, bool):
                sheet.write_boolean(r, col, value)
            elif isinstance(value, (int, float)):
                sheet.write_number(r, col, value)
            elif isinstance(value, (dt.date, dt.datetime)):
                when = (
                    value
                    if isinstance(value, dt.datetime)
                    else dt.datetime(value.year, value.month, value.day)
                )
                sheet.write_datetime(r, col, when, date_format)
            else:
                sheet.write_string(r, col, str(value))
    workbook.close()
    return buffer.getvalue()


def csv_text(rows: Sequence[Sequence[Any]]) -> str:
    import csv

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()


def zip_bomb(*, expanded_mb: int = 64) -> bytes:
    """A zip named like a workbook: xl/workbook.xml and one huge, highly compressible entry."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        chunk = b"\0" * (1024 * 1024)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as handle:
            for _ in range(expanded_mb):
                handle.write(chunk)
    return buffer.getvalue()


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)
# A small PDF is ASCII from end to end: no NUL byte gives it away.
PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)


def read_back(data: bytes | str) -> list[list[Any]]:
    """Every row of the first sheet of a workbook, through python-calamine."""
    if isinstance(data, str):
        with open(data, "rb") as handle:
            data = handle.read()
    sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
    return [list(row) for row in sheet.iter_rows()]


def db_counts() -> tuple[int, int, int]:
    """Persons, surveys and audit entries: what an import may change."""
    from canpei.audit.models import AuditEntry
    from canpei.people.models import Person, Survey

    return Person.objects.count(), Survey.objects.count(), AuditEntry.objects.count()
