"""Edges of the workflow engine that mutation testing found unguarded (issue 18): how a message
lists one or two values, what a broken table says when it is refused at import, and that the
event rows' state columns are what the migrations made."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from typing import Any

import pytest
from django.core.management import call_command

from canpei.accounts.roles import Role
from canpei.audit.models import AuditEntry
from canpei.institutions.models import DesignationEvent, Institution
from canpei.training.models import ApplicationEvent, ClassEvent
from canpei.workflows import Errors, Hooks, Lifecycle, Step, Transition, Workflow, one_of
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


def test_a_state_or_role_missing_from_the_label_tables_is_named_by_its_code():
    # A state the workflow's enum does not label (a record written before a state was renamed).
    assert (
        TINY.state_refusal("archived", "create") == "试点当前状态为「archived」，不能执行「开办」"
    )
    # Roles that ROLE_LABELS does not name show as their codes, the known ones by their labels.
    steps = dict(TINY.steps)
    steps[TinyAction.OPEN] = Step(
        frozenset({S.APPLIED}), S.DESIGNATED, frozenset({Role.AUDITOR, Role.CITY_ADMIN})
    )
    steps[TinyAction.CLOSE] = Step(
        frozenset({S.DESIGNATED}),
        S.REVOKED,
        frozenset({Role.EMPLOYMENT_SERVICE, Role.TOWN_STAFF, Role.INSTITUTION_STAFF}),
    )
    wider = Workflow(noun="试点", actions=TinyAction, states=S, steps=steps)
    assert wider.role_refusal("create") == "「开办」须由auditor或市残联执行"
    assert (
        wider.role_refusal("revoke") == "「关闭」须由employment_service、培训机构 或 镇街专干执行"
    )


def test_an_action_is_named_by_its_label_or_else_by_its_code():
    # An event row may hold an action the table no longer has; the history shows its code.
    assert TINY.label("create") == "开办"
    assert TINY.label("archive") == "archive"


def _recording_lifecycle(seen: list[tuple[str, str, str]]) -> Lifecycle[Institution]:
    def prepare(t: Transition[Institution], errors: Errors) -> dict[str, Any]:
        seen.append(("prepare", t.before, t.obj.state))
        return {"address": f"由{t.before}起"}

    def check(t: Transition[Institution]) -> Errors:
        seen.append(("check", t.before, t.obj.state))
        return []

    def effect(t: Transition[Institution]) -> dict[str, Any]:
        seen.append(("effect", t.before, t.obj.state))
        return {"before": t.before}

    # The tiny lifecycle with these hooks alone (no snapshot, no extra event fields).
    return dataclasses.replace(
        TINY_LIFECYCLE,
        hooks={TinyAction.RENEW: Hooks(prepare=prepare, checks=(check,), effects=(effect,))},
        snapshot=None,
        event_fields=None,
    )


@pytest.mark.django_db
def test_the_hooks_are_given_the_state_the_step_starts_from(users):
    seen: list[tuple[str, str, str]] = []
    row = make_row("designated")
    _recording_lifecycle(seen).apply(obj=row, actor=users.city_admin, action="reinstate")
    assert seen == [
        ("prepare", "designated", "designated"),
        ("check", "designated", "designated"),
        ("effect", "designated", "designated"),
    ]
    stored = Institution.objects.get(pk=row.pk)
    assert (stored.state, stored.address) == ("designated", "由designated起")
    entry = AuditEntry.objects.get(action="institution.reinstate", object_id=str(row.pk))
    assert entry.changes["before"] == "designated"
    assert entry.actor_id == users.city_admin.pk
    assert (entry.changes["from"], entry.changes["to"]) == ("designated", "designated")


@pytest.mark.django_db
def test_a_step_taken_by_the_system_records_no_actor(users):
    """An actor that is no stored account (a job acting for the system): the event row and the
    audit entry name nobody."""
    from canpei.accounts.models import User

    row = make_row()
    system = User(username="system", role=Role.CITY_ADMIN)
    TINY_LIFECYCLE.apply(obj=row, actor=system, action="create", data={})
    event = DesignationEvent.objects.get(institution=row)
    assert (event.actor_id, event.from_state, event.to_state) == (None, "applied", "designated")
    entry = AuditEntry.objects.get(action="institution.create", object_id=str(row.pk))
    assert entry.actor_id is None
    assert Institution.objects.get(pk=row.pk).state == "designated"
