"""The matching summary: the demand side of 供需匹配 (canpei.reports.matching), kept in the
writer's transaction so that the matching page of a town reads a few hundred cells instead of
its fifty thousand persons and their surveys (issue 12, Speed).

Two layers, in canpei.reports.models:

- the needs (MatchNeed): per active person, one row per wanted skill of each survey that says
  they need training, with the span of years `year` for which that survey is their latest up to
  `year` (from its own year to the year before their next survey; MATCH_OPEN_YEAR for the last).
  They are a person's "old" state for a refresh.
- the cells (MatchDemandCell): the needs counted per town, skill, wanted types, mode and span.
  The report of a year sums the cells whose span holds it.

The needs come from one SQL statement (`_needs_sql`), used alike by the refresh (a few persons),
the rebuild (INSERT ... SELECT for everyone) and the check, so the three cannot drift apart; the
live computation (`matching_report(..., live=True)`) stays the definition, and tests compare the
two after random writes.

Refreshing persons (the receiver of hooks.outcomes_changed, which every writer of a survey, of a
person's status or town announces in its transaction) recomputes their needs, and for the
persons whose needs changed replaces the rows and moves the cells by the difference. Refreshes
run one at a time: the hooks' first receiver (summaries.one_writer_at_a_time) holds the audit
chain's head lock. No MatchSummaryBuilt row means the summary was never built (a fresh database,
most tests): refreshes do nothing and the page is computed live until `rebuild_matching()`.

Only demand is summarised: the supply (the classes still to run of the wanted skills, and their
rosters) is a few dozen classes read through their skill index, and changes with every roster
write, so it is read live.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from canpei.people.models import Person, Survey
from canpei.people.rules import PersonStatus
from canpei.reports.models import MATCH_OPEN_YEAR, MatchDemandCell, MatchNeed, MatchSummaryBuilt

CHUNK = 2000  # persons in one IN (...) list

# (town, skill id, types, mode, from_year, to_year): a cell's key, a need's content.
Key = tuple[str, int, str, str, int, int]
NEED_COLUMNS = ("person_id", "survey_id", "skill_id", "town", "types", "mode", "from_year",
                "to_year")


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _needs_sql(person_ids: list[int] | None) -> tuple[str, list[Any]]:
    """The needs, computed from the records, in NEED_COLUMNS order: of these persons, or of all."""
    survey, person = Survey._meta.db_table, Person._meta.db_table
    through = Survey.wanted_skills.through._meta.db_table
    # The JSON list as text, alike for the refresh and the rebuild on each database.
    types = "s.wanted_types::text" if connection.vendor == "postgresql" else "s.wanted_types"
    only, params = "", []
    if person_ids is not None:
        only = f"WHERE person_id IN ({', '.join(['%s'] * len(person_ids))})"
        params = list(person_ids)
    sql = (
        f"SELECT s.person_id, s.id, w.skill_id, p.town_id, {types}, s.preferred_mode, s.year, "
        f"COALESCE(s.next_year - 1, %s) "
        f"FROM (SELECT id, person_id, year, training_need, wanted_types, preferred_mode, "
        f"LEAD(year) OVER (PARTITION BY person_id ORDER BY year) AS next_year "
        f"FROM {_q(survey)} {only}) s "
        f"JOIN {_q(person)} p ON p.id = s.person_id "
        f"JOIN {_q(through)} w ON w.survey_id = s.id "
        f"WHERE s.training_need = %s AND p.status = %s AND p.town_id IS NOT NULL")
    return sql, [MATCH_OPEN_YEAR, *params, True, PersonStatus.ACTIVE.value]  # in text order


def _computed(person_ids: list[int] | None) -> list[tuple[Any, ...]]:
    sql, params = _needs_sql(person_ids)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [tuple(row) for row in cursor.fetchall()]


def is_built() -> bool:
    return MatchSummaryBuilt.objects.exists()


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def refresh_matching_persons(person_ids: Iterable[int]) -> None:
    """Bring these persons' needs, and the cells with them, in line with the records (the
    receiver of hooks.outcomes_changed; runs inside the writer's transaction)."""
    ids = sorted({int(pk) for pk in person_ids})
    if not ids or not is_built():
        return
    with transaction.atomic():
        for chunk in _chunks(ids):
            _refresh(chunk)


def _refresh(ids: list[int]) -> None:
    old: dict[int, list[tuple[Any, ...]]] = {}
    for row in MatchNeed.objects.filter(person_id__in=ids).values_list(*NEED_COLUMNS):
        old.setdefault(row[0], []).append(tuple(row))
    new: dict[int, list[tuple[Any, ...]]] = {}
    for row in _computed(ids):
        new.setdefault(row[0], []).append(row)
    delta: Counter[Key] = Counter()
    changed: list[int] = []
    fresh: list[MatchNeed] = []
    for person_id in sorted(set(old) | set(new)):
        before, after = sorted(old.get(person_id, [])), sorted(new.get(person_id, []))
        if before == after:
            continue
        changed.append(person_id)
        for row in before:
            delta[_key(row)] -= 1
        for row in after:
            delta[_key(row)] += 1
            fresh.append(MatchNeed(**dict(zip(NEED_COLUMNS, row, strict=True))))
    if not changed:
        return
    MatchNeed.objects.filter(person_id__in=changed).delete()
    MatchNeed.objects.bulk_create(fresh, batch_size=1000)
    _move_cells({key: change for key, change in delta.items() if change})


