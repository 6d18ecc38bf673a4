from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _

from canpei.codes import code_table
from canpei.timestamps import Timestamped
from canpei.workflows import WorkflowEvent, state_field


InstitutionType = code_table("InstitutionType", "institution_type")
DesignationState = code_table("DesignationState", "designation_state")


class Institution(Timestamped):
    """A training institution: what the city designates, and what institution staff are scoped to.

    `state` and the validity dates change only through services.institution_transition, which
    writes a DesignationEvent for every step.
    """

    name = models.CharField(_("名称"), max_length=100)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    type = models.CharField(_("类型"), max_length=32, choices=InstitutionType.choices)
    town = models.ForeignKey("regions.Region", verbose_name=_("所在镇街"), on_delete=models.PROTECT,
                             related_name="institutions")
    address = models.CharField(_("地址"), max_length=200, blank=True)
    license_number = models.CharField(_("办学许可证号"), max_length=50, blank=True)
    specialties = models.TextField(_("培训专业"), blank=True)
    # Slugs of rules.PREMISES_ACCESSIBILITY.
    accessibility = models.JSONField(_("场所无障碍设施"), default=list, blank=True)
    contact_person = models.CharField(_("联系人"), max_length=30, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    state = models.CharField(_("状态"), max_length=16, choices=DesignationState.choices,
                             default=DesignationState.APPLIED)
    designated_from = models.DateField(_("定点起始"), null=True, blank=True)
    designated_to = models.DateField(_("定点截止"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["town", "id"], name="institution_town_id"),
            models.Index(fields=["state", "id"], name="institution_state_id"),
            models.Index(fields=["name"], name="institution_name_prefix",
                         opclasses=["varchar_pattern_ops"]),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(state__in=DesignationState.values),
                                   name="institution_state_valid"),
            models.CheckConstraint(condition=models.Q(type__in=InstitutionType.values),
                                   name="institution_type_valid"),
            models.CheckConstraint(
                condition=models.Q(designated_from__isnull=True) | models.Q(designated_to__isnull=True)
                | models.Q(designated_from__lte=models.F("designated_to")),
                name="institution_validity_ordered"),
        ]

    def __str__(self) -> str:
        return self.name

    def designation_valid_on(self, on: dt.date) -> bool:
        from canpei.institutions.rules import designation_valid_on

        return designation_valid_on(self, on)

    @property
    def designation_valid_today(self) -> bool:
        return self.designation_valid_on(timezone.localdate())

    @property
    def accessibility_labels(self) -> list[str]:
        from canpei.institutions.rules import PREMISES_ACCESSIBILITY

        return [gettext(PREMISES_ACCESSIBILITY.get(slug, slug)) for slug in self.accessibility or []]


class Teacher(models.Model):
    """A teacher of an institution (师资). Retired teachers are kept, marked inactive, because
    classes will name them."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="teachers")
    name = models.CharField(_("姓名"), max_length=30)
    specialty = models.CharField(_("专业"), max_length=50, blank=True)
    qualification = models.CharField(_("资格"), max_length=100, blank=True)
    active = models.BooleanField(_("在岗"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["institution", "id"]

    def __str__(self) -> str:
        return self.name


# The steps of the designation lifecycle; rules.DESIGNATION_WORKFLOW is their table.
DesignationAction = code_table("DesignationAction", "designation_action")


class DesignationEvent(WorkflowEvent):
    """One step of an institution's designation lifecycle: who, when, from what to what, why,
    and the validity dates it left."""

    actions = DesignationAction

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT,
                                    related_name="designation_events")
    from_state = state_field(_("原状态"), DesignationState)
    to_state = state_field(_("新状态"), DesignationState)
    designated_from = models.DateField(_("定点起始"), null=True, blank=True)
    designated_to = models.DateField(_("定点截止"), null=True, blank=True)

    class Meta:
        ordering = ["institution", "at", "id"]
        indexes = [models.Index(fields=["institution", "at"], name="designation_event_inst_at")]

    def __str__(self) -> str:
        return f"{self.institution_id} {self.action} {self.from_state}→{self.to_state}"
