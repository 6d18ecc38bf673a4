"""Writes on classes. Each takes the acting user, checks the rules, locks what it changes (the
class row first) and writes its audit entry in the same transaction."""

from canpei.training.classes.services.inspections import inspection_record, inspection_rectified
from canpei.training.classes.services.records import class_create, class_update, clean_class_input
from canpei.training.classes.services.roster import (
    appraisal_bulk,
    enrollment_add,
    enrollment_remove,
    enrollment_update,
    session_record,
)
from canpei.training.classes.services.transitions import (
    SETTLEMENT_HOOKS,
    class_actions_available,
    class_transition,
)

__all__ = [
    "SETTLEMENT_HOOKS", "appraisal_bulk", "class_actions_available", "class_create", "class_transition",
    "class_update", "clean_class_input", "enrollment_add", "enrollment_remove",
    "enrollment_update", "inspection_record", "inspection_rectified", "session_record",
]
