"""Writing money: budgets, subsidy standards, donations, contracts and disbursements.

Only the city admin writes (Perm.FUNDS_EDIT). Every write validates all fields at once
(InvalidInput names each one), runs in one transaction with its audit entry, and locks what
decides it: the purpose paid (the class, application or contract row), and the year's budget
entries of the source (so two payments never both fit into the same remainder). A purpose is
paid once: a unique constraint backs the lock, and a POST carrying an `Idempotency-Key` gets
the first answer again (`idempotent`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext, override

from canpei.accounts.models import User
from canpei.accounts.roles import Perm, has_perm
from canpei.audit.actions import AuditAction
from canpei.audit.services import audit_record
from canpei.codes import AwardGrade, FundSource, TrainingLevel, TrainingMode, TrainingType
from canpei.competitions.models import Entry
from canpei.errors import Conflict, Forbidden, InvalidInput, NotFound, ServiceError
from canpei.errors import lazy_message as _
from canpei.funds import rules, summaries
from canpei.funds.models import (
    ZERO, Budget, BudgetKind, Contract, Disbursement, DisbursementLine, Donation, IdempotencyKey,
    Purpose, StandardPurpose, SubsidyStandard,
)
from canpei.institutions.models import Institution
from canpei.training import rules as training_rules
from canpei.training.models import (
    Application, ApplicationKind, ApplicationState, ClassCycle, ClassState, Enrollment,
    EnrollmentStatus, TrainingClass,
)
from canpei.validation import Fields, choose, one_of, text, too_long_for


Errors = list[tuple[str, str]]

# The purposes a disbursement may pay and the field naming what it pays.
PURPOSE_TARGETS: dict[str, str] = {
    Purpose.CLASS: "class",
    Purpose.APPLICATION: "application",
    Purpose.AWARD: "entry",
    Purpose.CONTRACT: "contract",
}
TARGET_FIELDS = ("class", "application", "entry", "contract")
TARGET_WORDS = {"class": _("培训班"), "application": _("个人申请"), "entry": _("获奖参赛记录"),
                "contract": _("合同")}
# Stored on the payment a settlement makes, as a clerk's note would be.
SETTLEMENT_NOTE = "结算时拨付"  # zh-data: stored note
TARGET_NOT_FOUND = {"class": rules.CLASS_NOT_FOUND, "application": rules.APPLICATION_NOT_FOUND,
                    "entry": rules.ENTRY_NOT_FOUND, "contract": rules.CONTRACT_NOT_FOUND}

PAYABLE_CLASS_STATES = (ClassState.AUDITED, ClassState.SETTLED)
PAYABLE_APPLICATION_STATES = (ApplicationState.COMPLETED, ApplicationState.REIMBURSED)


def _require_edit(actor: User) -> None:
    if not has_perm(actor, Perm.FUNDS_EDIT):
        raise Forbidden(rules.NO_EDIT)


def money_text(amount: Decimal) -> str:
    """Money as the API and the export write it: two decimals, no exponent ("1234.50")."""
    return f"{amount.quantize(Decimal('0.01')):.2f}"


def _amount(f: Fields, field: str, *, required: bool = True,
            high: Decimal = rules.AMOUNT_MAX) -> Decimal | None:
    return f.money(field, min=Decimal("0.01"), max=high,
                   message=rules.AMOUNT_INVALID.format(high=money_text(high)),
                   required=rules.AMOUNT_REQUIRED if required else None)


def _year(f: Fields, *, required: bool = True) -> int | None:
    return f.integer("year", low=rules.YEAR_MIN, high=rules.YEAR_MAX, message=rules.YEAR_INVALID,
                     required=required)


def _not_future(f: Fields, field: str, required: str) -> dt.date | None:
    day = f.date(field, required=required)
    if day is not None and day > timezone.localdate():
        f.error(field, rules.DATE_FUTURE)
        return None
    return day


# ---- budgets ----------------------------------------------------------------------------------

def budget_totals(year: int, source: str) -> tuple[Decimal, Decimal]:
    """The year's budget of a source and what has been paid from it (reversals netted)."""
    budget = Budget.objects.filter(year=year, source=source).aggregate(s=Sum("amount"))["s"]
    paid = Disbursement.objects.filter(year=year, source=source).aggregate(s=Sum("amount"))["s"]
    return (budget or ZERO).quantize(ZERO), (paid or ZERO).quantize(ZERO)


def _lock_budget(year: int, source: str) -> None:
    """Serialise the payments and adjustments of one year and source: their budget entries are
    locked in id order (no entry, no budget: nothing to pay from)."""
    list(Budget.objects.select_for_update().filter(year=year, source=source)
         .order_by("pk").values_list("pk", flat=True))


