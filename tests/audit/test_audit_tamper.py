"""Someone with database access must not be able to empty, cut back or rewrite the audit log
unnoticed (issue 8, item 3): TRUNCATE is refused, the head only moves forward, the chain is
keyed with the audit key (which the database does not hold), and an anchor kept outside the
database catches what the database alone cannot show.

Like test_audit_chain.py, a test bypasses the triggers inside its own transaction (DDL is
transactional on SQLite and PostgreSQL), so the rollback at its end puts them back.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from django.utils import timezone

from canpei import cli
from canpei.audit import keys
from canpei.audit.models import GENESIS_HASH, AuditEntry, AuditHead
from canpei.audit.services import Anchor, audit_verify, entry_hash

from .test_audit_chain import write

pytestmark = pytest.mark.django_db

HEAD_COLUMNS = ("count", "last_entry_id", "last_hash", "legacy_count", "signature")
SQLITE_TRIGGERS = (
    "audit_auditentry_no_update",
    "audit_auditentry_no_delete",
    "audit_audithead_forward_only",
    "audit_audithead_no_delete",
)


def sql(*statements: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement, params)


def bypass_triggers() -> None:
    """What the database owner can do: switch the triggers off (fails if they are not there)."""
    if connection.vendor == "postgresql":
        # Deferred foreign-key checks of rows written earlier in the test would block ALTER TABLE.
        sql(
            "SET CONSTRAINTS ALL IMMEDIATE",
            "ALTER TABLE audit_auditentry DISABLE TRIGGER USER",
            "ALTER TABLE audit_audithead DISABLE TRIGGER USER",
        )
    else:
        sql(*(f"DROP TRIGGER {name}" for name in SQLITE_TRIGGERS))


def head() -> dict[str, Any]:
    return AuditHead.objects.filter(pk=1).values(*HEAD_COLUMNS).get()


def set_head(**values: Any) -> None:
    """A raw UPDATE of the head row, as an intruder would write it."""
    columns = ", ".join(f"{name} = %s" for name in values)
    sql(f"UPDATE audit_audithead SET {columns} WHERE id = 1", params=list(values.values()))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def anchor_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "anchor.json"
    code, out, err = run(capsys, "audit", "anchor", "--out", str(path))
    assert code == 0, err
    assert "已写入审计锚点" in out
    return path


# --- (a) TRUNCATE, and the head reset after it -------------------------------------------


def test_truncate_of_the_log_or_its_head_is_refused():
    write(2)
    if connection.vendor == "postgresql":
        # The deferred foreign-key checks of the new rows would refuse TRUNCATE by themselves.
        sql("SET CONSTRAINTS ALL IMMEDIATE")
        for table in ("audit_auditentry", "audit_audithead"):
            with pytest.raises(DatabaseError, match="append-only: TRUNCATE refused"):
                with transaction.atomic():
                    sql(f"TRUNCATE {table}")
    else:
        # SQLite has no TRUNCATE: its equivalent, an unqualified DELETE, is refused.
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic():
                sql("DELETE FROM audit_auditentry")
        with pytest.raises(DatabaseError, match="may only move forward"):
            with transaction.atomic():
                sql("DELETE FROM audit_audithead")
    assert AuditEntry.objects.count() == 2 and head()["count"] == 2


def test_an_empty_log_may_be_truncated():
    # Nothing to hide: the test suite's flush between transactional tests relies on it.
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no TRUNCATE")
    with transaction.atomic():
        sql("TRUNCATE audit_auditentry")


def test_a_wiped_log_with_its_head_reset_fails_verification(capsys, tmp_path):
    initial = head()  # as the migrations left it: empty, signed
    write(3)
    anchor = anchor_file(tmp_path, capsys)
    bypass_triggers()
    sql("DELETE FROM audit_auditentry")
    set_head(count=0, last_entry_id=0, last_hash=GENESIS_HASH)
    code, out, err = run(capsys, "audit", "verify")
    assert code == 1 and out == ""
    assert "the head's signature does not match" in err
    # The head put back exactly as it was when the log was empty (signature and all): the
    # database alone cannot tell that from a new installation, the anchor can.
    set_head(**initial)
    code, out, err = run(capsys, "audit", "verify", "--anchor", str(anchor))
    assert code == 1 and out == ""
    assert "审计日志被篡改：日志只有 0 条，少于锚点记录的 3 条" in err


# --- (b) the newest entries deleted, the head moved back --------------------------------


def test_deleting_the_newest_entries_and_moving_the_head_back_is_caught_by_the_anchor(
    capsys, tmp_path
):
    write(3)
    earlier = head()
    entries = write(2)
    anchor = anchor_file(tmp_path, capsys)
    bypass_triggers()
    sql("DELETE FROM audit_auditentry WHERE id >= %s", params=[entries[0].pk])
    set_head(
        count=earlier["count"],
        last_entry_id=earlier["last_entry_id"],
        last_hash=earlier["last_hash"],
    )
    # Moved back without the key: the head's signature gives it away.
    code, out, err = run(capsys, "audit", "verify")
    assert code == 1 and "the head's signature does not match" in err
    # With the earlier head's own signature (saved by the intruder), only the anchor can.
    set_head(signature=earlier["signature"])
    assert audit_verify().ok
    code, out, err = run(capsys, "audit", "verify", "--anchor", str(anchor))
    assert code == 1
    assert "日志只有 3 条，少于锚点记录的 5 条" in err


def test_a_log_cut_back_and_grown_again_past_the_anchor_is_caught(capsys, tmp_path):
    write(3)
    earlier = head()
    write(2)
    anchor = anchor_file(tmp_path, capsys)
    bypass_triggers()
    sql("DELETE FROM audit_auditentry WHERE id > %s", params=[earlier["last_entry_id"]])
    set_head(**earlier)
    write(4)  # new entries chain onto the cut-back log: 7 entries, all keyed and consistent
    assert audit_verify().ok
    code, out, err = run(capsys, "audit", "verify", "--anchor", str(anchor))
    assert code == 1
    assert "审计日志被篡改：第 5 条记录" in err and "与锚点不符" in err


# --- (c) an entry rewritten, the later hashes recomputed ---------------------------------


def test_an_entry_rewritten_with_the_chain_recomputed_in_plain_sha256_is_caught(capsys):
    entries = write(5)
    bypass_triggers()
    prev = entries[0].hash
    for entry in entries[1:]:
        stored = AuditEntry.objects.get(pk=entry.pk)
        if entry is entries[1]:
            stored.summary = "什么也没发生"
        digest = entry_hash(
            prev_hash=prev,
            at_iso=stored.at.isoformat(),
            actor_id=stored.actor_id,
            actor_username=stored.actor_username,
            action=stored.action,
            object_type=stored.object_type,
            object_id=stored.object_id,
            summary=stored.summary,
            changes=stored.changes,
            keyed=False,
        )
        AuditEntry.objects.filter(pk=entry.pk).update(
            summary=stored.summary, prev_hash=prev, hash=digest
        )
        prev = digest
    set_head(last_hash=prev)
    code, out, err = run(capsys, "audit", "verify")
    assert code == 1
    assert f"第一条异常记录 #{entries[1].pk}（content does not match its hash）" in err
    assert "此前 1 条校验通过" in err


def test_the_chain_is_keyed_with_the_audit_key():
    entry = write(1)[0]
    fields = dict(
        prev_hash=entry.prev_hash,
        at_iso=entry.at.isoformat(),
        actor_id=None,
        actor_username="",
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        summary=entry.summary,
        changes=entry.changes,
    )
    assert entry.hash == entry_hash(**fields) != entry_hash(**fields, keyed=False)
    assert audit_verify().ok
    with override_settings(AUDIT_KEY="another-audit-key-of-at-least-32-chars"):
        result = audit_verify()
    assert (result.ok, result.broken_entry_id) == (False, entry.pk)


# --- (d) the head row ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"count": 0, "last_entry_id": 0, "last_hash": GENESIS_HASH},
        {"count": 1},
        {"last_entry_id": 1},
        {"last_hash": "f" * 64},
        {"legacy_count": 2},
        {"id": 2},
    ],
)
def test_the_head_cannot_be_moved_back_or_rewritten(change):
    write(3)
    before = head()
    with pytest.raises(DatabaseError, match="audit head may only move forward"):
        with transaction.atomic():
            set_head(**change)
    with pytest.raises(DatabaseError, match="audit head may only move forward"):
        with transaction.atomic():
            sql("DELETE FROM audit_audithead")
    assert head() == before


def test_the_head_may_move_forward():
    write(2)
    before = head()
    with transaction.atomic():
        set_head(
            count=before["count"] + 1, last_entry_id=before["last_entry_id"] + 1, last_hash="e" * 64
        )
    assert head()["count"] == before["count"] + 1
    # Allowed by the trigger, which cannot know the key; verification still sees it.
    assert not audit_verify().ok


# --- the anchor ---------------------------------------------------------------------------


def test_the_anchor_holds_the_signed_head_and_verifies(capsys, tmp_path):
    entries = write(3)
    code, out, err = run(capsys, "audit", "anchor")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert (data["count"], data["last_entry_id"], data["last_hash"]) == (
        3,
        entries[-1].pk,
        entries[-1].hash,
    )
    assert data["format"] == "canpei-audit-anchor" and data["at"] and len(data["signature"]) == 64
    assert data["key_fingerprint"] == keys.key_fingerprint()
    from django.conf import settings

    assert settings.AUDIT_KEY not in out
    path = tmp_path / "a.json"
    path.write_text(out)
    write(2)  # the log grows after the anchor: still consistent with it
    code, out, err = run(capsys, "audit", "verify", "--anchor", str(path))
    assert code == 0, err
    assert "审计日志完整：已校验 5 条" in out and "与锚点" in out and "3 条）一致" in out


def test_an_anchor_of_an_empty_log_verifies(capsys, tmp_path):
    anchor = anchor_file(tmp_path, capsys)
    code, out, err = run(capsys, "audit", "verify", "--anchor", str(anchor))
    assert code == 0, err


def test_an_anchor_with_a_wrong_signature_or_no_anchor_at_all_is_refused(capsys, tmp_path):
    write(3)
    anchor = anchor_file(tmp_path, capsys)
    data = json.loads(anchor.read_text())
    data["count"] = 2  # an intruder lowering the anchor to fit the shortened log
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(data))
    code, out, err = run(capsys, "audit", "verify", "--anchor", str(forged))
    assert (code, out) == (1, "")
    assert "锚点签名无效" in err
    with override_settings(AUDIT_KEY="another-audit-key-of-at-least-32-chars"):
        code, out, err = run(capsys, "audit", "verify", "--anchor", str(anchor))
    assert code == 1 and "锚点签名无效" in err
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"\xff\xfe not json")
    for path, message in (
        (garbage, "锚点文件无法识别"),
        (tmp_path / "missing.json", "无法读取锚点文件"),
    ):
        code, out, err = run(capsys, "audit", "verify", "--anchor", str(path))
        assert code == 1 and message in err, err
        assert "Traceback" not in err


def test_an_anchor_naming_another_entry_at_its_position_fails(capsys, tmp_path):
    entries = write(3)
    other = Anchor(
        count=2,
        last_entry_id=entries[1].pk,
        last_hash="a" * 64,
        at=timezone.now().isoformat(),
        key_fingerprint=keys.key_fingerprint(),
    )
    signed = Anchor(**{**other.__dict__, "signature": keys.anchor_signature(other.fields())})
    path = tmp_path / "other.json"
    path.write_text(signed.to_json())
    code, out, err = run(capsys, "audit", "verify", "--anchor", str(path))
    assert code == 1
    assert f"第 2 条记录 #{entries[1].pk} 与锚点不符" in err


# --- a log from before the chain was keyed ------------------------------------------------


def legacy_log(count: int) -> list[AuditEntry]:
    """Entries as an older Canpei wrote them (plain SHA-256), and its head: no legacy_count
    yet, no signature (what migration 0004 finds)."""
    bypass_triggers()
    prev, made = GENESIS_HASH, []
    for n in range(count):
        at = timezone.now()
        digest = entry_hash(
            prev_hash=prev,
            at_iso=at.isoformat(),
            actor_id=None,
            actor_username="",
            action="old.write",
            object_type="",
            object_id=str(n),
            summary="旧",
            changes={"n": n},
            keyed=False,
        )
        made.append(
            AuditEntry.objects.create(
                at=at,
                action="old.write",
                object_id=str(n),
                summary="旧",
                changes={"n": n},
                prev_hash=prev,
                hash=digest,
            )
        )
        prev = digest
    set_head(count=count, last_entry_id=made[-1].pk, last_hash=prev, legacy_count=0, signature="")
    return made


def start_keyed_chain() -> None:
    from django.apps import apps

    migration = importlib.import_module(
        "canpei.audit.migrations.0004_keyed_chain_and_head_triggers"
    )
    migration.start_keyed_chain(apps, None)


def test_entries_written_before_the_chain_was_keyed_keep_verifying(capsys):
    legacy = legacy_log(3)
    start_keyed_chain()
    assert head()["legacy_count"] == 3
    code, out, err = run(capsys, "audit", "verify")
    assert code == 0, err
    assert out.strip() == "审计日志完整：已校验 3 条"
    keyed = write(2)
    assert audit_verify().ok and audit_verify().checked == 5
    assert keyed[0].prev_hash == legacy[-1].hash
    # The keyed part is keyed; the legacy part is still protected by the keyed part after it.
    AuditEntry.objects.filter(pk=legacy[1].pk).update(summary="改过")
    result = audit_verify()
    assert (result.ok, result.broken_entry_id) == (False, legacy[1].pk)


def test_the_start_of_the_keyed_chain_cannot_be_moved(capsys):
    legacy_log(2)
    start_keyed_chain()
    entries = write(2)
    # Declaring every entry legacy and recomputing the keyed ones in plain SHA-256: the chain
    # is consistent again, but the head's signature is not.
    prev = entries[0].prev_hash
    for entry in entries:
        digest = entry_hash(
            prev_hash=prev,
            at_iso=entry.at.isoformat(),
            actor_id=None,
            actor_username="",
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            summary=entry.summary,
            changes=entry.changes,
            keyed=False,
        )
        AuditEntry.objects.filter(pk=entry.pk).update(prev_hash=prev, hash=digest)
        prev = digest
    set_head(legacy_count=4, last_hash=prev)
    result = audit_verify()
    assert not result.ok and "signature" in result.reason
    assert result.broken_entry_id == entries[-1].pk


def test_no_anchor_is_signed_for_a_log_that_does_not_verify(capsys, tmp_path):
    entries = write(3)
    bypass_triggers()
    AuditEntry.objects.filter(pk=entries[1].pk).update(summary="改过")
    path = tmp_path / "anchor.json"
    code, out, err = run(capsys, "audit", "anchor", "--out", str(path))
    assert (code, out) == (1, "")
    assert f"审计日志被篡改，不生成锚点：第一条异常记录 #{entries[1].pk}" in err
    assert not path.exists()
