"""The documents in docs/ (and the README) are kept true by these tests: the generated files
equal what `canpei docs` writes now, and every command, URL, link, message and table the
documents name still exists in the code."""

from __future__ import annotations

import argparse
import re
import uuid
from pathlib import Path

import pytest
from django.urls import Resolver404, resolve

from canpei.cli import build_parser
from canpei.docs import generated

ROOT = Path(__file__).resolve().parent.parent.parent
DOCS = ROOT / "docs"
DOCUMENTS = sorted(DOCS.rglob("*.md")) + [ROOT / "README.md"]
HAND_WRITTEN = [p for p in DOCUMENTS if p.name not in {"data-dictionary.md", "workflows.md"}]
CANPEI_SOURCE = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "canpei").rglob("*.py"))

FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
INLINE = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\]\(([^)\s]+)\)")
ANCHOR = re.compile(r"\{#([A-Za-z0-9_-]+)\}\s*$", re.M)
# Paths in code that are files on a server, not URLs of the application.
FILESYSTEM = ("/etc/", "/opt/", "/var/", "/usr/", "/backup/", "/tmp/", "/dev/", "/home/", "/srv/")


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _code(text: str) -> list[str]:
    """The lines of fenced code blocks (Mermaid left out) and the inline code spans."""
    blocks = [m.group(1) for m in FENCE.finditer(text) if not m.group(0).startswith("```mermaid")]
    lines = [line for block in blocks for line in block.splitlines()]
    prose = FENCE.sub("", text)
    return lines + [m.group(1) for m in INLINE.finditer(prose)]


# ---- generated files ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_generated_documents_are_current() -> None:
    for path, text in generated(DOCS):
        assert path.exists(), f"{_rel(path)} is missing: run `canpei docs`"
        assert path.read_text(encoding="utf-8") == text, (
            f"{_rel(path)} differs from what the registries give now: run `canpei docs` "
            "(or `make docs`) and commit the result"
        )


# ---- commands -------------------------------------------------------------------------------


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:  # type: ignore[type-arg]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


def command_problem(line: str) -> str | None:
    """Why a documented `canpei …` line would not run, or None. Subcommands and choices are
    followed word by word (`a|b` means each of them); every `--option` named must exist."""
    words = re.split(r"\s{2,}", line.strip())[0].split()
    words = words[1:]  # "canpei"
    return _walk(build_parser(), words)


def _walk(parser: argparse.ArgumentParser, words: list[str]) -> str | None:
    positionals = [a for a in parser._actions if not a.option_strings]
    index = 0
    while words and re.fullmatch(r"[a-z0-9_][a-z0-9_|-]*", words[0]):
        word = words.pop(0)
        sub = _subparsers(parser)
        if sub is not None:
            for alternative in word.split("|"):
                if alternative not in sub.choices:
                    return f"no command {alternative!r} (choices: {sorted(sub.choices)})"
            return _walk(sub.choices[word.split("|")[0]], words)
        if index >= len(positionals):
            return f"unexpected argument {word!r}"
        action = positionals[index]
        index += 1
        if action.choices is not None:
            for alternative in word.split("|"):
                if alternative not in action.choices:
                    return f"{alternative!r} is not one of {sorted(action.choices)}"
    options = {o for a in parser._actions for o in a.option_strings}
    for option in re.findall(r"(?<![\w-])--[a-z][a-z-]*", " ".join(words)):
        if option not in options:
            return f"no option {option} (options: {sorted(options)})"
    return None


def _commands() -> list[tuple[str, str]]:
    found = []
    for path in DOCUMENTS:
        for code in _code(path.read_text(encoding="utf-8")):
            # Environment assignments before the command, and what follows a shell operator.
            code = re.sub(r"^(?:[A-Z_]+=\S+\s+)+", "", code.strip())
            code = re.split(r"\s(?:&&|\||;)\s", code)[0]
            code = re.sub(r"^(?:ExecStart=)?\S*/\.venv/bin/canpei ", "canpei ", code)
            if code.startswith("canpei "):
                found.append((_rel(path), code))
    return found


