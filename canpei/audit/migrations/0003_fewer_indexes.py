"""The `_like` (varchar_pattern_ops) copy of the hash's index dropped: Django adds one on
PostgreSQL to every indexed varchar, but a hash is only ever compared whole, by the unique
index, and an import appends an entry a person, each maintained in every index.

(The actor's own index, covered by Meta.indexes' (actor, id), stays: changing the field would
make SQLite rebuild the table and lose the append-only triggers of 0002.)
"""

from django.db import migrations


def _like_index(schema_editor, model):
    return schema_editor._create_index_name(model._meta.db_table, ["hash"], suffix="_like")


def drop_like_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # only PostgreSQL has it
    name = _like_index(schema_editor, apps.get_model("audit", "AuditEntry"))
    schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def create_like_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    model = apps.get_model("audit", "AuditEntry")
    name = schema_editor.quote_name(_like_index(schema_editor, model))
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} "
                          f"ON {schema_editor.quote_name(model._meta.db_table)} (hash varchar_pattern_ops)")


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_head_and_append_only")]
    operations = [
        migrations.RunPython(drop_like_index, create_like_index),
    ]
