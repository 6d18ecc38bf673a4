"""Spreadsheet import and export benchmark: 100,000 persons in, a 100,000-row ledger out.

Usage:  DATABASE_URL=postgres://... python bench/import_export.py [--rows 100000] [--seed 1]
        DATABASE_URL=postgres://.../canpei_bench python bench/import_export.py --into-registry
            [--rows 100000] [--seed 2]

The script makes its own file: N valid person rows (10 columns, as a town's ledger has them:
names, ID and certificate numbers, Chinese labels for the codes, town names) generated like
canpei.demo.generate_persons and written with xlsxwriter. Then, in one run, it prints:

  import    canpei.people.imports.persons_import on that file into an empty persons table:
            full validation, all rows in one transaction, audited (the whole call, read included)
  read      python-calamine alone reading the same file into rows
  copy      PostgreSQL COPY of the same rows, as CSV, into a bare table of text columns
            (both references are measured just before and just after the import, and averaged)
  ratio     import / (read + copy); the bar of QUALITY.md is <= 10 x
  export    canpei.people.exports.persons_export of the N persons (full numbers, as city staff)
  xlsxwriter  xlsxwriter alone writing the same cells (constant memory), before and after the
            export, averaged; the bar is <= 1.5 x
  memory    peak resident memory of a fresh process that runs only the export; bar <= 300 MB
  import memory  peak resident memory of a fresh process that imports a file at the row limit
            (canpei.spreadsheets.reader.MAX_ROWS valid person rows, --memory-rows to change it)
            into an empty persons table, and of one that imports the same file with every row
            wrong (rejected); bar <= 500 MB each, the whole process (Django, the file) included

--into-registry measures an import into the registry as it stands instead (the growth run of
docs/scale.md, on a data set of bench/reports.py): N rows generated with --seed (default 2, not
the data set's 1; rows whose ID or certificate number the registry already holds are left out,
so every row registers a new person), imported in a transaction that is then rolled back, so the data set
is left as it was. It prints the persons already there, the time, rows per second and the
created/updated counts, and nothing else.

Emptying the persons table is refused unless the database name contains "bench" or ends in
"_io", or --reset is given, so a working registry cannot be wiped by accident. This is not a
timed test: it exits non-zero only when the import or the export fails, never because a bar is
missed.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "canpei.settings")

import django  # noqa: E402

django.setup()

import python_calamine  # noqa: E402
import xlsxwriter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from canpei.accounts.models import User  # noqa: E402
from canpei.accounts.roles import Role  # noqa: E402
from canpei.codes import labels_of  # noqa: E402
from canpei.demo import generate_persons  # noqa: E402
from canpei.people import rules  # noqa: E402
from canpei.people.crypto import lookup_hash  # noqa: E402
from canpei.people.exports import PERSON_HEADERS, _person_rows, persons_export  # noqa: E402
from canpei.people.imports import persons_import  # noqa: E402
from canpei.people.models import Person  # noqa: E402
from canpei.people.selectors import PersonFilters  # noqa: E402
from canpei.regions.models import Region  # noqa: E402
from canpei.reports.models import RegistryCell, RegistryStanding  # noqa: E402
from canpei.spreadsheets.reader import MAX_ROWS  # noqa: E402

IMPORT_BAR = 10.0
EXPORT_BAR = 1.5
MEMORY_BAR_MB = 300.0
IMPORT_MEMORY_BAR_MB = 500.0
BENCH_USER = "bench-io"
HEADER = [
    "姓名",
    "身份证号",
    "残疾证号",
    "残疾类别",
    "残疾等级",
    "所属镇街",
    "地址",
    "联系电话",
    "文化程度",
    "就业形式",
]


def log(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def bench_user() -> User:
    user = User.objects.filter(username=BENCH_USER).first()
    if user is None:
        user = User(username=BENCH_USER, role=Role.CITY_ADMIN, first_name="benchmark")
        user.set_unusable_password()
        user.save()
    return user


def empty_persons(reset: bool) -> None:
    have = Person.objects.count()
    if not have:
        return
    name = str(settings.DATABASES["default"]["NAME"])
    if not (reset or "bench" in name.lower() or name.lower().endswith("_io")):
        raise SystemExit(
            f"refusing to empty {name}: it holds {have:,} persons; use a database whose "
            "name contains 'bench' or ends in '_io', or pass --reset"
        )
    log(f"emptying the persons table ({have:,} persons) ...")
    # The registry overview's summaries go with the persons: they hold no foreign key that
    # TRUNCATE ... CASCADE would follow, and left behind they would count persons that are gone
    # under the keys the import hands out again (RESTART IDENTITY), so the import would take
    # their "not new after all" path.
    summaries = [RegistryStanding, RegistryCell]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(Person._meta.db_table)
            others = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in summaries)
            cursor.execute(f"TRUNCATE {table}, {others} RESTART IDENTITY CASCADE")
            cursor.execute(f"VACUUM ANALYZE {table}")
    else:
        Person.objects.all().delete()
        for model in summaries:
            model._default_manager.all().delete()


# --------------------------------------------------------------------------- the file


def ledger_rows(count: int, seed: int) -> list[list[Any]]:
    """Rows as a town clerk types them: Chinese labels, town names, numbers as text."""
    towns = dict(Region.objects.filter(level=Region.Level.TOWN).values_list("code", "name"))
    categories, grades = labels_of(rules.Category), labels_of(rules.Grade)
    education, forms = labels_of(rules.Education), labels_of(rules.EmploymentForm)
    rows = []
    for person in generate_persons(count, seed, sorted(towns), timezone.localdate()):
        number = person.id_number
        rows.append(
            [
                person.name,
                number,
                person.cert_number,
                categories[person.category],
                grades[person.grade],
                towns[person.town_id],
                person.address,
                person.phone,
                education[person.education],
                forms.get(person.employment_form, ""),
            ]
        )
    return rows


def write_ledger(rows: list[list[Any]]) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": True})
    sheet = workbook.add_worksheet("名册")
    sheet.write_string(0, 0, "晋江市残疾人实名制名册")
    for col, title in enumerate(HEADER):
        sheet.write_string(1, col, title)
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row):
            if value:
                sheet.write_string(r, c, value)
    workbook.close()
    return buffer.getvalue()


# --------------------------------------------------------------------------- the references


def calamine_read(data: bytes) -> tuple[float, int]:
    started = time.perf_counter()
    sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
    rows = list(sheet.iter_rows())
    return time.perf_counter() - started, len(rows)


def postgres_copy(rows: list[list[Any]]) -> float:
    """COPY the rows as CSV into a bare table of text columns (no index, no constraint)."""
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    payload = text.getvalue().encode()
    columns = ", ".join(f"c{i} text" for i in range(len(HEADER)))
    raw = connection.connection  # the psycopg 3 connection under Django's wrapper
    with raw.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy_persons")
        cursor.execute(f"CREATE TABLE bench_copy_persons ({columns})")
        raw.commit()
        started = time.perf_counter()
        with cursor.copy("COPY bench_copy_persons FROM STDIN (FORMAT csv)") as copy:
            copy.write(payload)
        raw.commit()
        elapsed = time.perf_counter() - started
        cursor.execute("SELECT count(*) FROM bench_copy_persons")
        copied = cursor.fetchone()[0]
        cursor.execute("DROP TABLE bench_copy_persons")
        raw.commit()
    if copied != len(rows):
        raise SystemExit(f"COPY wrote {copied} rows, expected {len(rows)}")
    return elapsed


def xlsxwriter_alone(path: str, cells: list[list[Any]]) -> float:
    """The same cells, each written with its typed writer, nothing else."""
    started = time.perf_counter()
    workbook = xlsxwriter.Workbook(
        path,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet = workbook.add_worksheet("台账")
    sheet.write_string(0, 0, "残疾人实名制台账")
    sheet.write_string(1, 0, "导出人")
    for col, title in enumerate(PERSON_HEADERS):
        sheet.write_string(3, col, title)
    for r, row in enumerate(cells, start=4):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                sheet.write_string(r, c, value)
            elif isinstance(value, dt.date):
                sheet.write_datetime(
                    r, c, dt.datetime(value.year, value.month, value.day), date_format
                )
            else:
                sheet.write_number(r, c, value)
    workbook.close()
    return time.perf_counter() - started


def export_cells(user: User) -> list[list[Any]]:
    """What the export writes, as plain cells (booleans already 是/否)."""
    return [
        [("是" if v else "否") if isinstance(v, bool) else v for v in row]
        for row in _person_rows(user, PersonFilters(), True)
    ]


def export_in_child(path: str) -> tuple[float, float, int]:
    """Run the export alone in a fresh process: (peak RSS MB, RSS MB before the export, rows)."""
    done = subprocess.run(
        [sys.executable, __file__, "--export-child", path],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"export child failed:\n{done.stderr[-3000:]}")
    peak, before, rows = done.stdout.split()
    return float(peak), float(before), int(rows)


def peak_rss_mb() -> float:
    """This process's peak resident memory.

    VmHWM, not ru_maxrss: on Linux a child started by fork and exec reports in ru_maxrss the
    parent's peak at the fork, which here is the benchmark's own 100,000 rows.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def import_in_child(path: str) -> tuple[float, float, str]:
    """Import the file alone in a fresh process: (peak RSS MB, RSS MB before the import, summary)."""
    done = subprocess.run(
        [sys.executable, __file__, "--import-child", path],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"import child failed:\n{done.stderr[-3000:]}")
    peak, before, summary = done.stdout.strip().split(" ", 2)
    return float(peak), float(before), summary


