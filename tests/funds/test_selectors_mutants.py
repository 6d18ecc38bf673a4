"""The money reads of canpei/funds/selectors.py, case by case (issue 18, the survivors of `make
mutate`): what the ledger commits for the approved classes and applications of a year and what
it leaves out, its rows' names, the time zone a year is read in, the disbursement list's filters
and their refusals, and the lines a town's staff see of a payment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from canpei.funds import selectors, services
from canpei.funds.models import Contract, SubsidyStandard
from canpei.training.models import Application, TrainingClass
from tests.conftest import ANHAI, CIZAO

pytestmark = pytest.mark.django_db

YEAR = 2025


def shanghai(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    moment = dt.datetime(year, month, day, hour, minute)
    return timezone.make_aware(moment, timezone.get_default_timezone())


def standard(amount: str, since: dt.date, until: dt.date | None = None, **key: str) -> None:
    """A standard written directly (the ledger reads rows; their services are tested apart)."""
    SubsidyStandard.objects.create(
        amount=Decimal(amount), effective_from=since, effective_to=until, **key
    )


def move(training_class: Any, start: dt.date, end: dt.date, **fields: Any) -> None:
    TrainingClass.objects.filter(pk=training_class.pk).update(
        start_date=start, end_date=end, **fields
    )


def committed(user: Any, year: int) -> dict[str, Decimal]:
    ledger = selectors.fund_ledger(user=user, year=year)
    figures = {f"use {r.key}": r.committed for r in ledger.uses}
    figures.update({f"source {r.key}": r.committed for r in ledger.sources})
    figures["total"] = ledger.total.committed
    return figures


def only(amount: str, use: str) -> dict[str, Decimal]:
    """The committed figures of a ledger whose one commitment is `amount` for `use`."""
    zero = Decimal("0.00")
    figures = {f"use {key}": zero for key in ("class", "application", "award", "contract")}
    figures.update(
        {f"source {key}": zero for key in ("security_fund", "budget", "donation", "procurement")}
    )
    figures.update({f"use {use}": Decimal(amount), "source security_fund": Decimal(amount)})
    figures["total"] = Decimal(amount)
    return figures


# ---- committed: classes ----------------------------------------------------------------------


def test_committed_classes_are_the_years_unpaid_approved_classes_at_the_most_specific_standard(
    users: Any, make_class: Callable[..., Any]
) -> None:
    city = users.city_admin
    # Beside the fixture's 1000.00 for any class of each type: a level and cycle, a level and
    # mode (the mode ranks before the cycle), and all three for long classes.
    key: dict[str, Any] = {
        "purpose": "class",
        "training_type": "employment_skills",
        "level": "junior",
    }
    since = dt.date(2000, 1, 1)
    standard("1100.00", since, cycle="short", **key)
    standard("1300.00", since, mode="centralized", **key)
    standard("9999.00", since, mode="centralized", cycle="long", **key)
    # No standard for entrepreneurship classes: their own subsidy figure (1200.00) applies.
    SubsidyStandard.objects.filter(training_type="entrepreneurship").delete()

    first_day = make_class("approved", trainees=2)  # junior, centralized: 1300.00
    move(first_day, dt.date(YEAR, 1, 1), dt.date(YEAR, 1, 20))
    senior = make_class("running", trainees=3)  # no senior standard: 1000.00, long
    move(senior, dt.date(YEAR, 6, 1), dt.date(YEAR, 12, 20), level="senior", mode="remote")
    long = make_class("completed", trainees=1)  # junior, centralized, long: 9999.00
    move(long, dt.date(YEAR, 2, 1), dt.date(YEAR, 12, 31))
    own = make_class("approved", trainees=2, training_type="entrepreneurship")  # 1200.00
    move(own, dt.date(YEAR, 3, 1), dt.date(YEAR, 3, 20))
    reversed_ = make_class("audited", trainees=2)  # paid and reversed: 1300.00 again
    paid = services.disbursement_create(
        actor=city, data={"purpose": "class", "class": reversed_.pk}
    )
    services.disbursement_reverse(actor=city, disbursement_id=paid.pk, reason="核对人数")
    move(reversed_, dt.date(YEAR, 4, 1), dt.date(YEAR, 4, 20))
    # Left out: paid, not approved yet, or of the years before and after.
    settled = make_class("audited", trainees=2)
    services.disbursement_create(actor=city, data={"purpose": "class", "class": settled.pk})
    move(settled, dt.date(YEAR, 5, 1), dt.date(YEAR, 5, 20))
    move(make_class("submitted", trainees=2), dt.date(YEAR, 7, 1), dt.date(YEAR, 7, 20))
    move(make_class("approved", trainees=4), dt.date(YEAR + 1, 1, 1), dt.date(YEAR + 1, 1, 20))
    move(make_class("approved", trainees=5), dt.date(YEAR - 1, 12, 31), dt.date(YEAR, 1, 20))

    # 2 × 1300 + 3 × 1000 + 1 × 9999 + 2 × 1200 + 2 × 1300
    assert selectors.committed_classes(YEAR) == Decimal("20599.00")
    assert committed(users.auditor, YEAR) == only("20599.00", "class")
    assert committed(users.auditor, YEAR + 1) == only("5200.00", "class")  # 4 × 1300
    assert committed(users.auditor, YEAR - 1) == only("6500.00", "class")  # 5 × 1300


# ---- committed: applications ------------------------------------------------------------------


def application(person: Any, state: str, kind: str = "self_directed", **fields: Any) -> Any:
    return Application.objects.create(
        person=person, kind=kind, state=state, occupation="电子商务师", **fields
    )


@pytest.fixture
def applications(users: Any, funded: None, trainee_factory: Callable[..., Any]) -> None:
    """Applications around YEAR: self-directed ones at the standard in force on their day (800.00
    to 30 June, then 900.00), appraisals (no standard) at their approved, else requested amount;
    those with no planned start on the day they were submitted, in Beijing time."""
    key: dict[str, Any] = {"purpose": "application", "application_kind": "self_directed"}
    standard("800.00", dt.date(YEAR - 1, 1, 1), dt.date(YEAR, 6, 30), **key)
    standard("900.00", dt.date(YEAR, 7, 1), **key)
    person = trainee_factory()
    for state, planned in (
        ("approved", dt.date(YEAR, 1, 1)),  # 800.00
        ("completed", dt.date(YEAR, 12, 31)),  # 900.00
        ("approved", dt.date(YEAR + 1, 1, 1)),  # next year: 900.00
        ("approved", dt.date(YEAR - 1, 12, 31)),  # last year: 800.00
        ("submitted", dt.date(YEAR, 2, 1)),  # not approved: none
        ("rejected", dt.date(YEAR, 2, 1)),  # none
        ("reimbursed", dt.date(YEAR, 2, 1)),  # none
    ):
        application(person, state, planned_start=planned, amount_requested=Decimal("1.00"))
    appraisal: dict[str, Any] = {"kind": "appraisal", "planned_start": dt.date(YEAR, 3, 1)}
    application(
        person,
        "approved",
        amount_approved=Decimal("333.00"),
        amount_requested=Decimal("500.00"),
        **appraisal,
    )
    application(person, "completed", amount_requested=Decimal("444.00"), **appraisal)
    # Submitted at half past midnight, Beijing time (the day before in UTC): 55.00 in YEAR (UTC:
    # the year before), 900.00 (UTC: 800.00), 66.00 in the next year (UTC: YEAR).
    for kind, submitted, requested in (
        ("appraisal", shanghai(YEAR, 1, 1, 0, 30), "55.00"),
        ("self_directed", shanghai(YEAR, 7, 1, 0, 30), "1.00"),
        ("appraisal", shanghai(YEAR + 1, 1, 1, 0, 30), "66.00"),
    ):
        application(
            person, "approved", kind, created_at=submitted, amount_requested=Decimal(requested)
        )
    # Paid: left out; paid and reversed: committed again (900.00).
    city = users.city_admin
    paid = application(person, "completed", planned_start=dt.date(YEAR, 8, 1))
    services.disbursement_create(
        actor=city, data={"purpose": "application", "application": paid.pk}
    )
    again = application(person, "completed", planned_start=dt.date(YEAR, 9, 1))
    reversed_ = services.disbursement_create(
        actor=city, data={"purpose": "application", "application": again.pk}
    )
    services.disbursement_reverse(actor=city, disbursement_id=reversed_.pk, reason="核对")


def test_committed_applications_are_the_years_unpaid_approved_ones_at_the_standard_of_their_day(
    users: Any, applications: None
) -> None:
    # 800 + 900 + 333 + 444 + 55 + 900 + 900
    assert selectors.committed_applications(YEAR) == Decimal("4332.00")
    assert committed(users.auditor, YEAR) == only("4332.00", "application")
    assert committed(users.auditor, YEAR + 1) == only("966.00", "application")  # 900 + 66
    assert committed(users.auditor, YEAR - 1) == only("800.00", "application")


def test_the_ledger_reads_each_year_in_the_time_zone_of_the_request(
    users: Any, applications: None
) -> None:
    assert committed(users.auditor, YEAR)["use application"] == Decimal("4332.00")
    with timezone.override("UTC"):
        # Without the 55.00 submitted on 1 January (31 December in UTC), with the 66.00
        # submitted on the next 1 January, and 800.00 for the one submitted on 1 July.
        assert committed(users.auditor, YEAR)["use application"] == Decimal("4243.00")
    assert committed(users.auditor, YEAR)["use application"] == Decimal("4332.00")


def test_the_ledgers_rows_are_named(users: Any) -> None:
    ledger = selectors.fund_ledger(user=users.auditor, year=YEAR)
    assert [(r.key, r.label) for r in ledger.sources] == [
        ("security_fund", "残疾人就业保障金"),
        ("budget", "财政"),
        ("donation", "社会捐赠"),
        ("procurement", "政府购买服务"),
    ]
    assert [(r.key, r.label) for r in ledger.uses] == [
        ("class", "培训班"),
        ("application", "个人申请"),
        ("award", "竞赛"),
        ("contract", "政府购买服务"),
    ]
    assert (ledger.total.key, ledger.total.label) == ("total", "合计")


# ---- the disbursement list ------------------------------------------------------------------


def test_the_disbursement_list_takes_each_filter(
    api: Any,
    users: Any,
    institution: Any,
    make_class: Callable[..., Any],
    trainee_factory: Callable[..., Any],
) -> None:
    city = users.city_admin
    today = dt.date.today()
    year = today.year
    # Every payment of this year: the classes start this year even on the 1st of January.
    start = max(today - dt.timedelta(days=10), today.replace(month=1, day=1)).isoformat()
    first = make_class("settled", trainees=1, start_date=start, hours=8).disbursements.get()
    second = make_class("settled", trainees=2, start_date=start, hours=8).disbursements.get()
    standard("700.00", dt.date(2000, 1, 1), purpose="application", application_kind="appraisal")
    applied = application(
        trainee_factory(), "completed", "appraisal", planned_start=dt.date.today()
    )
    by_application = services.disbursement_create(
        actor=city, data={"purpose": "application", "application": applied.pk}
    )
    services.budget_create(actor=city, data={"year": year, "source": "budget", "amount": "9000"})
    contract = Contract.objects.create(
        institution=institution,
        number="HT-1",
        amount=Decimal("5000"),
        start_date=f"{year}-01-01",
        end_date=f"{year}-12-31",
    )
    by_contract = services.disbursement_create(
        actor=city,
        data={
            "purpose": "contract",
            "contract": contract.pk,
            "instalment": 1,
            "year": year,
            "source": "budget",
            "amount": "500.00",
        },
    )
    client = api(city)

    def listed(**params: Any) -> list[int]:
        answer = client.get("/disbursements", **params)
        assert answer.status_code == 200, answer.json()
        return [row["id"] for row in answer.json()["results"]]

    everything = [by_contract.pk, by_application.pk, second.pk, first.pk]
    assert listed() == everything
    assert listed(year=year) == everything
    assert listed(year=year - 1) == []
    assert listed(**{"class": first.training_class_id}) == [first.pk]
    assert listed(application=applied.pk) == [by_application.pk]
    assert listed(source="budget") == [by_contract.pk]
    assert listed(source="security_fund") == [by_application.pk, second.pk, first.pk]
    assert listed(purpose="contract") == [by_contract.pk]
    assert listed(purpose="application") == [by_application.pk]
    for name, value, message in (
        ("class", "一", "培训班须为培训班编号"),
        ("application", "一", "个人申请须为申请编号"),
        ("source", "cash", "资金来源须为 security_fund、budget、donation、procurement"),
        ("purpose", "gift", "用途须为 class、application、award、contract"),
    ):
        refused = client.get("/disbursements", **{name: value})
        assert refused.status_code == 422
        assert refused.json()["errors"] == [{"field": name, "message": message}]


def test_the_filters_as_query_parameters_name_the_class_class() -> None:
    filters = selectors.DisbursementFilters(training_class=7, year=2026, purpose="class")
    assert filters.as_params() == {"class": "7", "year": "2026", "purpose": "class"}


def test_town_staff_see_the_lines_of_their_towns_persons_only(
    api: Any, users: Any, make_class: Callable[..., Any], trainee_factory: Callable[..., Any]
) -> None:
    persons = [trainee_factory(town=ANHAI), trainee_factory(town=CIZAO)]
    paid = make_class("settled", persons=persons).disbursements.get()

    def towns(user: Any) -> list[str]:
        answer = api(user).get(f"/disbursements/{paid.pk}")
        assert answer.status_code == 200
        return [line["town"] for line in answer.json()["lines"]]

    assert towns(users.town_staff) == [ANHAI]
    assert towns(users.other_town_staff) == [CIZAO]
    assert towns(users.city_admin) == [ANHAI, CIZAO]


def test_a_role_without_the_money_reads_is_told_which_one_it_lacks(api: Any, users: Any) -> None:
    refused = api(users.employment_service).get("/disbursements")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "当前角色不能查看资金"
    refused = api(users.town_staff).get("/reports/funds", year=YEAR)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "当前角色不能查看资金台账"
