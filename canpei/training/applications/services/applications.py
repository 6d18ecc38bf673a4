"""Individual applications (个人申请): training that is not a class, submitted by the town staff
for a person of their town, decided and paid by the city (PRODUCT.md, "Individual application").

    submitted → approved | rejected;  approved → completed (with the certificate as proof)
    completed → reimbursed

One function applies any step of rules.APPLICATION_WORKFLOW through canpei.workflows, under a row
lock, with a history row and an audit entry in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from canpei import hooks
from canpei.accounts.models import User
from canpei.accounts.roles import Perm, has_perm
from canpei.audit.actions import AuditAction
from canpei.audit.services import audit_record
from canpei.codes import TrainingLevel, TrainingType
from canpei.errors import Conflict, Forbidden, InvalidInput, NotFound
from canpei.errors import Message as _
from canpei.people.models import Person
from canpei.people.rules import PersonStatus
from canpei.people.selectors import persons_visible_to
from canpei.training import rules
from canpei.training.models import (
    Application, ApplicationEvent, ApplicationKind, ApplicationState, CertificateType,
)
from canpei.training.applications.selectors import applications_visible_to
from canpei.training.common import (
    Errors, bad_text, check_occupation, edit_save, institution_by_id, one_line,
    parse_date, parse_decimal, text,
)
from canpei.validation import Fields, model_update
from canpei.workflows import Hooks, Lifecycle, Transition

AA = rules.ApplicationAction

EDITABLE_FIELDS = ("kind", "institution", "institution_name", "training_type", "occupation",
                   "level", "planned_start", "planned_end", "amount_requested", "reason")
CERTIFICATE_FIELDS = ("certificate_type", "certificate_level", "certificate_number",
                      "certificate_date", "certificate_issuer")
# What each step may record beside its comment; anything else given with it is refused, so a
# reimbursement amount sent with an approval is not silently dropped.
STEP_FIELDS: dict[str, tuple[str, ...]] = {
    AA.APPROVE: ("amount_approved",),
    AA.REJECT: (),
    AA.COMPLETE: CERTIFICATE_FIELDS,
    AA.REIMBURSE: ("amount_reimbursed",),
}
MAX_AMOUNT = Decimal("100000")


def application_snapshot(application: Application) -> dict[str, Any]:
    def day(value: dt.date | None) -> str | None:
        return value.isoformat() if value else None

    def money(value: Decimal | None) -> str | None:
        return None if value is None else str(value)

    return {
        "person": application.person_id, "kind": application.kind,
        "institution": application.institution_id,
        "institution_name": application.institution_name,
        "training_type": application.training_type, "occupation": application.occupation,
        "level": application.level, "planned_start": day(application.planned_start),
        "planned_end": day(application.planned_end),
        "amount_requested": money(application.amount_requested),
        "amount_approved": money(application.amount_approved),
        "reason": application.reason, "state": application.state,
        "certificate_type": application.certificate_type,
        "certificate_level": application.certificate_level,
        # The certificate number is the person's own document: it is not copied into the log.
        "certificate_date": day(application.certificate_date),
        "certificate_issuer": application.certificate_issuer,
        "amount_reimbursed": money(application.amount_reimbursed),
    }


def applicant_errors(person: Person) -> Errors:
    """The applicant must be on the registry (active) with a valid disability certificate."""
    who = rules.describe_person(person)
    if person.status != PersonStatus.ACTIVE:
        return [("person", rules.APPLICANT_NOT_ACTIVE.format(
            person=who, status=gettext(PersonStatus(person.status).label)))]
    if not person.cert_number_enc:
        return [("person", rules.APPLICANT_NO_CERTIFICATE.format(person=who))]
    return []


def _applicant(actor: User, value: Any) -> Person | None:
    """The person named by id, as far as the actor may browse the registry (their own town)."""
    given = text(value)
    if not given.isdigit() or len(given) > 12:
        return None
    return persons_visible_to(actor).filter(pk=int(given)).first()


def _application_refusal(current: Application | None) -> Callable[[str], str | None]:
    def refuse(key: str) -> str | None:
        if key == "state":
            return rules.APPLICATION_STATE_FIELD
        if key == "person" and current is not None:
            return rules.APPLICANT_FIXED
        return None
    return refuse


def clean_application_input(data: dict[str, Any], *, actor: User,
                            current: Application | None) -> dict[str, Any]:
    """Validate every given field at once and return the values to set. Shared by page and API."""
    f = Fields(data, allowed=(*EDITABLE_FIELDS, "person"), current=current,
               refuse=_application_refusal(current))
    values = f.values

    if current is None and "person" not in f.bad:
        if text(f.raw("person")) == "":
            f.error("person", rules.APPLICANT_REQUIRED)
        else:
            person = _applicant(actor, f.raw("person"))
            if person is None:
                f.error("person", rules.APPLICANT_NOT_FOUND)
            else:
                values["person"] = person

    f.choice("kind", ApplicationKind, rules.APPLICATION_KIND_INVALID, required=True)
    f.choice("training_type", TrainingType, rules.APPLICATION_TYPE_INVALID, blank=True)
    f.choice("level", TrainingLevel, rules.APPLICATION_LEVEL_INVALID, blank=True)
    check_occupation(f)

    # The institution: one on the city's list, or the name of one that is not (a person may
    # choose any qualified institution, also outside the city).
    if "institution" in f.data:
        given = text(f.data["institution"])
        if not given:
            values["institution"] = None
        else:
            found = institution_by_id(actor, given)
            if found is None:
                f.error("institution", rules.APPLICATION_INSTITUTION_INVALID)
            elif (found.state in rules.INSTITUTION_STATES_REFUSED
                  and (current is None or current.institution_id != found.pk)):
                f.error("institution", rules.APPLICATION_INSTITUTION_NOT_VALID)
            else:
                values["institution"] = found
                values["institution_name"] = found.name
    if "institution_name" not in values:
        f.text("institution_name", max_length=100,
               too_long=rules.APPLICATION_INSTITUTION_NAME_TOO_LONG, single_line=True)
    if not f.failed("institution", "institution_name"):  # noqa: SIM102  (the refusal reads as two conditions)
        if f.final("institution", None) is None and not f.final("institution_name"):
            f.error("institution", rules.APPLICATION_INSTITUTION_REQUIRED)

    start = f.date("planned_start") if "planned_start" in f.data else f.final("planned_start", None)
    end = f.date("planned_end") if "planned_end" in f.data else f.final("planned_end", None)
    if (start is not None and end is not None and end < start
            and ("planned_start" in values or "planned_end" in values)):
        f.error("planned_end", rules.PLANNED_DATES_ORDER)

    f.money("amount_requested", max=MAX_AMOUNT, message=rules.AMOUNT_REQUESTED_INVALID)
    f.text("reason", max_length=2000, too_long=rules.REASON_TOO_LONG)
    if "person" in values:
        f.errors += applicant_errors(values["person"])
    return f.finish()


def application_create(*, actor: User, data: dict[str, Any]) -> Application:
    """A new application, submitted: the town staff file it for a person of their own town."""
    if not has_perm(actor, Perm.APPLICATION_SUBMIT):
        raise Forbidden()
    values = clean_application_input(data, actor=actor, current=None)
    with transaction.atomic():
        # The applicant is read again under a lock: a status change (moved out, certificate
        # revoked) committing meanwhile cannot slip between the check and the insert.
        person = Person.objects.select_for_update().get(pk=values["person"].pk)
        errors = applicant_errors(person)
        if errors:
            raise InvalidInput(errors)
        values["person"] = person
        application = Application.objects.create(state=ApplicationState.SUBMITTED,
                                                 created_by=actor, **values)
        audit_record(actor=actor, action=AuditAction.APPLICATION_CREATE, obj=application,  # zh-data: audit record
                     summary=f"提交个人申请 #{application.pk}",
                     changes={"after": application_snapshot(application)})
    return application


def locked_application(actor: User, application_id: int) -> Application:
    """The application, visible to the actor, locked until the transaction ends: every write to
    it (edit or step) takes this lock first, so none interleave their read-check-write."""
    if not applications_visible_to(actor).filter(pk=application_id).exists():
        raise NotFound()
    # Locked by primary key alone: the scope's join has no place in FOR UPDATE on PostgreSQL.
    return (Application.objects.select_for_update()
            .select_related("person").get(pk=application_id))


def application_update(*, actor: User, application: Application,
                       data: dict[str, Any]) -> Application:
    """Correct an application while the city has not yet decided it."""
    if not has_perm(actor, Perm.APPLICATION_SUBMIT):
        raise Forbidden()
    with transaction.atomic():
        locked = locked_application(actor, application.pk)
        if locked.state != ApplicationState.SUBMITTED:
            message = rules.APPLICATION_NOT_EDITABLE.format(
                state=gettext(ApplicationState(locked.state).label))
            given = sorted(data) or ["state"]
            raise Conflict(message, [(given[0], message)])
        applicant = locked.person_id
        values = clean_application_input(data, actor=actor, current=locked)
        edit_save(actor=actor, record=locked,  # zh-data: audit record
                  changes=model_update(locked, values, snapshot=application_snapshot),
                  action=AuditAction.APPLICATION_UPDATE, summary=f"修改个人申请 #{locked.pk}")
        hooks.outcomes_changed([applicant, locked.person_id])
    return locked


def _step_values(t: Transition[Application], errors: Errors) -> dict[str, Any]:
    """The fields the step records, checked; each refusal names its field. A value with invalid
    characters is refused as such and not read further."""
    action, locked, today = t.action, t.obj, t.today
    fields = _flatten(t.data)
    bad = sorted(key for key, value in fields.items() if bad_text(value) or bad_text(key))
    errors += [(key, rules.TEXT_INVALID) for key in bad]
    data = {key: value for key, value in fields.items() if key not in bad}
    values: dict[str, Any] = {}
    label = gettext(AA(action).label)
    for key in data:
        if key not in STEP_FIELDS[action]:
            message: str
            if key == "certificate":
                message = rules.CERTIFICATE_FIELDS_INCOMPLETE
            elif key in ("amount_approved", "amount_reimbursed", *CERTIFICATE_FIELDS):
                message = rules.FIELD_NOT_FOR_ACTION.format(action=label)
            else:
                message = rules.UNKNOWN_FIELD
            errors.append((key, message))
    if action == AA.APPROVE and data.get("amount_approved") not in (None, ""):
        amount = parse_decimal(data["amount_approved"], "amount_approved", errors,
                               low=Decimal("0"), high=MAX_AMOUNT, places=2,
                               message=rules.AMOUNT_APPROVED_INVALID)
        if amount is not None:
            values["amount_approved"] = amount
    elif action == AA.COMPLETE:
        kind = text(data.get("certificate_type"))
        if not kind:
            errors.append(("certificate_type", rules.PROOF_TYPE_REQUIRED))
        elif kind not in CertificateType.values:
            errors.append(("certificate_type", rules.CERTIFICATE_TYPE_INVALID))
        else:
            values["certificate_type"] = kind
        level = text(data.get("certificate_level"))
        if level and level not in TrainingLevel.values:
            errors.append(("certificate_level", rules.CERTIFICATE_LEVEL_INVALID))
        else:
            values["certificate_level"] = level
        for field, limit, required, too_long in (
                ("certificate_number", 50, rules.PROOF_NUMBER_REQUIRED,
                 rules.CERTIFICATE_NUMBER_TOO_LONG),
                ("certificate_issuer", 100, rules.PROOF_ISSUER_REQUIRED,
                 rules.CERTIFICATE_ISSUER_TOO_LONG)):
            value = one_line(data.get(field))
            if not value:
                errors.append((field, required))
            elif len(value) > limit:
                errors.append((field, too_long))
            else:
                values[field] = value
        if data.get("certificate_date") in (None, ""):
            errors.append(("certificate_date", rules.PROOF_DATE_REQUIRED))
        else:
            issued = parse_date(data["certificate_date"], "certificate_date", errors)
            if issued is not None and issued > today:
                errors.append(("certificate_date", rules.CERTIFICATE_DATE_FUTURE))
            elif issued is not None:
                values["certificate_date"] = issued
    elif action == AA.REIMBURSE:
        raw = data.get("amount_reimbursed")
        if raw in (None, ""):
            errors.append(("amount_reimbursed", rules.AMOUNT_REIMBURSED_REQUIRED))
        else:
            amount = parse_decimal(raw, "amount_reimbursed", errors, low=Decimal("0.01"),
                                   high=MAX_AMOUNT, places=2,
                                   message=rules.AMOUNT_REIMBURSED_INVALID)
            # Never more than the city approved, or, where it set no amount, than was asked for.
            if locked.amount_approved is not None:
                basis, ceiling = _("核定金额"), locked.amount_approved
            else:
                basis, ceiling = _("申请金额"), locked.amount_requested
            if amount is not None and amount > ceiling:
                errors.append(("amount_reimbursed", rules.AMOUNT_REIMBURSED_EXCEEDS.format(
                    basis=basis, amount=ceiling)))
            elif amount is not None:
                values["amount_reimbursed"] = amount
    return values


def _flatten(data: dict[str, Any] | None) -> dict[str, Any]:
    """The step's fields, with a `certificate` object {type, level, number, date, issuer}
    spread into certificate_* as the enrolment API takes it; unset (None) fields dropped."""
    flat = {key: value for key, value in (data or {}).items() if value is not None}
    certificate = flat.pop("certificate", None)
    if isinstance(certificate, dict):
        for key in ("type", "level", "number", "date", "issuer"):
            if certificate.get(key) is not None:
                flat.setdefault(f"certificate_{key}", certificate[key])
    elif certificate not in (None, ""):
        flat["certificate"] = certificate
    return flat


def _announce_completion(t: Transition[Application]) -> None:
    """A completed application is final (the city pays it back on the proof): announced to
    employment (canpei.hooks.training_completed), which schedules its follow-ups."""
    hooks.training_completed(applications=[t.obj.pk])


APPLICATION_LIFECYCLE: Lifecycle[Application] = Lifecycle(  # zh-data: audit record
    workflow=rules.APPLICATION_WORKFLOW, audit_name="application", lock=locked_application,
    event_model=ApplicationEvent, event_parent="application",
    describe=lambda application: f"个人申请 #{application.pk}",
    hooks={action: Hooks(prepare=_step_values,
                         effects=(_announce_completion,) if action == AA.COMPLETE else ())
           for action in rules.APPLICATION_TRANSITIONS},
    snapshot=application_snapshot, outcomes=lambda application: [application.person_id])


def application_transition(*, application: Application, actor: User, action: str,
                           comment: str = "", data: dict[str, Any] | None = None) -> Application:
    """Apply one step of the application workflow (rules.APPLICATION_WORKFLOW).

    `data` carries what the step records: `amount_approved` (approve, optional),
    certificate_type/level/number/date/issuer (complete: the proof, all but the level required),
    `amount_reimbursed` (reimburse). Locking and refusals as in canpei.workflows.
    """
    if not has_perm(actor, Perm.APPLICATION_BROWSE):
        raise Forbidden()
    return APPLICATION_LIFECYCLE.apply(obj=application, actor=actor, action=action,
                                       comment=comment, data=data)


def application_actions_available(application: Application, actor: User) -> list[str]:
    """The steps worth offering this user on the application page: the table's, for the role
    and state."""
    if not has_perm(actor, Perm.APPLICATION_BROWSE):
        return []
    return rules.application_actions_for(actor.role, application.state)
