"""The follow-up ledger (就业跟踪台账), `canpei export followups` and /followups/export: the
follow-ups the user may see, filtered as the worklist, streamed and audited. ID numbers are
masked unless full numbers are asked for with a purpose by a role that may reveal them
(spreadsheets.registry.numbers_released), as every ledger."""

from __future__ import annotations

from typing import IO, Any
from collections.abc import Iterator, Mapping

from django.utils import timezone

from canpei.accounts.models import User
from canpei.accounts.roles import Perm
from canpei.audit.actions import AuditAction
from canpei.employment.followups.selectors import (
    FollowUpFilters, followup_list, followup_status,
)
from canpei.employment.models import FollowUpMethod
from canpei.people.rules import EmploymentForm, NotWorkingReason
from canpei.codes import labels_of
from canpei.spreadsheets.registry import ExportSpec, Ledger, ledger_write, numbers_released

HEADERS = ["序号", "姓名", "身份证号", "所属镇街", "培训班编号", "个人申请编号", "培训内容",
           "培训结束日期", "跟踪节点（月）", "应跟踪日期", "状态", "跟踪日期", "跟踪方式", "已就业",
           "就业形式", "就业单位", "岗位", "签订劳动合同", "缴纳社会保险", "月收入（元）",
           "已自主创业", "未就业原因", "备注"]
WIDTHS = [7, 10, 21, 10, 14, 10, 20, 11, 8, 11, 10, 11, 10, 7, 16, 24, 12, 8, 8, 10, 8, 14, 20]
STATUS_LABELS = {"due": "本月待跟踪", "overdue": "已逾期", "done": "已完成", "upcoming": "以后到期"}


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("是" if value else "否")


def _rows(actor: User, filters: FollowUpFilters, reveal: bool) -> Iterator[list[Any]]:
    methods, forms = labels_of(FollowUpMethod), labels_of(EmploymentForm)
    reasons = labels_of(NotWorkingReason)
    today = timezone.localdate()
    qs = followup_list(user=actor, filters=filters, today=today)
    for index, f in enumerate(qs.iterator(chunk_size=2000), start=1):
        person = f.person
        training_class = f.enrollment.training_class if f.enrollment is not None else None
        yield [index, person.name, person.id_number if reveal else person.id_number_masked,
               f.town.name,
               training_class.code if training_class else "", f.application_id or "",
               training_class.name if training_class else (
                   f.application.occupation if f.application is not None else ""),
               f.ended_on, f.months, f.due_on, STATUS_LABELS[followup_status(f, today)], f.date,
               methods.get(f.method, ""), _yes_no(f.employed), forms.get(f.employment_form, ""),
               f.employer, f.position, _yes_no(f.contract_signed), _yes_no(f.social_insurance),
               None if f.monthly_income is None else float(f.monthly_income),
               _yes_no(f.business_started), reasons.get(f.not_working_reason, ""), f.note]


def followups_export(*, actor: User, filters: FollowUpFilters, out: str | IO[Any],
                     fmt: str = "xlsx", purpose: str | None = None) -> int:
    def build() -> Ledger:
        reveal = numbers_released(actor, purpose)
        title = f"{filters.year}年度就业跟踪台账" if filters.year else "就业跟踪台账"
        return Ledger(title=title, headers=HEADERS, widths=WIDTHS,
                      rows=_rows(actor, filters, reveal), action=AuditAction.EXPORT_FOLLOWUPS,
                      object_type="employment.followup", summary="导出就业跟踪台账",
                      filters=filters.as_params(), full_numbers=reveal, purpose=purpose or "")

    return ledger_write(actor=actor, permission=Perm.FOLLOWUP_BROWSE, ledger=build, out=out,
                        fmt=fmt)


def _run(*, actor: User, out: str | IO[Any], fmt: str, year: int | None = None, town: str = "",
         params: Mapping[str, Any] | None = None, purpose: str | None = None) -> int:
    filters = FollowUpFilters.from_params(params if params is not None
                                          else {"year": year or "", "town": town})
    return followups_export(actor=actor, filters=filters, out=out, fmt=fmt, purpose=purpose)


# Registered by EmploymentConfig.ready().
EXPORTS = (
    ExportSpec(kind="followups", label="就业跟踪", permission=Perm.FOLLOWUP_BROWSE,
               list_url="/employment", headers=HEADERS, run=_run),
)
