"""Reads of money, each from the caller's scope, and the fund ledger of a year.

The city admin and the auditor read everything (Perm.FUNDS_LEDGER); town staff read the
payments for persons of their town, and only those persons' lines; institution staff the
payments to their institution (its classes and contracts); every other role none.

The ledger's definitions (README "How money flows"), per year and source:

- budget: the sum of the year's budget entries of the source (initial, adjustments, donations);
- paid: the sum of the disbursements charged to the year and source, reversals (negative)
  included;
- committed: what the city has approved and not paid yet, charged to the employment security
  fund of the class's (application's) year: classes approved, running, completed or audited
  with no live payment, at their active trainees times the standard in force (the class's own
  subsidy figure where no standard applies), and applications approved or completed with no
  live payment, at their standard (else the approved, else the requested amount);
- balance: budget − committed − paid.

By use (class training, individual, competition, contract) the same committed and paid.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.text import format_lazy as lazy_format
from django.utils.translation import gettext, gettext_lazy

from canpei.accounts.roles import Perm, Role, has_perm
from canpei.codes import FundSource
from canpei.errors import Forbidden
from canpei.funds import rules
from canpei.funds.models import (
    ZERO, Budget, Contract, Disbursement, DisbursementLine, Donation, Purpose, StandardPurpose,
    SubsidyStandard,
)
from canpei.funds.services import class_standard
from canpei.regions.scope import ScopePaths
from canpei.selectors import FilterParams, ListFilters, get_in_scope
from canpei.training.models import Application, ApplicationState, ClassState, TrainingClass

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from canpei.regions.scope import Viewer

# Messages translate when shown; typed as the str they stand for, which the shared helpers
# (canpei.errors, canpei.validation, canpei.workflows) take.
_ = cast("Callable[[str], str]", gettext_lazy)
format_lazy = cast("Callable[..., str]", lazy_format)


def _line_of_town(town: str) -> Q:
    return Q(Exists(DisbursementLine.objects.filter(disbursement=OuterRef("pk"), town_id=town)))


DISBURSEMENT_SCOPE = ScopePaths(model=Disbursement, permission=Perm.FUNDS_BROWSE,
                                town=_line_of_town, institution="institution_id")
CONTRACT_SCOPE = ScopePaths(model=Contract, permission=Perm.FUNDS_BROWSE,
                            institution="institution_id")
disbursements_visible_to = DISBURSEMENT_SCOPE.visible_to
contracts_visible_to = CONTRACT_SCOPE.visible_to


def require_ledger(user: Viewer) -> None:
    if not has_perm(user, Perm.FUNDS_LEDGER):
        raise Forbidden(rules.NO_LEDGER)


def require_browse(user: Viewer) -> None:
    if not has_perm(user, Perm.FUNDS_BROWSE):
        raise Forbidden(rules.NO_BROWSE)


def lines_visible_to(user: Viewer, disbursement: Disbursement) -> QuerySet[DisbursementLine]:
    """A payment's lines as far as the user may see the persons: town staff their town's."""
    lines = disbursement.lines.select_related("person", "town", "standard").order_by("id")
    if getattr(user, "role", None) == Role.TOWN_STAFF:
        return lines.filter(town_id=getattr(user, "town_id", "") or "")
    return lines


CLASS_FILTER_INVALID = _("培训班须为培训班编号")
APPLICATION_FILTER_INVALID = _("个人申请须为申请编号")
PURPOSE_FILTER_INVALID = format_lazy(_("用途须为 {values}"), values="、".join(Purpose.values))
SOURCE_FILTER_INVALID = format_lazy(_("资金来源须为 {values}"), values="、".join(FundSource.values))


@dataclass(frozen=True)
class DisbursementFilters(ListFilters):
    """The disbursement list's filters (INTERFACES.md): `class`, `application`, `year`,
    `source`, and `purpose`."""

    training_class: int | None = None
    application: int | None = None
    year: int | None = None
    source: str = ""
    purpose: str = ""

    @classmethod
    def parse(cls, read: FilterParams) -> dict[str, Any]:
        return {"training_class": read.record_id("class", CLASS_FILTER_INVALID),
                "application": read.record_id("application", APPLICATION_FILTER_INVALID),
                "year": read.year(),
                "source": read.choice("source", FundSource.values, SOURCE_FILTER_INVALID),
                "purpose": read.choice("purpose", Purpose.values, PURPOSE_FILTER_INVALID)}

    def as_params(self) -> dict[str, str]:
        params = super().as_params()
        if "training_class" in params:
            params["class"] = params.pop("training_class")
        return params


def disbursement_list(*, user: Viewer,
                      filters: DisbursementFilters | None = None) -> QuerySet[Disbursement]:
    f = filters or DisbursementFilters()
    qs = disbursements_visible_to(user)
    given = {"training_class_id": f.training_class, "application_id": f.application,
             "year": f.year, "source": f.source, "purpose": f.purpose}
    qs = qs.filter(**{k: v for k, v in given.items() if v})
    return qs.select_related("training_class", "contract", "application").order_by("-id")


def disbursement_get(*, user: Viewer, disbursement_id: int | str) -> Disbursement:
    return get_in_scope(disbursement_list(user=user), disbursement_id)


def _year_filter(qs: QuerySet[Any], year: int | None, field: str = "year") -> QuerySet[Any]:
    return qs.filter(**{field: year}) if year else qs


def budget_list(*, user: Viewer, year: int | None = None) -> QuerySet[Budget]:
    require_ledger(user)
    return _year_filter(Budget.objects.all(), year).order_by("-year", "source", "id")


def standard_list(*, user: Viewer) -> QuerySet[SubsidyStandard]:
    require_ledger(user)
    return SubsidyStandard.objects.order_by("purpose", "training_type", "level", "mode", "cycle",
                                            "application_kind", "award_grade", "-effective_from")


def donation_list(*, user: Viewer, year: int | None = None) -> QuerySet[Donation]:
    require_ledger(user)
    qs = Donation.objects.all()
    if year:
        qs = qs.filter(date__year=year)
    return qs.order_by("-date", "-id")


def contract_list(*, user: Viewer) -> QuerySet[Contract]:
    require_browse(user)
    return contracts_visible_to(user).select_related("institution").order_by("-start_date", "-id")


# ---- the ledger -------------------------------------------------------------------------------

USES: tuple[tuple[str, StrOrPromise], ...] = (
    (Purpose.CLASS, _("培训班")), (Purpose.APPLICATION, _("个人申请")),
    (Purpose.AWARD, _("竞赛")), (Purpose.CONTRACT, _("政府购买服务")))

COMMITTED_CLASS_STATES = (ClassState.APPROVED, ClassState.RUNNING, ClassState.COMPLETED,
                          ClassState.AUDITED)
COMMITTED_APPLICATION_STATES = (ApplicationState.APPROVED, ApplicationState.COMPLETED)


@dataclass
class LedgerRow:
    key: str
    label: str
    budget: Decimal = ZERO
    committed: Decimal = ZERO
    paid: Decimal = ZERO

    @property
    def balance(self) -> Decimal:
        return self.budget - self.committed - self.paid


@dataclass
class Ledger:
    year: int
    sources: list[LedgerRow]
    uses: list[LedgerRow]
    total: LedgerRow = field(default_factory=lambda: LedgerRow("total", gettext("合计")))


def _fen(amount: Decimal) -> Decimal:
    """A sum as money: SQLite's SUM drops the trailing zeros (10000000 for 10000000.00)."""
    return amount.quantize(ZERO)


