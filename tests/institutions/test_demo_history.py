"""The demo institutions: one in every designation state, each with teachers and a history that
leads, step by step through the transition table, to the state it is in."""

from __future__ import annotations

from typing import Any

import pytest

from canpei.demo import demo_load
from canpei.institutions import rules
from canpei.institutions.models import DesignationEvent, DesignationState, Institution


@pytest.mark.slow
def test_every_state_is_shown_with_a_history_the_table_allows(db: Any) -> None:
    demo_load(persons=5, seed=2)
    institutions = list(Institution.objects.all())
    assert {i.state for i in institutions} == set(DesignationState.values)
    for inst in institutions:
        assert inst.teachers.count() >= 2, inst.name
        assert rules.credit_code_error(inst.credit_code) is None
        events = list(DesignationEvent.objects.filter(institution=inst).order_by("at", "id"))
        state = DesignationState.APPLIED
        for event in events:
            assert event.from_state == state, (inst.name, event)
            assert rules.transition_target(state, event.action) == event.to_state, (
                inst.name,
                event,
            )
            state = event.to_state
        assert state == inst.state, inst.name
        designations = [e for e in events if e.action == "designate"]
        if designations:
            last = designations[-1]
            assert (inst.designated_from, inst.designated_to) == (
                last.designated_from,
                last.designated_to,
            )
        else:
            assert inst.designated_from is None and inst.designated_to is None
    # Run again: nothing is added twice.
    counts = (Institution.objects.count(), DesignationEvent.objects.count())
    demo_load(persons=5, seed=2)
    assert (Institution.objects.count(), DesignationEvent.objects.count()) == counts
