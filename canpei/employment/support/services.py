"""Recording employment services (就业服务): a consultation, guidance, a job referral with its
result, entrepreneurship support, rights protection, given to one person.

Town staff record for the persons of their town, the employment service centre and the city
for anyone in the city; the auditor reads only. The service's town is copied from the person
(and kept in step when the person moves, canpei.employment.receivers). Every write runs under a
row lock with its audit entry in the same transaction; page, API and demo share these functions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from canpei.accounts.models import User
from canpei.accounts.roles import Perm, has_perm
from canpei.audit.actions import AuditAction
from canpei.audit.edits import edit_save
from canpei.audit.services import audit_record
from canpei.employment.models import EmploymentService, ReferralResult, ServiceKind
from canpei.employment.selectors import services_visible_to
from canpei.errors import Forbidden, NotFound
from canpei.errors import Message as _
from canpei.people.models import Person
from canpei.people.selectors import persons_visible_to
from canpei.validation import Fields, choose, model_update, text


JOB_REFERRAL = "job_referral"
REFERRAL_FIELDS = ("employer", "position", "result")
EDITABLE_FIELDS = ("kind", "date", "content", *REFERRAL_FIELDS, "provider")

# ---- labels (a field declared with its label is refused in its words: 「请选择服务类别」,
# 「服务日期不能晚于今天」, 「推荐单位不能超过 100 个字符」, canpei.validation) ---------------------

PERSON = _("服务对象")
KIND = _("服务类别")
DATE = _("服务日期")
CONTENT = _("服务内容")
EMPLOYER = _("推荐单位")
POSITION = _("推荐岗位")
RESULT = _("推荐结果")
PROVIDER = _("服务人员")

# ---- messages (tests assert these literally) ---------------------------------------------------

NO_RECORD = _("当前角色不能登记就业服务")
PERSON_NOT_FOUND = _("服务对象不存在或不属于本人管辖范围")
PERSON_FIXED = _("服务对象登记后不能更换")
EMPLOYER_REQUIRED = _("职业介绍须填写推荐单位")
POSITION_REQUIRED = _("职业介绍须填写推荐岗位")
RESULT_REQUIRED = _("职业介绍须选择推荐结果（已录用、未录用或待定）")
# A referral's fields given with another kind of service: "推荐单位仅用于职业介绍，政策咨询不填".
NOT_FOR_KIND = _("{field}仅用于职业介绍，{kind}不填")
REFERRAL_LABELS = {"employer": EMPLOYER, "position": POSITION, "result": RESULT}
REQUIRED_FOR_REFERRAL = {"employer": EMPLOYER_REQUIRED, "position": POSITION_REQUIRED,
                         "result": RESULT_REQUIRED}


def service_snapshot(service: EmploymentService) -> dict[str, Any]:
    """The audited view of a service record (no personal numbers in it)."""
    return {
        "person": service.person_id, "town": service.town_id, "kind": service.kind,
        "date": service.date.isoformat() if service.date else None, "content": service.content,
        "employer": service.employer, "position": service.position, "result": service.result,
        "provider": service.provider,
    }


def _person(actor: User, value: Any) -> Person | None:
    """The person named by id, as far as the actor may browse the registry: town staff their
    own town's, the city-wide roles the city's. Anyone else reads as absent."""
    given = text(value)
    if not given.isdigit() or len(given) > 12:
        return None
    return persons_visible_to(actor).filter(pk=int(given)).first()


def _refusal(current: EmploymentService | None) -> Callable[[str], str | None]:
    def refuse(key: str) -> str | None:
        if key == "person" and current is not None:
            return PERSON_FIXED
        return None
    return refuse


def clean_service_input(data: dict[str, Any], *, actor: User,
                        current: EmploymentService | None) -> dict[str, Any]:
    """Validate every given field at once (all of them on a new record) and return the values to
    set; InvalidInput names each field refused. Shared by page, API and demo."""
    f = Fields(data, allowed=(*EDITABLE_FIELDS, "person"), current=current,
               refuse=_refusal(current))
    values = f.values

    if current is None and "person" not in f.bad:
        if text(f.raw("person")) == "":
            f.error("person", choose(PERSON))
        else:
            person = _person(actor, f.raw("person"))
            if person is None:
                f.error("person", PERSON_NOT_FOUND)
            else:
                values["person"] = person

    if "kind" not in f.bad:  # else the stored kind still asks for the referral's fields
        f.choice("kind", ServiceKind, label=KIND, required=True)
    f.day_since("date", label=DATE, required=True, future=True)
    f.text("content", label=CONTENT, max_length=2000)
    f.text("provider", label=PROVIDER, max_length=30, single_line=True)
    f.text("employer", label=EMPLOYER, max_length=100, single_line=True)
    f.text("position", label=POSITION, max_length=50, single_line=True)
    f.choice("result", ReferralResult, label=RESULT, blank=True)

    # A job referral names where the person was sent and what came of it; no other kind does.
    # Checked on the values the record will hold, so that changing the kind of a stored record
    # asks for the referral's fields (or for clearing them).
    kind = f.final("kind")
    if not f.failed("kind") and kind in ServiceKind.values:
        for field in REFERRAL_FIELDS:
            if f.failed(field) or field in f.bad:
                continue
            value = f.final(field)
            if kind == JOB_REFERRAL and not value:
                f.error(field, REQUIRED_FOR_REFERRAL[field])
            elif kind != JOB_REFERRAL and value:
                f.error(field, NOT_FOR_KIND.format(field=REFERRAL_LABELS[field],
                                                   kind=gettext(ServiceKind(kind).label)))
    return f.finish()


def service_create(*, actor: User, data: dict[str, Any]) -> EmploymentService:
    """A new service record for a person in the actor's scope; the town is the person's."""
    if not has_perm(actor, Perm.SERVICE_RECORD):
        raise Forbidden(NO_RECORD)
    values = clean_service_input(data, actor=actor, current=None)
    with transaction.atomic():
        # The person locked while the town is copied: a move committing meanwhile either comes
        # first (and we copy the new town) or waits (and its receiver moves this record too).
        person = Person.objects.select_for_update().get(pk=values["person"].pk)
        values["person"] = person
        service = EmploymentService.objects.create(town_id=person.town_id, recorded_by=actor,
                                                   **values)
        audit_record(actor=actor, action=AuditAction.SERVICE_CREATE, obj=service,  # zh-data: audit words
                     summary=f"登记就业服务 #{service.pk}（{ServiceKind(service.kind).label}）",
                     changes={"after": service_snapshot(service)})
    return service


def locked_service(actor: User, service_id: int) -> EmploymentService:
    """The service, visible to the actor, locked until the transaction ends."""
    if not services_visible_to(actor).filter(pk=service_id).exists():
        raise NotFound()
    return EmploymentService.objects.select_for_update().get(pk=service_id)


def service_update(*, actor: User, service: EmploymentService,
                   data: dict[str, Any]) -> EmploymentService:
    """Correct a service record; the person stays. An edit that changes nothing writes nothing."""
    if not has_perm(actor, Perm.SERVICE_RECORD):
        raise Forbidden(NO_RECORD)
    with transaction.atomic():
        locked = locked_service(actor, service.pk)
        values = clean_service_input(data, actor=actor, current=locked)
        edit_save(actor=actor, record=locked,  # zh-data: audit words
                  changes=model_update(locked, values, snapshot=service_snapshot),
                  action=AuditAction.SERVICE_UPDATE, summary=f"修改就业服务 #{locked.pk}")
    return locked
