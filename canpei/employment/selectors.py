"""Where follow-ups and employment services say whose they are. The selectors of each live in
canpei.employment.followups and canpei.employment.support; both start from these."""

from __future__ import annotations

from canpei.accounts.roles import Perm
from canpei.employment.models import EmploymentService, FollowUp
from canpei.regions.scope import ScopePaths

# By the person's town, copied onto the record; institutions have no path (figures only).
FOLLOWUP_SCOPE = ScopePaths(model=FollowUp, permission=Perm.FOLLOWUP_BROWSE, town="town_id")
SERVICE_SCOPE = ScopePaths(model=EmploymentService, permission=Perm.SERVICE_BROWSE, town="town_id")

followups_visible_to = FOLLOWUP_SCOPE.visible_to
services_visible_to = SERVICE_SCOPE.visible_to
