"""The registry overview's summary: persons per town, gender, month of birth and status, and of
them those surveyed each year (`RegistryCell`), with each person's last summarised state
(`RegistryStanding`) so that a refresh moves the cells by exactly the difference.

The overview (canpei.reports.selectors.registry_overview) counts, per town, the persons, those on
the registry, those of working age today and of them those surveyed this year. Working age is a
range of birth dates that moves every day; the cells hold whole months of birth, so the months
wholly inside the range are summed from the cells and the two months that straddle its bounds
are counted from the persons themselves (an index on gender and birth date): about 1/400 of the
registry, whatever its size.

Kept by the same announcements as the targets' summary (hooks.outcomes_changed: a person's
fields, their surveys) and by hooks.persons_added for new persons; rebuilt by `canpei summaries
rebuild`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from canpei.accounts.roles import Perm
from canpei.bulk import among
from canpei.people.models import Person, Survey
from canpei.people.rules import Gender, PersonStatus, working_age_birth_range
from canpei.regions.scope import ScopePaths
from canpei.reports.models import RegistryCell, RegistryStanding

if TYPE_CHECKING:
    from canpei.regions.scope import Viewer

CHUNK = 2000
PERSONS = 0  # RegistryCell.year of the persons themselves

CELL_SCOPE = ScopePaths(model=RegistryCell, permission=Perm.PERSON_BROWSE, town="town")
STANDING_PERSON_SCOPE = ScopePaths(model=Person, permission=Perm.PERSON_BROWSE, town="town_id")

# town, gender, birth month (1 January of the birth year when whole_year), active, year,
# whole_year
Key = tuple[str, str, dt.date, bool, int, bool]


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _keys(town: str, gender: str, birth_month: dt.date, active: bool, years: str) -> list[Key]:
    """The cells a person counts in: by month and by year of birth, as a person and for every
    year they were surveyed."""
    counted = [PERSONS] + [int(y) for y in years.split(",") if y]
    january = birth_month.replace(month=1)
    return [key for year in counted for key in (
        (town, gender, birth_month, active, year, False),
        (town, gender, january, active, year, True))]


def _grains(town: str, gender: str, birth_month: dt.date, active: bool, year: int
            ) -> list[Key]:
    return [(town, gender, birth_month, active, year, False),
            (town, gender, birth_month.replace(month=1), active, year, True)]


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def refresh_registry_persons(person_ids: Iterable[int]) -> None:
    """Bring these persons' standings and the cells in line with the registry (the receiver of
    hooks.outcomes_changed and hooks.persons_added; runs inside the writer's transaction)."""
    ids = sorted({int(pk) for pk in person_ids})
    if not ids:
        return
    with transaction.atomic():
        for chunk in _chunks(ids):
            _refresh(chunk)


def registry_persons_added(person_ids: Iterable[int]) -> None:
    """New persons (the receiver of hooks.persons_added): no standing and no survey yet, so
    their standings are inserted from the persons in one statement a chunk, and the cells moved
    by their count."""
    ids = sorted({int(pk) for pk in person_ids})
    standing, person = RegistryStanding._meta.db_table, Person._meta.db_table
    # The cells are moved once for them all: an import's chunks share most of their cells.
    delta: Counter[Key] = Counter()
    with transaction.atomic():
        for chunk in _chunks(ids):
            # The chunk's keys as one array on PostgreSQL (bulk.among), not a parameter each.
            if (RegistryStanding.objects.filter(among(RegistryStanding, "person_id", chunk)).exists()
                    or Survey.objects.filter(among(Survey, "person_id", chunk)).exists()):
                _refresh(chunk)  # not new after all: the general way
                continue
            keys: list[Any] = [chunk] if connection.vendor == "postgresql" else list(chunk)
            chosen = ("p.id = ANY(%s::bigint[])" if connection.vendor == "postgresql"
                      else f"p.id IN ({', '.join(['%s'] * len(chunk))})")
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {standing} (person_id, town, gender, birth_month, active, "  # noqa: S608
                    f"years) SELECT p.id, p.town_id, p.gender, {_month_sql()}, p.status = %s, '' "
                    f"FROM {person} p WHERE {chosen}", [PersonStatus.ACTIVE, *keys])
            for row in (RegistryStanding.objects.filter(among(RegistryStanding, "person_id", chunk))
                        .values("town", "gender", "birth_month", "active")
                        .annotate(n=Count("pk")).order_by()):
                for key in _grains(row["town"], row["gender"], row["birth_month"],
                                   row["active"], PERSONS):
                    delta[key] += row["n"]
        add_to_cells(delta)


