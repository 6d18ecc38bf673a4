"""Training classes and their lifecycle, enrolments and attendance, inspections, certificates,
individual applications and the online training of federation staff.

States change only through canpei.training.classes.services and
canpei.training.applications.services (one transition function per workflow, under
a row lock, with a history row and an audit entry per step).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from canpei.codes import CodedDisplay, TrainingLevel, TrainingMode, TrainingType, code_table
from canpei.timestamps import Timestamped, written_by
from canpei.workflows import WorkflowEvent, state_field


ClassState = code_table("ClassState", "class_state")
ClassCycle = code_table("ClassCycle", "class_cycle")
EnrollmentStatus = code_table("EnrollmentStatus", "enrollment_status")
AppraisalResult = code_table("AppraisalResult", "appraisal_result")
CertificateType = code_table("CertificateType", "certificate_type")


class ClassCodeCounter(models.Model):
    """The last class number issued per year. Its row lock makes codes unique and gapless under
    concurrency (a unique index alone would turn a race into a failed request)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)


class TrainingClass(Timestamped):
    """A training class (培训班) of a designated institution."""

    code = models.CharField(_("班级编号"), max_length=20, unique=True, editable=False)
    name = models.CharField(_("班级名称"), max_length=100)
    institution = models.ForeignKey("institutions.Institution", verbose_name=_("培训机构"),
                                    on_delete=models.PROTECT, related_name="classes")
    training_type = models.CharField(_("培训类型"), max_length=20, choices=TrainingType.choices)
    mode = models.CharField(_("培训方式"), max_length=16, choices=TrainingMode.choices)
    occupation = models.CharField(_("职业（工种）/技能"), max_length=50)
    skill = models.ForeignKey("people.Skill", verbose_name=_("技能目录"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="classes")
    industry = models.CharField(_("所属行业"), max_length=50, blank=True)
    level = models.CharField(_("培训等级"), max_length=16, choices=TrainingLevel.choices)
    appraisal = models.BooleanField(_("参加职业技能鉴定"), default=False)
    filing_number = models.CharField(_("开班备案号"), max_length=50, blank=True)
    start_date = models.DateField(_("开班日期"))
    end_date = models.DateField(_("结业日期"))
    hours = models.PositiveIntegerField(_("培训课时"))
    capacity = models.PositiveIntegerField(_("计划人数"))
    venue = models.CharField(_("培训地点"), max_length=200, blank=True)
    teachers = models.ManyToManyField("institutions.Teacher", verbose_name=_("授课教师"), blank=True,
                                      related_name="classes")
    subsidy_standard = models.DecimalField(_("补贴标准（元/人）"), max_digits=10, decimal_places=2,
                                           default=Decimal("0"))
    free_for_hardship = models.BooleanField(_("困难残疾人免费"), default=False)
    folk_craft = models.BooleanField(_("民间工艺/闽南传统文化"), default=False)
    high_skill = models.BooleanField(_("高技能人才"), default=False)
    young_adult_focus = models.BooleanField(_("青壮年"), default=False)
    # Given when the class was submitted or approved after its start date (issue 12); also kept
    # in the history as the step's comment.
    late_filing_reason = models.TextField(_("补报原因"), blank=True, default="")
    state = models.CharField(_("状态"), max_length=16, choices=ClassState.choices,
                             default=ClassState.DRAFT)
    created_by = written_by()

    class Meta:
        ordering = ["-start_date", "-id"]
        indexes = [
            models.Index(fields=["institution", "start_date", "id"], name="class_inst_start"),
            models.Index(fields=["state", "start_date", "id"], name="class_state_start"),
            models.Index(fields=["start_date", "id"], name="class_start_id"),
            models.Index(fields=["training_type", "start_date"], name="class_type_start"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(state__in=ClassState.values),
                                   name="class_state_valid"),
            models.CheckConstraint(condition=models.Q(training_type__in=TrainingType.values),
                                   name="class_type_valid"),
            models.CheckConstraint(condition=models.Q(mode__in=TrainingMode.values),
                                   name="class_mode_valid"),
            models.CheckConstraint(condition=models.Q(level__in=TrainingLevel.values),
                                   name="class_level_valid"),
            models.CheckConstraint(condition=models.Q(start_date__lte=models.F("end_date")),
                                   name="class_dates_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def cycle(self) -> str:
        from canpei.training.rules import class_cycle

        return class_cycle(self.start_date, self.end_date)

    @property
    def cycle_label(self) -> str:
        return ClassCycle(self.cycle).label

    @property
    def year(self) -> int:
        # A class spanning two years counts in its start year (PRODUCT.md).
        return self.start_date.year


# The steps of a class's lifecycle and their labels; rules.CLASS_WORKFLOW is their table.
ClassAction = code_table("ClassAction", "class_action")


class ClassEvent(WorkflowEvent):
    """One step of a class's lifecycle: who, when, from what to what, why."""

    actions = ClassAction

    training_class = models.ForeignKey(TrainingClass, on_delete=models.PROTECT,
                                       related_name="events")
    from_state = state_field(_("原状态"), ClassState)
    to_state = state_field(_("新状态"), ClassState)

    class Meta:
        ordering = ["training_class", "at", "id"]
        indexes = [models.Index(fields=["training_class", "at"], name="class_event_class_at")]


class CertificateEarned(models.Model):
    """The certificate a completion earned: an enrolment's, or an individual application's (its
    proof of completion)."""

    certificate_type = models.CharField(_("证书类型"), max_length=32, choices=CertificateType.choices,
                                        blank=True)
    certificate_level = models.CharField(_("证书等级"), max_length=16, choices=TrainingLevel.choices,
                                         blank=True)
    certificate_number = models.CharField(_("证书编号"), max_length=50, blank=True)
    certificate_date = models.DateField(_("发证日期"), null=True, blank=True)
    certificate_issuer = models.CharField(_("发证机构"), max_length=100, blank=True)

    class Meta:
        abstract = True


class Enrollment(CodedDisplay, CertificateEarned):
    """A person on a class's roster (花名册), with attendance, result and certificate."""

    training_class = models.ForeignKey(TrainingClass, verbose_name=_("培训班"), on_delete=models.PROTECT,
                                       related_name="enrollments")
    person = models.ForeignKey("people.Person", verbose_name=_("学员"), on_delete=models.PROTECT,
                               related_name="enrollments")
    # Where the trainee lives now, copied from the person and kept in step by the person
    # services: town staff see classes as far as their town's trainees are in them, and at the
    # province's 600,000 enrolments that test must not join every person of the town.
    town = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                             editable=False)
    status = models.CharField(_("状态"), max_length=16, choices=EnrollmentStatus.choices,
                              default=EnrollmentStatus.ENROLLED)
    # The sum of the register's hours (Attendance) while the class keeps one; otherwise the total
    # the institution reports.
    attended_hours = models.DecimalField(_("出勤学时"), max_digits=6, decimal_places=1,
                                         default=Decimal("0"))
    result = models.CharField(_("培训成绩"), max_length=50, blank=True)
    appraisal_result = models.CharField(_("鉴定结果"), max_length=16, choices=AppraisalResult.choices,
                                        blank=True)
    withdrawn_on = models.DateField(_("退学日期"), null=True, blank=True)
    withdraw_reason = models.CharField(_("退学原因"), max_length=200, blank=True)
    enrolled_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["training_class", "id"]
        constraints = [
            models.UniqueConstraint(fields=["training_class", "person"],
                                    name="enrollment_one_per_class_person"),
            models.CheckConstraint(condition=models.Q(status__in=EnrollmentStatus.values),
                                   name="enrollment_status_valid"),
            models.CheckConstraint(condition=models.Q(attended_hours__gte=0),
                                   name="enrollment_hours_not_negative"),
        ]
        indexes = [
            models.Index(fields=["person", "training_class"], name="enrollment_person_class"),
            models.Index(fields=["town", "training_class"], name="enrollment_town_class"),
            models.Index(fields=["training_class", "status"], name="enrollment_class_status"),
        ]

    def __str__(self) -> str:
        return f"{self.training_class_id}/{self.person_id}"

    @property
    def has_certificate(self) -> bool:
        return bool(self.certificate_number)


class ClassSession(models.Model):
    """One session of a class's register (考勤): a date and the hours it taught."""

    training_class = models.ForeignKey(TrainingClass, on_delete=models.PROTECT,
                                       related_name="sessions")
    date = models.DateField(_("日期"))
    hours = models.DecimalField(_("学时"), max_digits=4, decimal_places=1)
    topic = models.CharField(_("内容"), max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["training_class", "date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["training_class", "date", "topic"],
                                    name="session_one_per_class_date_topic"),
            models.CheckConstraint(condition=models.Q(hours__gt=0), name="session_hours_positive"),
        ]


class Attendance(models.Model):
    """Hours one trainee attended of one session."""

    session = models.ForeignKey(ClassSession, on_delete=models.CASCADE, related_name="attendance")
    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="attendance")
    hours = models.DecimalField(_("出勤学时"), max_digits=4, decimal_places=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "enrollment"],
                                    name="attendance_one_per_session_enrollment"),
            models.CheckConstraint(condition=models.Q(hours__gte=0),
                                   name="attendance_hours_not_negative"),
        ]
        indexes = [models.Index(fields=["enrollment"], name="attendance_enrollment")]


