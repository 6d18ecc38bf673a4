"""What every import shares: row errors, the result, the report workbook, progress."""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass, field
from typing import IO, Any
from collections.abc import Callable, Iterable, Iterator, Sequence

import xlsxwriter
from django.db import IntegrityError
from django.utils.translation import gettext as _, gettext_noop

from canpei.spreadsheets.writer import neutralise

Progress = Callable[[int, int], None]


def no_progress(done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class RowError:
    row: int          # the spreadsheet's own row number (1-based), 0 for the file as a whole
    column: str       # the header as written in the file, or "" for the file/row as a whole
    value: str
    message: str

    def __str__(self) -> str:
        where = _("第 %(row)s 行") % {"row": self.row} if self.row else _("文件")
        column = f"「{self.column}」" if self.column else ""
        value = f"（{self.value}）" if self.value else ""
        return f"{where}{column}{value}：{self.message}"


FOOTERS_SKIPPED = gettext_noop("表尾 {count} 行（第 {rows} 行：合计、签名或备注）未导入")

# Errors kept in full for each column (and for the row as a whole); beyond them only a count.
ERRORS_PER_COLUMN = 100
MORE_ERRORS = gettext_noop("另有 {count} 行同类错误")


class ErrorList(list[RowError]):
    """Row errors, bounded: the first ERRORS_PER_COLUMN of each column are kept, the others
    counted, so that a file wrong on every one of its rows costs no more memory than one wrong
    on a few. File-level errors (row 0) are always kept. `len()` is the number kept, `found`
    the number found."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.per_column: dict[str, int] = {}
        self.more: dict[str, int] = {}  # column -> errors found beyond those kept
        # Required columns the file lacks: the file's error names them, their rows' blanks are
        # not errors of their own.
        self.absent: set[str] = set()

    def append(self, error: RowError) -> None:
        if error.row:
            if error.column in self.absent:
                return
            seen = self.per_column.get(error.column, 0)
            self.per_column[error.column] = seen + 1
            if seen >= ERRORS_PER_COLUMN:
                self.more[error.column] = self.more.get(error.column, 0) + 1
                return
        super().append(error)

    def extend(self, errors: Iterable[RowError]) -> None:
        for error in errors:
            self.append(error)

    @property
    def found(self) -> int:
        return len(self) + sum(self.more.values())

    def more_lines(self) -> list[str]:
        """'「身份证号」另有 N 行同类错误' for each column with errors beyond those kept."""
        return [(f"「{column}」" if column else "") + _(MORE_ERRORS).format(count=count)
                for column, count in self.more.items()]


@dataclass
class ImportResult:
    kind: str
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: ErrorList = field(default_factory=ErrorList)
    dry_run: bool = False
    # The header as read, and the rows for the report: (row number, cells), read again from
    # the file when the report is written, never kept.
    header: list[Any] = field(default_factory=list)
    source: Any = None
    # Columns holding ID or certificate numbers, masked in a report for whom may not reveal.
    number_columns: list[int] = field(default_factory=list)

    @property
    def rows(self) -> Any:
        return self.source if self.source is not None else []

    @property
    def footers(self) -> list[int]:
        """Row numbers of the footer lines under the data (合计, 填表人 …), skipped."""
        return list(getattr(self.source, "footers", []))

    def footer_note(self) -> str:
        footers = self.footers
        if not footers:
            return ""
        rows = "、".join(str(n) for n in footers[:10]) + ("…" if len(footers) > 10 else "")
        return _(FOOTERS_SKIPPED).format(count=len(footers), rows=rows)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def error_count(self) -> int:
        return self.errors.found if isinstance(self.errors, ErrorList) else len(self.errors)

    def more_errors(self) -> list[str]:
        return self.errors.more_lines() if isinstance(self.errors, ErrorList) else []

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run

    def summary(self) -> str:
        note = self.footer_note()
        note = f"；{note}" if note else ""
        if not self.ok:
            return _("已拒绝：%(count)s 处错误，未写入任何数据") % {"count": self.error_count} + note
        counts = {"total": self.total, "created": self.created, "updated": self.updated,
                  "unchanged": self.unchanged}
        if self.dry_run:
            text = _("校验通过（试导入，未写入）：共 %(total)s 行，新增 %(created)s，"
                     "更新 %(updated)s，无变化 %(unchanged)s")
        else:
            text = _("导入完成：共 %(total)s 行，新增 %(created)s，更新 %(updated)s，"
                     "无变化 %(unchanged)s")
        return text % counts + note

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "total": self.total, "created": self.created,
                "updated": self.updated, "unchanged": self.unchanged, "dry_run": self.dry_run,
                "ok": self.ok, "summary": self.summary(),
                "errors": [{"row": e.row, "column": e.column, "value": e.value,
                            "message": e.message} for e in self.errors[:1000]],
                "error_count": self.error_count, "more_errors": self.more_errors(),
                "footer_rows": self.footers}


def _masked(value: Any) -> str:
    from canpei.masking import mask_id_number

    text = "" if value is None else str(value).strip()
    return mask_id_number(text) if text else ""


def write_report(out: str | IO[bytes] | Any, result: ImportResult, *, mask_numbers: bool = False) -> None:
    """The original rows plus an error column, so a clerk can fix the file where it is wrong.

    `mask_numbers`: the ID and certificate number columns masked (350582********123X), for a
    reader who may not see full numbers.
    """
    masked_columns = set(result.number_columns) if mask_numbers else set()
    by_row: dict[int, list[str]] = {}
    file_errors: list[str] = []
    for error in result.errors:
        text = (f"「{error.column}」{error.message}" if error.column else error.message)
        if error.row:
            by_row.setdefault(error.row, []).append(text)
        else:
            file_errors.append(text)
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                         "strings_to_numbers": False, "strings_to_urls": False})
    bold = workbook.add_format({"bold": True})
    red = workbook.add_format({"font_color": "#B00020"})
    sheet = workbook.add_worksheet(_("导入结果"))
    sheet.write_string(0, 0, result.summary(), bold)
    row_index = 1
    for message in file_errors + result.more_errors():
        sheet.write_string(row_index, 0, message, red)
        row_index += 1
    row_index += 1
    # The error column comes after the widest row: a CSV row may be longer than its header.
    width = max([len(result.header)] + [len(cells) for _n, cells in result.rows])
    header = [_("行号")] + ["" if h is None else str(h) for h in result.header]
    header += [""] * (width + 1 - len(header)) + [_("错误")]
    for col, title in enumerate(header):
        if title:
            sheet.write_string(row_index, col, neutralise(title), bold)
    row_index += 1
    for number, cells in result.rows:
        sheet.write_number(row_index, 0, number)
        for col, value in enumerate(cells, start=1):
            if value is None or value == "":
                continue
            if col - 1 in masked_columns:
                sheet.write_string(row_index, col, _masked(value))
            elif isinstance(value, (dt.date, dt.datetime)):
                sheet.write_string(row_index, col, value.isoformat()[:10])
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                sheet.write_number(row_index, col, value)
            else:
                sheet.write_string(row_index, col, neutralise(str(value)))
        messages = by_row.get(number)
        if messages:
            sheet.write_string(row_index, len(header) - 1, "；".join(messages), red)
        row_index += 1
    workbook.close()


NO_DATA_ROWS = gettext_noop("表头下没有数据行")
# Where a required column the file lacks is read from: past the end of every row, so each of
# its cells reads as blank.
ABSENT_COLUMN = sys.maxsize


class SheetRows:
    """The data rows of a sheet, (row number, cells), read again each time they are gone
    through: nothing but the file itself is kept."""

    def __init__(self, sheet: Any, header: Any) -> None:
        self._sheet = sheet
        self._header = header
        self._count: int | None = None
        # The footer rows skipped under the data, known once a pass has reached the end.
        self.footers: list[int] = []

    def __iter__(self) -> Iterator[tuple[int, list[Any]]]:
        from canpei.spreadsheets.reader import data_rows

        found: list[int] = []
        yield from data_rows(self._sheet, self._header, found)
        self.footers = found

    def __len__(self) -> int:
        if self._count is None:
            self._count = sum(1 for _row in self)
        return self._count

    @property
    def estimate(self) -> int:
        """At most this many rows, known without reading them (progress bars)."""
        return self._count if self._count is not None else max(0, self._sheet.height - self._header.row_index - 1)

    def __bool__(self) -> bool:
        return next(iter(self), None) is not None


@dataclass
class OpenedSheet:
    """A file ready for row-by-row validation."""

    sheet: Any
    header_row: list[Any]
    columns: dict[str, int]                 # field -> column index (ABSENT_COLUMN: missing)
    rows: SheetRows                         # (row number, cells), blank rows skipped
    label: dict[str, str]                   # field -> the header as written in the file
    formulas: dict[int, list[int]]          # row number -> its columns holding a formula
    spec: dict[str, tuple[str, ...]]        # field -> the headers the importer accepts

    def column_of(self, field: str) -> str:
        """How an error names a field's column: its header in the file, else the usual one."""
        return self.label.get(field) or self.spec.get(field, (field,))[0]

    def refusals(self, number: int, cells: Sequence[Any], errors: Sequence[tuple[str, str]], *,
                 shown: Callable[[str, str], str] = lambda _field, value: value) -> list[RowError]:
        """A row's refusals by the rules, (field, message), as row errors with their cells'
        text (`shown` masks it where needed). A cell holding a formula is left out: the
        formula's own error says it all, and its cached value is noise."""
        from canpei.spreadsheets.reader import cell_text

        refused = []
        for name, message in errors:
            index = self.columns.get(name)
            if index is not None and index in self.formulas.get(number, ()):
                continue
            value = cell_text(cells[index]) if index is not None and index < len(cells) else ""
            refused.append(RowError(number, self.column_of(name), shown(name, value), message))
        return refused


def open_for_import(result: ImportResult, *, data: bytes, filename: str,
                    columns: dict[str, tuple[str, ...]], required: Sequence[str],
                    count: bool = True) -> OpenedSheet | None:
    """Read the file and find its header; the rows are read as they are gone through.
    `count`: set result.total now (one pass over the rows); an importer that counts as it goes
    passes False.

    None when the file as a whole cannot be imported; the reason is then in result.errors.
    """
    from canpei.spreadsheets.reader import (
        FILE_MISSING_COLUMNS, SpreadsheetError, find_header, read_sheet,
    )

    try:
        sheet = read_sheet(data, filename=filename)
        header = find_header(sheet, columns, required, missing_ok=True)
    except SpreadsheetError as exc:
        result.errors.append(RowError(0, "", "", str(exc)))
        return None
    header_row = sheet.head(header.row_index + 1)[header.row_index]
    rows = SheetRows(sheet, header)
    result.header = list(header_row)
    result.source = rows
    result.number_columns = [index for name, index in header.columns.items()
                             if name in ("id_number", "cert_number")]
    label = {field: column_label(header_row, index) for field, index in header.columns.items()}
    found = header.columns
    if header.missing:
        # Reported with the rows' errors, not instead of them (issue 13): the rows are checked
        # with a missing column read as blank, whose errors the file's one stands for. The
        # file error alone refuses the import.
        result.errors.append(RowError(0, "", "", _(FILE_MISSING_COLUMNS).format(
            columns="、".join(header.missing.values()))))
        if isinstance(result.errors, ErrorList):
            result.errors.absent.update(header.missing.values())
        label.update(header.missing)
        found = {**found, **dict.fromkeys(header.missing, ABSENT_COLUMN)}
    if not rows:
        result.errors.append(RowError(0, "", "", _(NO_DATA_ROWS)))
        return None
    if count:
        result.total = len(rows)
    formulas: dict[int, list[int]] = {}
    for row_no, col in sorted(sheet.formula_cells):
        formulas.setdefault(row_no, []).append(col)
    return OpenedSheet(sheet=sheet, header_row=header_row, columns=found, rows=rows,
                       label=label, formulas=formulas, spec=columns)


def import_start(kind: str, *, data: bytes, filename: str, dry_run: bool,
                 columns: dict[str, tuple[str, ...]], required: Sequence[str]
                 ) -> tuple[ImportResult, OpenedSheet | None]:
    """A new import of `kind`: its result, and the file opened for an importer that counts the
    rows as it reads them (None when the file cannot be imported, the reason in the result)."""
    result = ImportResult(kind=kind, dry_run=dry_run)
    return result, open_for_import(result, data=data, filename=filename, columns=columns,
                                   required=required, count=False)


def import_finish(result: ImportResult, *, created: int, updated: int, write: Callable[[], None],
                  changed_meanwhile: str, progress: Progress) -> ImportResult:
    """How an import ends once every row was checked: a refused row, and the errors come in
    row order with nothing written; otherwise the counts, and `write()` unless a dry run.

    An IntegrityError from `write` is a unique key someone took after the rows were checked:
    its transaction is rolled back as a whole, so the import reports `changed_meanwhile` and
    nothing written.
    """
    if result.errors:
        result.errors.sort(key=lambda e: e.row)
        return result
    result.created, result.updated = created, updated
    if not result.dry_run:
        try:
            write()
        except IntegrityError:
            result.created = result.updated = result.unchanged = 0
            result.errors.append(RowError(0, "", "", changed_meanwhile))
            return result
    progress(result.total, result.total)
    return result


def column_label(header_row: Sequence[Any], index: int) -> str:
    return str(header_row[index]).strip() if index < len(header_row) else ""
