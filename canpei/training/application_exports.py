"""Ledgers (台账) of individual applications and of the staff's online training, written as a
stream through the caller's scope and audited."""

from __future__ import annotations

from typing import IO, Any, Iterator

from django.db import transaction
from django.utils import timezone

from canpei.accounts.roles import Perm, has_perm
from canpei.audit.services import audit_record
from canpei.errors import Forbidden
from canpei.spreadsheets.writer import write_csv, write_xlsx
from canpei.training.application_selectors import (
    ApplicationFilters, StaffTrainingFilters, application_list, staff_training_list,
)
from canpei.training.choices import TrainingLevel, TrainingType
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


def _who(actor: Any) -> str:
    return f"{actor.get_full_name() or actor.username}（{actor.username}）"


def _money(value: Any) -> float | None:
    return None if value is None else float(value)


def _application_rows(actor: Any, filters: ApplicationFilters,
                      reveal: bool) -> Iterator[list[Any]]:
    kinds, states = dict(ApplicationKind.choices), dict(ApplicationState.choices)
    types, levels = dict(TrainingType.choices), dict(TrainingLevel.choices)
    certificates = dict(CertificateType.choices)
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


def _write(out: str | IO[Any], fmt: str, *, title: str, headers: list[str], widths: list[int],
           rows: Iterator[list[Any]], who: str) -> int:
    now = timezone.localtime()
    if fmt == "csv":
        return write_csv(out, headers=headers, rows=rows, exported_by=who,  # type: ignore[arg-type]
                         exported_at=now)
    return write_xlsx(out, title=title, headers=headers, rows=rows, exported_by=who,
                      exported_at=now, widths=widths)


def applications_export(*, actor: Any, filters: ApplicationFilters, out: str | IO[Any],
                        fmt: str = "xlsx") -> int:
    """The applications the actor may see, filtered; full ID numbers only for those who may
    reveal them."""
    if not has_perm(actor, Perm.APPLICATION_BROWSE):
        raise Forbidden()
    reveal = has_perm(actor, Perm.PERSON_REVEAL)
    title = f"{filters.year}年度个人申请台账" if filters.year else "个人申请台账"
    count = _write(out, fmt, title=title, headers=APPLICATION_HEADERS, widths=APPLICATION_WIDTHS,
                   rows=_application_rows(actor, filters, reveal), who=_who(actor))
    with transaction.atomic():
        audit_record(actor=actor, action="export.applications",
                     object_type="training.application",
                     summary=f"导出个人申请台账 {count} 行（{'完整证件号' if reveal else '脱敏'}）",
                     changes={"filters": filters.as_params(), "rows": count, "format": fmt,
                              "full_numbers": reveal})
    return count


def _staff_rows(actor: Any, filters: StaffTrainingFilters) -> Iterator[list[Any]]:
    positions = dict(StaffPosition.choices)
    qs = staff_training_list(user=actor, filters=filters)
    for index, r in enumerate(qs.iterator(chunk_size=2000), start=1):
        yield [index, r.town.name, r.staff_name, positions.get(r.position, r.position), r.course,
               r.year, float(r.hours), r.completed, r.completed_on, float(r.fee_paid)]


def staff_trainings_export(*, actor: Any, filters: StaffTrainingFilters, out: str | IO[Any],
                           fmt: str = "xlsx") -> int:
    if not has_perm(actor, Perm.STAFF_TRAINING_BROWSE):
        raise Forbidden()
    title = (f"{filters.year}年度联络员、就业指导员网上远程培训台账" if filters.year
             else "联络员、就业指导员网上远程培训台账")
    count = _write(out, fmt, title=title, headers=STAFF_HEADERS, widths=STAFF_WIDTHS,
                   rows=_staff_rows(actor, filters), who=_who(actor))
    with transaction.atomic():
        audit_record(actor=actor, action="export.staff_trainings",
                     object_type="training.stafftraining",
                     summary=f"导出专干远程培训台账 {count} 行",
                     changes={"filters": filters.as_params(), "rows": count, "format": fmt})
    return count
