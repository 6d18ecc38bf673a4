"""Edges of the workflow engine that mutation testing found unguarded (issue 18): how a message
lists one or two values, what a broken table says when it is refused at import, and that the
event rows' state columns are what the migrations made."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command

from canpei.institutions.models import DesignationEvent, Institution
from canpei.training.models import ApplicationEvent, ClassEvent
from canpei.workflows import Hooks, Lifecycle, Step, Workflow, one_of
from tests.test_workflows import TINY, TINY_LIFECYCLE, S, TinyAction, lock, make_row


@pytest.mark.parametrize(
    "values,listed",
    [
        ([], ""),
        (["submit"], "submit"),
        (["submit", "approve"], "submit 或 approve"),
        (["a", "b", "c"], "a、b 或 c"),
    ],
)
def test_one_of_lists_the_values_as_a_message_reads(values, listed):
    assert one_of(values) == listed


def test_a_refused_table_says_what_is_wrong_with_it():
    with pytest.raises(
        ValueError,
        match=r"^试点: the table's actions \[TinyAction.OPEN\] are not \['create', 'revoke', 'reinstate'\]$",
    ):
        Workflow(
            noun="试点",
            actions=TinyAction,
            states=S,
            steps={TinyAction.OPEN: TINY.steps[TinyAction.OPEN]},
        )
    steps = dict(TINY.steps)
    steps[TinyAction.OPEN] = Step(frozenset({"nowhere"}), S.DESIGNATED, frozenset())
    with pytest.raises(ValueError, match="^试点: step create names an unknown state$"):
        Workflow(noun="试点", actions=TinyAction, states=S, steps=steps)
    with pytest.raises(
        ValueError, match=r"^institution: hooks for actions not in the table: \{'fly'\}$"
    ):
        Lifecycle(
            workflow=TINY,
            audit_name="institution",
            lock=lock,
            event_model=DesignationEvent,
            event_parent="institution",
            describe=str,
            hooks={"fly": Hooks()},
        )


def test_a_step_keeping_a_state_it_does_not_start_from_is_refused():
    steps = dict(TINY.steps)
    steps[TinyAction.OPEN] = Step(
        frozenset({S.APPLIED}), S.DESIGNATED, frozenset(), keep=frozenset({S.SUSPENDED})
    )
    with pytest.raises(ValueError, match="^试点: step create names an unknown state$"):
        Workflow(noun="试点", actions=TinyAction, states=S, steps=steps)


@pytest.mark.parametrize("model", [ClassEvent, ApplicationEvent, DesignationEvent])
def test_the_event_rows_state_columns(model):
    for name, label in (("from_state", "原状态"), ("to_state", "新状态")):
        column = model._meta.get_field(name)
        assert (column.verbose_name, column.max_length) == (label, 16)
    assert (Institution._meta.get_field("state").max_length or 0) >= 16


@pytest.mark.django_db
def test_the_models_and_their_migrations_agree():
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)


@pytest.mark.django_db
def test_a_step_stamps_the_record_as_updated(users):
    row = make_row()
    long_ago = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    Institution.objects.filter(pk=row.pk).update(updated_at=long_ago)
    TINY_LIFECYCLE.apply(obj=row, actor=users.city_admin, action="create", data={})
    stored = Institution.objects.get(pk=row.pk)
    assert stored.state == "designated"
    assert stored.updated_at > long_ago + dt.timedelta(days=365)
