from django.db import migrations


# The skills dictionary as first loaded (PRODUCT.md), frozen here: a migration must not read
# live code, which may change after the migration has run on a database.
DEFAULT_SKILLS = [
    ("blind_massage", "盲人保健按摩"),
    ("medical_massage", "医疗按摩"),
    ("ecommerce", "电子商务"),
    ("home_handicraft", "居家就业/手工"),
    ("folk_craft", "民间工艺/闽南传统文化技艺"),
    ("planting_breeding", "种植养殖"),
    ("computer", "计算机"),
    ("cooking", "烹饪/面点"),
    ("beauty_hairdressing", "美容美发"),
    ("sewing", "服装缝纫"),
]


def load(apps, schema_editor):
    Skill = apps.get_model("people", "Skill")
    for order, (code, name) in enumerate(DEFAULT_SKILLS, start=1):
        Skill.objects.get_or_create(code=code, defaults={"name": name, "sort_order": order})


class Migration(migrations.Migration):
    dependencies = [("people", "0003_skill_survey")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
