from __future__ import annotations

from django.db import models

from canpei.codes import CodedDisplay, Codes


class Region(CodedDisplay, models.Model):
    """A national statistical division (12-digit code): city, town/street or village."""

    class Level(Codes):
        CITY = "city", "市/县"
        TOWN = "town", "镇/街道"
        VILLAGE = "village", "村/社区"

    code = models.CharField(max_length=12, primary_key=True)
    name = models.CharField(max_length=64)
    level = models.CharField(max_length=8, choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children")

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=models.Q(code__regex=r"^[0-9]{12}$"),
                                   name="region_code_12_digits"),
        ]

    def __str__(self) -> str:
        return self.name
