"""The employment services ledger (就业服务台账): `canpei export employment-services` and the
list page's download, written as a stream through the caller's scope and audited. ID numbers are
masked unless asked for with a purpose by a role that may reveal them (numbers_released)."""

from __future__ import annotations

from typing import IO, Any
from collections.abc import Iterator, Mapping

from canpei.accounts.models import User
from canpei.accounts.roles import Perm
from canpei.audit.actions import AuditAction
from canpei.employment.models import ReferralResult, ServiceKind
from canpei.employment.support.selectors import ServiceFilters, service_list
from canpei.codes import labels_of
from canpei.spreadsheets.registry import ExportSpec, Ledger, ledger_write, numbers_released

HEADERS = ["序号", "姓名", "身份证号", "所属镇街", "服务日期", "服务类别", "服务内容", "推荐单位",
           "推荐岗位", "推荐结果", "服务人员"]
WIDTHS = [7, 10, 21, 10, 11, 14, 40, 24, 14, 9, 10]


def _rows(actor: User, filters: ServiceFilters, reveal: bool) -> Iterator[list[Any]]:
    kinds, results = labels_of(ServiceKind), labels_of(ReferralResult)
    qs = service_list(user=actor, filters=filters)
    for index, s in enumerate(qs.iterator(chunk_size=2000), start=1):
        number = s.person.id_number if reveal else s.person.id_number_masked
        yield [index, s.person.name, number, s.town.name, s.date,
               kinds.get(s.kind, s.kind), s.content, s.employer, s.position,
               results.get(s.result, ""), s.provider]


def services_export(*, actor: User, filters: ServiceFilters, out: str | IO[Any],
                    fmt: str = "xlsx", purpose: str | None = None) -> int:
    """The services the actor may see, filtered; ID numbers masked unless asked for."""
    def build() -> Ledger:
        reveal = numbers_released(actor, purpose)
        title = f"{filters.year}年度就业服务台账" if filters.year else "就业服务台账"
        return Ledger(title=title, headers=HEADERS, widths=WIDTHS, rows=_rows(actor, filters, reveal),
                      action=AuditAction.EXPORT_EMPLOYMENT_SERVICES,
                      object_type="employment.employmentservice", summary="导出就业服务台账",
                      filters=filters.as_params(), full_numbers=reveal, purpose=purpose or "")

    return ledger_write(actor=actor, permission=Perm.SERVICE_BROWSE, ledger=build, out=out,
                        fmt=fmt)


def _run(*, actor: User, out: str | IO[Any], fmt: str, year: int | None = None, town: str = "",
         params: Mapping[str, Any] | None = None, purpose: str | None = None) -> int:
    filters = ServiceFilters.from_params(params if params is not None
                                         else {"year": year or "", "town": town})
    return services_export(actor=actor, filters=filters, out=out, fmt=fmt, purpose=purpose)


# Registered by EmploymentConfig.ready().
EXPORTS = (
    ExportSpec(kind="employment-services", label="就业服务", permission=Perm.SERVICE_BROWSE,
               list_url="/employment/services", headers=HEADERS, run=_run),
)
