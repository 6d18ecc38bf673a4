"""The institutions ledger (培训机构台账), written through the caller's scope."""

from __future__ import annotations

from typing import IO, Any, Iterator

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from canpei.accounts.roles import Perm, has_perm
from canpei.audit.services import audit_record
from canpei.errors import Forbidden
from canpei.institutions.models import DesignationState, InstitutionType
from canpei.institutions.rules import PREMISES_ACCESSIBILITY
from canpei.institutions.selectors import InstitutionFilters, institution_list
from canpei.spreadsheets.writer import write_xlsx

INSTITUTION_HEADERS = ["序号", "机构名称", "统一社会信用代码", "机构类型", "所在镇街", "地址",
                       "办学许可证号", "培训专业", "场所无障碍设施", "联系人", "联系电话", "状态",
                       "定点起始", "定点截止", "在岗教师数"]
INSTITUTION_WIDTHS = [7, 28, 21, 18, 10, 28, 18, 24, 24, 10, 14, 8, 11, 11, 10]


def _rows(actor: Any, filters: InstitutionFilters) -> Iterator[list[Any]]:
    types = dict(InstitutionType.choices)
    states = dict(DesignationState.choices)
    qs = institution_list(user=actor, filters=filters).annotate(
        active_teachers=Count("teachers", filter=Q(teachers__active=True)))
    for index, inst in enumerate(qs.iterator(chunk_size=2000), start=1):
        yield [index, inst.name, inst.credit_code, types.get(inst.type, inst.type), inst.town.name,
               inst.address, inst.license_number, inst.specialties,
               "、".join(PREMISES_ACCESSIBILITY.get(s, s) for s in inst.accessibility or []),
               inst.contact_person, inst.phone, states.get(inst.state, inst.state),
               inst.designated_from, inst.designated_to, inst.active_teachers]


def institutions_export(*, actor: Any, filters: InstitutionFilters, out: str | IO[bytes]) -> int:
    """Write the institutions the actor may see, filtered, as .xlsx; the export is audited."""
    if not has_perm(actor, Perm.INSTITUTION_BROWSE):
        raise Forbidden()
    now = timezone.localtime()
    who = f"{actor.get_full_name() or actor.username}（{actor.username}）"
    count = write_xlsx(out, title="培训机构台账", headers=INSTITUTION_HEADERS,
                       rows=_rows(actor, filters), exported_by=who, exported_at=now,
                       widths=INSTITUTION_WIDTHS)
    with transaction.atomic():
        audit_record(actor=actor, action="export.institutions",
                     object_type="institutions.institution",
                     summary=f"导出培训机构台账 {count} 行",
                     changes={"filters": filters.as_params(), "rows": count, "format": "xlsx"})
    return count