def budget_create(*, actor: User, data: dict[str, Any]) -> Budget:
    """A budget entry: the year's initial budget or an adjustment (negative to reduce), never an
    edit. A reduction may not take the budget below what is already paid."""
    _require_edit(actor)
    f = Fields(data, allowed=("year", "source", "kind", "amount", "note"))
    year = _year(f)
    # A blank source is refused as a wrong one is, naming the sources.
    source = f.choice("source", FundSource, one_of(rules.SOURCE, FundSource), required=True)
    kind = text(data.get("kind")) or BudgetKind.INITIAL
    if kind not in (BudgetKind.INITIAL, BudgetKind.ADJUSTMENT):
        f.error("kind", rules.KIND_INVALID)
    f.values["kind"] = kind
    note = f.text("note", max_length=200, label=rules.NOTE, single_line=True)
    if kind == BudgetKind.ADJUSTMENT:
        low, message = -rules.AMOUNT_MAX, rules.ADJUSTMENT_INVALID
        amount = f.money("amount", min=low, max=rules.AMOUNT_MAX, required=rules.AMOUNT_REQUIRED,
                         message=message.format(high=money_text(rules.AMOUNT_MAX)))
        if amount is not None and amount == 0:
            f.error("amount", message.format(high=money_text(rules.AMOUNT_MAX)))
        if not note and not f.failed("note"):
            f.error("note", rules.NOTE_REQUIRED)
    else:
        amount = _amount(f, "amount")
    values = f.finish()
    with transaction.atomic():
        assert year is not None and source is not None and amount is not None
        _lock_budget(year, source)
        budget, paid = budget_totals(year, source)
        if budget + amount < paid:
            below = rules.BUDGET_BELOW_PAID.format(
                year=year, source=gettext(FundSource(source).label), after=money_text(budget + amount),
                paid=money_text(paid))
            raise InvalidInput([("amount", below)])
        entry = Budget.objects.create(created_by=actor, **values)
        audit_record(actor=actor, action=AuditAction.BUDGET_CREATE, obj=entry,  # zh-data: audit words
                     summary=f"登记 {year} 年{FundSource(source).label}"
                             f"{BudgetKind(kind).label} {money_text(amount)} 元",
                     changes={"after": {"year": year, "source": source, "kind": kind,
                                        "amount": money_text(amount), "note": entry.note}})
    return entry


# ---- subsidy standards ------------------------------------------------------------------------

STANDARD_KEY_FIELDS: dict[str, tuple[str, ...]] = {
    StandardPurpose.CLASS: ("training_type", "level", "mode", "cycle"),
    StandardPurpose.APPLICATION: ("application_kind",),
    StandardPurpose.AWARD: ("award_grade",),
}
KEY_CHOICES: dict[str, Any] = {
    "training_type": TrainingType, "level": TrainingLevel, "mode": TrainingMode,
    "cycle": ClassCycle, "application_kind": ApplicationKind, "award_grade": AwardGrade,
}
KEY_REQUIRED = {"training_type": rules.TYPE_REQUIRED, "application_kind": rules.KIND_REQUIRED,
                "award_grade": rules.GRADE_REQUIRED}


def _overlapping(key: dict[str, str], start: dt.date,
                 end: dt.date | None) -> SubsidyStandard | None:
    rows = SubsidyStandard.objects.select_for_update().filter(**key)
    rows = rows.exclude(effective_to__lt=start)
    if end is not None:
        rows = rows.exclude(effective_from__gt=end)
    return rows.order_by("effective_from", "pk").first()