class Inspection(models.Model):
    """A process inspection (过程检查) by city staff while a class runs."""

    training_class = models.ForeignKey(TrainingClass, on_delete=models.PROTECT,
                                       related_name="inspections")
    date = models.DateField(_("检查日期"))
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("检查人"), null=True,
                                  blank=True, on_delete=models.SET_NULL, related_name="+")
    inspector_name = models.CharField(_("检查人"), max_length=30)
    # Trainees on the roster at the time, counted by the service, against those found present.
    on_roster = models.PositiveIntegerField(_("在册人数"))
    present = models.PositiveIntegerField(_("实到人数"))
    findings = models.TextField(_("检查情况"), blank=True)
    rectification_required = models.BooleanField(_("需要整改"), default=False)
    rectification_note = models.TextField(_("整改情况"), blank=True)
    rectified_on = models.DateField(_("整改完成日期"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["training_class", "date", "id"]
        indexes = [models.Index(fields=["training_class", "date"], name="inspection_class_date")]

    @property
    def present_ratio(self) -> float | None:
        return self.present / self.on_roster if self.on_roster else None


# ---- individual applications ---------------------------------------------------------------------

ApplicationState = code_table("ApplicationState", "application_state")
ApplicationKind = code_table("ApplicationKind", "application_kind")


class Application(Timestamped, CertificateEarned):
    """An individual application (个人申请) for training that is not a class, submitted by the
    town staff for a person of their town."""

    person = models.ForeignKey("people.Person", verbose_name=_("申请人"), on_delete=models.PROTECT,
                               related_name="applications")
    kind = models.CharField(_("申请类型"), max_length=16, choices=ApplicationKind.choices)
    institution = models.ForeignKey("institutions.Institution", verbose_name=_("培训/鉴定机构"),
                                    null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="applications")
    institution_name = models.CharField(_("机构名称"), max_length=100, blank=True)
    training_type = models.CharField(_("培训类型"), max_length=20, choices=TrainingType.choices,
                                     blank=True)
    occupation = models.CharField(_("职业（工种）/技能"), max_length=50)
    level = models.CharField(_("等级"), max_length=16, choices=TrainingLevel.choices, blank=True)
    planned_start = models.DateField(_("计划开始日期"), null=True, blank=True)
    planned_end = models.DateField(_("计划结束日期"), null=True, blank=True)
    amount_requested = models.DecimalField(_("申请金额（元）"), max_digits=10, decimal_places=2,
                                           default=Decimal("0"))
    amount_approved = models.DecimalField(_("核定金额（元）"), max_digits=10, decimal_places=2,
                                          null=True, blank=True)
    reason = models.TextField(_("申请理由"), blank=True)
    state = models.CharField(_("状态"), max_length=16, choices=ApplicationState.choices,
                             default=ApplicationState.SUBMITTED)
    amount_reimbursed = models.DecimalField(_("报销金额（元）"), max_digits=10, decimal_places=2,
                                            null=True, blank=True)
    created_by = written_by()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "id"], name="application_state_id"),
            models.Index(fields=["person"], name="application_person"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(state__in=ApplicationState.values),
                                   name="application_state_valid"),
            models.CheckConstraint(condition=models.Q(kind__in=ApplicationKind.values),
                                   name="application_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind}"


# The steps of an application's workflow; rules.APPLICATION_WORKFLOW is their table.
ApplicationAction = code_table("ApplicationAction", "application_action")


class ApplicationEvent(WorkflowEvent):
    actions = ApplicationAction

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="events")
    from_state = state_field(_("原状态"), ApplicationState)
    to_state = state_field(_("新状态"), ApplicationState)

    class Meta:
        ordering = ["application", "at", "id"]


