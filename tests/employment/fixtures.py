"""Fixtures of the follow-up tests: completions that are final (a class audited, an application
completed), ended 100 days ago, so that the 3-month follow-up is due and may be recorded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import Users

ENDED_DAYS_AGO = 100


@pytest.fixture
def audited_class(make_class: Callable[..., Any]) -> Any:
    """A class of two 安海镇 trainees, both completed, its completion audited by the city."""
    today = dt.date.today()
    return make_class(
        "audited",
        trainees=2,
        start_date=(today - dt.timedelta(days=ENDED_DAYS_AGO + 20)).isoformat(),
        end_date=(today - dt.timedelta(days=ENDED_DAYS_AGO)).isoformat(),
    )


@pytest.fixture
def make_completed_application(
    users: Users, trainee_factory: Callable[..., Any]
) -> Callable[..., Any]:
    """An 安海镇 person's individual application, approved and completed with a certificate
    issued `issued` (default 100 days ago)."""
    from canpei.training.applications.services import application_create, application_transition

    def make(person: Any = None, issued: dt.date | None = None) -> Any:
        today = dt.date.today()
        person = person or trainee_factory()
        application = application_create(
            actor=users.town_staff,
            data={
                "person": person.pk,
                "kind": "self_directed",
                "institution_name": "泉州市某职业培训学校",
                "training_type": "employment_skills",
                "occupation": "电子商务师",
                "amount_requested": "1500",
            },
        )
        application_transition(application=application, actor=users.city_admin, action="approve")
        application_transition(
            application=application,
            actor=users.town_staff,
            action="complete",
            data={
                "certificate_type": "skill_level",
                "certificate_number": f"S{application.pk:09d}",
                "certificate_date": (
                    issued or today - dt.timedelta(days=ENDED_DAYS_AGO)
                ).isoformat(),
                "certificate_issuer": "晋江市职业技能鉴定中心",
            },
        )
        application.refresh_from_db()
        return application

    return make


GOOD_RECORD: dict[str, Any] = {
    "method": "phone",
    "employed": True,
    "employment_form": "7",
    "employer": "晋江市某电商公司",
    "position": "客服",
    "contract_signed": True,
    "social_insurance": False,
    "monthly_income": "3200.50",
    "business_started": False,
}


def good_record(**overrides: Any) -> dict[str, Any]:
    data = {**GOOD_RECORD, "date": dt.date.today().isoformat()}
    data.update(overrides)
    return data
