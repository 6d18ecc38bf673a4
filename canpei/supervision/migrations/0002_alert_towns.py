"""The towns each alert is about (AlertTown), filled from its persons' current towns."""

import django.db.models.deletion
from django.db import migrations, models


def fill(apps, schema_editor):
    alert_town = apps.get_model("supervision", "AlertTown")
    alert = apps.get_model("supervision", "Alert")
    person = apps.get_model("people", "Person")
    q = schema_editor.connection.ops.quote_name
    through = alert._meta.get_field("persons").remote_field.through
    schema_editor.execute(
        f"INSERT INTO {q(alert_town._meta.db_table)} (alert_id, town) "
        f"SELECT DISTINCT ap.alert_id, p.town_id FROM {q(through._meta.db_table)} ap "
        f"JOIN {q(person._meta.db_table)} p ON p.id = ap.person_id")


class Migration(migrations.Migration):

    dependencies = [
        ('supervision', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='AlertTown',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('town', models.CharField(max_length=12)),
                ('alert', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='towns', to='supervision.alert')),
            ],
            options={
                'indexes': [models.Index(fields=['town', 'alert'], name='alert_town_alert')],
                'constraints': [models.UniqueConstraint(fields=('alert', 'town'), name='alert_town_once')],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
