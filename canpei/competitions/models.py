"""Skill competitions (职业技能竞赛) with their events (项目) and entries, and typical cases
(典型案例) with the consent of the person they tell about.

An entry carries the person's town, copied from the person and kept in step when the person
moves (like `EmploymentService.town`): town staff see their town's entries by that column. So
does a typical case about a person. Award grades are the shared code table
`canpei.codes.AwardGrade`, which the award subsidy standards of the funds are keyed by.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from canpei.codes import AwardGrade, CompetitionLevel, code_table
from canpei.timestamps import Timestamped
from canpei.validation import choices_constraint

ConsentMethod = code_table("ConsentMethod", "consent_method")
CaseChannel = code_table("CaseChannel", "case_channel")


class Competition(Timestamped):
    """A skill competition: its name, level and dates."""

    name = models.CharField(_("竞赛名称"), max_length=100)
    level = models.CharField(_("竞赛级别"), max_length=16, choices=CompetitionLevel.choices)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    organizer = models.CharField(_("主办单位"), max_length=100, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        ordering = ["-start_date", "-id"]
        constraints = [
            choices_constraint("level", CompetitionLevel, "competition_level_valid"),
            models.CheckConstraint(condition=models.Q(end_date__gte=models.F("start_date")),
                                   name="competition_dates_in_order"),
        ]

    def __str__(self) -> str:
        return self.name


class Event(models.Model):
    """One event (项目) of a competition, e.g. 电子商务, 盲人按摩."""

    competition = models.ForeignKey(Competition, verbose_name=_("竞赛"), on_delete=models.CASCADE,
                                    related_name="events")
    name = models.CharField(_("项目名称"), max_length=50)

    class Meta:
        ordering = ["competition", "id"]
        constraints = [
            models.UniqueConstraint(fields=["competition", "name"], name="event_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Entry(Timestamped):
    """A person entered in an event (参赛), with the result and award grade once known."""

    event = models.ForeignKey(Event, verbose_name=_("竞赛项目"), on_delete=models.PROTECT,
                              related_name="entries")
    person = models.ForeignKey("people.Person", verbose_name=_("参赛人员"),
                               on_delete=models.PROTECT, related_name="competition_entries")
    town = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                             editable=False)
    result = models.CharField(_("比赛成绩"), max_length=50, blank=True)
    award = models.CharField(_("获奖等次"), max_length=16, choices=AwardGrade.choices, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["event", "id"]
        verbose_name = _("参赛记录")
        constraints = [
            models.UniqueConstraint(fields=["event", "person"], name="entry_once_per_event"),
            choices_constraint("award", AwardGrade, "entry_award_valid", blank=True),
        ]
        indexes = [
            models.Index(fields=["town", "event"], name="entry_town_event"),
            models.Index(fields=["award"], condition=~models.Q(award=""),
                         name="entry_awarded"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id}/{self.person_id}"


class TypicalCase(Timestamped):
    """A typical case (典型案例) for publicity; about a person or not. A case about a person is
    published only with the person's recorded consent, not withdrawn (services)."""

    title = models.CharField(_("标题"), max_length=100)
    text = models.TextField(_("正文"))
    person = models.ForeignKey("people.Person", verbose_name=_("案例人物"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="typical_cases")
    town = models.ForeignKey("regions.Region", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+", editable=False)
    channel = models.CharField(_("宣传渠道"), max_length=16, choices=CaseChannel.choices, blank=True)
    published_on = models.DateField(_("发布日期"), null=True, blank=True)
    consent_on = models.DateField(_("同意日期"), null=True, blank=True)
    consent_method = models.CharField(_("同意方式"), max_length=16, choices=ConsentMethod.choices,
                                      blank=True)
    consent_scope = models.CharField(_("同意范围"), max_length=200, blank=True)
    consent_withdrawn_on = models.DateField(_("撤回同意日期"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("典型案例")
        constraints = [
            choices_constraint("channel", CaseChannel, "case_channel_valid", blank=True),
            choices_constraint("consent_method", ConsentMethod, "case_consent_method_valid",
                               blank=True),
            # Published only with a channel, and (about a person) with consent not withdrawn.
            models.CheckConstraint(
                condition=(models.Q(published_on__isnull=True)
                           | (~models.Q(channel="")
                              & (models.Q(person__isnull=True)
                                 | models.Q(consent_on__isnull=False,
                                            consent_withdrawn_on__isnull=True)))),
                name="case_published_with_consent"),
        ]
        indexes = [models.Index(fields=["town"], name="case_town")]

    def __str__(self) -> str:
        return self.title

    @property
    def consent_valid(self) -> bool:
        return self.consent_on is not None and self.consent_withdrawn_on is None

    @property
    def published(self) -> bool:
        return self.published_on is not None
