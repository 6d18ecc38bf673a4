"""Money (`budgets`, `subsidy-standards`, `disbursements`, `donations`, `contracts`,
`reports/funds`): amounts are strings with two decimals ("1234.50"), never numbers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from canpei.accounts.models import User
from canpei.api.common import MAX_PAGE_SIZE, ObjectIn, Page, Text, api_user, errors, page_of, paginate
from canpei.funds import selectors, services
from canpei.funds.models import Budget, Contract, Disbursement, Donation, SubsidyStandard
from canpei.funds.services import money_text
from canpei.selectors import FilterParams

budgets = Router(tags=["funds"])
standards = Router(tags=["funds"])
donations = Router(tags=["funds"])
contracts = Router(tags=["funds"])
disbursements = Router(tags=["funds"])
report = Router(tags=["reports"])

# An amount arrives as text ("1234.50") or a number and is read exactly by the service, which
# names the field of a bad one.
Money = str | int | float | None
DateText = str | dt.date | None
PAGE = {"page": Query(1, ge=1, le=1_000_000), "page_size": Query(50, ge=1, le=MAX_PAGE_SIZE)}


def _year(year: str) -> int | None:
    read = FilterParams({"year": year})
    value = read.year()
    read.done()
    return value


# ---- budgets ----------------------------------------------------------------------------------

class BudgetOut(Schema):
    id: int
    year: int
    source: str
    kind: str
    amount: str
    note: str
    created_at: dt.datetime


def budget_out(b: Budget) -> BudgetOut:
    return BudgetOut(id=b.pk, year=b.year, source=b.source, kind=b.kind,
                     amount=money_text(b.amount), note=b.note, created_at=b.created_at)


class BudgetPage(Page[BudgetOut]):
    pass


class BudgetIn(ObjectIn):
    year: int | str | None = None
    source: str = ""
    kind: str = "initial"
    amount: Money = None
    note: str = ""


@budgets.get("", response={200: BudgetPage, **errors(401, 403, 422)})
def budget_list(request: HttpRequest, page: int = PAGE["page"],
                page_size: int = PAGE["page_size"], year: Text = "") -> BudgetPage:
    """Budget entries, newest year first; `year` filters. Adjustments are entries of their own."""
    return page_of(
        BudgetPage, selectors.budget_list(user=api_user(request), year=_year(year)),
        page, page_size, budget_out)


@budgets.post("", response={201: BudgetOut, **errors(400, 401, 403, 422)})
def budget_create(request: HttpRequest, payload: BudgetIn) -> Status[BudgetOut]:
    """A budget entry: `kind` `initial` or `adjustment` (a negative amount reduces; `note`
    required)."""
    entry = services.budget_create(actor=api_user(request), data=payload.dict())
    return Status(201, budget_out(entry))


# ---- subsidy standards ------------------------------------------------------------------------

class StandardOut(Schema):
    id: int
    purpose: str
    training_type: str
    level: str
    mode: str
    cycle: str
    application_kind: str
    award_grade: str
    amount: str
    effective_from: dt.date
    effective_to: dt.date | None
    note: str


def standard_out(s: SubsidyStandard) -> StandardOut:
    return StandardOut(id=s.pk, purpose=s.purpose, training_type=s.training_type, level=s.level,
                       mode=s.mode, cycle=s.cycle, application_kind=s.application_kind,
                       award_grade=s.award_grade, amount=money_text(s.amount),
                       effective_from=s.effective_from, effective_to=s.effective_to, note=s.note)


class StandardPage(Page[StandardOut]):
    pass


class StandardIn(ObjectIn):
    purpose: str = ""
    training_type: str = ""
    level: str = ""
    mode: str = ""
    cycle: str = ""
    application_kind: str = ""
    award_grade: str = ""
    amount: Money = None
    effective_from: DateText = ""
    effective_to: DateText = ""
    note: str = ""


@standards.get("", response={200: StandardPage, **errors(401, 403, 422)})
def standard_list(request: HttpRequest, page: int = PAGE["page"],
                  page_size: int = PAGE["page_size"]) -> StandardPage:
    return page_of(
        StandardPage, selectors.standard_list(user=api_user(request)),
        page, page_size, standard_out)


@standards.post("", response={201: StandardOut, **errors(400, 401, 403, 422)})
def standard_create(request: HttpRequest, payload: StandardIn) -> Status[StandardOut]:
    """`purpose` `class` (by `training_type`, and `level`, `mode`, `cycle` or blank for any),
    `application` (by `application_kind`) or `award` (by `award_grade`); dates may not overlap
    another standard of the same key."""
    data = {k: ("" if v is None else v) for k, v in payload.dict().items()}
    return Status(201, standard_out(services.standard_create(actor=api_user(request), data=data)))


# ---- donations --------------------------------------------------------------------------------

class DonationOut(Schema):
    id: int
    donor: str
    amount: str
    purpose: str
    date: dt.date
    receipt_number: str


def donation_out(d: Donation) -> DonationOut:
    return DonationOut(id=d.pk, donor=d.donor, amount=money_text(d.amount), purpose=d.purpose,
                       date=d.date, receipt_number=d.receipt_number)


class DonationPage(Page[DonationOut]):
    pass


class DonationIn(ObjectIn):
    donor: str = ""
    amount: Money = None
    purpose: str = ""
    date: DateText = ""
    receipt_number: str = ""


@donations.get("", response={200: DonationPage, **errors(401, 403, 422)})
def donation_list(request: HttpRequest, page: int = PAGE["page"],
                  page_size: int = PAGE["page_size"], year: Text = "") -> DonationPage:
    return page_of(
        DonationPage, selectors.donation_list(user=api_user(request), year=_year(year)),
        page, page_size, donation_out)


@donations.post("", response={201: DonationOut, **errors(400, 401, 403, 422)})
def donation_create(request: HttpRequest, payload: DonationIn) -> Status[DonationOut]:
    """A donation received; it joins the year's 社会捐赠 budget."""
    data = {k: ("" if v is None else v) for k, v in payload.dict().items()}
    return Status(201, donation_out(services.donation_create(actor=api_user(request), data=data)))