def _month_sql() -> str:
    return ("date_trunc('month', p.birth_date)::date" if connection.vendor == "postgresql"
            else "date(p.birth_date, 'start of month')")


def _refresh(ids: list[int]) -> None:
    persons = {row[0]: row for row in Person.objects.filter(pk__in=ids)
               .order_by("pk").values_list("pk", "town_id", "gender", "birth_date", "status")}
    years: dict[int, list[int]] = {}
    for person_id, year in (Survey.objects.filter(person_id__in=ids)
                            .order_by("person_id", "year").values_list("person_id", "year")):
        years.setdefault(person_id, []).append(year)
    old = {row.pk: row for row in RegistryStanding.objects.filter(pk__in=ids)}
    delta: Counter[Key] = Counter()
    gone: list[int] = []
    fresh: list[RegistryStanding] = []
    for person_id in ids:
        before = old.get(person_id)
        found = persons.get(person_id)
        after = None
        if found is not None:
            _pk, town, gender, birth, status = found
            after = RegistryStanding(person_id=person_id, town=town, gender=gender,
                                     birth_month=_month(birth),
                                     active=status == PersonStatus.ACTIVE,
                                     years=",".join(str(y) for y in years.get(person_id, [])))
        if _same(before, after):
            continue
        if before is not None:
            for key in _keys(before.town, before.gender, before.birth_month, before.active,
                             before.years):
                delta[key] -= 1
            gone.append(person_id)
        if after is not None:
            for key in _keys(after.town, after.gender, after.birth_month, after.active,
                             after.years):
                delta[key] += 1
            fresh.append(after)
    if gone:
        RegistryStanding.objects.filter(pk__in=gone).delete()
    if fresh:
        RegistryStanding.objects.bulk_create(fresh, batch_size=1000)
    add_to_cells(delta)


def _same(a: RegistryStanding | None, b: RegistryStanding | None) -> bool:
    if a is None or b is None:
        return a is b
    return (a.town, a.gender, a.birth_month, a.active, a.years) == (
        b.town, b.gender, b.birth_month, b.active, b.years)


def add_to_cells(delta: Counter[Key]) -> None:
    """Add `delta` to the cells, creating the missing ones (one upsert a cell, in key order, so
    two writers never wait on each other's cells in opposite orders)."""
    table = RegistryCell._meta.db_table
    sql = (f"INSERT INTO {table} (town, gender, birth_month, active, year, whole_year, n) "  # noqa: S608
           "VALUES (%s, %s, %s, %s, %s, %s, %s) "
           "ON CONFLICT (year, town, gender, birth_month, active, whole_year) "
           f"DO UPDATE SET n = {table}.n + excluded.n")
    rows = [(*key, change) for key, change in sorted(delta.items()) if change]
    if not rows:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement for them all: the columns as arrays, unnested into rows.
            columns = [list(column) for column in zip(*rows, strict=True)]
            cursor.execute(
                f"INSERT INTO {table} (town, gender, birth_month, active, year, whole_year, n) "  # noqa: S608
                "SELECT * FROM unnest(%s::varchar[], %s::varchar[], %s::date[], %s::boolean[], "
                "%s::smallint[], %s::boolean[], %s::integer[]) "
                "ON CONFLICT (year, town, gender, birth_month, active, whole_year) "
                f"DO UPDATE SET n = {table}.n + excluded.n", columns)
        else:
            cursor.executemany(sql, rows)