# ---- staff online training ---------------------------------------------------------------------

StaffPosition = code_table("StaffPosition", "staff_position")


class StaffTraining(Timestamped):
    """Online training (网上远程培训) of a town's federation liaisons and employment counsellors."""

    town = models.ForeignKey("regions.Region", verbose_name=_("所属镇街"), on_delete=models.PROTECT,
                             related_name="+")
    staff_name = models.CharField(_("姓名"), max_length=30)
    position = models.CharField(_("岗位"), max_length=16, choices=StaffPosition.choices)
    course = models.CharField(_("课程"), max_length=100)
    year = models.PositiveSmallIntegerField(_("年度"))
    hours = models.DecimalField(_("学时"), max_digits=5, decimal_places=1)
    completed = models.BooleanField(_("已完成"), default=False)
    completed_on = models.DateField(_("完成日期"), null=True, blank=True)
    fee_paid = models.DecimalField(_("已缴费用（元）"), max_digits=10, decimal_places=2,
                                   default=Decimal("0"))

    class Meta:
        ordering = ["-year", "town", "id"]
        indexes = [models.Index(fields=["town", "year"], name="staff_training_town_year")]


# ---- the lookup rate limit ---------------------------------------------------------------------

class LookupWindow(models.Model):
    """How many lookups by full ID number one user made in the current minute, and how many were
    refused (canpei.training.lookup_limit). One row per user, locked while counted: the count is
    the same for every gunicorn worker and web host, which a per-process counter would not be."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, primary_key=True,
                                on_delete=models.CASCADE, related_name="+")
    window_start = models.DateTimeField()
    lookups = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)
