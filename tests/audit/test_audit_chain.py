"""The audit log is append-only and hash-chained; `canpei audit verify` finds tampering.

Database triggers refuse UPDATE and DELETE on the log. To tamper, a test drops them with raw SQL
inside its own transaction (DDL is transactional on SQLite and PostgreSQL), so the rollback at
the end of the test restores them; the tests stay plain `django_db` tests. (A
`transaction=True` test would end with a flush, which the SQLite DELETE trigger refuses.)
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from canpei import cli
from canpei.audit.actions import AuditAction
from canpei.audit.models import GENESIS_HASH, AuditEntry, AuditHead
from canpei.audit.services import audit_record, audit_verify, entry_hash

pytestmark = pytest.mark.django_db

TRIGGERS = {
    "postgresql": ["DROP TRIGGER audit_auditentry_no_update ON audit_auditentry"],
    "sqlite": [
        "DROP TRIGGER audit_auditentry_no_update",
        "DROP TRIGGER audit_auditentry_no_delete",
    ],
}


def drop_append_only_triggers() -> None:
    """Drop the triggers; fails if they are not there."""
    with connection.cursor() as cursor:
        for statement in TRIGGERS[connection.vendor]:
            cursor.execute(statement)


def write(count: int) -> list[AuditEntry]:
    entries = []
    with transaction.atomic():
        for n in range(count):
            entries.append(
                audit_record(
                    actor=None,
                    action=AuditAction.PERSON_UPDATE,
                    object_type="test.thing",
                    object_id=n,
                    summary=f"第 {n} 条",
                    changes={"diff": {"phone": ["", f"1380000000{n}"]}},
                )
            )
    return entries


def verify(capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(["audit", "verify"])
    out, err = capsys.readouterr()
    return code, out, err


def test_it_chains_each_entry_to_the_one_before(users):
    head_before = AuditHead.objects.get(pk=1)
    entries = write(3)
    assert entries[0].prev_hash == head_before.last_hash
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    for stored in AuditEntry.objects.filter(pk__in=[e.pk for e in entries]):
        assert stored.hash == entry_hash(
            prev_hash=stored.prev_hash,
            at_iso=stored.at.isoformat(),
            actor_id=stored.actor_id,
            actor_username=stored.actor_username,
            action=stored.action,
            object_type=stored.object_type,
            object_id=stored.object_id,
            summary=stored.summary,
            changes=stored.changes,
        )
    head = AuditHead.objects.get(pk=1)
    assert (head.last_entry_id, head.last_hash, head.count) == (
        entries[-1].pk,
        entries[-1].hash,
        head_before.count + 3,
    )


def test_the_first_entry_starts_from_the_genesis_hash():
    assert not AuditEntry.objects.exists()
    assert write(1)[0].prev_hash == GENESIS_HASH


def test_it_records_the_actor_and_the_object(users, person_in):
    entry = AuditEntry.objects.get(action="person.create")
    assert (entry.actor_id, entry.actor_username) == (users.city_admin.pk, "city")
    assert (entry.object_type, entry.object_id) == ("people.person", str(person_in.pk))


def test_audit_record_refuses_to_run_outside_a_transaction():
    # The test itself runs in a transaction; pretend it does not.
    connection.in_atomic_block, saved = False, connection.in_atomic_block
    try:
        with pytest.raises(RuntimeError):
            audit_record(actor=None, action=AuditAction.PERSON_UPDATE)
    finally:
        connection.in_atomic_block = saved


def test_the_database_refuses_to_update_or_delete_an_entry():
    entry = write(1)[0]
    for statement in (
        f"UPDATE audit_auditentry SET summary = 'x' WHERE id = {entry.pk}",
        f"DELETE FROM audit_auditentry WHERE id = {entry.pk}",
    ):
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement)
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic():
            AuditEntry.objects.filter(pk=entry.pk).update(summary="改过")
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic():
            AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.get(pk=entry.pk).summary == entry.summary


def test_verify_passes_on_an_empty_log(capsys):
    code, out, err = verify(capsys)
    assert code == 0
    assert out.strip() == "审计日志完整：已校验 0 条"


def test_verify_passes_on_an_intact_log(capsys, users, person_in, person_out):
    write(5)
    code, out, err = verify(capsys)
    assert code == 0, err
    assert out.strip() == "审计日志完整：已校验 7 条"
    assert err == ""


def test_verify_names_an_entry_whose_summary_was_edited(capsys):
    entries = write(5)
    drop_append_only_triggers()
    AuditEntry.objects.filter(pk=entries[2].pk).update(summary="什么也没发生")
    code, out, err = verify(capsys)
    assert code == 1
    assert out == ""
    assert f"第一条异常记录 #{entries[2].pk}（content does not match its hash）" in err
    assert "此前 2 条校验通过" in err


def test_verify_names_an_entry_whose_changes_were_edited(capsys):
    entries = write(4)
    drop_append_only_triggers()
    AuditEntry.objects.filter(pk=entries[1].pk).update(
        changes={"diff": {"phone": ["", "13999999999"]}}
    )
    code, out, err = verify(capsys)
    assert code == 1
    assert f"第一条异常记录 #{entries[1].pk}（content does not match its hash）" in err


def test_verify_names_the_entry_after_one_rewritten_with_a_fresh_hash(capsys):
    entries = write(4)
    drop_append_only_triggers()
    forged = entries[1]
    forged.actor_username = "nobody"
    forged.hash = entry_hash(
        prev_hash=forged.prev_hash,
        at_iso=forged.at.isoformat(),
        actor_id=forged.actor_id,
        actor_username=forged.actor_username,
        action=forged.action,
        object_type=forged.object_type,
        object_id=forged.object_id,
        summary=forged.summary,
        changes=forged.changes,
    )
    AuditEntry.objects.filter(pk=forged.pk).update(actor_username="nobody", hash=forged.hash)
    code, out, err = verify(capsys)
    assert code == 1
    assert f"第一条异常记录 #{entries[2].pk}（previous hash does not match" in err


def test_verify_names_the_entry_after_one_deleted_in_the_middle(capsys):
    entries = write(5)
    drop_append_only_triggers()
    AuditEntry.objects.filter(pk=entries[2].pk).delete()
    code, out, err = verify(capsys)
    assert code == 1
    assert f"第一条异常记录 #{entries[3].pk}（previous hash does not match" in err
    assert "此前 2 条校验通过" in err


def test_verify_notices_that_the_first_entry_was_deleted(capsys):
    entries = write(3)
    drop_append_only_triggers()
    AuditEntry.objects.filter(pk=entries[0].pk).delete()
    code, out, err = verify(capsys)
    assert code == 1
    assert f"第一条异常记录 #{entries[1].pk}（previous hash does not match" in err


def test_verify_notices_that_the_newest_entry_was_deleted(capsys):
    entries = write(5)
    drop_append_only_triggers()
    AuditEntry.objects.filter(pk=entries[-1].pk).delete()
    code, out, err = verify(capsys)
    assert code == 1
    assert f"第一条异常记录 #{entries[-1].pk}（the newest entries were removed" in err
    assert "此前 4 条校验通过" in err


def test_verify_notices_that_every_entry_was_deleted(capsys):
    entries = write(2)
    drop_append_only_triggers()
    AuditEntry.objects.all().delete()
    code, out, err = verify(capsys)
    assert code == 1
    assert f"#{entries[-1].pk}" in err


def test_verify_reads_the_log_in_chunks():
    entries = write(7)
    assert audit_verify(chunk=2).ok and audit_verify(chunk=2).checked == 7
    drop_append_only_triggers()
    AuditEntry.objects.filter(pk=entries[5].pk).update(object_id="99")
    result = audit_verify(chunk=2)
    assert (result.ok, result.broken_entry_id, result.checked) == (False, entries[5].pk, 5)


def test_a_long_summary_is_stored_shortened_and_still_verifies(capsys):
    with transaction.atomic():
        entry = audit_record(actor=None, action=AuditAction.PERSON_UPDATE, summary="长" * 300)
    assert len(AuditEntry.objects.get(pk=entry.pk).summary) == 255
    code, out, err = verify(capsys)
    assert code == 0, err


def test_changes_are_stored_as_the_json_they_were_hashed_as(capsys):
    import datetime as dt
    import decimal

    with transaction.atomic():
        changes: dict[Any, Any] = {  # an int key on purpose: it must round-trip as a string
            "date": dt.date(2024, 2, 29),
            "amount": decimal.Decimal("12.50"),
            3: "int key",
            "nested": {"b": [1, 2.5, None, True], "a": "残培"},
        }
        entry = audit_record(actor=None, action=AuditAction.PERSON_UPDATE, changes=changes)
    assert AuditEntry.objects.get(pk=entry.pk).changes == {
        "date": "2024-02-29",
        "amount": "12.50",
        "3": "int key",
        "nested": {"b": [1, 2.5, None, True], "a": "残培"},
    }
    assert verify(capsys)[0] == 0
