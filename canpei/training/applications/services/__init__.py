"""Writes on individual applications and staff training records. Each takes the acting user,
checks the rules, locks what it changes and writes its audit entry in the same transaction."""

from canpei.training.applications.services.applications import (
    application_actions_available,
    application_create,
    application_transition,
    application_update,
)
from canpei.training.applications.services.staff import (
    staff_training_create,
    staff_training_update,
)

__all__ = [
    "application_actions_available", "application_create", "application_transition",
    "application_update", "staff_training_create", "staff_training_update",
]
