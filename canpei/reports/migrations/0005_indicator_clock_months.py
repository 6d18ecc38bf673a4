"""The indicators' clock records the milestones its cells were built for. A summary built before
it was built for the milestones configured now (nothing else could have built it): stamped so."""

from django.conf import settings
from django.db import migrations, models


def stamp(apps, schema_editor):
    clock = apps.get_model("reports", "IndicatorClock")
    clock.objects.update(months=",".join(str(m) for m in settings.FOLLOWUP_MONTHS))


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0004_indicator_summary'),
    ]

    operations = [
        migrations.AddField(
            model_name='indicatorclock',
            name='months',
            field=models.CharField(default='', max_length=100),
        ),
        migrations.RunPython(stamp, migrations.RunPython.noop),
    ]