def _live(qs: QuerySet[Any]) -> QuerySet[Any]:
    return qs.filter(reverses__isnull=True, is_reversed=False)


def committed_classes(year: int) -> Decimal:
    """Approved classes of the year not paid yet: active trainees × the standard in force (the
    class's own figure where none applies). Counted per kind of class and dates, one query."""
    unpaid = (TrainingClass.objects
              .filter(state__in=COMMITTED_CLASS_STATES, start_date__gte=dt.date(year, 1, 1),
                      start_date__lt=dt.date(year + 1, 1, 1))
              .exclude(Exists(_live(Disbursement.objects.filter(training_class=OuterRef("pk"))))))
    groups = list(unpaid.values("training_type", "level", "mode", "start_date", "end_date",
                                "subsidy_standard")
                  .annotate(active=Count("enrollments", filter=Q(
                      enrollments__status__in=("enrolled", "completed"))))
                  .order_by())
    if not groups:
        return ZERO
    standards = list(SubsidyStandard.objects.filter(purpose=StandardPurpose.CLASS))
    total = ZERO
    for g in groups:
        kind = TrainingClass(training_type=g["training_type"], level=g["level"], mode=g["mode"],
                             start_date=g["start_date"], end_date=g["end_date"])
        standard = class_standard(kind, standards)
        total += (standard.amount if standard is not None else g["subsidy_standard"]) * g["active"]
    return total