COMMANDS = _commands()


def test_the_documents_name_commands() -> None:
    assert len(COMMANDS) > 30


@pytest.mark.parametrize(("where", "line"), COMMANDS)
def test_each_documented_command_exists(where: str, line: str) -> None:
    assert command_problem(line) is None, f"{where}: `{line}`: {command_problem(line)}"


def test_the_checker_refuses_a_command_that_does_not_exist() -> None:
    assert command_problem("canpei frobnicate") is not None
    assert command_problem("canpei export nobody --out x.xlsx") is not None
    assert command_problem("canpei run --colour") is not None
    assert command_problem("canpei import persons|surveys FILE [--dry-run]") is None


# ---- URLs -----------------------------------------------------------------------------------


def _urls() -> list[tuple[str, str]]:
    found = set()
    for path in DOCUMENTS:
        for code in _code(path.read_text(encoding="utf-8")):
            for url in re.findall(r"(?:^|[\s(])(/[A-Za-z0-9_{}<>.?=&#%/-]*)", code):
                if url.startswith(FILESYSTEM) or url.startswith("//") or url == "/":
                    continue
                found.add((_rel(path), url))
    return sorted(found)


URLS = _urls()


def url_problem(url: str) -> str | None:
    path = re.split(r"[?#]", url)[0]
    path = path.replace("KIND", "persons")
    for filler in ("1", str(uuid.uuid4()), "persons"):
        try:
            resolve(re.sub(r"\{[^}]*\}|<[^>]*>", filler, path))
            return None
        except Resolver404:
            continue
    return f"{url} resolves to no page or API route"


def test_the_documents_name_urls() -> None:
    assert len(URLS) > 30


@pytest.mark.parametrize(("where", "url"), URLS)
def test_each_documented_url_exists(where: str, url: str) -> None:
    assert url_problem(url) is None, f"{where}: {url_problem(url)}"


def test_the_checker_refuses_a_url_that_does_not_exist() -> None:
    assert url_problem("/healthz") is None
    assert url_problem("/api/v1/classes/{id}/transitions") is None
    assert url_problem("/nowhere/at/all") is not None


# ---- links, anchors, messages, tables --------------------------------------------------------