# ---- contracts --------------------------------------------------------------------------------

class ContractOut(Schema):
    id: int
    institution: int
    institution_name: str
    number: str
    amount: str
    start_date: dt.date
    end_date: dt.date
    classes: list[int]
    note: str


def contract_out(c: Contract) -> ContractOut:
    return ContractOut(id=c.pk, institution=c.institution_id, institution_name=c.institution.name,
                       number=c.number, amount=money_text(c.amount), start_date=c.start_date,
                       end_date=c.end_date, note=c.note,
                       classes=sorted(c.classes.values_list("pk", flat=True)))


class ContractPage(Page[ContractOut]):
    pass


class ContractIn(ObjectIn):
    institution: int | str | None = None
    number: str = ""
    amount: Money = None
    start_date: DateText = ""
    end_date: DateText = ""
    classes: list[int] = []
    note: str = ""


@contracts.get("", response={200: ContractPage, **errors(401, 403, 422)})
def contract_list(request: HttpRequest, page: int = PAGE["page"],
                  page_size: int = PAGE["page_size"]) -> ContractPage:
    return page_of(
        ContractPage, selectors.contract_list(user=api_user(request)),
        page, page_size, contract_out)


@contracts.post("", response={201: ContractOut, **errors(400, 401, 403, 422)})
def contract_create(request: HttpRequest, payload: ContractIn) -> Status[ContractOut]:
    data = {k: ("" if v is None else v) for k, v in payload.dict().items()}
    return Status(201, contract_out(services.contract_create(actor=api_user(request), data=data)))


# ---- disbursements ----------------------------------------------------------------------------

def disbursement_out(user: User, d: Disbursement) -> dict[str, Any]:
    lines = [{"person": line.person_id, "person_name": line.person.name, "town": line.town_id,
              "standard": line.standard_id,
              "standard_label": str(line.standard) if line.standard else "",
              "amount": money_text(line.amount)}
             for line in selectors.lines_visible_to(user, d)]
    return {"id": d.pk, "purpose": d.purpose, "class": d.training_class_id,
            "application": d.application_id, "entry": d.entry_id, "contract": d.contract_id,
            "instalment": d.instalment, "year": d.year, "source": d.source,
            "amount": money_text(d.amount), "reverses": d.reverses_id, "reversed": d.is_reversed,
            "reason": d.reason, "note": d.note, "created_at": d.created_at.isoformat(),
            "lines": lines}


class DisbursementIn(ObjectIn):
    model_config = {"json_schema_extra": {"examples": [
        {"purpose": "class", "class": 1, "year": 2026, "source": "security_fund"},
        {"purpose": "award", "entry": 1},
        {"purpose": "contract", "contract": 1, "instalment": 1, "amount": "50000.00"}]}}

    purpose: str = ""
    class_: int | str | None = Field(None, alias="class")
    application: int | str | None = None
    entry: int | str | None = None
    contract: int | str | None = None
    instalment: int | str | None = None
    year: int | str | None = None
    source: str = ""
    amount: Money = None
    trainees: list[int] | None = None
    note: str = ""


