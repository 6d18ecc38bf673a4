"""What training does when another app's records change (canpei.hooks), registered by
TrainingConfig.ready()."""

from __future__ import annotations

from canpei.training.models import Enrollment


def enrollments_follow_town(moved: dict[int, str]) -> None:
    """Copy a moved person's new town onto their enrolments (Enrollment.town), in the caller's
    transaction: their new town's staff now follow their classes, the old town's not."""
    by_town: dict[str, list[int]] = {}
    for person_id, town in moved.items():
        by_town.setdefault(town, []).append(person_id)
    for town, ids in by_town.items():
        for start in range(0, len(ids), 1000):
            Enrollment.objects.filter(person_id__in=ids[start:start + 1000]).update(town_id=town)