def standard_create(*, actor: User, data: dict[str, Any]) -> SubsidyStandard:
    """A subsidy standard; its dates may not overlap another's of the same key."""
    _require_edit(actor)
    f = Fields(data, allowed=("purpose", *KEY_CHOICES, "amount", "effective_from",
                              "effective_to", "note"))
    purpose = f.choice("purpose", StandardPurpose, rules.PURPOSE_INVALID, required=True)
    for field, choices in KEY_CHOICES.items():
        f.choice(field, choices, rules.CHOICE_INVALID, blank=True)
    if purpose is not None:
        own = STANDARD_KEY_FIELDS[purpose]
        for field in KEY_CHOICES:
            if field not in own and text(data.get(field)):
                f.error(field, rules.FIELD_NOT_FOR_PURPOSE.format(
                    purpose=gettext(StandardPurpose(purpose).label)))
            elif field in KEY_REQUIRED and field in own and not text(data.get(field)) \
                    and not f.failed(field):
                f.error(field, KEY_REQUIRED[field])
    f.money("amount", min=Decimal("0.01"), max=rules.STANDARD_MAX,
            message=rules.AMOUNT_INVALID.format(high=money_text(rules.STANDARD_MAX)),
            required=rules.AMOUNT_REQUIRED)
    start = f.date("effective_from", required=rules.FROM_REQUIRED)
    end = f.date("effective_to")
    if start is not None and end is not None and end < start:
        f.error("effective_to", rules.TO_BEFORE_FROM)
    f.text("note", max_length=200, label=rules.NOTE, single_line=True)
    values = f.finish()
    assert purpose is not None and start is not None
    key = {"purpose": purpose, **{field: values.get(field) or "" for field in KEY_CHOICES}}
    values.update(key)
    with transaction.atomic():
        clash = _overlapping(key, start, end)
        if clash is not None:
            raise InvalidInput([("effective_from", rules.STANDARD_OVERLAP.format(
                id=clash.pk, start=clash.effective_from.isoformat(),
                end=clash.effective_to.isoformat() if clash.effective_to else rules.OPEN_END))])
        standard = SubsidyStandard.objects.create(created_by=actor, **values)
        with override(settings.LANGUAGE_CODE):
            described = str(standard)
        audit_record(actor=actor, action=AuditAction.STANDARD_CREATE, obj=standard,  # zh-data: audit words
                     summary=f"新增补贴标准 {described}",
                     changes={"after": {**key, "amount": money_text(standard.amount),
                                        "effective_from": start.isoformat(),
                                        "effective_to": end.isoformat() if end else None}})
    return standard


def _in_force(rows: Any, on: dt.date) -> Any:
    return rows.filter(effective_from__lte=on).exclude(effective_to__lt=on)


def class_standard(training_class: TrainingClass,
                   standards: list[SubsidyStandard] | None = None) -> SubsidyStandard | None:
    """The standard in force on the class's start date for its type, level, mode and cycle: the
    most specific one (a level named beats any level, then the mode, then the cycle).
    `standards`, the class standards already loaded, spares a query per class (the ledger)."""
    on = training_class.start_date
    if standards is None:
        standards = list(_in_force(SubsidyStandard.objects.filter(
            purpose=StandardPurpose.CLASS, training_type=training_class.training_type), on))
    cycle = training_class.cycle
    best: SubsidyStandard | None = None
    best_rank = (-1, -1, -1)
    for s in standards:
        if (s.training_type != training_class.training_type or s.effective_from > on
                or (s.effective_to is not None and s.effective_to < on)):
            continue
        if ((s.level and s.level != training_class.level) or (s.mode and s.mode != training_class.mode)
                or (s.cycle and s.cycle != cycle)):
            continue
        rank = (int(bool(s.level)), int(bool(s.mode)), int(bool(s.cycle)))
        if rank > best_rank:
            best, best_rank = s, rank
    return best


def application_day(application: Application) -> dt.date:
    """The day an application's standard and budget year are read on: its planned start, else
    the day it was submitted."""
    return application.planned_start or timezone.localdate(application.created_at)


def application_standard(application: Application) -> SubsidyStandard | None:
    return _in_force(SubsidyStandard.objects.filter(
        purpose=StandardPurpose.APPLICATION, application_kind=application.kind),
        application_day(application)).order_by("-effective_from").first()


def class_key_words(training_class: TrainingClass) -> str:
    """The class's standard key in words, in the active language (the labels are msgids)."""
    return "·".join(gettext(label) for label in [
        TrainingType(training_class.training_type).label, TrainingLevel(training_class.level).label,
        TrainingMode(training_class.mode).label, training_class.cycle_label])


def _class_words(training_class: TrainingClass) -> str:
    return gettext("培训班 %(code)s") % {"code": training_class.code}


def _application_words(application_id: int) -> str:
    return gettext("个人申请 #%(id)s") % {"id": application_id}


# ---- donations and contracts ------------------------------------------------------------------

