"""Who may import whom: the floor plan of canpei/, checked on every import statement (ast), at
module level or inside a function, migrations included.

Floors, lowest first (a floor may import the ones below it, never one above):

    web, api                 pages and the REST API; only canpei/urls.py imports them
    reports                  dashboards, plans, targets and indicators read across the apps
    employment               follow-ups of completers and employment services
    training                 classes, rosters, applications (reacts to people through hooks)
    people, institutions     the registry and surveys; training institutions
    spreadsheets             reading and writing .xlsx/.csv, the export/import registry
    workflows                the one transition engine (tables live in the apps)
    regions, accounts, audit region tree and scope, users and roles, the audit log
    errors, codes, masking, hooks, forms, bulk, validation, selectors
                             shared foundations that import no app
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CANPEI = Path(__file__).resolve().parent.parent / "canpei"

APPS = {
    "regions",
    "accounts",
    "audit",
    "spreadsheets",
    "people",
    "institutions",
    "training",
    "employment",
    "funds",
    "competitions",
    "reports",
    "supervision",
    "workflows",
    "api",
    "web",
}
FOUNDATIONS = {"errors", "codes", "masking", "hooks", "forms", "bulk", "validation", "selectors"}

# module -> the canpei modules it must not import. The README's diagram quotes this table.
FORBIDDEN: dict[str, set[str]] = {
    "regions": {
        "people",
        "institutions",
        "training",
        "employment",
        "funds",
        "competitions",
        "spreadsheets",
        "workflows",
        "reports",
        "supervision",
    },
    "accounts": {
        "people",
        "training",
        "employment",
        "funds",
        "competitions",
        "spreadsheets",
        "workflows",
        "reports",
        "supervision",
    },
    "audit": {
        "people",
        "institutions",
        "training",
        "employment",
        "funds",
        "competitions",
        "spreadsheets",
        "workflows",
        "reports",
        "supervision",
    },
    "workflows": {
        "people",
        "institutions",
        "training",
        "employment",
        "funds",
        "competitions",
        "spreadsheets",
        "reports",
        "supervision",
    },
    "spreadsheets": {
        "people",
        "institutions",
        "training",
        "employment",
        "funds",
        "competitions",
        "reports",
        "supervision",
    },
    "institutions": {
        "people",
        "training",
        "employment",
        "funds",
        "competitions",
        "reports",
        "supervision",
    },
    "people": {
        "institutions",
        "training",
        "employment",
        "funds",
        "competitions",
        "reports",
        "supervision",
    },
    "competitions": {"institutions", "training", "employment", "funds", "reports", "supervision"},
    "training": {"employment", "funds", "reports", "supervision"},
    "employment": {"funds", "reports", "supervision"},
    "funds": {"employment", "reports", "supervision"},
    "supervision": {"reports"},
    **{name: APPS for name in FOUNDATIONS},
}
# Only the URL configuration wires the pages and the API in; neither imports the other.
ENTRY_POINTS = {"api", "web"}
MAY_IMPORT_ENTRY_POINTS = {"urls"}


def imports_of(path: Path) -> set[str]:
    """The top-level canpei modules (canpei.<name>) imported anywhere in a file."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module]
            if node.module == "canpei":  # from canpei import hooks
                modules = [f"canpei.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {name.split(".")[1] for name in modules if name.startswith("canpei.")}
    return found


def _module_of(path: Path) -> str:
    first = path.relative_to(CANPEI).parts[0]
    return first.removesuffix(".py")


def _graph() -> dict[str, dict[str, set[str]]]:
    """module -> imported module -> the files importing it."""
    graph: dict[str, dict[str, set[str]]] = {}
    for path in sorted(CANPEI.rglob("*.py")):
        module = _module_of(path)
        for imported in imports_of(path) - {module}:
            graph.setdefault(module, {}).setdefault(imported, set()).add(
                str(path.relative_to(CANPEI.parent))
            )
    return graph


GRAPH = _graph()


@pytest.mark.parametrize("module", sorted(FORBIDDEN))
def test_a_lower_floor_does_not_import_a_higher_one(module: str) -> None:
    wrong = {
        imported: sorted(files)
        for imported, files in GRAPH.get(module, {}).items()
        if imported in FORBIDDEN[module]
    }
    assert wrong == {}


def test_only_the_url_configuration_imports_the_pages_and_the_api() -> None:
    wrong = {
        module: sorted(ENTRY_POINTS & set(imported))
        for module, imported in GRAPH.items()
        if module not in MAY_IMPORT_ENTRY_POINTS and ENTRY_POINTS & set(imported)
    }
    assert wrong == {}


def test_the_people_migrations_do_not_import_live_code_of_another_app() -> None:
    migrations = CANPEI / "people" / "migrations"
    assert {
        path.name: imports_of(path) for path in migrations.glob("*.py") if imports_of(path)
    } == {}


def test_the_checker_sees_imports_inside_functions(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from canpei import hooks\n\n\ndef f():\n    from canpei.training.models import"
        " Enrollment\n    import canpei.web.urls\n",
        encoding="utf-8",
    )
    assert imports_of(sample) == {"hooks", "training", "web"}
