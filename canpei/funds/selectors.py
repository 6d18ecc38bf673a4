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
import functools
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import connections, router
from django.db.models import (
    Case, CharField, Count, DecimalField, Exists, ExpressionWrapper, F, IntegerField, OrderBy,
    OuterRef, Q, QuerySet, Subquery, Sum, Value, When,
)
from django.db.models.functions import Coalesce, ExtractDay, ExtractMonth, ExtractYear, TruncDate
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext

from canpei.accounts.roles import Perm, Role, has_perm
from canpei.codes import FundSource
from canpei.errors import Forbidden
from canpei.errors import lazy_message as _
from canpei.errors import lazy_format as format_lazy
from canpei.funds import rules, summaries
from canpei.funds.models import (
    ZERO, Budget, Contract, Disbursement, DisbursementLine, Donation, Purpose, StandardPurpose,
    SubsidyStandard, TownYearPaid,
)
from canpei.regions.models import Region
from canpei.regions.scope import ScopePaths
from canpei.selectors import FilterParams, ListFilters, get_in_scope
from canpei.training.models import (
    Application, ApplicationState, ClassCycle, ClassState, Enrollment, TrainingClass,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from canpei.regions.scope import Viewer


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


MONEY = DecimalField(max_digits=14, decimal_places=2)


def _day_key(day: str) -> Any:
    """A date as the number (year × 12 + month) × 100 + day: later dates have larger keys, and a
    key + 100 × k is the same day k months later (or past that month's last day)."""
    return (ExtractYear(day) * 12 + ExtractMonth(day)) * 100 + ExtractDay(day)


def class_cycle_expression() -> Case:
    """training.rules.class_cycle in SQL: short when the end date is no later than the same day a
    month after the start (or that month's last day), medium within six months, else long."""
    apart = _day_key("end_date") - _day_key("start_date")
    return Case(When(LessThanOrEqual(apart, Value(100)), then=Value(ClassCycle.SHORT)),
                When(LessThanOrEqual(apart, Value(600)), then=Value(ClassCycle.MEDIUM)),
                default=Value(ClassCycle.LONG), output_field=CharField())


def _named_first(field: str) -> OrderBy:
    return Case(When(**{field: ""}, then=Value(0)), default=Value(1)).desc()


def class_standard_amount() -> Subquery:
    """services.class_standard in SQL, for an outer class query annotated with its
    `cycle_code`: the amount of the most specific standard in force on its start date (a level
    named beats any level, then the mode, then the cycle; two standards of one key never overlap
    in time)."""
    on = OuterRef("start_date")
    standards = (SubsidyStandard.objects
                 .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on),
                         purpose=StandardPurpose.CLASS, training_type=OuterRef("training_type"),
                         effective_from__lte=on, level__in=["", OuterRef("level")],
                         mode__in=["", OuterRef("mode")], cycle__in=["", OuterRef("cycle_code")])
                 .order_by(_named_first("level"), _named_first("mode"), _named_first("cycle"))
                 .values("amount")[:1])
    return Subquery(standards, output_field=MONEY)


def _one_row(rows: QuerySet[Any], tag: str, amount: Any) -> QuerySet[Any]:
    """The sum of `amount` over `rows` as one row (source, purpose, s) of the ledger's UNION,
    `tag` naming it."""
    return (rows.order_by().values(source=Value(tag), purpose=Value(tag))
            .annotate(s=Sum(amount, output_field=MONEY)))


def committed_classes_query(year: int) -> QuerySet[Any]:
    """Approved classes of the year not paid yet, each at its active trainees × the standard in
    force (the class's own figure where none applies): one row, tagged COMMITTED_CLASSES."""
    active = (Enrollment.objects.filter(training_class=OuterRef("pk"),
                                        status__in=("enrolled", "completed"))
              .order_by().values("training_class").annotate(n=Count("pk")).values("n"))
    unpaid = (TrainingClass.objects
              .filter(state__in=COMMITTED_CLASS_STATES, start_date__gte=dt.date(year, 1, 1),
                      start_date__lt=dt.date(year + 1, 1, 1))
              .exclude(Exists(_live(Disbursement.objects.filter(training_class=OuterRef("pk")))))
              .annotate(cycle_code=class_cycle_expression()))
    each = ExpressionWrapper(
        Coalesce(class_standard_amount(), F("subsidy_standard"), output_field=MONEY)
        * Coalesce(Subquery(active, output_field=IntegerField()), Value(0)), output_field=MONEY)
    return _one_row(unpaid, COMMITTED_CLASSES, each)


def committed_applications_query(year: int) -> QuerySet[Any]:
    """Approved or completed applications of the year not paid yet, each at the standard in
    force on its day (else the approved, else the requested amount): one row, tagged
    COMMITTED_APPLICATIONS."""
    start = timezone.make_aware(dt.datetime(year, 1, 1))
    end = timezone.make_aware(dt.datetime(year + 1, 1, 1))
    of_year = (Q(planned_start__gte=dt.date(year, 1, 1), planned_start__lt=dt.date(year + 1, 1, 1))
               | Q(planned_start__isnull=True, created_at__gte=start, created_at__lt=end))
    unpaid = (Application.objects.filter(of_year, state__in=COMMITTED_APPLICATION_STATES)
              .exclude(Exists(_live(Disbursement.objects.filter(application=OuterRef("pk")))))
              .annotate(day=Coalesce("planned_start", TruncDate("created_at"))))
    on = OuterRef("day")
    standard = (SubsidyStandard.objects
                .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on),
                        purpose=StandardPurpose.APPLICATION,
                        application_kind=OuterRef("kind"), effective_from__lte=on)
                .order_by("-effective_from").values("amount")[:1])
    each = Coalesce(Subquery(standard, output_field=MONEY), "amount_approved",
                    "amount_requested", output_field=MONEY)
    return _one_row(unpaid, COMMITTED_APPLICATIONS, each)