CELL_KEY = ("town", "skill_id", "types", "mode", "from_year", "to_year")


def _move_cells(delta: dict[Key, int]) -> None:
    """Move the cells by `delta`: their counts read (the refreshes run one at a time, so none
    moves meanwhile), then written back in one upsert, whatever the number of cells."""
    if not delta:
        return
    have = {tuple(row[:-1]): row[-1] for row in MatchDemandCell.objects.filter(
        town__in={key[0] for key in delta}, skill_id__in={key[1] for key in delta},
    ).values_list(*CELL_KEY, "n")}
    MatchDemandCell.objects.bulk_create(
        [MatchDemandCell(**dict(zip(CELL_KEY, key, strict=True)), n=have.get(key, 0) + change)
         for key, change in sorted(delta.items())],
        update_conflicts=True, update_fields=["n"],
        unique_fields=["town", "from_year", "to_year", "skill", "types", "mode"], batch_size=1000)


def _key(row: tuple[Any, ...]) -> Key:
    """A need row (NEED_COLUMNS) to its cell's key."""
    _person, _survey, skill, town, types, mode, from_year, to_year = row
    return (town, skill, types, mode, from_year, to_year)


def rebuild_matching() -> int:
    """Recompute every need and cell from the records, set-based (INSERT ... SELECT). For a
    fresh deploy, after a bulk load, or to repair. Returns the needs written."""
    needs, cells = _q(MatchNeed._meta.db_table), _q(MatchDemandCell._meta.db_table)
    group = "town, skill_id, types, mode, from_year, to_year"
    with transaction.atomic():
        from canpei.reports.summaries import one_writer_at_a_time

        one_writer_at_a_time([])
        sql, params = _needs_sql(None)
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {cells}")
            cursor.execute(f"DELETE FROM {needs}")
            cursor.execute(f"INSERT INTO {needs} ({', '.join(NEED_COLUMNS)}) {sql}", params)
            written = cursor.rowcount
            cursor.execute(f"INSERT INTO {cells} ({group}, n) "  # noqa: S608 (our names)
                           f"SELECT {group}, COUNT(*) FROM {needs} GROUP BY {group}")
            if connection.vendor == "postgresql":
                cursor.execute(f"ANALYZE {needs}")
                cursor.execute(f"ANALYZE {cells}")
        MatchSummaryBuilt.objects.all().delete()
        MatchSummaryBuilt.objects.create(built_at=timezone.now())
    return written


def demand_groups(towns: list[str], year: int) -> list[tuple[str, int, list[str], str, int]] | None:
    """The demand of `year` in these towns from the cells: (town, skill id, wanted types, mode,
    persons) per group, as matching_report counts it live; None when the summary is not built."""
    cells = list(MatchDemandCell.objects
                 .filter(town__in=towns, from_year__lte=year, to_year__gte=year, n__gt=0)
                 .values_list("town", "skill_id", "types", "mode").annotate(total=Sum("n"))
                 .order_by())
    # Cells are written only once the summary is built: asked only when there are none.
    if not cells and not is_built():
        return None
    return [(town, skill, json.loads(types), mode, int(total))
            for town, skill, types, mode, total in cells]


def matching_differences() -> list[str]:
    """Where the needs and cells differ from the records (empty when they agree, or when the
    summary is not built); person ids and town codes only."""
    if not is_built():
        return []
    problems: list[str] = []
    live: dict[int, list[tuple[Any, ...]]] = {}
    for row in _computed(None):
        live.setdefault(row[0], []).append(row)
    kept: dict[int, list[tuple[Any, ...]]] = {}
    for row in MatchNeed.objects.values_list(*NEED_COLUMNS):
        kept.setdefault(row[0], []).append(tuple(row))
    for person_id in sorted(set(live) | set(kept)):
        if sorted(live.get(person_id, [])) != sorted(kept.get(person_id, [])):
            problems.append(f"person {person_id}: needs differ from the records")
    expected = Counter(_key(row) for rows in live.values() for row in rows)
    for cell in MatchDemandCell.objects.all():
        key = (cell.town, cell.skill_id, cell.types, cell.mode, cell.from_year, cell.to_year)
        want = expected.pop(key, 0)
        if cell.n != want:
            problems.append(f"town {cell.town} skill {cell.skill_id} {cell.from_year}-"
                            f"{cell.to_year}: kept {cell.n}, counted {want}")
    for (town, skill, _types, _mode, from_year, to_year), want in sorted(expected.items()):
        problems.append(f"town {town} skill {skill} {from_year}-{to_year}: no cell, counted {want}")
    return problems
