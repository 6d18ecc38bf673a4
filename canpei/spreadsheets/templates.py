"""The template workbook of an import kind: what a clerk fills in, and how.

Sheet 1 holds the header row (required columns marked ＊, which the reader ignores), a text
format on the number columns so Excel keeps an ID number's 18 digits, and a drop-down on every
coded column. Sheet 2 (填写说明) lists each column: required or not, the other names accepted,
the values, an example — and an example row under the same headers. The example lives there, not
on the first sheet, so that a template sent back unchanged imports nothing by accident.
"""

from __future__ import annotations

import re
from typing import IO, Any

import xlsxwriter
from django.utils.translation import gettext as _
from xlsxwriter.utility import xl_col_to_name

from canpei.spreadsheets.registry import ImportSpec
from canpei.spreadsheets.writer import neutralise

# Rows of the first sheet that carry the drop-downs and the text format.
TEMPLATE_ROWS = 2000
REQUIRED_MARK = "＊"
# Columns Excel must keep as text (long digit strings).
TEXT_FIELDS = {"id_number", "cert_number", "phone", "certificate_number", "class_code"}
INSTRUCTION_HEADERS = [  # zh-msgid: translated where written
    "列名", "是否必填", "也可写作", "可选值", "示例"]
# The hidden sheet of values the drop-downs read, named in their formulas.
LISTS_SHEET = "代码表"  # zh-data


def write_template(out: str | IO[bytes], spec: ImportSpec) -> None:
    columns = spec.column_help()
    workbook = xlsxwriter.Workbook(out, {"strings_to_formulas": False, "strings_to_numbers": False,
                                         "strings_to_urls": False})
    bold = workbook.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
    text = workbook.add_format({"num_format": "@"})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    sheet = workbook.add_worksheet(re.sub(r"[\[\]:*?/\\]", "、", spec.label)[:31])
    lists = workbook.add_worksheet(LISTS_SHEET)
    guide = workbook.add_worksheet(_("填写说明"))
    for col, column in enumerate(columns):
        header = column.header + (REQUIRED_MARK if column.required else "")
        sheet.write_string(0, col, header, bold)
        sheet.set_column(col, col, max(10, 2 * len(column.header) + 4),
                         text if column.field in TEXT_FIELDS else None)
        if column.values:
            # The values on a hidden sheet: a list typed into the rule is capped at 255 characters.
            letter = xl_col_to_name(col)
            lists.write_string(0, col, column.header)
            for row, value in enumerate(column.values, start=1):
                lists.write_string(row, col, neutralise(value))
            source = f"='{LISTS_SHEET}'!${letter}$2:${letter}${len(column.values) + 1}"
            sheet.data_validation(1, col, TEMPLATE_ROWS, col, {
                "validate": "list", "source": source, "ignore_blank": True,
                "error_type": "warning", "error_title": column.header,
                "error_message": _("请从下拉列表中选择")})
    sheet.freeze_panes(1, 0)
    lists.hide()

    guide.write_string(0, 0, _("%(label)s导入模板：填写说明") % {"label": spec.label}, bold)
    guide.write_string(1, 0, _("标＊的列必填；列的顺序可以调整；表头之上可以有标题行；"
                               "数据之下的合计、签名行不会导入。"))
    for col, title in enumerate(INSTRUCTION_HEADERS):
        guide.write_string(3, col, _(title), bold)
    for row, column in enumerate(columns, start=4):
        cells: list[Any] = [column.header, _("必填") if column.required else _("可选"),
                            "、".join(column.synonyms), "、".join(column.values[:30])
                            + ("……" if len(column.values) > 30 else ""), column.example]
        for col, value in enumerate(cells):
            guide.write_string(row, col, neutralise(value), wrap)
    below = 4 + len(columns) + 1
    guide.write_string(below, 0, _("示例行（按第一张表的列）："), bold)
    for col, column in enumerate(columns):
        guide.write_string(below + 1, col, column.header, bold)
        guide.write_string(below + 2, col, neutralise(column.example))
    guide.set_column(0, 0, 16)
    guide.set_column(1, 1, 10)
    guide.set_column(2, 4, 36)
    workbook.close()
