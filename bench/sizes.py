"""Storage per 1,000,000 persons: what each table and its indexes take, measured on a data set.

Usage:  DATABASE_URL=postgres://.../canpei_bench python bench/sizes.py

Run it on a data set built by bench/reports.py (persons, surveys, classes, enrolments,
applications, follow-ups and the summaries). For every table of Canpei's apps it prints its
rows, its heap (with TOAST) and its indexes, as measured and scaled linearly to 1,000,000
persons (rows per person are the data set's: change the mix, change the figures). It runs
VACUUM ANALYZE first so that the sizes are those of a settled table. docs/scale.md takes its
storage figures from this script. PostgreSQL only; it changes nothing but the statistics.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "canpei.settings")

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.db import connection  # noqa: E402

from canpei.people.models import Person  # noqa: E402

MB = 1024 * 1024


def main() -> int:
    if connection.vendor != "postgresql":
        raise SystemExit("bench/sizes.py measures PostgreSQL tables (DATABASE_URL)")
    persons = Person.objects.count()
    if not persons:
        raise SystemExit("no persons: build a data set first (bench/reports.py)")
    scale = 1_000_000 / persons
    tables = sorted(
        {
            model._meta.db_table
            for model in apps.get_models(include_auto_created=True)
            if model.__module__.startswith("canpei.")
            or model._meta.app_label in {"django_tasks_database", "sessions"}
        }
    )
    rows = []
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(table)}")
        for table in tables:
            cursor.execute(
                "SELECT c.reltuples::bigint, pg_table_size(c.oid), pg_indexes_size(c.oid) "
                "FROM pg_class c WHERE c.oid = to_regclass(%s)",
                [connection.ops.quote_name(table)],
            )
            found = cursor.fetchone()
            if found is None:
                continue
            count, heap, indexes = found
            rows.append((table, max(count, 0), heap, indexes))
    rows.sort(key=lambda r: -(r[2] + r[3]))
    print(f"# storage: {persons:,} persons measured, scaled x{scale:.1f} to 1,000,000 persons")
    print(f"{'table':<44}{'rows':>12}{'rows/1M':>12}{'heap MB/1M':>12}{'index MB/1M':>13}")
    total_heap = total_index = 0.0
    for table, count, heap, indexes in rows:
        if count == 0 and heap + indexes < MB:
            continue
        total_heap += heap * scale
        total_index += indexes * scale
        print(
            f"{table:<44}{count:>12,}{count * scale:>12,.0f}"
            f"{heap * scale / MB:>12,.0f}{indexes * scale / MB:>13,.0f}"
        )
    print(
        f"{'total':<44}{'':>12}{'':>12}{total_heap / MB:>12,.0f}{total_index / MB:>13,.0f}"
        f"   = {(total_heap + total_index) / MB / 1024:.1f} GB per 1,000,000 persons"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
