"""canpei.codes.shown_label: the label a page shows for a code, as get_FOO_display() shows it."""

from __future__ import annotations

import pytest
from django.utils import translation

from canpei.codes import TrainingMode, TrainingType, shown_label
from canpei.people.models import Survey


@pytest.mark.parametrize(
    ("language", "mode", "expected"),
    [
        ("zh-hans", "centralized", "集中办班"),
        ("en", "centralized", "Classroom (centralised)"),
        ("en", "", ""),
        ("en", "by_pigeon", "by_pigeon"),
    ],
)
def test_shown_label_is_what_get_display_shows(language: str, mode: str, expected: str) -> None:
    survey = Survey(preferred_mode=mode)
    with translation.override(language):
        assert shown_label(TrainingMode, mode) == expected
        assert shown_label(TrainingMode, mode) == str(survey.get_preferred_mode_display())


def test_wanted_type_labels_in_the_readers_language() -> None:
    survey = Survey(wanted_types=["entrepreneurship", "unknown_type"])
    with translation.override("en"):
        assert survey.wanted_type_labels == ["Entrepreneurship training", "unknown_type"]
    with translation.override("zh-hans"):
        assert survey.wanted_type_labels == ["创业培训", "unknown_type"]
    assert shown_label(TrainingType, "entrepreneurship") == "创业培训"
