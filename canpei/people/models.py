from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext, gettext_lazy as _
from django.utils import timezone

from canpei.codes import ACCESSIBILITY_NEEDS, TrainingMode, TrainingType, shown_label
from canpei.people import crypto
from canpei.people.rules import (
    HARDSHIP_FLAGS, Category, Education, EmploymentForm, Gender, Grade, NotWorkingReason,
    PersonStatus, mask_cert_number, mask_id_number, working_age_on,
)
from canpei.timestamps import Timestamped
from canpei.validation import choices_constraint


class Person(Timestamped):
    """A disabled person on the real-name registry (实名制), one per ID number city-wide."""

    name = models.CharField(_("姓名"), max_length=30)
    # Search columns, derived from the name by the service that writes it.
    name_pinyin = models.CharField(max_length=120, editable=False)
    name_initials = models.CharField(max_length=30, editable=False)

    # The numbers themselves are stored encrypted; the hashes find them, the tail lists them.
    id_number_enc = models.CharField(max_length=120, editable=False)
    id_hash = models.CharField(max_length=64, unique=True, editable=False)
    id_tail = models.CharField(max_length=4, editable=False)
    cert_number_enc = models.CharField(max_length=120, blank=True, editable=False)
    cert_hash = models.CharField(max_length=64, null=True, unique=True, editable=False)

    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices, editable=False)
    birth_date = models.DateField(_("出生日期"), editable=False)
    category = models.CharField(_("残疾类别"), max_length=1, choices=Category.choices)
    grade = models.CharField(_("残疾等级"), max_length=1, choices=Grade.choices)
    # No index of its own: every index of Meta.indexes that starts with the town serves its
    # lookups, and each index more is work on every row an import writes.
    town = models.ForeignKey("regions.Region", verbose_name=_("所属镇街"), on_delete=models.PROTECT,
                             related_name="persons", db_index=False)
    village = models.ForeignKey("regions.Region", verbose_name=_("村（社区）"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="village_persons")
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    education = models.CharField(_("文化程度"), max_length=16, choices=Education.choices, blank=True)
    hardship_dibao = models.BooleanField(_("低保"), default=False)
    hardship_tekun = models.BooleanField(_("特困"), default=False)
    hardship_poverty_monitoring = models.BooleanField(_("建档立卡/防返贫监测"), default=False)
    employment_form = models.CharField(_("就业形式"), max_length=1, choices=EmploymentForm.choices,
                                       blank=True)
    not_working_reason = models.CharField(_("未就业原因"), max_length=1,
                                          choices=NotWorkingReason.choices, blank=True)
    new_entrant = models.BooleanField(_("新成长劳动力"), default=False)
    registered_unemployed = models.BooleanField(_("城镇登记失业"), default=False)
    entrepreneurship_intention = models.BooleanField(_("有创业意愿"), default=False)
    status = models.CharField(_("状态"), max_length=16, choices=PersonStatus.choices,
                              default=PersonStatus.ACTIVE)

    class Meta:
        ordering = ["id"]
        indexes = [
            # Person list: a town's page in id order, and its exact count.
            models.Index(fields=["town", "id"], name="person_town_id"),
            # Prefix searches (LIKE 'x%'); pattern ops make PostgreSQL use them under any collation.
            models.Index(fields=["name"], name="person_name_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["name_pinyin"], name="person_pinyin_prefix",
                         opclasses=["varchar_pattern_ops"]),
            # The initials indexes carry the pinyin, so that "initials but not pinyin" (the second
            # half of a latin search, counted apart by selectors.person_count) is index-only.
            models.Index(fields=["name_initials", "name_pinyin"], name="person_initials_pinyin",
                         opclasses=["varchar_pattern_ops", "varchar_pattern_ops"]),
            models.Index(fields=["id_tail"], name="person_id_tail"),
            models.Index(fields=["town", "name"], name="person_town_name",
                         opclasses=["varchar_pattern_ops", "varchar_pattern_ops"]),
            models.Index(fields=["town", "name_initials", "name_pinyin"], name="person_town_initials_py",
                         opclasses=["varchar_pattern_ops"] * 3),
            models.Index(fields=["town", "name_pinyin"], name="person_town_pinyin",
                         opclasses=["varchar_pattern_ops", "varchar_pattern_ops"]),
            models.Index(fields=["town", "id_tail"], name="person_town_id_tail"),
            # Covering the registry overview's count of the months of birth that straddle the
            # working-age bounds (status, town, id included): read from the index alone.
            models.Index(fields=["gender", "birth_date"], include=["status", "town", "id"],
                         name="person_gender_birth"),
        ]
        constraints = [
            choices_constraint("category", Category, "person_category_valid"),
            choices_constraint("grade", Grade, "person_grade_valid"),
            choices_constraint("status", PersonStatus, "person_status_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def id_number(self) -> str:
        return crypto.decrypt(self.id_number_enc)

    @property
    def cert_number(self) -> str:
        return crypto.decrypt(self.cert_number_enc)

    @property
    def id_number_masked(self) -> str:
        # The address code is the town's; only the tail is stored in clear.
        return mask_id_number(self.id_number)

    @property
    def cert_number_masked(self) -> str:
        return mask_cert_number(self.cert_number) if self.cert_number_enc else ""

    @property
    def hardship(self) -> list[str]:
        return [flag for flag in HARDSHIP_FLAGS if getattr(self, f"hardship_{flag}")]

    @property
    def hardship_labels(self) -> list[str]:
        return [gettext(HARDSHIP_FLAGS[flag]) for flag in self.hardship]

    def working_age_on(self, on: dt.date) -> bool:
        return working_age_on(birth=self.birth_date, gender=self.gender, on=on)

    @property
    def working_age(self) -> bool:
        return self.working_age_on(timezone.localdate())

    @property
    def age(self) -> int:
        from canpei.people.rules import age_on

        return age_on(self.birth_date, timezone.localdate())


class Skill(models.Model):
    """The skills dictionary (技能目录) that surveys and classes choose from; city staff edit it."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=50, unique=True)
    active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name

class Survey(Timestamped):
    """The annual employment and training needs survey (就业培训需求调查): one per person per year."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="surveys")
    year = models.PositiveSmallIntegerField(_("调查年度"))
    employment_form = models.CharField(_("就业形式"), max_length=1, choices=EmploymentForm.choices,
                                       blank=True)
    not_working_reason = models.CharField(_("未就业原因"), max_length=1,
                                          choices=NotWorkingReason.choices, blank=True)
    employer = models.CharField(_("就业单位"), max_length=100, blank=True)
    wants_work = models.BooleanField(_("有就业意愿"), default=False)
    new_entrant = models.BooleanField(_("新成长劳动力"), default=False)
    registered_unemployed = models.BooleanField(_("城镇登记失业"), default=False)
    entrepreneurship_intention = models.BooleanField(_("有创业意愿"), default=False)
    training_need = models.BooleanField(_("有培训需求"), default=False)
    wanted_types = models.JSONField(_("需求培训类型"), default=list, blank=True)
    wanted_skills = models.ManyToManyField(Skill, verbose_name=_("需求技能"), blank=True,
                                           related_name="surveys")
    preferred_mode = models.CharField(_("期望培训方式"), max_length=16, choices=TrainingMode.choices,
                                      blank=True)
    accessibility_needs = models.JSONField(_("无障碍需求"), default=list, blank=True)
    surveyor = models.CharField(_("调查人"), max_length=30, blank=True)
    surveyed_on = models.DateField(_("调查日期"))

    class Meta:
        ordering = ["-year", "id"]
        constraints = [
            models.UniqueConstraint(fields=["person", "year"], name="survey_one_per_person_year"),
        ]
        indexes = [models.Index(fields=["year", "person"], name="survey_year_person")]

    def __str__(self) -> str:
        return f"{self.person_id}/{self.year}"

    @property
    def wanted_type_labels(self) -> list[str]:
        return [shown_label(TrainingType, t) for t in self.wanted_types]

    @property
    def accessibility_need_labels(self) -> list[str]:
        # Shown on pages: in the reader's language.
        return [gettext(ACCESSIBILITY_NEEDS[n]) if n in ACCESSIBILITY_NEEDS else n
                for n in self.accessibility_needs]
