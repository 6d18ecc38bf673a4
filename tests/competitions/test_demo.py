"""The demo's competitions and typical cases: competitions at two levels held with entries from
both demo towns and awards, an upcoming one without results, a published case with consent and
one whose consent was withdrawn (unpublished), all through the services (audited)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from canpei.audit.models import AuditEntry
from canpei.audit.services import audit_verify
from canpei.competitions.models import Competition, Entry, TypicalCase
from canpei.demo import demo_load
from canpei.demo.competitions import demo_competitions


@pytest.mark.slow
def test_the_demo_has_competitions_awards_and_cases(db: Any) -> None:
    summary = demo_load(persons=300, seed=1)
    assert summary["competitions"] == Competition.objects.count() == 3
    held = Competition.objects.filter(start_date__lt=dt.date.today())
    assert {c.level for c in held} == {"city", "prefecture"}
    entries = Entry.objects.select_related("entered_by", "event__competition")
    assert {e.town_id for e in entries} == {"350582101000", "350582102000"}
    assert all(e.entered_by is not None and e.town_id == e.entered_by.town_id for e in entries)
    awards = {e.award for e in entries if e.event.competition in held}
    assert {"first", "second", "third", "excellence", ""} <= awards
    assert not any(e.award or e.result for e in entries if e.event.competition not in held)
    cases = list(TypicalCase.objects.order_by("id"))
    assert summary["cases"] == len(cases) == 3
    published, withdrawn, nobody = cases
    assert published.published and published.consent_valid
    assert published.person is not None
    assert published.person.competition_entries.filter(award="first").exists()
    assert withdrawn.consent_withdrawn_on is not None and not withdrawn.published
    assert nobody.person is None
    assert AuditEntry.objects.filter(action="typical_case.unpublish").count() == 1
    assert audit_verify().ok
    assert demo_competitions(today=dt.date.today()) == {"competitions": 0, "cases": 0}
