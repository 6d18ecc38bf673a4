"""The open follow-ups' summary (OpenFollowUpCell): per town and month of the due date, the
follow-ups not recorded yet. The home pages' "overdue" count is a province's worth of them (about
300,000 at 1,000,000 persons, 70-100 ms to count from the index alone); from the cells it is the
sum of a few hundred rows plus the current month's follow-ups.

Kept by hooks.outcomes_changed, which every writer of a follow-up calls in its transaction (the
scheduling of new ones, a record, a follow-up sheet, a person's move and the town it carries):
the months the persons' follow-ups fall due in are counted again, for every town. A month is a
small part of the table (its follow-ups only, through the partial index of the open ones), so a
write costs a few milliseconds; an import touching every month, a second. Rebuilt from the
records by `canpei summaries rebuild` (after a bulk load), checked by `canpei summaries check`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, Sum

from canpei.employment.models import FollowUp, OpenFollowUpCell

CHUNK = 2000  # ids in one IN (...) list


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(month: dt.date) -> dt.date:
    return (month + dt.timedelta(days=32)).replace(day=1)


def _counted(months: Iterable[dt.date] | None) -> dict[tuple[dt.date, str], int]:
    """The open follow-ups per (month, town), counted from the records: of these months (their
    first days), or of every month."""
    open_ones = FollowUp.objects.filter(date__isnull=True).order_by()
    counts: dict[tuple[dt.date, str], int] = {}
    if months is None:
        for due_on, town, n in (open_ones.values_list("due_on", "town_id")
                                .annotate(n=Count("id")).iterator(chunk_size=10000)):
            key = (month_of(due_on), town)
            counts[key] = counts.get(key, 0) + n
        return counts
    for month in sorted(set(months)):
        for town, n in (open_ones.filter(due_on__gte=month, due_on__lt=_next_month(month))
                        .values_list("town_id").annotate(n=Count("id"))):
            counts[(month, town)] = n
    return counts


def _write(counts: dict[tuple[dt.date, str], int], months: Iterable[dt.date] | None) -> int:
    cells = OpenFollowUpCell.objects.all()
    if months is not None:
        cells = cells.filter(month__in=sorted(set(months)))
    cells.delete()
    OpenFollowUpCell.objects.bulk_create(
        [OpenFollowUpCell(month=month, town=town, n=n)
         for (month, town), n in sorted(counts.items()) if n], batch_size=5000)
    return len(counts)


def _one_writer_at_a_time() -> None:
    # The audit chain's head, the lock every summary's refresh takes first (see
    # canpei.reports.summaries.one_writer_at_a_time): two writers never count one month at once.
    from canpei.audit.models import AuditHead

    AuditHead.objects.select_for_update().filter(pk=1).exists()


def refresh_open_followups(person_ids: Iterable[int]) -> None:
    """The receiver of hooks.outcomes_changed: count again the months these persons' follow-ups
    fall due in, in the writer's transaction."""
    ids = sorted(set(person_ids))
    months: set[dt.date] = set()
    for start in range(0, len(ids), CHUNK):
        months |= {month_of(d) for d in FollowUp.objects.filter(
            person_id__in=ids[start:start + CHUNK]).values_list("due_on", flat=True).distinct()}
    if not months:
        return
    _one_writer_at_a_time()
    _write(_counted(months), months)


def rebuild_open_followups() -> int:
    """Every cell from the records (after a bulk load); the number of cells written."""
    with transaction.atomic():
        _one_writer_at_a_time()
        return _write(_counted(None), None)


def open_followup_differences() -> list[str]:
    """Where the cells differ from the records (empty when they agree)."""
    kept = {(c.month, c.town): c.n for c in OpenFollowUpCell.objects.exclude(n=0)}
    live = {key: n for key, n in _counted(None).items() if n}
    return [f"{town} {month:%Y-%m}: kept {kept.get((month, town), 0)}, "
            f"counted {live.get((month, town), 0)}"
            for month, town in sorted(set(kept) | set(live))
            if kept.get((month, town), 0) != live.get((month, town), 0)]


def open_before(month: dt.date, town: str | None) -> int:
    """The open follow-ups due before `month` (a first day): every town's, or one town's."""
    cells = OpenFollowUpCell.objects.filter(month__lt=month)
    if town is not None:
        cells = cells.filter(town=town)
    return int(cells.aggregate(n=Sum("n"))["n"] or 0)
