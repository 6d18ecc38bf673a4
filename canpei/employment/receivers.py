"""What employment does when another app's records change (canpei.hooks), registered by
EmploymentConfig.ready()."""

from __future__ import annotations

from canpei.employment.models import EmploymentService, FollowUp


def records_follow_town(moved: dict[int, str]) -> None:
    """Copy a moved person's new town onto their follow-ups and employment services, in the
    caller's transaction: the new town's staff now follow them up, the old town's no longer."""
    by_town: dict[str, list[int]] = {}
    for person_id, town in moved.items():
        by_town.setdefault(town, []).append(person_id)
    for town, ids in by_town.items():
        for start in range(0, len(ids), 1000):
            chunk = ids[start:start + 1000]
            FollowUp.objects.filter(person_id__in=chunk).update(town_id=town)
            EmploymentService.objects.filter(person_id__in=chunk).update(town_id=town)
