"""The open follow-ups per town and month of their due date, counted from the follow-ups."""

from django.db import migrations, models


def fill(apps, schema_editor):
    cell = apps.get_model("employment", "OpenFollowUpCell")
    followup = apps.get_model("employment", "FollowUp")
    counts: dict[tuple, int] = {}
    rows = (followup.objects.filter(date__isnull=True).order_by().values_list("due_on", "town_id")
            .annotate(n=models.Count("id")))
    for due_on, town, n in rows.iterator(chunk_size=10000):
        key = (due_on.replace(day=1), town)
        counts[key] = counts.get(key, 0) + n
    cell.objects.bulk_create([cell(month=month, town=town, n=n)
                              for (month, town), n in sorted(counts.items())], batch_size=5000)


class Migration(migrations.Migration):

    dependencies = [
        ('employment', '0002_open_followup_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='OpenFollowUpCell',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('town', models.CharField(max_length=12)),
                ('month', models.DateField()),
                ('n', models.IntegerField(default=0)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('month', 'town'), name='open_followup_cell_once')],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
