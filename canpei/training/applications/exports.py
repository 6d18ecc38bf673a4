"""Ledgers (台账) of individual applications and of the staff's online training, written as a
stream through the caller's scope and audited."""

from __future__ import annotations

from typing import IO, Any
from collections.abc import Iterator, Mapping

from django.utils import timezone

from canpei.accounts.models import User
from canpei.accounts.roles import Perm
from canpei.audit.actions import AuditAction
from canpei.codes import labels_of, TrainingLevel, TrainingType
from canpei.spreadsheets.registry import ExportSpec, Ledger, ledger_write, numbers_released
from canpei.training.applications.selectors import (
    ApplicationFilters, StaffTrainingFilters, application_list, staff_training_list,
)
from canpei.training.models import (
    ApplicationKind, ApplicationState, CertificateType, StaffPosition,
)

APPLICATION_HEADERS = ["序号", "姓名", "身份证号", "所属镇街", "申请类型", "培训/鉴定机构", "培训类型",
                       "职业（工种）/技能", "等级", "计划开始日期", "计划结束日期", "申请金额（元）",
                       "核定金额（元）", "状态", "证书类型", "证书编号", "发证日期", "发证机构",
                       "报销金额（元）", "提交时间"]
APPLICATION_WIDTHS = [7, 10, 21, 10, 16, 26, 16, 18, 8, 11, 11, 12, 12, 8, 18, 18, 11, 24, 12, 16]
STAFF_HEADERS = ["序号", "所属镇街", "姓名", "岗位", "课程", "年度", "学时", "已完成", "完成日期",
                 "已缴费用（元）"]
STAFF_WIDTHS = [7, 10, 10, 12, 30, 7, 7, 7, 11, 12]


def _money(value: Any) -> float | None:
    return None if value is None else float(value)


def _application_rows(actor: User, filters: ApplicationFilters,
                      reveal: bool) -> Iterator[list[Any]]:
    kinds, states = labels_of(ApplicationKind), labels_of(ApplicationState)
    types, levels = labels_of(TrainingType), labels_of(TrainingLevel)
    certificates = labels_of(CertificateType)
    qs = application_list(user=actor, filters=filters)
    for index, a in enumerate(qs.iterator(chunk_size=2000), start=1):
        person = a.person
        yield [index, person.name, person.id_number if reveal else person.id_number_masked,
               person.town.name, kinds.get(a.kind, a.kind), a.institution_name,
               types.get(a.training_type, ""), a.occupation, levels.get(a.level, ""),
               a.planned_start, a.planned_end, _money(a.amount_requested),
               _money(a.amount_approved), states.get(a.state, a.state),
               certificates.get(a.certificate_type, ""), a.certificate_number,
               a.certificate_date, a.certificate_issuer, _money(a.amount_reimbursed),
               timezone.localtime(a.created_at)]


def applications_export(*, actor: User, filters: ApplicationFilters, out: str | IO[Any],
                        fmt: str = "xlsx", purpose: str | None = None) -> int:
    """The applications the actor may see, filtered; ID numbers masked unless asked for with a
    `purpose` by a role that may reveal them."""
    def build() -> Ledger:
        reveal = numbers_released(actor, purpose)
        title = f"{filters.year}年度个人申请台账" if filters.year else "个人申请台账"
        return Ledger(title=title, headers=APPLICATION_HEADERS, widths=APPLICATION_WIDTHS,
                      rows=_application_rows(actor, filters, reveal),
                      action=AuditAction.EXPORT_APPLICATIONS, object_type="training.application",
                      summary="导出个人申请台账", filters=filters.as_params(), full_numbers=reveal,
                      purpose=purpose or "")

    return ledger_write(actor=actor, permission=Perm.APPLICATION_BROWSE, ledger=build, out=out,
                        fmt=fmt)


def _staff_rows(actor: User, filters: StaffTrainingFilters) -> Iterator[list[Any]]:
    positions = labels_of(StaffPosition)
    qs = staff_training_list(user=actor, filters=filters)
    for index, r in enumerate(qs.iterator(chunk_size=2000), start=1):
        yield [index, r.town.name, r.staff_name, positions.get(r.position, r.position), r.course,
               r.year, float(r.hours), r.completed, r.completed_on, float(r.fee_paid)]


def staff_trainings_export(*, actor: User, filters: StaffTrainingFilters, out: str | IO[Any],
                           fmt: str = "xlsx") -> int:
    def build() -> Ledger:
        title = (f"{filters.year}年度联络员、就业指导员网上远程培训台账" if filters.year
                 else "联络员、就业指导员网上远程培训台账")
        return Ledger(title=title, headers=STAFF_HEADERS, widths=STAFF_WIDTHS,
                      rows=_staff_rows(actor, filters), action=AuditAction.EXPORT_STAFF_TRAININGS,
                      object_type="training.stafftraining", summary="导出专干远程培训台账",
                      filters=filters.as_params())

    return ledger_write(actor=actor, permission=Perm.STAFF_TRAINING_BROWSE, ledger=build, out=out,
                        fmt=fmt)


def _cli_params(year: int | None, town: str) -> dict[str, Any]:
    return {"year": year or "", "town": town}


def _applications_run(*, actor: User, out: str | IO[Any], fmt: str, year: int | None = None,
                      town: str = "", params: Mapping[str, Any] | None = None,
                      purpose: str | None = None) -> int:
    filters = ApplicationFilters.from_params(params if params is not None
                                             else _cli_params(year, town))
    return applications_export(actor=actor, filters=filters, out=out, fmt=fmt, purpose=purpose)


def _staff_trainings_run(*, actor: User, out: str | IO[Any], fmt: str, year: int | None = None,
                         town: str = "", params: Mapping[str, Any] | None = None,
                         purpose: str | None = None) -> int:
    filters = StaffTrainingFilters.from_params(params if params is not None
                                               else _cli_params(year, town))
    return staff_trainings_export(actor=actor, filters=filters, out=out, fmt=fmt)


# Registered by TrainingConfig.ready(), after the class ledgers.
EXPORTS = (
    ExportSpec(kind="applications", label="个人申请", permission=Perm.APPLICATION_BROWSE,
               list_url="/applications", headers=APPLICATION_HEADERS, run=_applications_run),
    ExportSpec(kind="staff-training", label="专干远程培训", permission=Perm.STAFF_TRAINING_BROWSE,
               list_url="/staff-training", headers=STAFF_HEADERS, run=_staff_trainings_run),
)
