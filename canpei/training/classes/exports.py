"""The training ledgers (台账): classes, and trainees with their results and certificates, written
as a stream through the caller's scope and audited like every export."""

from __future__ import annotations

from typing import IO, Any
from collections.abc import Iterator, Mapping

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from canpei.accounts.models import User
from canpei.accounts.roles import Perm, has_perm
from canpei.audit.actions import AuditAction
from canpei.codes import labels_of, TrainingLevel, TrainingMode, TrainingType
from canpei.errors import InvalidInput
from canpei.people import rules as person_rules
from canpei.training.models import (
    AppraisalResult, CertificateType, ClassCycle, ClassState, EnrollmentStatus,
)
from canpei.training.classes.selectors import (
    ClassFilters, class_list, enrollment_list, enrollments_visible_to,
)
from canpei.spreadsheets.registry import ExportSpec, Ledger, ledger_write, numbers_released

CLASS_HEADERS = ["序号", "班级编号", "班级名称", "培训机构", "培训类型", "培训方式", "职业（工种）/技能",
                 "培训等级", "培训周期", "开班日期", "结业日期", "培训课时", "计划人数", "在册学员",
                 "结业人数", "取得证书", "状态", "补贴标准（元/人）"]
CLASS_WIDTHS = [7, 14, 24, 24, 16, 10, 16, 9, 8, 11, 11, 8, 8, 8, 8, 8, 12, 12]

TRAINEE_HEADERS = ["序号", "班级编号", "班级名称", "培训机构", "姓名", "身份证号", "所属镇街", "残疾类别",
                   "残疾等级", "学员状态", "出勤学时", "培训成绩", "鉴定结果", "证书类型", "证书等级",
                   "证书编号", "发证日期", "发证机构"]
TRAINEE_WIDTHS = [7, 14, 24, 24, 10, 21, 10, 10, 8, 8, 8, 10, 10, 18, 9, 20, 11, 20]

_TYPES = labels_of(TrainingType)
_MODES = labels_of(TrainingMode)
_LEVELS = labels_of(TrainingLevel)
_CYCLES = labels_of(ClassCycle)
_STATES = labels_of(ClassState)
_STATUSES = labels_of(EnrollmentStatus)
_APPRAISALS = labels_of(AppraisalResult)
_CERTIFICATES = labels_of(CertificateType)
_CATEGORIES = labels_of(person_rules.Category)
_GRADES = labels_of(person_rules.Grade)


TOWN_FILTER_REFUSED = "培训机构不能按学员所在镇街筛选学员台账"


def _roster_count(actor: User, condition: Q) -> Coalesce:
    # Counted per class by a correlated subquery on the (class, status) index, as the class list
    # counts its trainees: a join and GROUP BY over the whole ledger would cost more. Only the
    # trainees the actor sees count: a town's ledger counts its own town's, as its class list does.
    return Coalesce(Subquery(
        enrollments_visible_to(actor).filter(condition, training_class=OuterRef("pk"))
        .order_by().values("training_class").annotate(n=Count("pk")).values("n"),
        output_field=IntegerField()), 0)


def _class_rows(actor: User, filters: ClassFilters) -> Iterator[list[Any]]:
    qs = class_list(user=actor, filters=filters).annotate(
        completed_count=_roster_count(actor, Q(status=EnrollmentStatus.COMPLETED)),
        certificate_count=_roster_count(actor, ~Q(certificate_number="")))
    for index, c in enumerate(qs.iterator(chunk_size=2000), start=1):
        yield [index, c.code, c.name, c.institution.name, _TYPES.get(c.training_type, c.training_type),
               _MODES.get(c.mode, c.mode), c.occupation, _LEVELS.get(c.level, c.level),
               _CYCLES.get(c.cycle, c.cycle), c.start_date, c.end_date, c.hours, c.capacity,
               getattr(c, "trainee_count"), c.completed_count, c.certificate_count,
               _STATES.get(c.state, c.state), float(c.subsidy_standard)]


