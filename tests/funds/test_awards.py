"""Competition awards (竞赛奖励) paid from the fund: an awarded entry, the standard of its grade in
force on the competition's last day (or a typed amount where none is), the competition's year,
paid once; refused for an entry without an award, with the messages a clerk reads."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from canpei.competitions.models import Entry
from canpei.competitions.services import entry_create, entry_record_result
from canpei.errors import Conflict, InvalidInput
from canpei.funds import rules, services
from canpei.funds.models import Disbursement, DisbursementLine

pytestmark = pytest.mark.django_db


def errors_of(exc: pytest.ExceptionInfo[Any]) -> dict[str, str]:
    return dict(exc.value.errors)


@pytest.fixture
def entry(users: Any, competition: Any, person_in: Any) -> Entry:
    event = competition.events.get(name="电子商务")
    made = entry_create(
        actor=users.city_admin,
        competition=competition,
        data={"event": event.pk, "person": person_in.pk},
    )
    return entry_record_result(
        actor=users.city_admin, entry=made, data={"result": "92 分", "award": "first"}
    )


@pytest.fixture
def year_budget(users: Any, competition: Any) -> int:
    year = competition.end_date.year
    services.budget_create(
        actor=users.city_admin,
        data={"year": year, "source": "security_fund", "amount": "100000.00"},
    )
    return year


def award_standard(users: Any, grade: str, amount: str, start: dt.date, end: str = "") -> Any:
    return services.standard_create(
        actor=users.city_admin,
        data={
            "purpose": "award",
            "award_grade": grade,
            "amount": amount,
            "effective_from": start.isoformat(),
            "effective_to": end,
        },
    )


def test_an_award_is_paid_at_its_grade_standard_to_the_entrant(
    users: Any, entry: Entry, year_budget: int
) -> None:
    last_day = entry.event.competition.end_date
    standard = award_standard(users, "first", "3000.00", last_day)
    award_standard(users, "second", "2000.00", last_day - dt.timedelta(days=400))
    paid = services.disbursement_create(
        actor=users.city_admin, data={"purpose": "award", "entry": entry.pk}
    )
    assert (paid.purpose, paid.entry_id, paid.year) == ("award", entry.pk, year_budget)
    assert paid.amount == Decimal("3000.00")
    line = DisbursementLine.objects.get(disbursement=paid)
    assert (line.person_id, line.town_id, line.standard_id, line.amount) == (
        entry.person_id,
        entry.person.town_id,
        standard.pk,
        Decimal("3000.00"),
    )
    assert paid.target_label == f"竞赛获奖 #{entry.pk}"


def test_a_standard_not_yet_in_force_on_the_last_day_does_not_apply(
    users: Any, entry: Entry, year_budget: int
) -> None:
    last_day = entry.event.competition.end_date
    award_standard(users, "first", "3000.00", last_day + dt.timedelta(days=1))
    with pytest.raises(InvalidInput) as exc:  # no standard: the amount must be typed
        services.disbursement_create(
            actor=users.city_admin, data={"purpose": "award", "entry": entry.pk}
        )
    assert errors_of(exc) == {"amount": rules.AMOUNT_REQUIRED}
    paid = services.disbursement_create(
        actor=users.city_admin, data={"purpose": "award", "entry": entry.pk, "amount": "800.00"}
    )
    assert paid.amount == Decimal("800.00") and paid.lines.get().standard_id is None


def test_an_amount_cannot_be_typed_where_a_standard_applies(
    users: Any, entry: Entry, year_budget: int
) -> None:
    award_standard(users, "first", "3000.00", entry.event.competition.end_date)
    with pytest.raises(InvalidInput) as exc:
        services.disbursement_create(
            actor=users.city_admin,
            data={"purpose": "award", "entry": entry.pk, "amount": "5000.00"},
        )
    assert errors_of(exc) == {"amount": rules.AMOUNT_COMPUTED}
    assert not Disbursement.objects.exists()


def test_an_award_is_paid_once(users: Any, entry: Entry, year_budget: int) -> None:
    award_standard(users, "first", "3000.00", entry.event.competition.end_date)
    first = services.disbursement_create(
        actor=users.city_admin, data={"purpose": "award", "entry": entry.pk}
    )
    with pytest.raises(Conflict) as exc:
        services.disbursement_create(
            actor=users.city_admin, data={"purpose": "award", "entry": entry.pk}
        )
    assert exc.value.message == rules.ALREADY_PAID.format(
        what=f"获奖参赛记录 #{entry.pk}", id=first.pk
    )
    assert errors_of(exc) == {"entry": exc.value.message}
    # Reversed, it may be paid again.
    services.disbursement_reverse(actor=users.city_admin, disbursement_id=first.pk, reason="错付")
    again = services.disbursement_create(
        actor=users.city_admin, data={"purpose": "award", "entry": entry.pk}
    )
    assert again.amount == Decimal("3000.00") and again.entry_id == entry.pk


def test_an_entry_without_an_award_is_not_paid(users: Any, entry: Entry, year_budget: int) -> None:
    entry_record_result(actor=users.city_admin, entry=entry, data={"award": ""})
    with pytest.raises(InvalidInput) as exc:
        services.disbursement_create(
            actor=users.city_admin, data={"purpose": "award", "entry": entry.pk}
        )
    assert errors_of(exc) == {"entry": rules.ENTRY_NOT_AWARDED.format(id=entry.pk)}
    assert not Disbursement.objects.exists()


@pytest.mark.parametrize("raw", ["999999", "abc"])
def test_an_unknown_entry_is_named(users: Any, raw: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        services.disbursement_create(
            actor=users.city_admin, data={"purpose": "award", "entry": raw}
        )
    assert errors_of(exc) == {"entry": rules.ENTRY_NOT_FOUND}


def test_the_award_purpose_needs_its_entry_and_no_other_target(users: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        services.disbursement_create(actor=users.city_admin, data={"purpose": "award"})
    assert errors_of(exc) == {"entry": rules.TARGET_REQUIRED.format(what="获奖参赛记录")}
    with pytest.raises(InvalidInput) as exc:
        services.disbursement_create(
            actor=users.city_admin, data={"purpose": "class", "entry": "1", "class": "1"}
        )
    assert errors_of(exc)["entry"] == rules.TARGET_NOT_FOR_PURPOSE.format(purpose="培训班补贴")


def test_an_award_against_another_years_budget_is_refused(
    users: Any, entry: Entry, year_budget: int
) -> None:
    award_standard(users, "first", "3000.00", entry.event.competition.end_date)
    with pytest.raises(InvalidInput) as exc:
        services.disbursement_create(
            actor=users.city_admin,
            data={"purpose": "award", "entry": entry.pk, "year": year_budget - 1},
        )
    assert errors_of(exc) == {
        "year": rules.OTHER_YEAR.format(
            what=f"竞赛「{entry.event.competition.name}」", own=year_budget, year=year_budget - 1
        )
    }


def test_the_api_pays_an_award_and_names_its_entry(
    users: Any, api: Any, entry: Entry, year_budget: int
) -> None:
    award_standard(users, "first", "3000.00", entry.event.competition.end_date)
    client = api(users.city_admin)
    answer = client.post("/disbursements", {"purpose": "award", "entry": entry.pk})
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["purpose"], body["entry"], body["amount"]) == ("award", entry.pk, "3000.00")
    again = client.post("/disbursements", {"purpose": "award", "entry": entry.pk})
    assert again.status_code == 409


def test_a_reversal_of_an_award_names_the_entry(users: Any, entry: Entry, year_budget: int) -> None:
    paid = services.disbursement_create(
        actor=users.city_admin, data={"purpose": "award", "entry": entry.pk, "amount": "800.00"}
    )
    reversal = services.disbursement_reverse(
        actor=users.city_admin, disbursement_id=paid.pk, reason="错付"
    )
    stored = Disbursement.objects.get(pk=reversal.pk)
    assert (stored.purpose, stored.entry_id, stored.amount, stored.reverses_id) == (
        "award",
        entry.pk,
        Decimal("-800.00"),
        paid.pk,
    )
