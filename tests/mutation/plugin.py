"""A pytest plugin for `make mutate` only (loaded with `-p tests.mutation.plugin`): each mutant's
pytest run starts from a copy of a migrated SQLite test database instead of migrating a new one.

mutmut runs every mutant in a forked process that starts a pytest session of its own, and on
this project the session's database setup (the migrations) is most of the time a mutant takes.
The driver (tests/mutation/run.py) migrates one template file per run; in a mutant's process
this plugin copies it to a file of that process and lets pytest-django keep it (`--reuse-db`),
so the migrations are checked, not run. The stats, clean and forced-fail runs in mutmut's main
process are left as they are (in-memory database). With PostgreSQL (DATABASE_URL) it does
nothing.

It also makes each test, in every phase, compile the fund ledger's statement anew
(pytest_runtest_setup below).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
# mutmut copies tests/ into mutants/: the template lives beside the real project's var/.
if ROOT.name == "mutants":
    ROOT = ROOT.parent
TEMPLATE = ROOT / "var" / "mutate" / "db" / "template.sqlite3"
# MUTANT_UNDER_TEST in mutmut's own phases; any other value names the mutant being tested.
PHASES = {"", "stats", "fail", "list_all_tests", "mutant_generation"}


def pytest_configure(config: Any) -> None:
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    if mutant in PHASES or not TEMPLATE.exists():
        return
    from django.conf import settings
    from django.db import connections

    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3":
        return
    own = TEMPLATE.with_name(f"mutant-{os.getpid()}.sqlite3")
    shutil.copyfile(TEMPLATE, own)
    for settings_dict in (database, connections["default"].settings_dict):
        settings_dict.setdefault("TEST", {})["NAME"] = str(own)
    config.option.reuse_db = True
    config.option.create_db = False


def pytest_runtest_setup(item: Any) -> None:
    """Each test compiles the ledger's statement itself (canpei.funds.selectors keeps it per
    process, by database, year and time zone). Without this, the statement compiled by an
    earlier test, or by mutmut's main process before it forks a mutant's, is reused: the
    mutated query functions behind it never run, and the stats run ties them to the first test
    of each year only. In every phase, so that the stats see each test that reads the ledger."""
    selectors = sys.modules.get("canpei.funds.selectors")
    if selectors is not None:
        selectors._ledger_statement.cache_clear()


def build_template() -> None:
    """Migrate the template database (run by the driver, from the project root)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "canpei.settings")
    import django
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        return
    TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
    for stale in TEMPLATE.parent.glob("*.sqlite3*"):
        stale.unlink()
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = str(TEMPLATE)
    django.setup()
    from django.db import connection

    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False, serialize=False)
    connection.close()  # the last connection folds the WAL into the file


def remove_copies() -> None:
    for copy in TEMPLATE.parent.glob("mutant-*.sqlite3*"):
        copy.unlink(missing_ok=True)


if __name__ == "__main__" and sys.argv[1:] == ["--build"]:
    build_template()