def classes_export(*, actor: User, filters: ClassFilters, out: str | IO[Any],
                   fmt: str = "xlsx") -> int:
    """The classes the actor may see, filtered, one row per class with its roster's counts."""
    def build() -> Ledger:
        title = f"{filters.year}年度培训班台账" if filters.year else "培训班台账"
        return Ledger(title=title, headers=CLASS_HEADERS, widths=CLASS_WIDTHS,
                      rows=_class_rows(actor, filters), action=AuditAction.EXPORT_CLASSES,
                      object_type="training.trainingclass", summary="导出培训班台账",
                      filters=filters.as_params())

    return ledger_write(actor=actor, permission=Perm.CLASS_BROWSE, ledger=build, out=out, fmt=fmt)


def _trainee_rows(actor: User, filters: ClassFilters, reveal: bool,
                  show_town: bool) -> Iterator[list[Any]]:
    for index, e in enumerate(enrollment_list(user=actor, filters=filters).iterator(chunk_size=2000),
                              start=1):
        c, p = e.training_class, e.person
        yield [index, c.code, c.name, c.institution.name, p.name,
               p.id_number if reveal else p.id_number_masked,
               p.town.name if show_town else "", _CATEGORIES.get(p.category, p.category),
               _GRADES.get(p.grade, p.grade), _STATUSES.get(e.status, e.status),
               float(e.attended_hours), e.result, _APPRAISALS.get(e.appraisal_result, ""),
               _CERTIFICATES.get(e.certificate_type, ""), _LEVELS.get(e.certificate_level, ""),
               e.certificate_number, e.certificate_date, e.certificate_issuer]


def trainees_export(*, actor: User, filters: ClassFilters, out: str | IO[Any],
                    fmt: str = "xlsx", purpose: str | None = None) -> int:
    """Trainees of the classes the actor may see (town staff: their town's trainees only). ID
    numbers masked unless asked for with a `purpose` by a role that may reveal them, as in the
    persons ledger; an institution sees of a trainee only what its roster shows (name, masked
    ID, category, grade), so no town."""
    def build() -> Ledger:
        reveal = numbers_released(actor, purpose)
        show_town = has_perm(actor, Perm.PERSON_BROWSE)
        if filters.town and not show_town:
            # The filter is where the trainee lives: rows kept or dropped by it would tell an
            # institution its trainees' towns, which its ledger leaves blank.
            raise InvalidInput([("town", TOWN_FILTER_REFUSED)])
        title = f"{filters.year}年度培训学员台账" if filters.year else "培训学员台账"
        return Ledger(title=title, headers=TRAINEE_HEADERS, widths=TRAINEE_WIDTHS,
                      rows=_trainee_rows(actor, filters, reveal, show_town),
                      action=AuditAction.EXPORT_TRAINEES, object_type="training.enrollment",
                      summary="导出培训学员台账", filters=filters.as_params(), full_numbers=reveal,
                      purpose=purpose or "")

    return ledger_write(actor=actor, permission=Perm.CLASS_BROWSE, ledger=build, out=out, fmt=fmt)


def class_filters_for_export(year: int | None, town: str,
                             params: Mapping[str, Any] | None) -> ClassFilters:
    """The filters of a class ledger: a page's query string, or the CLI's --year and --town."""
    if params is None:
        params = {"year": "" if year is None else str(year), "town": town}
    return ClassFilters.from_params(params)


def _trainees_run(*, actor: User, out: str | IO[Any], fmt: str, year: int | None = None,
                  town: str = "", params: Mapping[str, Any] | None = None,
                  purpose: str | None = None) -> int:
    return trainees_export(actor=actor, filters=class_filters_for_export(year, town, params),
                           out=out, fmt=fmt, purpose=purpose)


def _classes_run(*, actor: User, out: str | IO[Any], fmt: str, year: int | None = None,
                 town: str = "", params: Mapping[str, Any] | None = None,
                 purpose: str | None = None) -> int:
    return classes_export(actor=actor, filters=class_filters_for_export(year, town, params),
                          out=out, fmt=fmt)


# The training ledgers follow the class scope: an institution exports its own classes'
# trainees, masked (registered by TrainingConfig.ready()).
EXPORTS = (
    ExportSpec(kind="trainees", label="培训学员", permission=Perm.CLASS_BROWSE,
               list_url="/classes", headers=TRAINEE_HEADERS, run=_trainees_run),
    ExportSpec(kind="classes", label="培训班", permission=Perm.CLASS_BROWSE,
               list_url="/classes", headers=CLASS_HEADERS, run=_classes_run),
)
