from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

GENESIS_HASH = "0" * 64


class AuditEntry(models.Model):
    """One append-only entry of the audit log.

    Each entry's hash covers its content and the previous entry's hash, so editing or deleting
    any entry breaks the chain from that point on (see canpei.audit.services.audit_verify); the
    hash is keyed (HMAC with the audit key), so it cannot be recomputed from the database alone.
    Database triggers refuse UPDATE, DELETE and TRUNCATE on this table.
    """

    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    summary = models.CharField(max_length=255, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["object_type", "object_id"]),
                   models.Index(fields=["actor", "id"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action}"


class AuditHead(models.Model):
    """The single row that points at the newest entry.

    Appending locks this row, so concurrent writers extend the chain one at a time; it also lets
    verification notice that the newest entries were deleted. Triggers refuse to move it back
    or delete it; its signature (HMAC with the audit key) covers all of it.

    The first `legacy_count` entries of the chain were written before the chain was keyed and
    carry plain SHA-256 hashes; every later one carries an HMAC-SHA-256 (see services).
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_entry_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    count = models.BigIntegerField(default=0)
    legacy_count = models.BigIntegerField(default=0)
    signature = models.CharField(max_length=64, blank=True, default="")
