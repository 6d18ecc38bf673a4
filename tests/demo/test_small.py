"""A demo too small for the class rosters still loads: it makes the classes it can."""

from __future__ import annotations

from typing import Any

import pytest

from canpei.audit.services import audit_verify
from canpei.demo import demo_load
from canpei.demo.classes import DEMO_CLASSES
from canpei.training.models import ClassState, TrainingClass


@pytest.mark.slow
def test_a_tiny_demo_makes_what_classes_it_can(db: Any) -> None:
    # Too few persons for the rosters: classes without trainees are left out, nothing fails.
    summary = demo_load(persons=5, seed=2)
    assert summary["classes"] == TrainingClass.objects.count() < len(DEMO_CLASSES)
    assert (
        not TrainingClass.objects.exclude(state=ClassState.DRAFT).filter(enrollments=None).exists()
    )
    assert audit_verify().ok


def test_the_demo_classes_fit_their_institutions_designation_whatever_the_date() -> None:
    # The designations count back from today like the classes: on any day of any year, every
    # demo class lies within the validity its institution has in the demo.
    import datetime as dt

    from canpei.demo import DEMO_INSTITUTIONS, _validity, demo_history

    for year in range(2026, 2036):
        for today in (dt.date(year, 1, 1), dt.date(year, 6, 30), dt.date(year, 12, 31)):
            histories = demo_history(today)
            for spec in DEMO_CLASSES:
                state = DEMO_INSTITUTIONS[spec.institution][3]
                renewals = [step for step in histories[state] if step[0] == "designate"]
                valid_from, valid_to = _validity(renewals[-1][3])
                start = today + dt.timedelta(days=spec.start)
                assert valid_from <= start and start + dt.timedelta(days=spec.days) <= valid_to, (
                    today,
                    spec.name,
                )
            for steps in histories.values():
                assert all(step[3] <= today for step in steps), today
                assert [step[3] for step in steps] == sorted(step[3] for step in steps), today
