"""The targets' summary: per plan, each named person's standing (`TargetStanding`) and per town
and target the population and covered (`TargetTally`), kept in step with the records by the
writers' own transactions.

How it stays true:

* Every service that writes what a target reads (a person's status, birth date, gender or town,
  a survey, an enrolment or its class, an individual application) announces the persons it
  touched with `hooks.outcomes_changed`, inside its transaction; `refresh_target_persons`
  recomputes those persons' standing in every plan with the very definitions of
  `canpei.reports.targets` (the live computation, restricted to those persons), replaces the rows
  that changed, and moves the tallies by the difference. A write that rolls back takes its
  refresh with it.
* Refreshes run one at a time: the hooks' first receiver (summaries.one_writer_at_a_time)
  takes the audit chain's head lock, which every audited write takes before it commits anyway,
  so two writers touching the same person never both subtract its old standing, and the
  summaries' locks always come after the writers' own record locks and in one order.
* A plan created or edited is rebuilt whole (`rebuild_targets(plan)`), in the plan service's
  transaction.
* `canpei summaries rebuild` rebuilds everything; `canpei summaries check` compares the summary
  with the live computation and names every difference (tests do the same after random writes).

Only the whole period of a plan is summarised: a report of one year of a plan (`year=`) is rare
and is computed live.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet

from canpei.people.models import Survey
from canpei.people.rules import PersonStatus
from canpei.regions.models import Region
from canpei.reports.models import Plan, TargetStanding, TargetTally
from canpei.reports.targets import (
    TARGETS, Period, _working_age_on, covering_persons, plan_period,
)

CHUNK = 2000
NUMBERS = tuple(t.number for t in TARGETS)


def standing_rows(period: Period, person_ids: list[int] | None = None) -> QuerySet[Any]:
    """Each person's standing in the period, from their latest survey (the live definitions):
    `survey`, `person`, `town`, `named_N`, `covered_N`; only persons named by some target.
    For a few persons the coverage is probed per person (EXISTS); for everyone, by one hashed
    pass over the completions (IN)."""
    year = period.end.year
    later = Survey.objects.filter(person=OuterRef("person"), year__gt=OuterRef("year"),
                                  year__lte=year)
    qs = (Survey.objects.filter(Q(year__lte=year, person__status=PersonStatus.ACTIVE)
                                & _working_age_on(period.end, "person__"))
          .exclude(Exists(later)))
    any_named = Q()
    for target in TARGETS:
        any_named |= target.names
    qs = qs.filter(any_named)
    if person_ids is not None:
        qs = qs.filter(person_id__in=person_ids)
    annotations: dict[str, Any] = {"s_survey": F("id"), "s_person": F("person_id"),
                                   "s_town": F("person__town_id")}
    for target in TARGETS:
        enrolled, applied = covering_persons(target, period)
        if person_ids is None:
            covered = Q(person_id__in=enrolled) | Q(person_id__in=applied)
        else:
            covered = (Q(Exists(enrolled.filter(person_id=OuterRef("person_id"))))
                       | Q(Exists(applied.filter(person_id=OuterRef("person_id")))))
        annotations[f"named_{target.number}"] = ExpressionWrapper(
            target.names, output_field=BooleanField())
        annotations[f"covered_{target.number}"] = ExpressionWrapper(
            target.names & covered, output_field=BooleanField())
    return qs.annotate(**annotations).values(*annotations).order_by()


@dataclass(frozen=True)
class Standing:
    survey: int
    town: str
    named: tuple[bool, ...]
    covered: tuple[bool, ...]

    @classmethod
    def of_row(cls, row: dict[str, Any]) -> Standing:
        return cls(survey=row["s_survey"], town=row["s_town"],
                   named=tuple(bool(row[f"named_{n}"]) for n in NUMBERS),
                   covered=tuple(bool(row[f"covered_{n}"]) for n in NUMBERS))

    @classmethod
    def of_model(cls, row: TargetStanding) -> Standing:
        return cls(survey=row.survey_id, town=row.town,
                   named=tuple(getattr(row, f"named_{n}") for n in NUMBERS),
                   covered=tuple(getattr(row, f"covered_{n}") for n in NUMBERS))

    def model(self, plan: Plan, person_id: int) -> TargetStanding:
        values = {f"named_{n}": self.named[i] for i, n in enumerate(NUMBERS)}
        values |= {f"covered_{n}": self.covered[i] for i, n in enumerate(NUMBERS)}
        return TargetStanding(plan=plan, person_id=person_id, survey_id=self.survey,
                              town=self.town, **values)

    def count_into(self, delta: Counter[tuple[str, int, str]], sign: int) -> None:
        for i, number in enumerate(NUMBERS):
            if self.named[i]:
                delta[(self.town, number, "population")] += sign
            if self.covered[i]:
                delta[(self.town, number, "covered")] += sign


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def refresh_target_persons(person_ids: Iterable[int]) -> None:
    """Bring these persons' standings, and the tallies with them, in line with the records
    (the receiver of hooks.outcomes_changed; runs inside the writer's transaction)."""
    ids = sorted({int(pk) for pk in person_ids})
    if not ids:
        return
    plans = list(Plan.objects.order_by("pk"))
    if not plans:
        return
    with transaction.atomic():
        for chunk in _chunks(ids):
            # One refresh at a time: summaries.one_writer_at_a_time, the hooks' first receiver,
            # holds the audit chain's head lock, so this reads the standings the last one wrote.
            for plan in plans:
                _refresh(plan, chunk)


def _refresh(plan: Plan, ids: list[int]) -> None:
    period = plan_period(plan)
    old_rows = {row.person_id: row for row in
                TargetStanding.objects.filter(plan=plan, person_id__in=ids)}
    new = {row["s_person"]: Standing.of_row(row) for row in standing_rows(period, ids)}
    delta: Counter[tuple[str, int, str]] = Counter()
    gone: list[int] = []
    fresh: list[TargetStanding] = []
    for person_id in sorted(set(old_rows) | set(new)):
        old_row = old_rows.get(person_id)
        before = Standing.of_model(old_row) if old_row is not None else None
        after = new.get(person_id)
        if before == after:
            continue
        if before is not None and old_row is not None:
            before.count_into(delta, -1)
            gone.append(old_row.pk)
        if after is not None:
            after.count_into(delta, +1)
            fresh.append(after.model(plan, person_id))
    if gone:
        TargetStanding.objects.filter(pk__in=gone).delete()
    if fresh:
        TargetStanding.objects.bulk_create(fresh, batch_size=1000)
    _apply(plan, delta)


def _apply(plan: Plan, delta: Counter[tuple[str, int, str]]) -> None:
    """Move the tallies by `delta`, in (town, target) order."""
    moves: dict[tuple[str, int], dict[str, int]] = {}
    for (town, number, what), change in delta.items():
        if change:
            moves.setdefault((town, number), {"population": 0, "covered": 0})[what] += change
    for (town, number), move in sorted(moves.items()):
        updated = TargetTally.objects.filter(plan=plan, town=town, target=number).update(
            population=F("population") + move["population"],
            covered=F("covered") + move["covered"])
        if not updated:
            TargetTally.objects.create(plan=plan, town=town, target=number,
                                       population=move["population"], covered=move["covered"])


# ---- rebuilding ----------------------------------------------------------------------------------

def rebuild_targets(plan: Plan | None = None) -> int:
    """Recompute the summary of `plan` (or of every plan) from the records, set-based: one
    INSERT ... SELECT of the standings, then the tallies from them. Returns the standings
    written. Runs in one transaction; the tallies are locked while it runs."""
    plans = [plan] if plan is not None else list(Plan.objects.order_by("pk"))
    written = 0
    with transaction.atomic():
        for each in plans:
            written += _rebuild(each)
    return written


def _rebuild(plan: Plan) -> int:
    TargetTally.objects.select_for_update().filter(plan=plan).exists()
    TargetStanding.objects.filter(plan=plan).delete()
    TargetTally.objects.filter(plan=plan).delete()
    rows = standing_rows(plan_period(plan))
    sql, params = rows.query.sql_with_params()
    columns = ["survey_id", "person_id", "town"] + [
        f"{kind}_{n}" for n in NUMBERS for kind in ("named", "covered")]
    selected = ["q.s_survey", "q.s_person", "q.s_town"] + [
        f"q.{kind}_{n}" for n in NUMBERS for kind in ("named", "covered")]
    table = TargetStanding._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (plan_id, {', '.join(columns)}) "  # noqa: S608 (our names)
            f"SELECT %s, {', '.join(selected)} FROM ({sql}) q", (plan.pk, *params))
        written = cursor.rowcount
    aggregates: dict[str, Any] = {}
    for n in NUMBERS:
        aggregates[f"p{n}"] = Count("pk", filter=Q(**{f"named_{n}": True}))
        aggregates[f"c{n}"] = Count("pk", filter=Q(**{f"covered_{n}": True}))
    counts: dict[str, dict[str, Any]] = {row["town"]: dict(row) for row in TargetStanding.objects.filter(plan=plan)
              .values("town").annotate(**aggregates).order_by()}
    towns = set(Region.objects.filter(level=Region.Level.TOWN).values_list("code", flat=True))
    TargetTally.objects.bulk_create([
        TargetTally(plan=plan, town=town, target=n,
                    population=counts.get(town, {}).get(f"p{n}", 0),
                    covered=counts.get(town, {}).get(f"c{n}", 0))
        for town in sorted(towns | set(counts)) for n in NUMBERS])
    return written


