"""The plans (计划) the city is measured against. A plan is a name and a period; its three
targets are computed from the records (canpei.reports.targets), never typed in."""

from __future__ import annotations

from django.db import models

from canpei.timestamps import Timestamped


class Plan(Timestamped):
    """A plan period, such as the seed plan 残疾人职业技能提升计划（2019-2020年）."""

    name = models.CharField("计划名称", max_length=100, unique=True)
    period_start = models.DateField("开始日期")
    period_end = models.DateField("结束日期")
    document = models.CharField("文号", max_length=50, blank=True)

    class Meta:
        ordering = ["-period_start", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(period_start__lte=models.F("period_end")),
                                   name="plan_period_ordered"),
        ]

    def __str__(self) -> str:
        return self.name