def donation_create(*, actor: User, data: dict[str, Any]) -> Donation:
    """A donation received; its amount joins the year's donation (社会捐赠) budget."""
    _require_edit(actor)
    f = Fields(data, allowed=("donor", "amount", "purpose", "date", "receipt_number"))
    f.text("donor", label=rules.DONOR, max_length=100, required=True, single_line=True)
    _amount(f, "amount")
    f.text("purpose", label=rules.DONATION_PURPOSE, max_length=200, single_line=True)
    _not_future(f, "date", rules.DATE_REQUIRED)
    number = f.text("receipt_number", label=rules.RECEIPT, max_length=50, required=True,
                    single_line=True)
    if number and Donation.objects.filter(receipt_number=number).exists():
        f.error("receipt_number", rules.RECEIPT_TAKEN.format(number=number))
    values = f.finish()
    try:
        with transaction.atomic():
            donation = Donation.objects.create(created_by=actor, **values)
            source = "donation"
            _lock_budget(donation.date.year, source)
            # The budget entry's note is stored, as a clerk's note would be.
            note = f"{donation.donor} 捐赠（收据 {donation.receipt_number}）"  # zh-data
            Budget.objects.create(year=donation.date.year, source=source, kind=BudgetKind.DONATION,
                                  amount=donation.amount, donation=donation, created_by=actor,
                                  note=note)
            audit_record(actor=actor, action=AuditAction.DONATION_CREATE, obj=donation,  # zh-data: audit words
                         summary=f"登记捐赠 {donation.donor} {money_text(donation.amount)} 元",
                         changes={"after": {"donor": donation.donor,
                                            "amount": money_text(donation.amount),
                                            "date": donation.date.isoformat(),
                                            "receipt_number": donation.receipt_number}})
    except IntegrityError:
        raise InvalidInput([("receipt_number", rules.RECEIPT_TAKEN.format(number=number))]) from None
    return donation


def _id_list(value: Any) -> list[int] | None:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [part for part in value.replace("，", ",").split(",") if part.strip()]
    if not isinstance(value, (list, tuple)):
        return None
    found: list[int] = []
    for item in value:
        raw = text(item) if not isinstance(item, int) or isinstance(item, bool) else str(item)
        if not raw.isdigit() or len(raw) > 12:
            return None
        found.append(int(raw))
    return found


def contract_create(*, actor: User, data: dict[str, Any]) -> Contract:
    """A procurement contract with an institution, and the institution's classes it covers."""
    _require_edit(actor)
    f = Fields(data, allowed=("institution", "number", "amount", "start_date", "end_date",
                              "classes", "note"), text_check=None)
    institution = None
    raw = text(data.get("institution"))
    if not raw:
        f.error("institution", choose(rules.INSTITUTION))
    elif not raw.isdigit() or len(raw) > 12 or not Institution.objects.filter(pk=raw).exists():
        f.error("institution", rules.INSTITUTION_NOT_FOUND)
    else:
        institution = Institution.objects.get(pk=raw)
    number = f.text("number", label=rules.CONTRACT_NUMBER, max_length=50, required=True,
                    single_line=True)
    if number and Contract.objects.filter(number=number).exists():
        f.error("number", rules.NUMBER_TAKEN.format(number=number))
    _amount(f, "amount")
    start = f.date("start_date", required=rules.START_REQUIRED)
    end = f.date("end_date", required=rules.END_REQUIRED)
    if start and end and end < start:
        f.error("end_date", rules.END_BEFORE_START)
    f.text("note", label=rules.NOTE, max_length=200, single_line=True)
    ids = _id_list(data.get("classes"))
    classes: list[TrainingClass] = []
    if ids is None:
        f.error("classes", rules.CLASSES_INVALID)
    elif ids:
        classes = list(TrainingClass.objects.filter(pk__in=ids).order_by("pk"))
        if len(classes) != len(set(ids)):
            f.error("classes", rules.CLASS_NOT_FOUND)
        for c in classes:
            if institution is not None and c.institution_id != institution.pk:
                f.error("classes", rules.CLASS_NOT_OF_INSTITUTION.format(code=c.code))
    values = f.finish()
    values.pop("classes", None)
    assert institution is not None
    try:
        with transaction.atomic():
            contract = Contract.objects.create(institution=institution, created_by=actor, **values)
            contract.classes.set(classes)
            audit_record(actor=actor, action=AuditAction.CONTRACT_CREATE, obj=contract,  # zh-data: audit words
                         summary=f"登记政府购买服务合同 {contract.number}",
                         changes={"after": {"institution": contract.institution_id,
                                            "number": contract.number,
                                            "amount": money_text(contract.amount),
                                            "classes": [c.pk for c in classes]}})
    except IntegrityError:
        raise InvalidInput([("number", rules.NUMBER_TAKEN.format(number=number))]) from None
    return contract


# ---- disbursements ----------------------------------------------------------------------------

@dataclass
class Line:
    person_id: int
    town_id: str
    standard: SubsidyStandard | None
    amount: Decimal


@dataclass
class Payment:
    """A payment worked out and checked, ready to be written."""

    purpose: str
    year: int
    source: str
    amount: Decimal
    lines: list[Line]
    training_class: TrainingClass | None = None
    application: Application | None = None
    contract: Contract | None = None
    entry: Entry | None = None
    instalment: int | None = None
    institution_id: int | None = None
    note: str = ""


def _live(rows: Any) -> Any:
    return rows.filter(reverses__isnull=True, is_reversed=False)


