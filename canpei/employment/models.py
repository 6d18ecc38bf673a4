"""Employment after training: the follow-ups of completers (就业跟踪) and the employment
services given to persons (就业服务).

A follow-up is scheduled (a row with its `due_on` and no `date`) when a trainee's completion is
final, and recorded when the town or the employment service centre has reached the person. Both
kinds of record carry the person's town, copied from the person and kept in step when the
person moves (like `Enrollment.town`): town staff see their town's records by that column.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from canpei.codes import code_table
from canpei.people.rules import EmploymentForm, NotWorkingReason
from canpei.timestamps import Timestamped, written_by
from canpei.validation import choices_constraint

FollowUpMethod = code_table("FollowUpMethod", "followup_method")
ServiceKind = code_table("ServiceKind", "service_kind")
ReferralResult = code_table("ReferralResult", "referral_result")


class FollowUp(Timestamped):
    """One follow-up of a completer, `months` after the end of what they completed: a class
    (`enrollment`) or an individual application (`application`), exactly one of the two."""

    person = models.ForeignKey("people.Person", verbose_name=_("学员"), on_delete=models.PROTECT,
                               related_name="followups")
    town = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                             editable=False)
    enrollment = models.ForeignKey("training.Enrollment", verbose_name=_("培训班学员"), null=True,
                                   blank=True, on_delete=models.PROTECT, related_name="followups")
    application = models.ForeignKey("training.Application", verbose_name=_("个人申请"), null=True,
                                    blank=True, on_delete=models.PROTECT, related_name="followups")
    months = models.PositiveSmallIntegerField(_("跟踪节点（月）"))
    ended_on = models.DateField(_("培训结束日期"))
    due_on = models.DateField(_("应跟踪日期"))

    # The record; `date` is empty until the follow-up is made.
    date = models.DateField(_("跟踪日期"), null=True, blank=True)
    method = models.CharField(_("跟踪方式"), max_length=16, choices=FollowUpMethod.choices, blank=True)
    employed = models.BooleanField(_("已就业"), null=True, blank=True)
    employment_form = models.CharField(_("就业形式"), max_length=1, choices=EmploymentForm.choices,
                                       blank=True)
    employer = models.CharField(_("就业单位"), max_length=100, blank=True)
    position = models.CharField(_("岗位"), max_length=50, blank=True)
    contract_signed = models.BooleanField(_("签订劳动合同"), null=True, blank=True)
    social_insurance = models.BooleanField(_("缴纳社会保险"), null=True, blank=True)
    monthly_income = models.DecimalField(_("月收入（元）"), max_digits=9, decimal_places=2, null=True,
                                         blank=True)
    business_started = models.BooleanField(_("已自主创业"), null=True, blank=True)
    not_working_reason = models.CharField(_("未就业原因"), max_length=1,
                                          choices=NotWorkingReason.choices, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    recorded_by = written_by()

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(enrollment__isnull=False, application__isnull=True)
                           | models.Q(enrollment__isnull=True, application__isnull=False)),
                name="followup_one_source"),
            models.UniqueConstraint(fields=["enrollment", "months"], name="followup_one_per_enrollment"),
            models.UniqueConstraint(fields=["application", "months"],
                                    name="followup_one_per_application"),
            models.CheckConstraint(condition=models.Q(monthly_income__gte=0),
                                   name="followup_income_not_negative"),
            choices_constraint("method", FollowUpMethod, "followup_method_valid", blank=True),
        ]
        indexes = [
            # A town's worklist: due this month, overdue (date empty, due_on before today), done.
            models.Index(fields=["town", "due_on"], name="followup_town_due"),
            models.Index(fields=["due_on"], name="followup_due"),
            models.Index(fields=["person", "due_on"], name="followup_person_due"),
            # The open ones only: the home pages count those due this month and overdue.
            models.Index(fields=["due_on"], condition=models.Q(date__isnull=True),
                         name="followup_open_due"),
            models.Index(fields=["town", "due_on"], condition=models.Q(date__isnull=True),
                         name="followup_open_town_due"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}/{self.months}"

    @property
    def done(self) -> bool:
        return self.date is not None


class OpenFollowUpCell(models.Model):
    """The unrecorded follow-ups of one town falling due in one month (`month`: its first day).
    The home pages count "overdue" from these for the months before the current one, and from
    the follow-ups themselves for the current month only (canpei.employment.followups.summary
    keeps them in every writer's transaction; tests compare them with the follow-ups)."""

    town = models.CharField(max_length=12)
    month = models.DateField()
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "town"],
                                               name="open_followup_cell_once")]


class EmploymentService(Timestamped):
    """One employment service given to a person (就业服务): consultation, guidance, a job
    referral with its result, entrepreneurship support, rights protection."""

    person = models.ForeignKey("people.Person", verbose_name=_("服务对象"), on_delete=models.PROTECT,
                               related_name="employment_services")
    town = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                             editable=False)
    kind = models.CharField(_("服务类别"), max_length=24, choices=ServiceKind.choices)
    date = models.DateField(_("服务日期"))
    content = models.TextField(_("服务内容"), blank=True)
    # A job referral's employer, position and result; empty for the other kinds.
    employer = models.CharField(_("推荐单位"), max_length=100, blank=True)
    position = models.CharField(_("推荐岗位"), max_length=50, blank=True)
    result = models.CharField(_("推荐结果"), max_length=16, choices=ReferralResult.choices, blank=True)
    provider = models.CharField(_("服务人员"), max_length=30, blank=True)
    recorded_by = written_by()

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [
            choices_constraint("kind", ServiceKind, "service_kind_valid"),
            choices_constraint("result", ReferralResult, "service_result_valid", blank=True),
        ]
        indexes = [
            models.Index(fields=["town", "date"], name="service_town_date"),
            models.Index(fields=["person", "date"], name="service_person_date"),
            models.Index(fields=["kind", "result"], name="service_kind_result"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}/{self.kind}/{self.date}"
