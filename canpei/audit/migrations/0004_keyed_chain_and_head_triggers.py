"""The keyed chain and a protected head.

- The head gets `legacy_count` and `signature`. Entries already in the log were hashed with
  plain SHA-256: they stay as they are and keep verifying as before, and `legacy_count` records
  how many there are; every entry appended from now on carries an HMAC-SHA-256 with the audit
  key. The head's signature (HMAC, audit key) covers `legacy_count`, so the point where the
  keyed chain starts cannot be moved without the key.
- Triggers: the head may only move forward (no UPDATE lowering count or last entry, none
  changing legacy_count, no DELETE while the log has entries); TRUNCATE of the log or the head
  is refused on PostgreSQL while the log has entries (SQLite has no TRUNCATE; its DELETE
  trigger of 0002 covers it). An empty log can be truncated: there is nothing to hide, and the
  test suite's flush between transactional tests needs it.
"""

from django.db import migrations, models

REFUSED = "audit head may only move forward"

POSTGRES = f"""
CREATE OR REPLACE FUNCTION audit_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM audit_auditentry) THEN
        RAISE EXCEPTION 'audit log is append-only: TRUNCATE refused';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_auditentry_no_truncate BEFORE TRUNCATE ON audit_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();
CREATE TRIGGER audit_audithead_no_truncate BEFORE TRUNCATE ON audit_audithead
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();
CREATE OR REPLACE FUNCTION audit_audithead_forward_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF EXISTS (SELECT 1 FROM audit_auditentry) THEN
            RAISE EXCEPTION '{REFUSED}';
        END IF;
        RETURN OLD;
    END IF;
    IF NEW.id <> OLD.id OR NEW.count < OLD.count OR NEW.last_entry_id < OLD.last_entry_id
       OR NEW.legacy_count <> OLD.legacy_count
       OR (NEW.count = OLD.count AND (NEW.last_hash <> OLD.last_hash
                                      OR NEW.last_entry_id <> OLD.last_entry_id))
       OR (NEW.count > OLD.count AND NEW.last_entry_id <= OLD.last_entry_id) THEN
        RAISE EXCEPTION '{REFUSED}';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_audithead_forward_only BEFORE UPDATE OR DELETE ON audit_audithead
    FOR EACH ROW EXECUTE FUNCTION audit_audithead_forward_only();
"""
POSTGRES_REVERSE = """
DROP TRIGGER IF EXISTS audit_audithead_forward_only ON audit_audithead;
DROP TRIGGER IF EXISTS audit_audithead_no_truncate ON audit_audithead;
DROP TRIGGER IF EXISTS audit_auditentry_no_truncate ON audit_auditentry;
DROP FUNCTION IF EXISTS audit_audithead_forward_only();
DROP FUNCTION IF EXISTS audit_refuse_truncate();
"""
SQLITE = [
    "CREATE TRIGGER audit_audithead_forward_only BEFORE UPDATE ON audit_audithead "
    "WHEN NEW.id <> OLD.id OR NEW.count < OLD.count OR NEW.last_entry_id < OLD.last_entry_id "
    "OR NEW.legacy_count <> OLD.legacy_count "
    "OR (NEW.count = OLD.count AND (NEW.last_hash <> OLD.last_hash "
    "OR NEW.last_entry_id <> OLD.last_entry_id)) "
    "OR (NEW.count > OLD.count AND NEW.last_entry_id <= OLD.last_entry_id) "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END;",
    "CREATE TRIGGER audit_audithead_no_delete BEFORE DELETE ON audit_audithead "
    "WHEN EXISTS (SELECT 1 FROM audit_auditentry) "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END;",
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS audit_audithead_forward_only;",
                  "DROP TRIGGER IF EXISTS audit_audithead_no_delete;"]


def start_keyed_chain(apps, schema_editor):
    from canpei.audit.keys import head_signature

    head, _ = apps.get_model("audit", "AuditHead").objects.get_or_create(pk=1)
    head.legacy_count = head.count
    head.signature = head_signature(count=head.count, last_entry_id=head.last_entry_id,
                                    last_hash=head.last_hash, legacy_count=head.legacy_count)
    head.save()


def add_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES)
    elif vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_REVERSE)
    elif vendor == "sqlite":
        for statement in SQLITE_REVERSE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_fewer_indexes")]
    operations = [
        migrations.AddField(model_name="audithead", name="legacy_count",
                            field=models.BigIntegerField(default=0)),
        migrations.AddField(model_name="audithead", name="signature",
                            field=models.CharField(blank=True, default="", max_length=64)),
        migrations.RunPython(start_keyed_chain, migrations.RunPython.noop),
        migrations.RunPython(add_triggers, drop_triggers),
    ]