def _anchors(path: Path) -> set[str]:
    return set(ANCHOR.findall(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("path", HAND_WRITTEN, ids=_rel)
def test_links_between_documents_lead_somewhere(path: Path) -> None:
    broken = []
    for target in LINK.findall(path.read_text(encoding="utf-8")):
        if "://" in target:
            continue
        file, _, fragment = target.partition("#")
        linked = (path.parent / file).resolve() if file else path
        missing_anchor = bool(fragment) and linked.suffix == ".md" and linked.exists()
        if not linked.exists() or (missing_anchor and fragment not in _anchors(linked)):
            broken.append(target)
    assert broken == []


def test_the_readme_links_only_inside_the_repository() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "shared/spec" not in text
    for target in LINK.findall(text):
        assert (ROOT / target.partition("#")[0]).exists(), target


@pytest.mark.parametrize("path", HAND_WRITTEN, ids=_rel)
def test_each_quoted_message_is_one_the_code_gives(path: Path) -> None:
    """A table headed 提示 quotes messages of the code; each must still be in canpei/."""
    missing = []
    for table in re.findall(
        r"^\| 提示 \|.*?\n((?:\|.*\n)+)", path.read_text(encoding="utf-8"), re.M
    ):
        for row in table.splitlines()[1:]:
            message = row.split("|")[1].strip()
            if message not in CANPEI_SOURCE:
                missing.append(message)
    assert missing == []


def _column_cells(text: str) -> list[str]:
    """The names in the first column of each table headed 列名 (「a、b」 names two)."""
    cells = []
    for table in re.findall(r"^\| 列名 \|.*?\n((?:\|.*\n)+)", text, re.M):
        for row in table.splitlines()[1:]:
            cells += row.split("|")[1].strip().split("、")
    return cells


def _accepted_columns() -> set[str]:
    from canpei.spreadsheets.registry import export_specs, import_specs

    accepted = {str(h) for spec in import_specs() for names in spec.columns.values() for h in names}
    return accepted | {str(h) for spec in export_specs() for h in spec.headers}


def test_the_manuals_name_columns() -> None:
    assert sum(len(_column_cells(p.read_text(encoding="utf-8"))) for p in HAND_WRITTEN) > 15


@pytest.mark.parametrize("path", HAND_WRITTEN, ids=_rel)
def test_each_column_a_manual_names_is_one_an_import_accepts(path: Path) -> None:
    """A table headed 列名 names spreadsheet columns; each must be an accepted header (or a
    synonym) of an import kind of the registry, or a header of a ledger."""
    accepted = _accepted_columns()
    assert [n for n in _column_cells(path.read_text(encoding="utf-8")) if n not in accepted] == []


def test_the_checker_refuses_a_column_no_import_accepts() -> None:
    text = "| 列名 | 说明 |\n|---|---|\n| 身份证号、鞋码 | x |\n"
    assert [n for n in _column_cells(text) if n not in _accepted_columns()] == ["鞋码"]


@pytest.mark.django_db
def test_each_manual_has_a_section_for_every_page_its_role_opens() -> None:
    """The header's 帮助 link opens the role's manual at the page's section."""
    from django.urls import reverse

    from canpei.accounts.roles import Role
    from canpei.web.context import HELP_PAGES, HELP_SECTIONS, NAVIGATION, nav_allowed

    class Viewer:
        is_authenticated = True
        is_active = True

        def __init__(self, role: str) -> None:
            self.role = role

    missing = []
    for role in Role.values:
        page = DOCS / f"{HELP_PAGES[role]}.md"
        anchors = _anchors(page)
        wanted = {"home", "first-task", "account"}
        for name, _label, perm in NAVIGATION:
            if nav_allowed(Viewer(role), perm):  # type: ignore[arg-type]
                first = reverse(name).strip("/").split("/", 1)[0]
                wanted.add(HELP_SECTIONS.get(first, first))
        missing += [f"{page.name}#{a}" for a in sorted(wanted - anchors)]
    assert missing == []


def test_the_floor_plan_in_the_architecture_is_the_one_the_layer_test_checks() -> None:
    from tests.test_layers import FORBIDDEN, FOUNDATIONS

    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    documented = {}
    for module, forbidden in re.findall(r"^\| `(\w+)` \| (.*) \|$", text, re.M):
        documented[module] = set(re.findall(r"`(\w+)`", forbidden))
    for module, forbidden in documented.items():
        assert forbidden == FORBIDDEN.get(module, set()), module
    assert set(FORBIDDEN) - FOUNDATIONS <= set(documented)


@pytest.mark.django_db
def test_the_demo_accounts_in_the_documents_are_the_demo_s() -> None:
    from canpei.demo import DEMO_USERS

    text = (DOCS / "README.md").read_text(encoding="utf-8")
    table = re.search(r"^\| 用户名 \|.*?\n((?:\|.*\n)+)", text, re.M)
    assert table is not None
    names = re.findall(r"^\| `(\w+)` \|", table.group(1), re.M)
    assert names == [u[0] for u in DEMO_USERS]


@pytest.mark.django_db
def test_canpei_docs_writes_the_generated_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from canpei.cli import main

    assert main(["docs", "--out", str(tmp_path)]) == 0
    assert "已更新" in capsys.readouterr().out
    for path, text in generated(tmp_path):
        assert path.read_text(encoding="utf-8") == text
    assert main(["docs", "--out", str(tmp_path)]) == 0
    assert "已更新" not in capsys.readouterr().out  # a second run changes nothing
