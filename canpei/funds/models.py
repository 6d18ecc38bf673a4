"""Funds (资金): budgets by year and source, subsidy standards, donations, procurement contracts
and disbursements, each disbursement tied to exactly one purpose and never paid twice.

Money rows are never edited: a budget adjustment is a new budget entry, a reversal (冲销) a new
negative disbursement naming the one it reverses. Amounts are Decimal to the fen.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _

from canpei.codes import (
    AwardGrade, CodedDisplay, Codes, FundSource, TrainingLevel, TrainingMode, TrainingType,
)
from canpei.timestamps import written_by
from canpei.training.models import ApplicationKind, ClassCycle

ZERO = Decimal("0.00")



class BudgetKind(Codes):
    INITIAL = "initial", "年初预算"
    ADJUSTMENT = "adjustment", "预算调整"
    DONATION = "donation", "捐赠收入"


class Budget(CodedDisplay, models.Model):
    """One entry of a year's budget for one source; the year's budget is the sum of its entries."""

    year = models.PositiveSmallIntegerField(_("年度"))
    source = models.CharField(_("资金来源"), max_length=16, choices=FundSource.choices)
    kind = models.CharField(_("类别"), max_length=16, choices=BudgetKind.choices,
                            default=BudgetKind.INITIAL)
    amount = models.DecimalField(_("金额（元）"), max_digits=14, decimal_places=2)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    donation = models.OneToOneField("funds.Donation", null=True, blank=True, editable=False,
                                    on_delete=models.PROTECT, related_name="budget_entry")
    created_by = written_by()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-year", "source", "id"]
        indexes = [models.Index(fields=["year", "source"], name="budget_year_source")]
        constraints = [
            models.CheckConstraint(condition=models.Q(source__in=FundSource.values),
                                   name="budget_source_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.get_source_display()} {self.amount}"


class StandardPurpose(Codes):
    CLASS = "class", "培训班"
    APPLICATION = "application", "个人申请"
    AWARD = "award", "竞赛奖励"


class SubsidyStandard(CodedDisplay, models.Model):
    """An amount per trainee (a class), per application kind, or per award grade, in force from
    `effective_from` to `effective_to` (open when blank). A class standard's level, mode and cycle
    may be blank, meaning any; the most specific standard in force on the class's start date
    applies. Two standards of the same key never overlap in time."""

    purpose = models.CharField(_("适用对象"), max_length=16, choices=StandardPurpose.choices)
    training_type = models.CharField(_("培训类型"), max_length=20, choices=TrainingType.choices,
                                     blank=True)
    level = models.CharField(_("培训等级"), max_length=16, choices=TrainingLevel.choices, blank=True)
    mode = models.CharField(_("培训方式"), max_length=16, choices=TrainingMode.choices, blank=True)
    cycle = models.CharField(_("培训周期"), max_length=8, choices=ClassCycle.choices, blank=True)
    application_kind = models.CharField(_("申请类型"), max_length=16,
                                        choices=ApplicationKind.choices, blank=True)
    award_grade = models.CharField(_("奖项等次"), max_length=16, choices=AwardGrade.choices,
                                   blank=True)
    amount = models.DecimalField(_("标准（元/人）"), max_digits=14, decimal_places=2)
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    note = models.CharField(_("文件依据"), max_length=200, blank=True)
    created_by = written_by()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["purpose", "training_type", "level", "-effective_from", "id"]
        indexes = [models.Index(fields=["purpose", "training_type", "effective_from"],
                                name="standard_key_from")]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="standard_positive"),
            models.CheckConstraint(
                condition=models.Q(effective_to__isnull=True)
                | models.Q(effective_to__gte=models.F("effective_from")),
                name="standard_dates_ordered"),
        ]

    def __str__(self) -> str:
        return gettext("%(standard)s %(amount)s 元") % {"standard": self.describe(),
                                                     "amount": self.amount}

    def key(self) -> tuple[str, ...]:
        return (self.purpose, self.training_type, self.level, self.mode, self.cycle,
                self.application_kind, self.award_grade)

    def describe(self) -> str:
        """The key in words: 就业技能培训·初级·集中办班 (any where blank)."""
        parts: list[str] = []
        if self.purpose == StandardPurpose.CLASS:
            parts = [self.get_training_type_display(),
                     self.get_level_display() if self.level else gettext("各等级"),
                     self.get_mode_display() if self.mode else gettext("各方式"),
                     self.get_cycle_display() if self.cycle else gettext("各周期")]
        elif self.purpose == StandardPurpose.APPLICATION:
            parts = [gettext("个人申请"), self.get_application_kind_display()]
        else:
            parts = [gettext("竞赛"), self.get_award_grade_display()]
        return "·".join(str(p) for p in parts)


class Donation(models.Model):
    """A donation received (社会捐赠); recording it adds the amount to the year's donation budget."""

    donor = models.CharField(_("捐赠人"), max_length=100)
    amount = models.DecimalField(_("金额（元）"), max_digits=14, decimal_places=2)
    purpose = models.CharField(_("用途"), max_length=200, blank=True)
    date = models.DateField(_("捐赠日期"))
    receipt_number = models.CharField(_("收据编号"), max_length=50, unique=True)
    created_by = written_by()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0),
                                              name="donation_positive")]

    def __str__(self) -> str:
        return f"{self.donor} {self.amount}"


