"""`make mutate`: mutation testing of the rule modules (issue 18), one mutmut run per module.

    python -m tests.mutation.run                  # every mutant of every module
    MUTATE_SAMPLE=100 python -m tests.mutation.run   # a seeded random sample of 100 per module
    MUTATE_MODULE=canpei/workflows.py,...          # these modules only, in this order
    MUTATE_SEED=18, MUTATE_CHILDREN=2              # the sample's seed, mutmut's parallel children
    python -m tests.mutation.run --table           # the last run's table again (reports kept)

The modules and the tests of each one's area are `[tool.canpei-mutate.modules]` in
pyproject.toml. Each module gets a fresh `mutants/` and its own mutmut process (Django and the
mutated module are imported once per process, so two modules cannot share one), runs only the
tests of its area, and mutmut narrows each mutant further to the tests that call the mutated
function (`-x`, no browser tests). The table counts, per module: mutants, killed, survived,
timed out (counted as detected), no tests (no test of the area calls the function), the
survivors listed in tests/mutation/equivalent.py (equivalent, or out of mutmut's reach), and the
kill rate raw and with those set aside. Each survivor's diff is written to var/mutate/<module>.json.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
OUT = ROOT / "var" / "mutate"

KILLED = {"killed", "caught by type check"}
TIMEOUT = {"timeout"}
NO_TESTS = {"no tests"}


def modules() -> dict[str, list[str]]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    table: dict[str, list[str]] = data["tool"]["canpei-mutate"]["modules"]
    return table


def slug(module: str) -> str:
    return module.removesuffix(".py").replace("/", ".")


def sample_names(names: list[str], module: str, size: int, seed: str) -> list[str]:
    """A seeded random sample of `size` names, the same for the same module, seed and names."""
    if size <= 0 or size >= len(names):
        return sorted(names)
    return sorted(random.Random(f"{seed}:{module}").sample(sorted(names), size))


def child(module: str, tests: list[str]) -> None:
    """Runs in its own process with the project root as working directory: one module."""
    from mutmut import __main__ as mm
    from mutmut.configuration import config
    from mutmut.mutation.data import SourceFileMutationData

    cfg = config()
    cfg.only_mutate = [module]
    cfg.pytest_add_cli_args_test_selection = list(tests)
    children = int(os.environ.get("MUTATE_CHILDREN", "2"))
    size = int(os.environ.get("MUTATE_SAMPLE", "0") or 0)
    seed = os.environ.get("MUTATE_SEED", "18")

    # Generate the mutants first, to know their names and draw the sample.
    mm.copy_src_dir()
    mm.copy_also_copy_files()
    mm.setup_source_paths()
    mm.create_mutants(children)
    data = SourceFileMutationData(path=Path(module))
    data.load()
    everyone = list(data.exit_code_by_key)
    chosen = sample_names(everyone, module, size, seed)
    started = time.monotonic()
    try:
        mm._run(chosen if size else [], children)
    except SystemExit as stop:  # mutmut exits when the clean run or the stats fail
        if stop.code:
            raise
    data.load()
    from mutmut.stats import status_by_exit_code

    results: dict[str, dict[str, str]] = {}
    for name in chosen:
        status = status_by_exit_code[data.exit_code_by_key.get(name)]
        entry = {"status": status}
        if status not in KILLED | TIMEOUT:
            try:
                entry["diff"] = mm.get_diff_for_mutant(name, path=Path(module))
            except Exception as error:  # the diff is a convenience; the status is what counts
                entry["diff"] = f"(no diff: {error})"
        results[name] = entry
    OUT.mkdir(parents=True, exist_ok=True)
    report = {
        "module": module,
        "total_mutants": len(everyone),
        "sample": size,
        "seed": seed,
        "seconds": round(time.monotonic() - started),
        "results": results,
    }
    (OUT / f"{slug(module)}.json").write_text(json.dumps(report, ensure_ascii=False, indent=1))


def row(report: dict[str, Any], equivalent: dict[str, str]) -> dict[str, Any]:
    statuses = [entry["status"] for entry in report["results"].values()]
    killed = sum(status in KILLED for status in statuses)
    timeout = sum(status in TIMEOUT for status in statuses)
    no_tests = sum(status in NO_TESTS for status in statuses)
    survived = len(statuses) - killed - timeout - no_tests
    equiv = sum(
        1
        for name, entry in report["results"].items()
        if entry["status"] not in KILLED | TIMEOUT and name in equivalent
    )
    total = len(statuses)
    detected = killed + timeout
    return {
        "module": report["module"],
        "mutants": total,
        "of": report["total_mutants"],
        "killed": killed,
        "survived": survived,
        "timeout": timeout,
        "no_tests": no_tests,
        "equivalent": equiv,
        "raw": detected / total if total else 1.0,
        "rate": detected / (total - equiv) if total - equiv else 1.0,
        "seconds": report["seconds"],
    }


def print_table(rows: list[dict[str, Any]], missing: list[str], wall: float) -> None:
    header = (
        f"{'module':32} {'mutants':>9} {'killed':>6} {'survived':>8} {'timeout':>7} "
        f"{'no tests':>8} {'equiv.':>6} {'raw':>6} {'rate':>6} {'time':>6}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        mutants = f"{r['mutants']}/{r['of']}"
        print(
            f"{r['module']:32} {mutants:>9} {r['killed']:>6} {r['survived']:>8} "
            f"{r['timeout']:>7} {r['no_tests']:>8} {r['equivalent']:>6} {r['raw']:>6.1%} "
            f"{r['rate']:>6.1%} {r['seconds']:>5}s"
        )
    for module in missing:
        print(f"{module:32} (not written yet)")
    total = sum(r["mutants"] for r in rows)
    detected = sum(r["killed"] + r["timeout"] for r in rows)
    equiv = sum(r["equivalent"] for r in rows)
    print("-" * len(header))
    if total:
        print(
            f"overall: {detected}/{total} detected, {detected / total:.1%} raw, "
            f"{detected / max(total - equiv, 1):.1%} without the {equiv} equivalent mutants; "
            f"wall time {wall / 60:.1f} min"
        )


def main() -> int:
    from tests.mutation.equivalent import EQUIVALENT, OUT_OF_REACH
    from tests.mutation.plugin import remove_copies

    table = modules()
    only = os.environ.get("MUTATE_MODULE", "").replace(",", " ").split()
    if only:
        table = {module: table[module] for module in only}
    started = time.monotonic()
    rows, missing, failed = [], [], []
    # One migrated SQLite database that each mutant's pytest run copies (tests/mutation/plugin.py).
    subprocess.run([sys.executable, "-m", "tests.mutation.plugin", "--build"], cwd=ROOT, check=True)
    for module, tests in table.items():
        if not (ROOT / module).exists():
            missing.append(module)
            continue
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)
        (OUT / f"{slug(module)}.json").unlink(missing_ok=True)
        print(f"== {module}", flush=True)
        done = subprocess.run(
            [sys.executable, "-m", "tests.mutation.run", "--child", module, *tests], cwd=ROOT
        )
        remove_copies()
        report_path = OUT / f"{slug(module)}.json"
        if done.returncode or not report_path.exists():
            failed.append(module)
            continue
        rows.append(row(json.loads(report_path.read_text()), {**EQUIVALENT, **OUT_OF_REACH}))
    shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    print()
    print_table(rows, missing, time.monotonic() - started)
    stale = (set(EQUIVALENT) | set(OUT_OF_REACH)) - {
        name
        for module in table
        if (OUT / f"{slug(module)}.json").exists()
        for name in json.loads((OUT / f"{slug(module)}.json").read_text())["results"]
    }
    if not os.environ.get("MUTATE_SAMPLE") and not only and stale:
        print(f"equivalent.py names mutants that no longer exist: {sorted(stale)}")
    for module in failed:
        print(f"{module}: the mutmut run failed (see its output above)")
    return 1 if failed else 0


def table_only() -> None:
    """`--table`: the table of the last run's reports, with equivalent.py as it is now."""
    from tests.mutation.equivalent import EQUIVALENT, OUT_OF_REACH

    rows, missing, seconds = [], [], 0
    for module in modules():
        path = OUT / f"{slug(module)}.json"
        if not (ROOT / module).exists():
            missing.append(module)
        elif path.exists():
            report = json.loads(path.read_text())
            seconds += report["seconds"]
            rows.append(row(report, {**EQUIVALENT, **OUT_OF_REACH}))
    print_table(rows, missing, seconds)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        os.chdir(ROOT)
        child(sys.argv[2], sys.argv[3:])
    elif sys.argv[1:2] == ["--table"]:
        table_only()
    else:
        sys.exit(main())
