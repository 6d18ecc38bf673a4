"""A mypy plugin: the code tables kept as data are TextChoices classes to mypy, with their members.

`TrainingType = code_table("TrainingType", "training_type")` builds the table at run time from
canpei/data/code_tables.csv; to mypy it would be a bare `type[TextChoices]`, and
`TrainingType.EMPLOYMENT_SKILLS` an error. This plugin reads the same CSV where mypy meets such an
assignment and declares the class with one member per row, named as `code_table` names them (its
`member` pattern, "{upper}" by default), so a misspelt member is still caught. A call whose
arguments are not written out as literals, or names another file (`source=`), is left as it is.

Only mypy loads this module (pyproject.toml's [tool.mypy] plugins); the application never does.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mypy.nodes import GDEF, MDEF, CallExpr, StrExpr, SymbolTableNode, TypeInfo, Var
from mypy.plugin import DynamicClassDefContext, Plugin, ReportConfigContext

CODE_TABLE = "canpei.codes.code_table"
CODE_TABLES = Path(__file__).parent / "data" / "code_tables.csv"
TEXT_CHOICES = "django.db.models.enums.TextChoices"


def _literal_arguments(call: CallExpr) -> dict[str, str] | None:
    """code_table's arguments by name, if each is a string literal (else None)."""
    names = ["name", "table"]
    found: dict[str, str] = {}
    for position, (value, name) in enumerate(zip(call.args, call.arg_names, strict=True)):
        if not isinstance(value, StrExpr):
            return None
        key = name or (names[position] if position < len(names) else None)
        if key is None:
            return None
        found[key] = value.value
    return found


def members(table: str, member: str = "{upper}", source: Path = CODE_TABLES) -> list[str]:
    """The member names `code_table` gives the rows of `table`."""
    with source.open(encoding="utf-8") as f:
        return [member.format(code=row["code"], upper=row["code"].upper())
                for row in csv.DictReader(f) if row["table"] == table]


def declare_code_table(ctx: DynamicClassDefContext) -> None:
    existing = ctx.api.lookup_fully_qualified_or_none(ctx.api.qualified_name(ctx.name))
    if existing is not None and isinstance(existing.node, TypeInfo):
        # Declared on an earlier pass over the module: declaring it again would count as
        # progress, and a module that waits on something else would be analysed without end.
        return
    arguments = _literal_arguments(ctx.call)
    if arguments is None or "table" not in arguments or set(arguments) - {"name", "table", "member"}:
        return
    names = members(arguments["table"], arguments.get("member", "{upper}"))
    if not names:
        ctx.api.fail(f"code table {arguments['table']!r} is empty", ctx.call)
        return
    base = ctx.api.named_type_or_none(TEXT_CHOICES)
    if base is None:  # django not analysed yet: mypy comes back to the assignment
        ctx.api.defer()
        return
    # As mypy declares a class made by Enum's functional API (mypy.semanal_enum).
    info = ctx.api.basic_new_typeinfo(ctx.name, base, ctx.call.line)
    info.metaclass_type = info.calculate_metaclass_type()
    info.is_enum = True
    for name in names:
        var = Var(name)
        var.info = info
        var.is_property = True
        var.has_explicit_value = True
        var._fullname = f"{info.fullname}.{name}"
        info.names[name] = SymbolTableNode(MDEF, var)
    ctx.api.add_symbol_table_node(ctx.name, SymbolTableNode(GDEF, info))


class CodeTablesPlugin(Plugin):
    def get_dynamic_class_hook(self, fullname: str) -> Callable[[DynamicClassDefContext], None] | None:
        return declare_code_table if fullname == CODE_TABLE else None

    def report_config_data(self, ctx: ReportConfigContext) -> Any:
        # A module calling code_table is checked again when the CSV changes (mypy's cache keys
        # on the module's own source only).
        if (not ctx.id.startswith("canpei.") or not ctx.path
                or "code_table(" not in Path(ctx.path).read_text(encoding="utf-8")):
            return None
        return hashlib.sha256(CODE_TABLES.read_bytes()).hexdigest()


def plugin(version: str) -> type[Plugin]:
    return CodeTablesPlugin