def import_child(path: str) -> int:
    user = User.objects.get(username=BENCH_USER)
    data = Path(path).read_bytes()
    before = peak_rss_mb()
    result = persons_import(actor=user, data=data, filename=Path(path).name)
    print(f"{peak_rss_mb():.1f} {before:.1f} {result.summary()}")
    return 0


def broken_ids(rows: list[list[Any]]) -> list[list[Any]]:
    """The same rows, each ID number with a wrong check digit (every row rejected)."""
    out = []
    for row in rows:
        number = row[1]
        out.append([row[0], number[:17] + ("0" if number[17] != "0" else "1")] + row[2:])
    return out


def memory_at_the_limit(count: int, seed: int) -> None:
    log(f"generating {count:,} rows for the memory runs ...")
    rows = ledger_rows(count, seed)
    with tempfile.TemporaryDirectory() as tmp:
        good, bad = os.path.join(tmp, "limit.xlsx"), os.path.join(tmp, "limit-rejected.xlsx")
        Path(good).write_bytes(write_ledger(rows))
        Path(bad).write_bytes(write_ledger(broken_ids(rows)))
        # A 44 MB CSV, the size of the (999,990 rows), over the row limit: refused while
        # its records are counted, none of them kept.
        huge = os.path.join(tmp, "over-the-row-limit.csv")
        with open(huge, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            while handle.tell() < 44_000_000:
                writer.writerows(rows[:1000])
                rows = rows[1000:] + rows[:1000]
        del rows
        for label, path in (
            ("import peak memory, row limit", good),
            ("same file, every row wrong", bad),
            ("CSV of 44 MB, over the row limit", huge),
        ):
            empty_persons(True)
            connection.close()
            peak, before, summary = import_in_child(path)
            verdict = (
                "ok" if peak <= IMPORT_MEMORY_BAR_MB else f"MISSES <= {IMPORT_MEMORY_BAR_MB:.0f} MB"
            )
            size = os.path.getsize(path) / 1e6
            print(
                f"{label:<36} {peak:7.1f} MB  ({Path(path).suffix} {size:.1f} MB, fresh process, "
                f"before the import {before:.1f} MB; {summary[:44]})  [{verdict}]",
                flush=True,
            )


def export_child(path: str) -> int:
    user = User.objects.get(username=BENCH_USER)
    before = peak_rss_mb()
    rows = persons_export(actor=user, filters=PersonFilters(), out=path)
    print(f"{peak_rss_mb():.1f} {before:.1f} {rows}")
    return 0


# --------------------------------------------------------------------------- main


class _RolledBack(Exception):
    pass


def new_persons_rows(count: int, seed: int) -> list[list[Any]]:
    """`count` ledger rows of persons the registry does not hold yet (by ID and certificate
    number): an update of a registered person is checked against the record it changes, which
    a generated row may contradict, and this measures registering newcomers."""
    chosen: list[list[Any]] = []
    seen: set[str] = set()  # the numbers chosen so far: no number twice in the file
    examined, generated = 0, count
    while len(chosen) < count:
        generated += count // 5 + 100
        # The generator is deterministic: a longer run repeats the rows already examined.
        candidates = ledger_rows(generated, seed)[examined:]
        examined = generated
        for start in range(0, len(candidates), 5000):
            batch = candidates[start : start + 5000]
            hashes = {lookup_hash(row[1]) for row in batch} | {
                lookup_hash(row[2]) for row in batch if row[2]
            }
            taken = set(
                Person.objects.filter(id_hash__in=hashes).values_list("id_hash", flat=True)
            ) | set(Person.objects.filter(cert_hash__in=hashes).values_list("cert_hash", flat=True))
            for row in batch:
                keys = {lookup_hash(row[1])} | ({lookup_hash(row[2])} if row[2] else set())
                if not keys & (taken | seen):
                    chosen.append(row)
                    seen |= keys
    return chosen[:count]


def registry_import(user: User, rows: int, seed: int) -> None:
    """Import `rows` generated persons into the registry as it stands, timed, then roll back."""
    have = Person.objects.count()
    log(f"generating {rows:,} new persons' rows (seed {seed}) ...")
    data = write_ledger(new_persons_rows(rows, seed))
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"# import into the registry: {rows:,} person rows into {have:,} persons, "
        f"{connection.vendor}; load average {load} on {os.cpu_count()} CPUs",
        flush=True,
    )
    log("importing (rolled back afterwards) ...")
    try:
        with transaction.atomic():
            started = time.perf_counter()
            result = persons_import(actor=user, data=data, filename="bench.xlsx")
            import_s = time.perf_counter() - started
            raise _RolledBack
    except _RolledBack:
        pass
    if not result.written or result.created + result.updated + result.unchanged != rows:
        for error in result.errors[:20]:
            log(str(error))
        raise SystemExit(f"import failed: {result.summary()}")
    print(
        f"{'import into the registry':<36} {import_s:7.2f} s  {rows / import_s:8,.0f} rows/s  "
        f"(created {result.created:,}, updated {result.updated:,}, "
        f"unchanged {result.unchanged:,}; rolled back)",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--seed", type=int, default=None, help="default: 1, or 2 with --into-registry"
    )
    parser.add_argument(
        "--into-registry",
        action="store_true",
        help="import into the persons already there, then roll back (nothing else is measured)",
    )
    parser.add_argument(
        "--reset",
        action="store_true",
        help="allow emptying a persons table in a database not named *bench* or *_io",
    )
    parser.add_argument(
        "--memory-rows",
        type=int,
        default=MAX_ROWS,
        help="rows of the memory runs (default: the import row limit, %(default)s)",
    )
    parser.add_argument("--export-child", metavar="PATH", help=argparse.SUPPRESS)
    parser.add_argument("--import-child", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_child:
        return export_child(args.export_child)
    if args.import_child:
        return import_child(args.import_child)

    log(f"database: {connection.vendor} {settings.DATABASES['default']['NAME']}")
    if connection.vendor != "postgresql":
        log("warning: the bars are for PostgreSQL; COPY is skipped on this database")
    call_command("migrate", verbosity=0, interactive=False)
    user = bench_user()
    if args.into_registry:
        registry_import(user, args.rows, 2 if args.seed is None else args.seed)
        return 0
    args.seed = 1 if args.seed is None else args.seed
    empty_persons(args.reset)

    log(f"generating {args.rows:,} rows ...")
    rows = ledger_rows(args.rows, args.seed)
    data = write_ledger(rows)
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"# import/export benchmark: {args.rows:,} person rows x {len(HEADER)} columns, "
        f".xlsx {len(data) / 1e6:.1f} MB, {connection.vendor}; load average {load} on {os.cpu_count()} CPUs",
        flush=True,
    )

    # The references are taken just before and just after the import and averaged: on a
    # shared machine the load drifts, and a ratio should compare like with like.
    read_before, read_rows = calamine_read(data)
    copy_before = postgres_copy(rows) if connection.vendor == "postgresql" else 0.0
    log("importing ...")
    started = time.perf_counter()
    result = persons_import(actor=user, data=data, filename="bench.xlsx")
    import_s = time.perf_counter() - started
    if not result.written or result.created != args.rows:
        for error in result.errors[:20]:
            log(str(error))
        raise SystemExit(f"import failed: {result.summary()}")
    read_s = (read_before + calamine_read(data)[0]) / 2
    copy_s = (copy_before + postgres_copy(rows)) / 2 if connection.vendor == "postgresql" else 0.0
    ratio = import_s / (read_s + copy_s)
    verdict = "ok" if ratio <= IMPORT_BAR else f"MISSES <= {IMPORT_BAR:.0f} x"
    print(
        f"{'import (validated, all-or-nothing)':<36} {import_s:7.2f} s  {args.rows / import_s:8,.0f} rows/s",
        flush=True,
    )
    print(f"{'python-calamine read alone':<36} {read_s:7.2f} s  ({read_rows:,} rows)", flush=True)
    print(f"{'PostgreSQL COPY, bare table':<36} {copy_s:7.2f} s", flush=True)
    print(f"{'import / (read + COPY)':<36} {ratio:7.1f} x  [{verdict}]", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        cells = export_cells(user)
        alone_before = xlsxwriter_alone(os.path.join(tmp, "alone.xlsx"), cells)
        log("exporting ...")
        started = time.perf_counter()
        exported = persons_export(
            actor=user, filters=PersonFilters(), out=os.path.join(tmp, "export.xlsx")
        )
        export_s = time.perf_counter() - started
        if exported != args.rows:
            raise SystemExit(f"export wrote {exported} rows, expected {args.rows}")
        alone_s = (alone_before + xlsxwriter_alone(os.path.join(tmp, "alone.xlsx"), cells)) / 2
        del cells
        ratio = export_s / alone_s
        verdict = "ok" if ratio <= EXPORT_BAR else f"MISSES <= {EXPORT_BAR} x"
        print(
            f"{'export persons_export':<36} {export_s:7.2f} s  {exported / export_s:8,.0f} rows/s",
            flush=True,
        )
        print(f"{'xlsxwriter alone, same cells':<36} {alone_s:7.2f} s", flush=True)
        print(f"{'export / xlsxwriter':<36} {ratio:7.2f} x  [{verdict}]", flush=True)
        connection.close()
        peak, before, child_rows = export_in_child(os.path.join(tmp, "child.xlsx"))
        verdict = "ok" if peak <= MEMORY_BAR_MB else f"MISSES <= {MEMORY_BAR_MB:.0f} MB"
        print(
            f"{'export peak memory (fresh process)':<36} {peak:7.1f} MB  (before the export {before:.1f} MB, "
            f"{child_rows:,} rows)  [{verdict}]",
            flush=True,
        )
    if args.memory_rows:
        memory_at_the_limit(args.memory_rows, args.seed + 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
