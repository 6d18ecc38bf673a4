"""The seed plan: 晋江市残疾人职业技能提升计划（2019-2020年）实施方案 (晋残〔2019〕64号)."""

import datetime as dt

from django.db import migrations

NAME = "残疾人职业技能提升计划（2019-2020年）"


def seed(apps, schema_editor):
    Plan = apps.get_model("reports", "Plan")
    Plan.objects.get_or_create(name=NAME, defaults={
        "period_start": dt.date(2019, 1, 1), "period_end": dt.date(2020, 12, 31),
        "document": "晋残〔2019〕64号"})


def unseed(apps, schema_editor):
    apps.get_model("reports", "Plan").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):

    dependencies = [("reports", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