def class_payment_lines(training_class: TrainingClass, persons: list[int] | None,
                        errors: Errors) -> list[Line]:
    """The class's lines: each trainee who completed (or each of `persons`, who must have)
    at the standard in force on the start date. Appends why not to `errors`."""
    if training_class.state not in PAYABLE_CLASS_STATES:
        errors.append(("class", rules.CLASS_NOT_AUDITED.format(
            code=training_class.code, state=training_class.get_state_display())))
        return []
    standard = class_standard(training_class)
    if standard is None:
        errors.append(("class", rules.NO_STANDARD.format(
            what=_class_words(training_class), key=class_key_words(training_class),
            date=training_class.start_date.isoformat())))
        return []
    roster = {e.person_id: e for e in Enrollment.objects.filter(training_class=training_class)
              .select_related("person").order_by("person_id")}
    if persons:
        chosen = []
        for pid in dict.fromkeys(persons):
            enrollment = roster.get(pid)
            if enrollment is None:
                errors.append(("trainees", rules.TRAINEE_NOT_ON_ROSTER.format(
                    id=pid, code=training_class.code)))
            elif enrollment.status == EnrollmentStatus.WITHDRAWN:
                errors.append(("trainees", rules.TRAINEE_WITHDRAWN.format(
                    person=training_rules.describe_person(enrollment.person))))
            elif enrollment.status != EnrollmentStatus.COMPLETED:
                errors.append(("trainees", rules.TRAINEE_NOT_COMPLETED.format(
                    person=training_rules.describe_person(enrollment.person))))
            else:
                chosen.append(enrollment)
    else:
        chosen = [e for e in roster.values() if e.status == EnrollmentStatus.COMPLETED]
        if not chosen:
            errors.append(("class", rules.NO_COMPLETED.format(code=training_class.code)))
    return [Line(e.person_id, e.person.town_id, standard, standard.amount) for e in chosen]


def _check_budget(payment: Payment) -> None:
    """Refused with the figures when the payment does not fit in what is left of the year's
    budget of its source. The budget entries are locked first."""
    _lock_budget(payment.year, payment.source)
    budget, paid = budget_totals(payment.year, payment.source)
    source = gettext(FundSource(payment.source).label)
    if budget <= 0 and paid == 0:
        message = rules.NO_BUDGET.format(year=payment.year, source=source,
                                         amount=money_text(payment.amount))
        raise Conflict(message, [("source", message)])
    left = budget - paid
    if payment.amount > left:
        message = rules.OVER_BUDGET.format(year=payment.year, source=source,
                                           budget=money_text(budget), paid=money_text(paid),
                                           left=money_text(left), amount=money_text(payment.amount))
        raise Conflict(message, [("amount", message)])


def _already_paid(payment: Payment) -> None:
    rows = _live(Disbursement.objects.all())
    if payment.training_class is not None:
        rows, what = rows.filter(training_class=payment.training_class), \
            _class_words(payment.training_class)
    elif payment.application is not None:
        rows, what = rows.filter(application=payment.application), \
            _application_words(payment.application.pk)
    elif payment.entry is not None:
        rows, what = rows.filter(entry=payment.entry), \
            gettext("获奖参赛记录 #%(id)s") % {"id": payment.entry.pk}
    else:
        assert payment.contract is not None
        rows, what = rows.filter(contract=payment.contract, instalment=payment.instalment), \
            gettext("合同 %(number)s 第 %(instalment)s 期") % {
                "number": payment.contract.number, "instalment": payment.instalment}
    first = rows.order_by("pk").first()
    if first is not None:
        message = rules.ALREADY_PAID.format(what=what, id=first.pk)
        raise Conflict(message, [(PURPOSE_TARGETS[payment.purpose], message)])


def _write(actor: User, payment: Payment) -> Disbursement:
    """Write a checked payment under the locks already held; a race past them meets the unique
    constraint and answers as a second payment does."""
    _already_paid(payment)
    _check_budget(payment)
    try:
        with transaction.atomic():
            d = Disbursement.objects.create(
                purpose=payment.purpose, training_class=payment.training_class,
                application=payment.application, contract=payment.contract,
                entry=payment.entry, instalment=payment.instalment,
                institution_id=payment.institution_id,
                year=payment.year, source=payment.source, amount=payment.amount,
                note=payment.note, created_by=actor)
    except IntegrityError:
        _already_paid(payment)
        raise
    DisbursementLine.objects.bulk_create(
        DisbursementLine(disbursement=d, person_id=line.person_id, town_id=line.town_id,
                         standard=line.standard, amount=line.amount) for line in payment.lines)
    summaries.lines_written(year=d.year, disbursement_id=d.pk)
    with override(settings.LANGUAGE_CODE):
        target = d.target_label
    audit_record(actor=actor, action=AuditAction.DISBURSEMENT_CREATE, obj=d,  # zh-data: audit words
                 summary=f"拨付 {target} {money_text(d.amount)} 元"
                         f"（{d.year} 年{FundSource(d.source).label}）",
                 changes={"after": {"purpose": d.purpose, "year": d.year, "source": d.source,
                                    "amount": money_text(d.amount), "lines": len(payment.lines)}})
    return d