def rebuild_registry() -> int:
    """Recompute the standings and cells from the registry, set-based; returns the persons."""
    with transaction.atomic():
        RegistryCell.objects.all().delete()
        RegistryStanding.objects.all().delete()
        standing, person = RegistryStanding._meta.db_table, Person._meta.db_table
        survey = Survey._meta.db_table
        month = _month_sql()
        years = ("string_agg(s.year::text, ',' ORDER BY s.year)" if connection.vendor == "postgresql"
                 else "group_concat(s.year, ',')")
        with connection.cursor() as cursor:
            # SQLite's group_concat keeps the order of its input: the subquery is ordered.
            source = (f"(SELECT person_id, year FROM {survey} ORDER BY person_id, year)"
                      if connection.vendor != "postgresql" else survey)
            cursor.execute(
                f"INSERT INTO {standing} (person_id, town, gender, birth_month, active, years) "  # noqa: S608
                f"SELECT p.id, p.town_id, p.gender, {month}, p.status = %s, "
                f"COALESCE((SELECT {years} FROM {source} s WHERE s.person_id = p.id), '') "
                f"FROM {person} p", [PersonStatus.ACTIVE])
            written = cursor.rowcount
        cells: Counter[Key] = Counter()
        for row in (RegistryStanding.objects.values("town", "gender", "birth_month", "active")
                    .annotate(n=Count("pk")).order_by()):
            for key in _grains(row["town"], row["gender"], row["birth_month"], row["active"],
                               PERSONS):
                cells[key] += row["n"]
        for row in (RegistryStanding.objects.filter(person_id__in=Survey.objects.values("person_id"))
                    .values("town", "gender", "birth_month", "active", "years")
                    .annotate(n=Count("pk")).order_by()):
            for year in row["years"].split(","):
                if year:
                    for key in _grains(row["town"], row["gender"], row["birth_month"],
                                       row["active"], int(year)):
                        cells[key] += row["n"]
        RegistryCell.objects.bulk_create(
            [RegistryCell(town=k[0], gender=k[1], birth_month=k[2], active=k[3], year=k[4],
                          whole_year=k[5], n=n)
             for k, n in sorted(cells.items()) if n], batch_size=2000)
    return written


# ---- reading -------------------------------------------------------------------------------------

def town_counts(user: Viewer, today: dt.date) -> dict[str, dict[str, int]]:
    """Per town the user sees: `total`, `active`, `working_age` (active, of working age today)
    and `surveyed` (of those, surveyed in today's year), from the cells and the two straddling
    months of birth of each gender."""
    cells = CELL_SCOPE.visible_to(user)
    counts: dict[str, dict[str, int]] = {}

    def add(town: str, what: str, n: int) -> None:
        counts.setdefault(town, {"total": 0, "active": 0, "working_age": 0, "surveyed": 0})
        counts[town][what] += n

    for row in (cells.filter(year=PERSONS, whole_year=True).values("town", "active")
                .annotate(n=Sum("n"))
                .order_by()):
        add(row["town"], "total", row["n"])
        if row["active"]:
            add(row["town"], "active", row["n"])
    # Each range of births is its own branch of one UNION ALL, not a term of one OR: a branch
    # is a plain range of a covering index and reads the index alone, where an OR of ranges is
    # planned as a bitmap scan visiting a heap page for every few rows.
    inside: list[Q] = []
    straddling: list[Q] = []
    for gender in (Gender.MALE, Gender.FEMALE):
        after, until = working_age_birth_range(gender, today)
        whole_from = _next_month(after)            # the month after `after`'s own
        whole_to = _month(until) if _is_month_end(until) else _previous_month(until)
        if whole_from <= whole_to:
            inside += _whole(gender, whole_from, whole_to)
        # Plain ranges of the (gender, birth_date) index: after's month from the day after,
        # and until's month up to until when it does not end it (one range if they coincide).
        for low, high in _straddling(after, until, whole_from, whole_to):
            straddling.append(Q(gender=gender, birth_date__gt=low, birth_date__lte=high))
    wanted = [cells.filter(branch, active=True, year__in=(PERSONS, today.year))
              .values("town", "year").annotate(n=Sum("n")).order_by() for branch in inside]
    for cell in _union_all(wanted):
        add(cell["town"], "working_age" if cell["year"] == PERSONS else "surveyed", cell["n"])
    if not straddling:  # both bounds fall on month ends: the cells hold everything
        return counts
    surveyed = Survey.objects.filter(person=OuterRef("pk"), year=today.year)
    persons = [STANDING_PERSON_SCOPE.visible_to(user).filter(branch, status=PersonStatus.ACTIVE)
               .annotate(done=Exists(surveyed)).values("town_id")
               .annotate(n=Count("pk"), s=Count("pk", filter=Q(done=True))).order_by()
               for branch in straddling]
    for person in _union_all(persons):
        add(person["town_id"], "working_age", person["n"])
        add(person["town_id"], "surveyed", person["s"])
    return counts


