"""The alert's lifecycle table (no database access; pages, the API and the docs read it).

A raised alert is open. The city confirms it (a real problem, followed up elsewhere) or dismisses
it with a reason. The background job resolves an open alert its rule no longer raises (the data
were corrected) and reopens a resolved one raised again; nobody takes those two steps by hand.
Confirmed and dismissed alerts keep their decision whatever the data do later.
"""

from __future__ import annotations

from canpei.accounts.roles import Role
from canpei.codes import code_table
from canpei.errors import lazy_message as _
from canpei.workflows import Step, Workflow


AlertState = code_table("AlertState", "alert_state")
AlertAction = code_table("AlertAction", "alert_action")


# The desk's two actions; the API and the buttons offer only these.
DESK_ACTIONS = (AlertAction.CONFIRM.value, AlertAction.DISMISS.value)
# The job's steps name no role: no user may take them.
SYSTEM: frozenset[str] = frozenset()

ALERT_WORKFLOW = Workflow(
    noun=_("预警"), actions=AlertAction, states=AlertState,
    comment_required_message=_("「{action}」预警须填写理由"),
    steps={
        AlertAction.CONFIRM: Step(frozenset({AlertState.OPEN}), AlertState.CONFIRMED,
                                  frozenset({Role.CITY_ADMIN})),
        AlertAction.DISMISS: Step(frozenset({AlertState.OPEN}), AlertState.DISMISSED,
                                  frozenset({Role.CITY_ADMIN}), comment_required=True),
        AlertAction.RESOLVE: Step(frozenset({AlertState.OPEN}), AlertState.RESOLVED, SYSTEM),
        AlertAction.REOPEN: Step(frozenset({AlertState.RESOLVED}), AlertState.OPEN, SYSTEM),
    })
