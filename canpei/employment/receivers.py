"""What employment does when another app's records change (canpei.hooks), registered by
EmploymentConfig.ready()."""

from __future__ import annotations

from canpei.employment.models import EmploymentService, FollowUp
from canpei.hooks import follow_town


def records_follow_town(moved: dict[int, str]) -> None:
    """Copy a moved person's new town onto their follow-ups and employment services, in the
    caller's transaction: the new town's staff now follow them up, the old town's no longer."""
    follow_town(moved, FollowUp, EmploymentService)
