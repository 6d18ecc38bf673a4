"""audit_verify_rows, called directly: the check a backup's log gets before it is restored
(`canpei restore` runs it in a subprocess, where make mutate's runs do not see it)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from canpei.audit.actions import AuditAction
from canpei.audit.models import AuditEntry, AuditHead
from canpei.audit.services import VerifyResult, audit_record, audit_verify_rows

pytestmark = pytest.mark.django_db

UNSIGNED = "the head carries no signature, though the log was written with the keyed chain"
CONTENT = "content does not match its hash"


def write_entries(users: Any, count: int) -> None:
    with transaction.atomic():
        for number in range(count):
            audit_record(
                actor=users.city_admin,
                action=AuditAction.SURVEY_CREATE,
                summary=f"条目 {number}",
                changes={"n": number},
            )


def head_row(*, keyed: bool = True) -> dict[str, Any]:
    columns = ["count", "last_entry_id", "last_hash", "signature"]
    if keyed:
        columns.append("legacy_count")
    return dict(AuditHead.objects.filter(pk=1).values(*columns).get())


# The entry's columns as ChainCheck.feed names them (besides id and at_iso).
FED = ("actor_id", "actor_username", "action", "object_type", "object_id", "summary", "changes")


def entry_rows() -> list[dict[str, Any]]:
    return [
        {
            "id": entry.pk,
            "at_iso": entry.at.isoformat(),
            **{name: getattr(entry, name) for name in (*FED, "prev_hash", "hash")},
        }
        for entry in AuditEntry.objects.order_by("pk")
    ]


def test_a_keyed_log_with_its_signed_head_verifies_to_its_last_entry(users):
    write_entries(users, 3)
    rows = entry_rows()
    assert len(rows) >= 3
    result = audit_verify_rows(head_row(), rows, keyed_required=True)
    assert result == VerifyResult(True, len(rows))
    # Not required either: a head with legacy_count is keyed all the same.
    assert audit_verify_rows(head_row(), entry_rows(), keyed_required=False) == VerifyResult(
        True, len(rows)
    )


@pytest.mark.parametrize("head", ["without legacy_count", None])
def test_a_head_from_before_the_keyed_chain_is_refused_when_the_manifest_requires_it(users, head):
    write_entries(users, 2)
    given = head_row(keyed=False) if head else None
    result = audit_verify_rows(given, entry_rows(), keyed_required=True)
    assert result == VerifyResult(False, 0, None, UNSIGNED)


def test_without_legacy_count_every_entry_is_checked_as_plain_sha256(users):
    # The log is keyed, so read as an older (unkeyed) log its first entry already fails.
    write_entries(users, 2)
    rows = entry_rows()
    result = audit_verify_rows(head_row(keyed=False), rows, keyed_required=False)
    assert result == VerifyResult(False, 0, rows[0]["id"], CONTENT)


def test_the_first_changed_entry_is_reported_and_the_check_stops_there(users):
    write_entries(users, 3)
    rows = entry_rows()
    rows[-2]["summary"] = "改过的摘要"
    rows[-1]["summary"] = "也改过"
    result = audit_verify_rows(head_row(), rows, keyed_required=True)
    assert result == VerifyResult(False, len(rows) - 2, rows[-2]["id"], CONTENT)
