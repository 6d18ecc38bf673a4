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


def test_get_display_translates_only_the_label_it_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    """canpei.codes.CodedDisplay: Django's get_FOO_display hashed (so translated) every label of
    the field on each call; a list page of 50 rows made some 1,300 catalogue lookups."""
    # gettext_lazy's proxies call django.utils.translation.gettext, which goes through _trans.
    from django.utils.translation import _trans  # type: ignore[attr-defined]

    from canpei.training.models import Enrollment

    looked_up: list[str] = []
    real = _trans.gettext

    def counting(message: str) -> str:
        looked_up.append(message)
        return real(message)

    monkeypatch.setattr(_trans, "gettext", counting)
    with translation.override("en"):
        assert Survey(preferred_mode="centralized").get_preferred_mode_display() == (
            "Classroom (centralised)"
        )
        assert Survey(preferred_mode="by_pigeon").get_preferred_mode_display() == "by_pigeon"
        assert Enrollment(status="completed").get_status_display() == "Completed"
    assert looked_up == ["集中办班", "结业"]
    with translation.override("zh-hans"):
        assert Enrollment(status="completed").get_status_display() == "结业"


def test_mypy_names_the_members_of_a_table_kept_as_data_as_code_table_does() -> None:
    """canpei/codes_mypy.py declares to mypy the members `code_table` makes at run time (so
    `ClassState.DRAFT` type-checks and a misspelt member does not): the same names, in order."""
    import csv

    from canpei.codes import CODE_TABLES, code_table
    from canpei.codes_mypy import members
    from canpei.training.models import ClassState

    tables = {row["table"] for row in csv.DictReader(CODE_TABLES.open(encoding="utf-8"))}
    assert {"class_state", "training_type", "person_status", "followup_method"} <= tables
    for table in sorted(tables):
        assert members(table) == list(code_table("Table", table).__members__), table
    assert members("class_state")[:2] == ["DRAFT", "SUBMITTED"] == ClassState.names[:2]
    assert members("class_state", "C{code}")[0] == "Cdraft"
