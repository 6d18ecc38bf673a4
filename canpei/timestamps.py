"""The creation and last-change times most business records carry, and who wrote a record."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from canpei.codes import CodedDisplay


class Timestamped(CodedDisplay, models.Model):
    """A record's creation time and its last change. No `auto_now`: the services that change a
    record set `updated_at` themselves, and only when something did change.

    Abstract: each model keeps its own table and columns (no migration), and its own Meta."""

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        abstract = True


def written_by() -> models.ForeignKey[Any, Any]:
    """The account that created or recorded a record (`created_by`, `recorded_by`): kept with
    the record when the account goes (SET_NULL), with no reverse accessor on the user."""
    return models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
