"""The creation and last-change times most business records carry."""

from __future__ import annotations

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
