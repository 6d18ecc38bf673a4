"""The one workflow engine: a lifecycle is a table of steps, its checks and its event model.

Every workflow (training classes, individual applications, institution designation, and the ones
to come) is written in three parts, and the lock → check → event row → audit skeleton is written
here once:

1. The vocabulary and the table, in the app's `rules.py` (no database access, so pages, the API
   and tests read it freely)::

       class GrantAction(models.TextChoices):
           APPROVE = "approve", "批准"
           REJECT = "reject", "不予批准"

       GRANT_WORKFLOW = Workflow(noun=_("拨付"), actions=GrantAction, states=GrantState, steps={
           GrantAction.APPROVE: Step(frozenset({GrantState.SUBMITTED}), GrantState.APPROVED, CITY),
           GrantAction.REJECT: Step(frozenset({GrantState.SUBMITTED}), GrantState.REJECTED, CITY,
                                    comment_required=True),
       })

   The noun and the app's messages are `canpei.errors.Message` constants (imported as `_`):
   the Chinese msgid as text, translated when a refusal is made, as are the labels of the
   actions, states and roles a refusal names (the audit summary keeps the Chinese labels).
   The enum gives the actions their labels and symbolic names; the table gives each its step,
   and `Workflow` refuses (at import) a table that does not match the enum action for action, in
   order. The rest derives from the table: the buttons (`actions_for`), the API's allowed values
   (`action_values`, see canpei.api.common.OneOf), the "操作须为 …" message (`action_invalid`),
   the state and role refusals.

2. The event model, in the app's `models.py`: a `WorkflowEvent` with the link to its row::

       class GrantEvent(WorkflowEvent):
           actions = GrantAction
           grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="events")
           from_state = state_field("原状态", GrantState)
           to_state = state_field("新状态", GrantState)

3. The checks and effects, beside the service (they read and write the database)::

       GRANT_LIFECYCLE = Lifecycle(
           workflow=rules.GRANT_WORKFLOW, audit_name="grant", lock=locked_grant,
           event_model=GrantEvent, event_parent="grant", describe=lambda g: f"拨付 #{g.pk}",
           hooks={GrantAction.APPROVE: Hooks(checks=(budget_left,))})

       def grant_transition(*, grant: Grant, actor: User, action: str, comment: str = "") -> Grant:
           return GRANT_LIFECYCLE.apply(obj=grant, actor=actor, action=action, comment=comment)

`Lifecycle.apply` refuses an unknown action (422), then under the row lock re-reads the state and
refuses a role the step does not name (403), a state it does not start from (409), bad input
(422: the comment, and what the step's `prepare` hook finds) and broken rules (409: the `checks`),
then sets the state and the fields `prepare` returned, runs the `effects`, and writes the event
row and the audit entry — all in one transaction, so a refusal anywhere writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from canpei.accounts.roles import Role
from canpei.audit.actions import AuditAction
from canpei.audit.services import audit_record
from canpei.codes import CodedDisplay, labels_of
from canpei.errors import Conflict, Forbidden, InvalidInput
from canpei.errors import Message as _
from canpei.hooks import outcomes_changed
from canpei.validation import TEXT_INVALID, TOO_LONG_ZI, Errors, bad_text, too_long_for

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from canpei.accounts.models import User

# Messages every workflow shares; the noun, the action and the roles come from the table.
# The action, the state and the roles are translated when the refusal is made (labels_of keeps
# the Chinese for the audit; gettext gives the reader's language).
ACTION_INVALID = _("操作须为 {actions}")
TRANSITION_NOT_ALLOWED = _("{noun}当前状态为「{{state}}」，不能执行「{{action}}」")
ROLE_NOT_ALLOWED = _("「{action}」须由{role}执行")
COMMENT_REQUIRED = _("「{action}」须填写原因")
COMMENT_MAX_LENGTH = 500

# How a refusal names the roles that may take a step (msgids, translated in role_refusal).
ROLE_LABELS: dict[str, str] = {Role.INSTITUTION_STAFF: "培训机构", Role.TOWN_STAFF: "镇街专干",  # zh-msgid
                               Role.CITY_ADMIN: "市残联"}


ONE_OF = _("{values} 或 {last}")


def one_of(values: Sequence[str]) -> str:
    """"a、b 或 c": how a message lists the values a field accepts (in the active language)."""
    if len(values) < 2:
        return "".join(values)
    return ONE_OF.format(values=gettext("、").join(values[:-1]), last=values[-1])


class _OneOf(str):
    """`one_of(values)` as a message constant's part: the Chinese as text, translated when
    shown (see canpei.errors.Message)."""

    values: tuple[str, ...]

    def __new__(cls, values: Sequence[str]) -> _OneOf:
        text = ("".join(values) if len(values) < 2 else
                ONE_OF.msgid.format(values="、".join(values[:-1]), last=values[-1]))
        listed = super().__new__(cls, text)
        listed.values = tuple(values)
        return listed

    def __str__(self) -> str:
        return one_of(self.values)


@dataclass(frozen=True)
class Step:
    """One row of a lifecycle table: the states an action starts from, where it leads, the roles
    that may take it and whether it must say why. `keep` names the sources the step leaves as
    they are (a renewed designation keeps a demonstration site's rank); `confirm` marks a step
    the pages make the user confirm."""

    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    comment_required: bool = False
    keep: frozenset[str] = frozenset()
    # A step that undoes work or ends the record (return, cancel, fail an audit, revoke): its
    # page asks the user to confirm it first.
    confirm: bool = False

    def target_from(self, state: str) -> str | None:
        if state not in self.sources:
            return None
        return state if state in self.keep else self.target


@dataclass(frozen=True)
class Workflow:
    """A lifecycle's table and everything derived from it: the action list, the buttons, the
    refusals. `noun` names the record in the state refusal (「班级当前状态为…」);
    `comment_required_message` may replace the shared one, formatted with `action`."""

    noun: str
    actions: type[models.TextChoices]
    states: type[models.TextChoices]
    steps: Mapping[str, Step]
    comment_required_message: str = COMMENT_REQUIRED

    def __post_init__(self) -> None:
        # The enum names the actions and their labels; the table must give each exactly one
        # step, in the same order, so the two can never drift apart.
        if list(self.steps) != list(self.actions.values):
            raise ValueError(f"{self.noun}: the table's actions {list(self.steps)} are not "
                             f"{self.actions.values}")
        states = set(self.states.values)
        for action, step in self.steps.items():
            if not (step.sources | {step.target} <= states and step.keep <= step.sources):
                raise ValueError(f"{self.noun}: step {action} names an unknown state")

    @property
    def action_values(self) -> tuple[str, ...]:
        return tuple(self.steps)

    @property
    def action_invalid(self) -> str:
        # The values are codes, the same in every language; the Chinese text keeps 、 and 或.
        return _(ACTION_INVALID.msgid, actions=_OneOf(self.action_values))

    @property
    def transition_not_allowed(self) -> str:
        return _(TRANSITION_NOT_ALLOWED.msgid, noun=self.noun)

    def label(self, action: str) -> str:
        return labels_of(self.actions).get(action, action)

    def step(self, action: str) -> Step:
        """The step of `action`, or the 422 listing the actions there are."""
        step = self.steps.get(action)
        if step is None:
            raise InvalidInput([("action", self.action_invalid)])
        return step

    def target(self, state: str, action: str) -> str | None:
        step = self.steps.get(action)
        return step.target_from(state) if step else None

    def actions_from(self, state: str) -> list[str]:
        """The actions the table allows from `state`, in the table's order."""
        return [action for action, step in self.steps.items() if state in step.sources]

    def actions_for(self, role: str, state: str) -> list[str]:
        """The actions the table offers `role` in `state`, in the table's order (the buttons)."""
        return [action for action, step in self.steps.items()
                if state in step.sources and role in step.roles]

    def state_refusal(self, state: str, action: str) -> str:
        return self.transition_not_allowed.format(
            state=gettext(labels_of(self.states).get(state, state)),
            action=gettext(self.label(action)))

    def role_refusal(self, action: str) -> str:
        roles = [gettext(ROLE_LABELS.get(r, r)) for r in sorted(self.steps[action].roles)]
        # Two roles: "a或b" ("a or b"); more: "a、b 或 c" ("a, b or c").
        return ROLE_NOT_ALLOWED.format(
            action=gettext(self.label(action)),
            role=gettext("或").join(roles) if len(roles) < 3 else one_of(roles))

    def comment_errors(self, action: str, comment: str) -> Errors:
        """The comment's own rules: clean text, at most 500 characters, given where required."""
        if bad_text(comment):
            return [("comment", TEXT_INVALID)]
        if len(comment) > COMMENT_MAX_LENGTH:
            return [("comment", too_long_for(_("说明"), COMMENT_MAX_LENGTH, TOO_LONG_ZI.msgid))]
        if self.steps[action].comment_required and not comment:
            return [("comment", self.comment_required_message.format(
                action=gettext(self.label(action))))]
        return []


# ---- the event rows ------------------------------------------------------------------------------

def state_field(verbose_name: StrOrPromise,
                states: type[models.TextChoices]) -> models.CharField[str, str]:
    """A state column of an event row, with its workflow's states as choices."""
    return models.CharField(verbose_name, max_length=16, choices=states.choices)


class WorkflowEvent(CodedDisplay, models.Model):
    """One step a record took: who, when, from what to what, why. A concrete event adds the link
    to its record, `from_state`/`to_state` with its states (`state_field`) and `actions`."""

    actions: type[models.TextChoices]

    action = models.CharField(gettext_lazy("操作"), max_length=16)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=gettext_lazy("操作人"),
                              null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(gettext_lazy("时间"), default=timezone.now)
    comment = models.TextField(gettext_lazy("说明"), blank=True)

    class Meta:
        abstract = True

    @property
    def action_label(self) -> str:
        """The step's name in the reader's language (the history on the pages)."""
        return gettext(labels_of(self.actions).get(self.action, self.action))


# ---- applying a step -----------------------------------------------------------------------------

M = TypeVar("M", bound=models.Model)


@dataclass
class Transition(Generic[M]):
    """What a hook is given: the locked record (state not yet changed for `prepare` and
    `checks`), who takes which step, the state it starts from, the step's data and today."""

    obj: M
    actor: User
    action: str
    before: str
    comment: str
    data: dict[str, Any]
    today: dt.date


# `prepare` validates the step's own input and returns the fields to set; its refusals (field,
# message) join the comment's in one 422. A check returns the rules the record breaks (409).
# An effect runs once the new state is saved and may return details for the audit entry.
Prepare = Callable[[Transition[M], Errors], dict[str, Any]]
Check = Callable[[Transition[M]], Errors]
Effect = Callable[[Transition[M]], "dict[str, Any] | None"]


@dataclass(frozen=True)
class Hooks(Generic[M]):
    """A step's own behaviour beside the table."""

    prepare: Prepare[M] | None = None
    checks: tuple[Check[M], ...] = ()
    effects: tuple[Effect[M], ...] = ()


@dataclass(frozen=True)
class Lifecycle(Generic[M]):
    """A workflow bound to its records: how to lock one, its event model (`event_parent` is the
    event's link to the record), how the audit names it, and the steps' hooks. `snapshot`, when
    given, puts the diff of the record into the audit entry; `event_fields` adds columns of the
    record to the event row and the audit entry."""

    workflow: Workflow
    audit_name: str
    lock: Callable[[User, int], M]
    event_model: type[WorkflowEvent]
    event_parent: str
    describe: Callable[[M], str]
    hooks: Mapping[str, Hooks[M]] = field(default_factory=dict)
    snapshot: Callable[[M], dict[str, Any]] | None = None
    event_fields: Callable[[M], dict[str, Any]] | None = None
    # The persons whose outcome figures a step of this record may change (hooks.outcomes_changed)
    outcomes: Callable[[M], Iterable[int]] | None = None

    def __post_init__(self) -> None:
        unknown = set(self.hooks) - set(self.workflow.steps)
        if unknown:
            raise ValueError(f"{self.audit_name}: hooks for actions not in the table: {unknown}")
        # Refused when the table is built rather than at a step's first use in production.
        audited = {member.value for member in AuditAction}
        unaudited = [action for action in self.workflow.action_values
                     if f"{self.audit_name}.{action}" not in audited]
        if unaudited:
            raise ValueError(f"{self.audit_name}: steps without an AuditAction member: {unaudited}")

    def apply(self, *, obj: M, actor: User, action: str, comment: str = "",
              data: dict[str, Any] | None = None) -> M:
        """Apply one step to `obj` (see the module's docstring for the order of refusals).

        The record is read again under its row lock, so of many identical requests at once
        exactly one finds the state the step starts from; the others get the 409 of a state that
        no longer allows it. Nothing is written unless the state, the event row and the audit
        entry all commit.
        """
        workflow = self.workflow
        action = str(action or "").strip()
        step = workflow.step(action)
        comment = str(comment or "").strip()
        errors = workflow.comment_errors(action, comment)
        hooks = self.hooks.get(action, Hooks())
        with transaction.atomic():
            locked = self.lock(actor, obj.pk)
            if actor.role not in step.roles:
                raise Forbidden(workflow.role_refusal(action))
            before = str(getattr(locked, "state"))
            target = step.target_from(before)
            if target is None:
                message = workflow.state_refusal(before, action)
                raise Conflict(message, [("action", message)])
            transition = Transition(obj=locked, actor=actor, action=action, before=before,
                                    comment=comment, data=dict(data or {}),
                                    today=timezone.localdate())
            values = hooks.prepare(transition, errors) if hooks.prepare else {}
            if errors:
                raise InvalidInput(errors)
            violations = [found for check in hooks.checks for found in check(transition)]
            if violations:
                raise Conflict(violations[0][1], violations)
            snapshot = self.snapshot(locked) if self.snapshot else None
            for key, value in values.items():
                setattr(locked, key, value)
            setattr(locked, "state", target)
            setattr(locked, "updated_at", timezone.now())
            locked.save(update_fields=["state", "updated_at", *values])
            details: dict[str, Any] = {}
            for effect in hooks.effects:
                details.update(effect(transition) or {})
            if self.outcomes is not None:
                outcomes_changed(self.outcomes(locked))
            extra = self.event_fields(locked) if self.event_fields else {}
            # The link and the state columns are the concrete event's own.
            row = {self.event_parent: locked, "from_state": before, "to_state": target, **extra}
            event = self.event_model._default_manager.create(
                action=action, actor=actor if actor.pk else None, comment=comment, **row)
            changes: dict[str, Any] = {"from": before, "to": target, "event": event.pk,
                                       "comment": comment, **extra, **details}
            if self.snapshot is not None and snapshot is not None:
                after = self.snapshot(locked)
                changes["diff"] = {key: [snapshot.get(key), after[key]] for key in after
                                   if snapshot.get(key) != after[key]}
            audit_record(actor=actor, action=AuditAction(f"{self.audit_name}.{action}"), obj=locked,
                         summary=f"{self.describe(locked)} {workflow.label(action)}",
                         changes=changes)
        return locked
