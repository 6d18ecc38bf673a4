from __future__ import annotations

from django.db.models import QuerySet

from canpei.regions.models import Region


def towns() -> QuerySet[Region]:
    """Towns and streets (镇、街道): public reference data, visible to every signed-in role."""
    return Region.objects.filter(level=Region.Level.TOWN).order_by("code")
