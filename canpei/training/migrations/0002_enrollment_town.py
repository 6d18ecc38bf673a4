import django.db.models.deletion
from django.db import migrations, models

# Copy each trainee's town onto their enrolments before the column becomes required.
FILL_TOWN = """
UPDATE training_enrollment
   SET town_id = (SELECT town_id FROM people_person WHERE people_person.id = training_enrollment.person_id)
"""


class Migration(migrations.Migration):

    dependencies = [
        ("regions", "0002_load_jinjiang"),
        ("training", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="enrollment",
            name="town",
            field=models.ForeignKey(editable=False, null=True,
                                    on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to="regions.region"),
        ),
        migrations.RunSQL(FILL_TOWN, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="enrollment",
            name="town",
            field=models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to="regions.region"),
        ),
        migrations.AddIndex(
            model_name="enrollment",
            index=models.Index(fields=["town", "training_class"], name="enrollment_town_class"),
        ),
    ]
