"""Indexes no query uses, dropped: each is maintained on every row written (an import of
100,000 persons spent a good part of its database time on them).

- town: the composite indexes of Meta.indexes all start with the town and serve its lookups
  (the list, the scope filters, the PROTECT check when a region is deleted).
- the `_like` (varchar_pattern_ops) copies Django adds on PostgreSQL to every indexed varchar:
  the ID and certificate hashes and the village code are only ever compared whole.
"""

from django.db import migrations, models
import django.db.models.deletion

LIKE_INDEXED = ("id_hash", "cert_hash", "village_id")


def _like_indexes(schema_editor, model):
    table = model._meta.db_table
    return [(schema_editor._create_index_name(table, [column], suffix="_like"), column)
            for column in LIKE_INDEXED]


def drop_like_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # only PostgreSQL has them
    for name, _column in _like_indexes(schema_editor, apps.get_model("people", "Person")):
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def create_like_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    model = apps.get_model("people", "Person")
    table = schema_editor.quote_name(model._meta.db_table)
    for name, column in _like_indexes(schema_editor, model):
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {schema_editor.quote_name(name)} ON {table} "
                              f"({schema_editor.quote_name(column)} varchar_pattern_ops)")


class Migration(migrations.Migration):
    dependencies = [("people", "0004_default_skills"), ("regions", "0001_initial")]
    operations = [
        migrations.AlterField(
            model_name="person",
            name="town",
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="persons", to="regions.region", verbose_name="所属镇街"),
        ),
        migrations.RunPython(drop_like_indexes, create_like_indexes),
    ]