def _class_payment(actor: User, training_class: TrainingClass, *, year: int | None,
                   source: str, persons: list[int] | None, note: str = "",
                   errors: Errors | None = None) -> Payment:
    """The class's payment, or InvalidInput with every reason (with `errors` already found)."""
    found: Errors = errors if errors is not None else []
    lines = class_payment_lines(training_class, persons, found)
    if year is not None and year != training_class.year:
        found.append(("year", rules.OTHER_YEAR.format(
            what=_class_words(training_class), own=training_class.year, year=year)))
    if found:
        raise InvalidInput(found)
    return Payment(purpose=Purpose.CLASS, year=training_class.year, source=source,
                   amount=sum((line.amount for line in lines), ZERO), lines=lines,
                   training_class=training_class,
                   institution_id=training_class.institution_id, note=note)


def settle_class_payment(*, training_class: TrainingClass, actor: User) -> None:
    """The class `settle` step's payment (canpei.training SETTLEMENT_HOOKS), in the settling
    transaction under the class lock: the completers at the standard in force, from the year's
    employment security fund. Refused (and the step with it) when there is no standard, no
    budget left; a class with no completer, or already paid, settles without a payment."""
    if _live(Disbursement.objects.filter(training_class=training_class)).exists():
        return
    if not Enrollment.objects.filter(training_class=training_class,
                                     status=EnrollmentStatus.COMPLETED).exists():
        return  # nothing to pay: no trainee completed
    try:
        payment = _class_payment(actor, training_class, year=None,
                                 source=rules.DEFAULT_SOURCE, persons=None,
                                 note=SETTLEMENT_NOTE)
        _write(actor, payment)
    except InvalidInput as exc:
        raise Conflict(exc.errors[0][1], exc.errors) from exc


def _target(data: dict[str, Any], field: str, errors: Errors) -> int | None:
    raw = text(data.get(field))
    if not raw:
        errors.append((field, rules.TARGET_REQUIRED.format(what=TARGET_WORDS[field])))
        return None
    if not raw.isdigit() or len(raw) > 12:
        errors.append((field, TARGET_NOT_FOUND[field]))
        return None
    return int(raw)


DISBURSEMENT_FIELDS = ("purpose", *TARGET_FIELDS, "instalment", "year", "source", "amount",
                       "trainees", "note")


def _payment_from(actor: User, data: dict[str, Any]) -> Payment:
    """Validate a disbursement request and lock its purpose; the payment to write."""
    f = Fields(data, allowed=DISBURSEMENT_FIELDS, text_check=None)
    purpose = f.choice("purpose", Purpose, rules.DISBURSEMENT_PURPOSE_INVALID, required=True)
    year = _year(f, required=False)
    source = f.choice("source", FundSource, label=rules.SOURCE) or rules.DEFAULT_SOURCE
    note = f.text("note", label=rules.NOTE, max_length=200, single_line=True) or ""
    target_field = PURPOSE_TARGETS.get(purpose or "")
    for field in TARGET_FIELDS:
        if field != target_field and text(data.get(field)):
            f.error(field, rules.TARGET_NOT_FOR_PURPOSE.format(
                purpose=gettext(Purpose(purpose).label) if purpose else ""))
    if purpose != Purpose.CLASS and data.get("trainees") not in (None, "", []):
        f.error("trainees", rules.TARGET_NOT_FOR_PURPOSE.format(
            purpose=gettext(Purpose(purpose).label) if purpose else ""))
    target = _target(data, target_field, f.errors) if target_field else None
    if target_field is None or target is None or f.errors:
        f.finish()
        raise InvalidInput(f.errors)  # pragma: no cover - finish raised already
    if purpose == Purpose.CLASS:
        return _class_request(actor, f, data, target, year, source, note)
    if purpose == Purpose.APPLICATION:
        return _application_request(actor, f, data, target, year, source, note)
    if purpose == Purpose.AWARD:
        return _award_request(actor, f, data, target, year, source, note)
    return _contract_request(actor, f, data, target, year, source, note)


