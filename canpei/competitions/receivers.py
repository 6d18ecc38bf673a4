"""What competitions do when another app's records change (canpei.hooks), registered by
CompetitionsConfig.ready()."""

from __future__ import annotations

from canpei.competitions.models import Entry, TypicalCase


def records_follow_town(moved: dict[int, str]) -> None:
    """Copy a moved person's new town onto their entries and cases, in the caller's transaction."""
    by_town: dict[str, list[int]] = {}
    for person_id, town in moved.items():
        by_town.setdefault(town, []).append(person_id)
    for town, ids in by_town.items():
        for start in range(0, len(ids), 1000):
            chunk = ids[start:start + 1000]
            Entry.objects.filter(person_id__in=chunk).update(town_id=town)
            TypicalCase.objects.filter(person_id__in=chunk).update(town_id=town)