# ---- checking ------------------------------------------------------------------------------------

def target_differences(plan: Plan | None = None) -> list[str]:
    """Where the summary and the live computation disagree (empty when they agree): every
    standing and every tally, named (person ids and town codes only, no personal data)."""
    plans = [plan] if plan is not None else list(Plan.objects.order_by("pk"))
    problems: list[str] = []
    for each in plans:
        live = {row["s_person"]: Standing.of_row(row)
                for row in standing_rows(plan_period(each))}
        kept = {row.person_id: Standing.of_model(row)
                for row in TargetStanding.objects.filter(plan=each)}
        for person_id in sorted(set(live) | set(kept)):
            if live.get(person_id) != kept.get(person_id):
                problems.append(f"plan {each.pk} person {person_id}: kept {kept.get(person_id)}"
                                f" live {live.get(person_id)}")
        expected: Counter[tuple[str, int, str]] = Counter()
        for standing in live.values():
            standing.count_into(expected, +1)
        for tally in TargetTally.objects.filter(plan=each):
            for what in ("population", "covered"):
                want = expected.pop((tally.town, tally.target, what), 0)
                if getattr(tally, what) != want:
                    problems.append(f"plan {each.pk} town {tally.town} target {tally.target} "
                                    f"{what}: kept {getattr(tally, what)} live {want}")
        for (town, number, what), want in sorted(expected.items()):
            if want:
                problems.append(f"plan {each.pk} town {town} target {number} {what}: "
                                f"no tally, live {want}")
    return problems
