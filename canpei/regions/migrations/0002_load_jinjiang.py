from django.db import migrations


def load(apps, schema_editor):
    import csv
    from pathlib import Path

    Region = apps.get_model("regions", "Region")
    path = Path(__file__).resolve().parent.parent / "data" / "jinjiang_regions.csv"
    with path.open(encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            Region.objects.update_or_create(
                code=row["code"],
                defaults={"name": row["name"], "level": row["level"], "parent_id": row["parent"] or None},
            )


class Migration(migrations.Migration):
    dependencies = [("regions", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
