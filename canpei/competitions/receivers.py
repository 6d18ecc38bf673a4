"""What competitions do when another app's records change (canpei.hooks), registered by
CompetitionsConfig.ready()."""

from __future__ import annotations

from canpei.competitions.models import Entry, TypicalCase
from canpei.hooks import follow_town


def records_follow_town(moved: dict[int, str]) -> None:
    """Copy a moved person's new town onto their entries and the cases about them, in the
    caller's transaction: the new town's staff now see them, the old town's no longer."""
    follow_town(moved, Entry, TypicalCase)
