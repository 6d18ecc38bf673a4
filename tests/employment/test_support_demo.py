"""The demo's employment services: a spread of every kind over the past year, referrals hired,
not hired and pending, recorded through the services (audited) in the recorders' scopes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from canpei.audit.models import AuditEntry
from canpei.audit.services import audit_verify
from canpei.demo import demo_load
from canpei.demo.employment_services import demo_employment_services
from canpei.employment.models import EmploymentService


@pytest.mark.slow
def test_the_demo_records_a_realistic_spread_of_services(db: Any) -> None:
    summary = demo_load(persons=300, seed=1)
    services = list(EmploymentService.objects.select_related("person", "recorded_by"))
    assert summary["employment_services"] == len(services) == 40
    kinds = {s.kind for s in services}
    assert {"policy_consultation", "job_referral", "career_guidance"} <= kinds
    referrals = [s for s in services if s.kind == "job_referral"]
    assert {s.result for s in referrals} >= {"pending", "hired"}
    assert all(s.employer and s.position for s in referrals)
    assert all(not s.employer and not s.result for s in services if s.kind != "job_referral")
    today = dt.date.today()
    assert all(today - dt.timedelta(days=366) <= s.date <= today for s in services)
    # Town staff record only for their own town; the centre anywhere.
    for s in services:
        assert s.recorded_by is not None
        if s.recorded_by.town_id:
            assert s.person.town_id == s.town_id == s.recorded_by.town_id
    assert AuditEntry.objects.filter(action="employment_service.create").count() == 40
    assert audit_verify().ok
    # A second run adds nothing.
    assert demo_employment_services(seed=1, today=today) == 0
