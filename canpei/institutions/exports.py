"""The institutions ledger (培训机构台账), written through the caller's scope."""

from __future__ import annotations

from typing import IO, Any
from collections.abc import Iterator

from django.db.models import Count, Q

from canpei.accounts.models import User
from canpei.accounts.roles import Perm
from canpei.audit.actions import AuditAction
from canpei.institutions.models import DesignationState, InstitutionType
from canpei.institutions.rules import PREMISES_ACCESSIBILITY
from canpei.institutions.selectors import InstitutionFilters, institution_list
from canpei.codes import labels_of
from canpei.spreadsheets.registry import Ledger, ledger_write

INSTITUTION_HEADERS = ["序号", "机构名称", "统一社会信用代码", "机构类型", "所在镇街", "地址",
                       "办学许可证号", "培训专业", "场所无障碍设施", "联系人", "联系电话", "状态",
                       "定点起始", "定点截止", "在岗教师数"]
INSTITUTION_WIDTHS = [7, 28, 21, 18, 10, 28, 18, 24, 24, 10, 14, 8, 11, 11, 10]


def _rows(actor: User, filters: InstitutionFilters) -> Iterator[list[Any]]:
    types = labels_of(InstitutionType)
    states = labels_of(DesignationState)
    qs = institution_list(user=actor, filters=filters).annotate(
        active_teachers=Count("teachers", filter=Q(teachers__active=True)))
    for index, inst in enumerate(qs.iterator(chunk_size=2000), start=1):
        yield [index, inst.name, inst.credit_code, types.get(inst.type, inst.type), inst.town.name,
               inst.address, inst.license_number, inst.specialties,
               "、".join(PREMISES_ACCESSIBILITY.get(s, s) for s in inst.accessibility or []),
               inst.contact_person, inst.phone, states.get(inst.state, inst.state),
               inst.designated_from, inst.designated_to, inst.active_teachers]


def institutions_export(*, actor: User, filters: InstitutionFilters, out: str | IO[bytes]) -> int:
    """Write the institutions the actor may see, filtered, as .xlsx; the export is audited."""
    def build() -> Ledger:
        return Ledger(title="培训机构台账", headers=INSTITUTION_HEADERS, widths=INSTITUTION_WIDTHS,
                      rows=_rows(actor, filters), action=AuditAction.EXPORT_INSTITUTIONS,
                      object_type="institutions.institution", summary="导出培训机构台账",
                      filters=filters.as_params())

    return ledger_write(actor=actor, permission=Perm.INSTITUTION_BROWSE, ledger=build, out=out)