def _class_request(actor: User, f: Fields, data: dict[str, Any], target: int, year: int | None,
                   source: str, note: str) -> Payment:
    if text(data.get("amount")):
        f.error("amount", rules.AMOUNT_COMPUTED)
    persons = _id_list(data.get("trainees"))
    if persons is None:
        f.error("trainees", rules.TRAINEES_INVALID)
    training_class = (TrainingClass.objects.select_for_update().filter(pk=target).first())
    if training_class is None:
        f.error("class", rules.CLASS_NOT_FOUND)
        f.finish()
    assert training_class is not None
    return _class_payment(actor, training_class, year=year, source=source, persons=persons,
                          note=note, errors=f.errors)


def _standard_or_typed(f: Fields, data: dict[str, Any], standard: SubsidyStandard | None
                       ) -> Decimal:
    """A payment to one person: the amount of the standard in force (typing one is refused),
    or the amount typed where no standard applies."""
    if standard is None:
        return _amount(f, "amount") or ZERO
    if text(data.get("amount")):
        f.error("amount", rules.AMOUNT_COMPUTED)
    return standard.amount


def _check_own_year(f: Fields, year: int | None, own: int, *, what: str) -> None:
    """A payment's year is its purpose's own: a year given must be that one."""
    if year is not None and year != own:
        f.error("year", rules.OTHER_YEAR.format(what=what, own=own, year=year))


def _application_request(actor: User, f: Fields, data: dict[str, Any], target: int,
                         year: int | None, source: str, note: str) -> Payment:
    application = (Application.objects.select_for_update().filter(pk=target).first())
    if application is None:
        f.error("application", rules.APPLICATION_NOT_FOUND)
        f.finish()
    assert application is not None
    if application.state not in PAYABLE_APPLICATION_STATES:
        f.error("application", rules.APPLICATION_NOT_COMPLETED.format(
            id=application.pk, state=application.get_state_display()))
    standard = application_standard(application)
    amount = _standard_or_typed(f, data, standard)
    own = application_day(application).year
    _check_own_year(f, year, own, what=_application_words(application.pk))
    f.finish()
    person = application.person
    return Payment(purpose=Purpose.APPLICATION, year=own, source=source, amount=amount,
                   lines=[Line(person.pk, person.town_id, standard, amount)],
                   application=application, note=note)


def award_standard(entry: Entry) -> SubsidyStandard | None:
    """The standard for the entry's award grade in force on the competition's last day."""
    return _in_force(SubsidyStandard.objects.filter(
        purpose=StandardPurpose.AWARD, award_grade=entry.award),
        entry.event.competition.end_date).order_by("-effective_from").first()


def _award_request(actor: User, f: Fields, data: dict[str, Any], target: int,
                   year: int | None, source: str, note: str) -> Payment:
    """A competition award (竞赛奖励) to the person of an awarded entry: the amount of the
    standard for its grade where one is in force, typed otherwise; the competition's year."""
    entry = (Entry.objects.select_for_update().select_related("event__competition", "person")
             .filter(pk=target).first())
    if entry is None:
        f.error("entry", rules.ENTRY_NOT_FOUND)
        f.finish()
    assert entry is not None
    if not entry.award:
        f.error("entry", rules.ENTRY_NOT_AWARDED.format(id=entry.pk))
        f.finish()
    standard = award_standard(entry)
    amount = _standard_or_typed(f, data, standard)
    competition = entry.event.competition
    own = competition.end_date.year
    _check_own_year(f, year, own, what=gettext("竞赛「%(name)s」") % {"name": competition.name})
    f.finish()
    return Payment(purpose=Purpose.AWARD, year=own, source=source, amount=amount,
                   lines=[Line(entry.person_id, entry.person.town_id, standard, amount)],
                   entry=entry, note=note)


def _contract_request(actor: User, f: Fields, data: dict[str, Any], target: int,
                      year: int | None, source: str, note: str) -> Payment:
    contract = Contract.objects.select_for_update().filter(pk=target).first()
    if contract is None:
        f.error("contract", rules.CONTRACT_NOT_FOUND)
        f.finish()
    assert contract is not None
    amount = _amount(f, "amount")
    instalment = f.integer("instalment", low=1, high=99, message=rules.INSTALMENT_INVALID,
                           required=True)
    if year is None:
        year = contract.start_date.year
    elif not contract.start_date.year <= year <= contract.end_date.year:
        f.error("year", rules.CONTRACT_YEAR.format(
            number=contract.number, start=contract.start_date.isoformat(),
            end=contract.end_date.isoformat(), year=year))
    if amount is not None:
        paid = _live(contract.disbursements.all()).aggregate(s=Sum("amount"))["s"] or ZERO
        if paid + amount > contract.amount:
            f.error("amount", rules.CONTRACT_EXCEEDED.format(
                number=contract.number, amount=money_text(contract.amount),
                paid=money_text(paid), this=money_text(amount)))
    f.finish()
    assert amount is not None
    return Payment(purpose=Purpose.CONTRACT, year=year, source=source, amount=amount, lines=[],
                   contract=contract, instalment=instalment,
                   institution_id=contract.institution_id, note=note)