class Contract(models.Model):
    """A government procurement contract (政府购买培训服务) with an institution."""

    institution = models.ForeignKey("institutions.Institution", verbose_name=_("承接机构"),
                                    on_delete=models.PROTECT, related_name="contracts")
    number = models.CharField(_("合同编号"), max_length=50, unique=True)
    amount = models.DecimalField(_("合同金额（元）"), max_digits=14, decimal_places=2)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    classes = models.ManyToManyField("training.TrainingClass", verbose_name=_("涵盖培训班"),
                                     blank=True, related_name="contracts")
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = written_by()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="contract_positive"),
            models.CheckConstraint(condition=models.Q(start_date__lte=models.F("end_date")),
                                   name="contract_dates_ordered"),
        ]

    def __str__(self) -> str:
        return self.number


class Purpose(Codes):
    """What a disbursement pays for (INTERFACES.md); PURPOSE_TARGETS in services says which
    field names the thing paid."""

    CLASS = "class", "培训班补贴"
    APPLICATION = "application", "个人申请补贴"
    AWARD = "award", "竞赛奖励"
    CONTRACT = "contract", "政府购买服务"


def _paid_once(field: str, *extra: str) -> models.UniqueConstraint:
    """One live payment per purpose target: reversals and reversed payments excepted."""
    return models.UniqueConstraint(
        fields=[field, *extra], name=f"disbursement_once_per_{field}",
        condition=models.Q(**{f"{field}__isnull": False}, reverses__isnull=True,
                           is_reversed=False))


class Disbursement(CodedDisplay, models.Model):
    """One payment (拨付) for exactly one purpose, or the reversal (冲销) of one: a negative
    entry with a reason. The lines show how the amount was computed."""

    purpose = models.CharField(_("用途"), max_length=16, choices=Purpose.choices)
    training_class = models.ForeignKey("training.TrainingClass", verbose_name=_("培训班"),
                                       null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="disbursements")
    application = models.ForeignKey("training.Application", verbose_name=_("个人申请"), null=True,
                                    blank=True, on_delete=models.PROTECT,
                                    related_name="disbursements")
    contract = models.ForeignKey(Contract, verbose_name=_("合同"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="disbursements")
    instalment = models.PositiveSmallIntegerField(_("期次"), null=True, blank=True)
    entry = models.ForeignKey("competitions.Entry", verbose_name=_("获奖参赛记录"), null=True,
                              blank=True, on_delete=models.PROTECT, related_name="disbursements")
    # Copied from the class or contract: an institution sees the payments made to it.
    institution = models.ForeignKey("institutions.Institution", verbose_name=_("收款机构"),
                                    null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", editable=False)
    year = models.PositiveSmallIntegerField(_("预算年度"))
    source = models.CharField(_("资金来源"), max_length=16, choices=FundSource.choices)
    amount = models.DecimalField(_("金额（元）"), max_digits=14, decimal_places=2)
    reverses = models.OneToOneField("self", verbose_name=_("冲销的拨付"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="reversal")
    is_reversed = models.BooleanField(_("已冲销"), default=False, editable=False)
    reason = models.CharField(_("冲销原因"), max_length=200, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = written_by()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        # The ledger sums a year's payments by source and use from this index alone.
        indexes = [models.Index(fields=["year", "source", "purpose", "amount"],
                                name="disbursement_year_paid")]
        constraints = [
            _paid_once("training_class"),
            _paid_once("application"),
            _paid_once("contract", "instalment"),
            _paid_once("entry"),
            models.CheckConstraint(condition=models.Q(purpose__in=Purpose.values),
                                   name="disbursement_purpose_valid"),
            models.CheckConstraint(condition=models.Q(source__in=FundSource.values),
                                   name="disbursement_source_valid"),
            models.CheckConstraint(
                condition=models.Q(reverses__isnull=True, amount__gt=0)
                | models.Q(reverses__isnull=False, amount__lt=0),
                name="disbursement_sign"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_purpose_display()} {self.amount}"

    @property
    def target_label(self) -> str:
        if self.training_class_id:
            return str(self.training_class)
        if self.application_id:
            return gettext("个人申请 #%(id)s") % {"id": self.application_id}
        if self.contract_id:
            return gettext("合同 %(contract)s 第 %(instalment)s 期") % {
                "contract": self.contract, "instalment": self.instalment}
        if self.entry_id:
            return gettext("竞赛获奖 #%(id)s") % {"id": self.entry_id}
        return ""


class DisbursementLine(models.Model):
    """One line of a disbursement's computation: a trainee, the standard applied, the amount."""

    disbursement = models.ForeignKey(Disbursement, on_delete=models.PROTECT, related_name="lines")
    person = models.ForeignKey("people.Person", verbose_name=_("学员"), on_delete=models.PROTECT,
                               related_name="+")
    # Where the person lived when paid: a town sees the money spent on its persons.
    town = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    standard = models.ForeignKey(SubsidyStandard, verbose_name=_("补贴标准"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("金额（元）"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["disbursement", "id"]
        indexes = [models.Index(fields=["town", "disbursement"], name="line_town_disbursement")]


class IdempotencyKey(models.Model):
    """The first answer to a POST carrying an `Idempotency-Key`, per user: a retry gets it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(default=0)
    body = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"],
                                               name="idempotency_one_per_user_key")]


class TownYearPaid(models.Model):
    """The money paid for the persons of a town in a year (its lines, reversals netted) and how
    many persons: the money-by-town report's summary, moved by each payment's and reversal's
    transaction (canpei.funds.summaries), rebuilt and checked by `canpei summaries`."""

    year = models.PositiveSmallIntegerField(_("年度"))
    town = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    persons = models.PositiveIntegerField(_("人数"), default=0)
    amount = models.DecimalField(_("金额（元）"), max_digits=16, decimal_places=2, default=ZERO)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["year", "town"],
                                               name="town_year_paid_once")]
