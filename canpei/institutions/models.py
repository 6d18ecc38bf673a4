from __future__ import annotations

from django.db import models


class InstitutionType(models.TextChoices):
    UNIVERSITY = "university", "高等院校"
    VOCATIONAL_COLLEGE = "vocational_college", "职业院校"
    TECHNICAL_SCHOOL = "technical_school", "技工院校"
    SPECIAL_EDUCATION_SCHOOL = "special_education_school", "特教学校"
    ENTERPRISE = "enterprise", "企业培训机构"
    PRIVATE = "private", "民办职业培训机构"
    FEDERATION_BASE = "federation_base", "残联就业培训基地"
    RURAL_BASE = "rural_base", "农村种养殖实用技术培训基地"
    PUBLIC_TRAINING_BASE = "public_training_base", "公共实训基地"


class DesignationState(models.TextChoices):
    APPLIED = "applied", "申请中"
    DESIGNATED = "designated", "定点"
    DEMONSTRATION = "demonstration", "示范点"
    SUSPENDED = "suspended", "暂停"
    REVOKED = "revoked", "撤销"


class Institution(models.Model):
    """A training institution. The designation lifecycle and teachers come with the class work;
    this record is what the accounts of institution staff are scoped to."""

    name = models.CharField("名称", max_length=100)
    credit_code = models.CharField("统一社会信用代码", max_length=18, unique=True)
    type = models.CharField("类型", max_length=32, choices=InstitutionType.choices)
    town = models.ForeignKey("regions.Region", verbose_name="所在镇街", on_delete=models.PROTECT,
                             related_name="institutions")
    address = models.CharField("地址", max_length=200, blank=True)
    state = models.CharField("状态", max_length=16, choices=DesignationState.choices,
                             default=DesignationState.APPLIED)
    designated_from = models.DateField("定点起始", null=True, blank=True)
    designated_to = models.DateField("定点截止", null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name
