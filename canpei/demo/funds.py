"""The demo's money: standards and budgets before classes settle (their settlement pays them),
then a donation, a procurement contract and its instalments, an individual application paid,
reversed (冲销) and paid again from the right source, and a refused over-budget instalment —
its refusal, with the figures, is in the audit log (拒绝超预算拨付), which the demo keeps."""

from __future__ import annotations

import datetime as dt
from typing import Any

from canpei.accounts.models import User
from canpei.accounts.roles import Role
from canpei.errors import Conflict
from canpei.funds.models import Budget, Contract, Disbursement, SubsidyStandard
from canpei.funds.services import (
    budget_create, contract_create, disbursement_create, disbursement_reverse, donation_create,
    standard_create,
)
from canpei.institutions.models import Institution
from canpei.training.models import Application, ApplicationState, TrainingClass

CLASS_STANDARDS = (
    ("employment_skills", "", "1200.00"), ("employment_skills", "intermediate", "1800.00"),
    ("skill_upgrade", "", "1500.00"), ("entrepreneurship", "", "2000.00"),
    ("rural_practical", "", "800.00"),
)
APPLICATION_STANDARDS = (("self_directed", "1000.00"), ("appraisal", "300.00"),
                         ("upgrade", "600.00"))
AWARD_STANDARDS = (("first", "5000.00"), ("second", "3000.00"), ("third", "2000.00"),
                   ("excellence", "1000.00"))
BUDGETS = (("security_fund", "3000000.00"), ("budget", "500000.00"),
           ("procurement", "200000.00"))


def _city() -> User | None:
    return User.objects.filter(role=Role.CITY_ADMIN, username="city").first()


def demo_funds_setup(*, today: dt.date) -> int:
    """Standards in force since 2020 and the budgets of this year and the two before it."""
    city = _city()
    if city is None or SubsidyStandard.objects.exists():
        return 0
    since = "2020-01-01"
    for training_type, level, amount in CLASS_STANDARDS:
        standard_create(actor=city, data={"purpose": "class", "training_type": training_type,
                                          "level": level, "amount": amount,
                                          "effective_from": since, "note": "晋残联〔2020〕12号"})
    for kind, amount in APPLICATION_STANDARDS:
        standard_create(actor=city, data={"purpose": "application", "application_kind": kind,
                                          "amount": amount, "effective_from": since})
    for grade, amount in AWARD_STANDARDS:
        standard_create(actor=city, data={"purpose": "award", "award_grade": grade,
                                          "amount": amount, "effective_from": since})
    for year in range(today.year - 2, today.year + 1):
        for source, amount in BUDGETS:
            budget_create(actor=city, data={"year": year, "source": source, "amount": amount,
                                            "note": f"{year} 年度预算"})
    budget_create(actor=city, data={"year": today.year, "source": "budget", "kind": "adjustment",
                                    "amount": "-50000.00", "note": "年中预算调减"})
    return Budget.objects.count()


def demo_funds(*, today: dt.date) -> dict[str, Any]:
    """Donation, contract and instalments, an application paid, reversed and paid again, and a
    refused over-budget instalment."""
    city = _city()
    if city is None or Contract.objects.exists():
        return {}
    donation_create(actor=city, data={"donor": "晋江市慈善总会", "amount": "80000.00",
                                      "purpose": "残疾人职业技能培训", "receipt_number": "JJCS-0001",
                                      "date": min(today.replace(month=1, day=15),
                                                  today).isoformat()})
    institution = Institution.objects.filter(state="designated").order_by("pk").first()
    refused = 0
    if institution is not None:
        classes = list(TrainingClass.objects.filter(institution=institution)
                       .order_by("pk").values_list("pk", flat=True)[:2])
        contract = contract_create(actor=city, data={
            "institution": institution.pk, "number": f"JJCG-{today.year}-001",
            "amount": "300000.00", "start_date": today.replace(month=1, day=1).isoformat(),
            "end_date": today.replace(month=12, day=31).isoformat(), "classes": classes,
            "note": "政府购买残疾人职业技能培训服务"})
        disbursement_create(actor=city, data={"purpose": "contract", "contract": contract.pk,
                                              "instalment": 1, "amount": "150000.00",
                                              "source": "procurement", "year": today.year})
        try:
            # 200000 budgeted, 150000 paid: the second instalment of 100000 does not fit.
            disbursement_create(actor=city, data={"purpose": "contract", "contract": contract.pk,
                                                  "instalment": 2, "amount": "100000.00",
                                                  "source": "procurement", "year": today.year})
        except Conflict:
            refused = 1
    application = (Application.objects.filter(state__in=(ApplicationState.COMPLETED,
                                                         ApplicationState.REIMBURSED))
                   .order_by("pk").first())
    if application is not None:
        first = disbursement_create(actor=city, data={"purpose": "application",
                                                      "application": application.pk,
                                                      "source": "budget"})
        disbursement_reverse(actor=city, disbursement_id=first.pk,
                             reason="资金来源错误，改由残疾人就业保障金列支")
        disbursement_create(actor=city, data={"purpose": "application",
                                              "application": application.pk})
    return {"disbursements": Disbursement.objects.count(), "refused_payments": refused}


def demo_award_payments(*, today: dt.date) -> dict[str, int]:
    """Pay the awards of the demo's competitions held in a budget year, each at its grade's
    standard, through the service (once: an award paid already is left as it is)."""
    from canpei.competitions.models import Entry

    city = _city()
    if city is None:
        return {"award_payments": 0}
    paid = 0
    awarded = (Entry.objects.exclude(award="").filter(
        event__competition__end_date__lt=today,
        event__competition__end_date__year__gte=today.year - 2)
        .exclude(disbursements__isnull=False).order_by("pk"))
    for entry in awarded:
        try:
            disbursement_create(actor=city, data={"purpose": "award", "entry": entry.pk,
                                                  "note": "竞赛获奖奖励"})
        except Conflict:
            continue  # over the year's budget: the demo leaves it unpaid
        paid += 1
    return {"award_payments": paid}