def _whole(gender: str, first: dt.date, last: dt.date) -> list[Q]:
    """The cells of the whole months [first, last] of birth: whole years by their year cells,
    the months around them by their month cells (each a plain range, alternatives to add)."""
    first_year = first.year if first.month == 1 else first.year + 1
    last_year = last.year if last.month == 12 else last.year - 1
    if first_year > last_year:
        return [Q(gender=gender, whole_year=False, birth_month__gte=first, birth_month__lte=last)]
    ranges = [Q(gender=gender, whole_year=True, birth_month__gte=dt.date(first_year, 1, 1),
                birth_month__lte=dt.date(last_year, 1, 1))]
    if first < dt.date(first_year, 1, 1):
        ranges.append(Q(gender=gender, whole_year=False, birth_month__gte=first,
                        birth_month__lt=dt.date(first_year, 1, 1)))
    if last >= dt.date(last_year + 1, 1, 1):
        ranges.append(Q(gender=gender, whole_year=False,
                        birth_month__gte=dt.date(last_year + 1, 1, 1), birth_month__lte=last))
    return ranges


def _union_all(parts: list[QuerySet[Any]]) -> list[dict[str, Any]]:
    """The rows of every part, in one statement (the caller adds up rows of the same group)."""
    if not parts:
        return []
    return list(parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0])


def _straddling(after: dt.date, until: dt.date, whole_from: dt.date, whole_to: dt.date
                ) -> list[tuple[dt.date, dt.date]]:
    """The birth dates in (after, until] outside the whole months [whole_from, end of whole_to],
    as (exclusive low, inclusive high) ranges."""
    if whole_from > whole_to:
        return [(after, until)]
    ranges = [(after, whole_from - dt.timedelta(days=1))]
    if _month_end(whole_to) < until:
        ranges.append((_month_end(whole_to), until))
    return [(low, high) for low, high in ranges if low < high]


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _previous_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def _month_end(first: dt.date) -> dt.date:
    return _next_month(first) - dt.timedelta(days=1)


def _is_month_end(day: dt.date) -> bool:
    return (day + dt.timedelta(days=1)).day == 1


# ---- checking ------------------------------------------------------------------------------------

def registry_differences() -> list[str]:
    """Where the cells differ from a count of the registry (person ids and town codes only)."""
    expected: Counter[Key] = Counter()
    years: dict[int, list[str]] = {}
    for person_id, year in Survey.objects.order_by("person_id", "year").values_list(
            "person_id", "year"):
        years.setdefault(person_id, []).append(str(year))
    for pk, town, gender, birth, status in Person.objects.values_list(
            "pk", "town_id", "gender", "birth_date", "status").iterator(chunk_size=5000):
        for key in _keys(town, gender, _month(birth), status == PersonStatus.ACTIVE,
                         ",".join(years.get(pk, []))):
            expected[key] += 1
    kept: Counter[Key] = Counter()
    for cell in RegistryCell.objects.all():
        kept[(cell.town, cell.gender, cell.birth_month, cell.active, cell.year,
              cell.whole_year)] += cell.n
    return [f"registry cell {key}: kept {kept.get(key, 0)} live {expected.get(key, 0)}"
            for key in sorted(set(expected) | set(kept))
            if kept.get(key, 0) != expected.get(key, 0)]


__all__ = ["add_to_cells", "rebuild_registry", "refresh_registry_persons",
           "registry_differences", "town_counts"]