def disbursement_create(*, actor: User, data: dict[str, Any]) -> Disbursement:
    """Pay one purpose (class, application, award, contract); the amount computed from the standard
    wherever one exists. A refused over-budget payment is written to the audit log after the
    refusal, so the clerk's attempt and its figures stay on record."""
    _require_edit(actor)
    try:
        with transaction.atomic():
            return _write(actor, _payment_from(actor, data))
    except Conflict as exc:
        if exc.errors and exc.errors[0][0] in ("amount", "source"):
            with transaction.atomic():
                audit_record(actor=actor, action=AuditAction.DISBURSEMENT_REFUSED,
                             object_type="funds.disbursement", summary=exc.message,
                             changes={"request": {k: str(v) for k, v in data.items()
                                                  if k in DISBURSEMENT_FIELDS}})
        raise


def disbursement_reverse(*, actor: User, disbursement_id: int, reason: Any) -> Disbursement:
    """Reverse (冲销) a payment: a new negative entry with the reason, lines negated; the
    original is marked reversed, so its purpose may be paid again."""
    _require_edit(actor)
    errors: Errors = []
    why = text(reason)
    if not why:
        errors.append(("reason", rules.REASON_REQUIRED))
    elif len(why) > 200:
        errors.append(("reason", too_long_for(rules.REASON, 200)))
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        original = Disbursement.objects.select_for_update().filter(pk=disbursement_id).first()
        if original is None:
            raise NotFound()
        if original.reverses_id is not None:
            raise Conflict(rules.REVERSAL_NOT_REVERSIBLE)
        if original.is_reversed:
            raise Conflict(rules.ALREADY_REVERSED.format(id=original.pk))
        original.is_reversed = True
        original.save(update_fields=["is_reversed"])
        reversal = Disbursement.objects.create(
            purpose=original.purpose, training_class_id=original.training_class_id,
            application_id=original.application_id, contract_id=original.contract_id,
            entry_id=original.entry_id, instalment=original.instalment, institution_id=original.institution_id,
            year=original.year, source=original.source, amount=-original.amount,
            reverses=original, reason=why, created_by=actor)
        DisbursementLine.objects.bulk_create(
            DisbursementLine(disbursement=reversal, person_id=line.person_id, town_id=line.town_id,
                             standard_id=line.standard_id, amount=-line.amount)
            for line in original.lines.all())
        summaries.lines_written(year=reversal.year, disbursement_id=reversal.pk)
        audit_record(actor=actor, action=AuditAction.DISBURSEMENT_REVERSE, obj=reversal,  # zh-data: audit words
                     summary=f"冲销拨付单 #{original.pk} {money_text(original.amount)} 元：{why}",
                     changes={"reverses": original.pk, "amount": money_text(reversal.amount)})
    return reversal


# ---- idempotency ------------------------------------------------------------------------------

def _replay(record: IdempotencyKey, digest: str) -> tuple[int, dict[str, Any]]:
    if record.request_hash != digest:
        raise Conflict(rules.IDEMPOTENCY_KEY_REUSED, [("Idempotency-Key",
                                                       rules.IDEMPOTENCY_KEY_REUSED)])
    return record.status, record.body


def idempotent(*, actor: User, key: str, request: dict[str, Any],
               work: Callable[[], tuple[int, dict[str, Any]]]) -> tuple[int, dict[str, Any]]:
    """Do `work` once per (user, key): a retry with the same key and body gets the first answer,
    the same key with another body a 409. The key row is inserted first in the work's
    transaction, so a concurrent request with the key waits on it and then replays the answer
    (or, if the first failed, does the work itself)."""
    if not key or len(key) > 200 or not key.isprintable():
        raise InvalidInput([("Idempotency-Key", rules.IDEMPOTENCY_KEY_INVALID)])
    digest = hashlib.sha256(json.dumps(request, sort_keys=True, default=str)
                            .encode("utf-8")).hexdigest()
    existing = IdempotencyKey.objects.filter(user=actor, key=key).first()
    if existing is not None:
        return _replay(existing, digest)
    try:
        with transaction.atomic():
            record = IdempotencyKey.objects.create(user=actor, key=key, request_hash=digest)
            status, body = work()
            record.status, record.body = status, body
            record.save(update_fields=["status", "body"])
            return status, body
    except IntegrityError:
        existing = IdempotencyKey.objects.filter(user=actor, key=key).first()
        if existing is None:
            raise
        return _replay(existing, digest)


__all__ = ["ServiceError"]