class ReversalIn(ObjectIn):
    reason: str = ""


@disbursements.get("", response={200: dict[str, Any], **errors(401, 403, 422)},
                   openapi_extra={"summary": "Disbursements"})
def disbursement_list(request: HttpRequest, page: int = PAGE["page"],
                      page_size: int = PAGE["page_size"]) -> dict[str, Any]:
    """Newest first; filters `class`, `application`, `year`, `source`, `purpose`. Town staff see
    the payments for their town's persons (only those lines), institutions their own."""
    user = api_user(request)
    selectors.require_browse(user)
    filters = selectors.DisbursementFilters.from_params(request.GET)
    count, rows = paginate(selectors.disbursement_list(user=user, filters=filters), page,
                           page_size)
    return {"count": count, "results": [disbursement_out(user, d) for d in rows]}


@disbursements.post("", response={201: dict[str, Any], **errors(400, 401, 403, 409, 422)})
def disbursement_create(request: HttpRequest, payload: DisbursementIn) -> Status[dict[str, Any]]:
    """Pay one purpose: `class` (computed from the completers and the standard in force; an
    audited class), `application` (completed; the standard's amount, else `amount`), `award`
    (an `entry` with an award grade; the grade's standard, else `amount`), `contract` (an
    `instalment` and its `amount`). A purpose already paid answers 409; over the year's budget
    for the source, 409 with the figures. With an `Idempotency-Key` header a retry gets the
    first answer."""
    user = api_user(request)
    data = payload.dict(by_alias=True, exclude_unset=True)
    data = {k: ("" if v is None else v) for k, v in data.items()}

    def work() -> tuple[int, dict[str, Any]]:
        paid = services.disbursement_create(actor=user, data=data)
        return 201, disbursement_out(user, paid)

    key = request.headers.get("Idempotency-Key")
    if key is None:
        status, body = work()
    else:
        status, body = services.idempotent(actor=user, key=key, request=data, work=work)
    return Status(status, body)


@disbursements.get("/{disbursement_id}", response={200: dict[str, Any], **errors(401, 404, 422)})
def disbursement_detail(request: HttpRequest, disbursement_id: int) -> dict[str, Any]:
    user = api_user(request)
    return disbursement_out(user, selectors.disbursement_get(user=user,
                                                             disbursement_id=disbursement_id))


@disbursements.post("/{disbursement_id}/reversal",
                    response={201: dict[str, Any], **errors(400, 401, 403, 404, 409, 422)})
def disbursement_reverse(request: HttpRequest, disbursement_id: int,
                         payload: ReversalIn) -> Status[dict[str, Any]]:
    """Reverse (冲销) a payment: a new negative entry with the `reason`."""
    user = api_user(request)
    reversal = services.disbursement_reverse(actor=user, disbursement_id=disbursement_id,
                                             reason=payload.reason)
    return Status(201, disbursement_out(user, reversal))


# ---- the ledger -------------------------------------------------------------------------------

def ledger_out(ledger: selectors.Ledger) -> dict[str, Any]:
    def row(r: selectors.LedgerRow, with_budget: bool = True) -> dict[str, Any]:
        out = {"key": r.key, "label": r.label, "committed": money_text(r.committed),
               "paid": money_text(r.paid)}
        if with_budget:
            out.update(budget=money_text(r.budget), balance=money_text(r.balance))
        return out

    return {"year": ledger.year, "sources": [row(r) for r in ledger.sources],
            "total": row(ledger.total), "uses": [row(r, False) for r in ledger.uses]}


@report.get("", response={200: dict[str, Any], **errors(401, 403, 422)})
def funds_report(request: HttpRequest, year: Text = "") -> dict[str, Any]:
    """The fund ledger of `year` (this year by default): budget, committed, paid and balance by
    source (`sources`, `total`), committed and paid by use (`uses`: class, application, award,
    contract); amounts as strings. Balance = budget − committed − paid."""
    user = api_user(request)
    chosen = _year(year) or timezone.localdate().year
    out = ledger_out(selectors.fund_ledger(user=user, year=chosen))
    out["towns"] = [{**t, "amount": money_text(t["amount"])}
                    for t in selectors.money_by_town(user=user, year=chosen)]
    return out
