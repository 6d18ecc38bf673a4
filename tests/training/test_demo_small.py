"""A demo too small for the class rosters still loads: it makes the classes it can."""

from __future__ import annotations

from typing import Any

from canpei.audit.services import audit_verify
from canpei.demo import demo_load
from canpei.training.demo_classes import DEMO_CLASSES
from canpei.training.models import ClassState, TrainingClass


def test_a_tiny_demo_makes_what_classes_it_can(db: Any) -> None:
    # Too few persons for the rosters: classes without trainees are left out, nothing fails.
    summary = demo_load(persons=5, seed=2)
    assert summary["classes"] == TrainingClass.objects.count() < len(DEMO_CLASSES)
    assert not TrainingClass.objects.exclude(state=ClassState.DRAFT).filter(enrollments=None).exists()
    assert audit_verify().ok