def committed_applications(year: int) -> Decimal:
    """Approved or completed applications of the year not paid yet, at their standard (else the
    approved, else the requested amount). The standards are read once."""
    start = timezone.make_aware(dt.datetime(year, 1, 1))
    end = timezone.make_aware(dt.datetime(year + 1, 1, 1))
    of_year = (Q(planned_start__gte=dt.date(year, 1, 1), planned_start__lt=dt.date(year + 1, 1, 1))
               | Q(planned_start__isnull=True, created_at__gte=start, created_at__lt=end))
    unpaid = (Application.objects.filter(of_year, state__in=COMMITTED_APPLICATION_STATES)
              .exclude(Exists(_live(Disbursement.objects.filter(application=OuterRef("pk")))))
              .values_list("kind", "planned_start", "created_at", "amount_approved",
                           "amount_requested"))
    standards = list(SubsidyStandard.objects.filter(purpose=StandardPurpose.APPLICATION)
                     .order_by("-effective_from"))
    total = ZERO
    for kind, planned, created, approved, requested in unpaid:
        day = planned or timezone.localdate(created)
        standard = next((s for s in standards if s.application_kind == kind
                         and s.effective_from <= day
                         and (s.effective_to is None or s.effective_to >= day)), None)
        total += (standard.amount if standard is not None
                  else approved if approved is not None else requested)
    return total


def fund_ledger(*, user: Viewer, year: int) -> Ledger:
    """The year's budget, committed, paid and balance by source and by use."""
    require_ledger(user)
    sources = {code: LedgerRow(code, str(label)) for code, label in FundSource.choices}
    uses = {code: LedgerRow(code, str(label)) for code, label in USES}
    for row in Budget.objects.filter(year=year).values("source").annotate(s=Sum("amount")):
        sources[row["source"]].budget = _fen(row["s"])
    for row in (Disbursement.objects.filter(year=year).values("source", "purpose")
                .annotate(s=Sum("amount")).order_by()):
        sources[row["source"]].paid += _fen(row["s"])
        uses[row["purpose"]].paid += _fen(row["s"])
    committed = {Purpose.CLASS: committed_classes(year),
                 Purpose.APPLICATION: committed_applications(year)}
    for use, amount in committed.items():
        uses[use].committed = _fen(amount)
        sources[rules.DEFAULT_SOURCE].committed += _fen(amount)
    ledger = Ledger(year=year, sources=list(sources.values()), uses=list(uses.values()))
    for line in ledger.sources:
        ledger.total.budget += line.budget
        ledger.total.committed += line.committed
        ledger.total.paid += line.paid
    return ledger


def money_by_town(*, user: Viewer, year: int) -> list[dict[str, Any]]:
    """Money paid for the persons of each town in a year (class and application lines,
    reversals netted): town code, name, persons, amount."""
    require_ledger(user)
    rows = (DisbursementLine.objects.filter(disbursement__year=year)
            .values("town_id", "town__name").annotate(amount=Sum("amount"),
                                                      persons=Count("person_id", distinct=True))
            .order_by("town_id"))
    return [{"town": r["town_id"], "town_name": r["town__name"], "persons": r["persons"],
             "amount": _fen(r["amount"])} for r in rows]


def ledger_years() -> list[int]:
    years = set(Budget.objects.values_list("year", flat=True).distinct())
    years |= set(Disbursement.objects.values_list("year", flat=True).distinct())
    years.add(dt.date.today().year)
    return sorted(years, reverse=True)
