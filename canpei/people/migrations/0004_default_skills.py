from django.db import migrations


def load(apps, schema_editor):
    from canpei.training.choices import DEFAULT_SKILLS

    Skill = apps.get_model("people", "Skill")
    for order, (code, name) in enumerate(DEFAULT_SKILLS, start=1):
        Skill.objects.get_or_create(code=code, defaults={"name": name, "sort_order": order})


class Migration(migrations.Migration):
    dependencies = [("people", "0003_skill_survey")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