def committed_classes(year: int) -> Decimal:
    return _fen(committed_classes_query(year).get()["s"] or ZERO)


def committed_applications(year: int) -> Decimal:
    return _fen(committed_applications_query(year).get()["s"] or ZERO)


# The tags of the ledger statement's rows that are not a source's: budget, committed.
BUDGET, COMMITTED_CLASSES, COMMITTED_APPLICATIONS = "=budget", "=classes", "=applications"
COMMITTED_USES = {COMMITTED_CLASSES: Purpose.CLASS, COMMITTED_APPLICATIONS: Purpose.APPLICATION}


def ledger_query(year: int) -> QuerySet[Any]:
    """The ledger in one statement, rows (source, purpose, s): the budget by source (purpose
    BUDGET), the payments by source and use, and the two committed sums (tagged)."""
    budget = (Budget.objects.filter(year=year).order_by().values("source")
              .annotate(purpose=Value(BUDGET), s=Sum("amount")))
    paid = (Disbursement.objects.filter(year=year).order_by().values("source", "purpose")
            .annotate(s=Sum("amount")))
    return budget.union(paid, committed_classes_query(year), committed_applications_query(year),
                        all=True)


@functools.lru_cache(maxsize=32)
def _ledger_statement(alias: str, year: int, zone: str) -> tuple[str, tuple[Any, ...]]:
    """ledger_query's SQL and parameters, compiled once per database, year and time zone (the
    ORM takes several times longer to compile it than the database to answer it)."""
    sql, params = ledger_query(year).query.get_compiler(using=alias).as_sql()
    return sql, tuple(params)


def _money(value: Any) -> Decimal:
    """A sum read raw: a Decimal (PostgreSQL) or SQLite's int or float, to the fen."""
    if value is None:
        return ZERO
    return _fen(value if isinstance(value, Decimal) else Decimal(str(value)))


def fund_ledger(*, user: Viewer, year: int) -> Ledger:
    """The year's budget, committed, paid and balance by source and by use, in one statement."""
    require_ledger(user)
    sources = {code: LedgerRow(code, str(label)) for code, label in FundSource.choices}
    uses = {code: LedgerRow(code, str(label)) for code, label in USES}
    alias = router.db_for_read(Budget)
    sql, params = _ledger_statement(alias, year, timezone.get_current_timezone_name())
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for source, purpose, total in rows:
        amount = _money(total)
        if purpose == BUDGET:
            sources[source].budget = amount
        elif source in COMMITTED_USES:
            uses[COMMITTED_USES[source]].committed = amount
            sources[rules.DEFAULT_SOURCE].committed += amount
        else:
            sources[source].paid += amount
            uses[purpose].paid += amount
    ledger = Ledger(year=year, sources=list(sources.values()), uses=list(uses.values()))
    for line in ledger.sources:
        ledger.total.budget += line.budget
        ledger.total.committed += line.committed
        ledger.total.paid += line.paid
    return ledger


def money_by_town(*, user: Viewer, year: int, live: bool = False) -> list[dict[str, Any]]:
    """Money paid for the persons of each town in a year (class and application lines,
    reversals netted): town code, name, persons, amount. Read from the summary the payments
    keep (canpei.funds.summaries); `live` sums the lines instead."""
    require_ledger(user)
    if live:
        found = list(summaries.live_town_paid(year))
        names = dict(Region.objects.filter(code__in=[r["town_id"] for r in found])
                     .values_list("code", "name"))
        return [{"town": r["town_id"], "town_name": names[r["town_id"]],
                 "persons": r["persons"], "amount": _fen(r["amount"])} for r in found]
    rows = (TownYearPaid.objects.filter(year=year).order_by("town_id")
            .values_list("town_id", "town__name", "persons", "amount"))
    return [{"town": town, "town_name": name, "persons": persons, "amount": _fen(amount)}
            for town, name, persons, amount in rows]


def _years_of(table: str, name: str) -> str:
    """A recursive step list of a table's distinct years, one smallest-year-after look-up on its
    (year, ...) index per year, rather than reading every row."""
    return (f"{name}(v) AS (SELECT MIN(year) FROM {table} UNION ALL "
            f"SELECT (SELECT MIN(year) FROM {table} WHERE year > {name}.v) FROM {name} "
            f"WHERE {name}.v IS NOT NULL)")


def ledger_years() -> list[int]:
    """The years with a budget entry or a payment, and this year, newest first (one statement,
    both databases)."""
    connection = connections[router.db_for_read(Disbursement)]
    q = connection.ops.quote_name
    sql = (f"WITH RECURSIVE {_years_of(q(Budget._meta.db_table), 'b')}, "
           f"{_years_of(q(Disbursement._meta.db_table), 'd')} "
           "SELECT v FROM b WHERE v IS NOT NULL UNION SELECT v FROM d WHERE v IS NOT NULL")
    with connection.cursor() as cursor:
        cursor.execute(sql)
        years = {int(v) for (v,) in cursor.fetchall()}
    years.add(timezone.localdate().year)
    return sorted(years, reverse=True)
