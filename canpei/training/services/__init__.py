"""Writes of the training app. Each takes the acting user, checks the rules, locks what it
changes (the class row first) and writes its audit entry in the same transaction."""

from canpei.training.services.applications import (
    application_actions_available, application_create, application_transition,
    application_update,
)
from canpei.training.services.classes import class_create, class_update, clean_class_input
from canpei.training.services.inspections import inspection_record, inspection_rectified
from canpei.training.services.roster import (
    enrollment_add, enrollment_remove, enrollment_update, session_record,
)
from canpei.training.services.staff import staff_training_create, staff_training_update
from canpei.training.services.transitions import (
    SETTLEMENT_HOOKS, class_actions_available, class_transition,
)

__all__ = [
    "SETTLEMENT_HOOKS", "application_actions_available", "application_create",
    "application_transition", "application_update", "class_actions_available", "class_create",
    "class_transition", "class_update", "clean_class_input", "enrollment_add",
    "enrollment_remove", "enrollment_update", "inspection_record", "inspection_rectified",
    "session_record", "staff_training_create", "staff_training_update",
]
