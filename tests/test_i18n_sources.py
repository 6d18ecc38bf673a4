"""Every word the UI or the API says goes through the translation machinery (issue 13).

Read from the source (no page needs to be opened): a string literal in canpei/ that holds
Chinese is either the argument of a gettext call, whose English must be in the catalogue, or
a msgid translated where it is shown (the labels of a `Codes` table, whose `choices` translate
themselves; a statement marked ``# zh-msgid`` on its first line, such as a table of labels that
its reader passes through gettext), whose English must be in the catalogue too; or data that is
Chinese by design — marked ``# zh-data`` on its statement's first line (a header synonym a
clerk's file may use, a word a code lookup accepts), or in a module listed in EXEMPT with the
reason. Docstrings are not looked at. A new message written as a bare literal fails here with
its file and line.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from tests.web.test_i18n import parse_po

ROOT = Path(settings.BASE_DIR)  # the canpei package
HAN = re.compile(r"[\u4e00-\u9fff]")
GETTEXT = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
}
PRAGMA = "# zh-data"
MSGID = "# zh-msgid"

# Modules whose Chinese is data by design, each with the reason.
EXEMPT: dict[str, str] = {
    "demo": "the demo data set: names, places and texts of made-up records",
    "docs.py": "generates the Chinese manuals and data dictionary",
    "people/pinyin.py": "pinyin readings of Chinese characters",
    "cli.py": "the operator's command line, which speaks the language of docs/operations.md",
    "backup.py": "the operator's backup and restore commands (docs/operations.md)",
}
# The ledgers (exports) keep the federation's own forms: their headings and the code tables'
# national labels (labels_of) whatever the reader's language.
EXEMPT_SUFFIXES = ("exports.py",)


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _exempt(relative: str) -> bool:
    return any(
        relative == key or relative.startswith(key + "/") for key in EXEMPT
    ) or relative.endswith(EXEMPT_SUFFIXES)


def _modules() -> Iterator[Path]:
    for path in sorted(ROOT.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def _call_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _scan(path: Path) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(bare Chinese literals, msgids) of a module, each as (line, text)."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    tree = ast.parse(source)
    data: set[int] = set()
    msgids: dict[int, tuple[int, str]] = {}

    def as_msgids(node: ast.AST) -> None:
        for inner in ast.walk(node):
            if (
                isinstance(inner, ast.Constant)
                and isinstance(inner.value, str)
                and HAN.search(inner.value)
            ):
                msgids[id(inner)] = (inner.lineno, inner.value)

    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _call_name(node) in GETTEXT:
            if (
                node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                msgids[id(node.args[0])] = (node.args[0].lineno, node.args[0].value)
            data.update(id(inner) for inner in ast.walk(node))
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            data.add(id(node.value))  # docstrings and other bare expressions
        elif isinstance(node, ast.ClassDef) and any(
            isinstance(base, ast.Name) and base.id == "Codes" for base in node.bases
        ):
            for statement in node.body:
                if isinstance(statement, ast.Assign):
                    as_msgids(statement)
        if isinstance(node, ast.stmt) and MSGID in lines[node.lineno - 1]:
            as_msgids(node)
        if isinstance(node, ast.stmt) and PRAGMA in lines[node.lineno - 1]:
            data.update(id(inner) for inner in ast.walk(node))
    bare = [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and HAN.search(node.value)
        and id(node) not in data
        and id(node) not in msgids
    ]
    return sorted(bare), sorted(msgids.values())


def _bare_chinese(path: Path) -> list[tuple[int, str]]:
    return _scan(path)[0]


def _gettext_literals(path: Path) -> list[tuple[int, str]]:
    return _scan(path)[1]


@pytest.mark.parametrize(
    "path", [p for p in _modules() if not _exempt(_relative(p))], ids=_relative
)
def test_no_chinese_outside_the_translation_machinery(path: Path) -> None:
    bare = _bare_chinese(path)
    assert not bare, "\n".join(f"{_relative(path)}:{line}: {text!r}" for line, text in bare)


def test_every_message_has_its_english() -> None:
    po = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES" / "django.po"
    english = {
        e.msgid for e in parse_po(po) if e.msgid and all(v.strip() for v in e.msgstr.values())
    }
    missing = [
        f"{_relative(path)}:{line}: {text!r}"
        for path in _modules()
        for line, text in _gettext_literals(path)
        if text not in english
    ]
    assert not missing, "\n".join(missing)


def test_the_exemptions_are_still_real() -> None:
    """A module listed as exempt that no longer exists is a stale entry."""
    for key in EXEMPT:
        assert (ROOT / key).exists(), key


def test_the_scanner_sees_a_bare_message_and_passes_a_translated_one(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        '"""说明"""\n'
        "from django.utils.translation import gettext as _\n"
        'A = _("已翻译")\n'
        'B = "未翻译"\n'
        'C = {"姓名": "name"}  # zh-data\n'
        'D = {1: "标签"}  # zh-msgid\n'
        "class K(Codes):\n    A = 'a', '甲'\n"
        'def f():\n    raise ValueError(f"第{1}行有误")\n',
        encoding="utf-8",
    )
    assert sorted({line for line, _text in _bare_chinese(module)}) == [4, 10]
    assert [text for _line, text in _gettext_literals(module)] == ["已翻译", "标签", "甲"]
