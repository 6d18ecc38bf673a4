"""The designation lifecycle (canpei.institutions.rules.TRANSITIONS, services.institution_transition).

The expectations below are written out by hand, not read from the table under test, so that a
change to the table shows up here as a failing test.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from canpei.audit.models import AuditEntry
from canpei.audit.services import audit_verify
from canpei.codes import labels_of
from canpei.errors import Conflict, Forbidden, InvalidInput, NotFound
from canpei.institutions import rules
from canpei.institutions.models import DesignationEvent, Institution
from canpei.institutions.services import institution_transition
from tests.concurrency import all_at_once
from tests.conftest import credit_code

TODAY = timezone.localdate()
VALID_FROM = TODAY - dt.timedelta(days=30)
VALID_TO = TODAY + dt.timedelta(days=365)
NEW_FROM = TODAY
NEW_TO = dt.date(TODAY.year + 3, 12, 31)

STATES = ("applied", "designated", "demonstration", "suspended", "revoked")
ACTIONS = ("designate", "promote", "suspend", "reinstate", "revoke")

# (state, action) -> the state it leads to; every pair not listed is refused with a 409.
ALLOWED = {
    ("applied", "designate"): "designated",
    ("designated", "designate"): "designated",  # renewal of the validity
    ("demonstration", "designate"): "demonstration",  # renewal keeps the rank
    ("suspended", "designate"): "designated",  # a fresh designation with new dates
    ("designated", "promote"): "demonstration",
    ("designated", "suspend"): "suspended",
    ("demonstration", "suspend"): "suspended",
    ("suspended", "reinstate"): "designated",
    ("applied", "revoke"): "revoked",
    ("designated", "revoke"): "revoked",
    ("demonstration", "revoke"): "revoked",
    ("suspended", "revoke"): "revoked",
}

_codes = iter(range(10_000, 99_999))


def make_institution(
    state: str, start: dt.date | None = VALID_FROM, end: dt.date | None = VALID_TO
) -> Institution:
    if state == "applied":
        start = end = None
    return Institution.objects.create(
        name=f"测试培训学校{next(_codes)}",
        credit_code=credit_code(f"91350582MA2{next(_codes):05d}0"[:17]),
        type="private",
        town_id="350582101000",
        state=state,
        designated_from=start,
        designated_to=end,
    )


def step(institution: Institution, actor: Any, action: str, **kwargs: Any) -> Institution:
    if action == "designate":
        kwargs.setdefault("designated_from", NEW_FROM)
        kwargs.setdefault("designated_to", NEW_TO)
    kwargs.setdefault("comment", "理由")
    return institution_transition(institution=institution, actor=actor, action=action, **kwargs)


def history(institution: Institution) -> list[tuple[str, str, str]]:
    return list(
        DesignationEvent.objects.filter(institution=institution)
        .order_by("id")
        .values_list("action", "from_state", "to_state")
    )


def audit_actions(institution: Institution) -> list[str]:
    return list(
        AuditEntry.objects.filter(
            object_type="institutions.institution", object_id=str(institution.pk)
        )
        .order_by("id")
        .values_list("action", flat=True)
    )


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("state", STATES)
def test_each_action_in_each_state_is_taken_or_refused_as_the_table_says(
    state: str, action: str, users: Any
) -> None:
    institution = make_institution(state)
    audit_before = AuditEntry.objects.count()
    target = ALLOWED.get((state, action))
    if target is None:
        with pytest.raises(Conflict) as refused:
            step(institution, users.city_admin, action)
        # Service messages speak the tables' own Chinese (.labels), whatever is shown.
        labels = labels_of(rules.Action)
        assert refused.value.message == rules.TRANSITION_NOT_ALLOWED.format(
            state=labels_of(rules.DesignationState)[state], action=labels[action]
        )
        assert labels[action] in refused.value.message
        stored = Institution.objects.get(pk=institution.pk)
        assert (stored.state, stored.designated_from, stored.designated_to) == (
            state,
            institution.designated_from,
            institution.designated_to,
        )
        assert history(institution) == []
        assert AuditEntry.objects.count() == audit_before
        return
    result = step(institution, users.city_admin, action)
    stored = Institution.objects.get(pk=institution.pk)
    assert result.state == stored.state == target
    assert history(institution) == [(action, state, target)]
    event = DesignationEvent.objects.get(institution=institution)
    assert event.actor == users.city_admin and event.comment == "理由"
    assert (event.designated_from, event.designated_to) == (
        stored.designated_from,
        stored.designated_to,
    )
    if action == "designate":
        assert (stored.designated_from, stored.designated_to) == (NEW_FROM, NEW_TO)
    else:
        assert (stored.designated_from, stored.designated_to) == (
            institution.designated_from,
            institution.designated_to,
        )
    assert audit_actions(institution) == [f"institution.{action}"]
    entry = AuditEntry.objects.latest("id")
    assert entry.actor_username == users.city_admin.username
    assert entry.changes["from"] == state and entry.changes["to"] == target
    assert audit_verify().ok


def test_the_table_offers_exactly_the_listed_steps() -> None:
    offered = {
        (state, action): rules.transition_target(state, action)
        for state in STATES
        for action in ACTIONS
        if rules.transition_target(state, action)
    }
    assert offered == ALLOWED
    assert rules.actions_from("revoked") == []


def test_a_whole_lifecycle_is_kept_as_history_in_order(users: Any) -> None:
    institution = make_institution("applied")
    for action in ("designate", "promote", "suspend", "reinstate", "designate", "revoke"):
        institution = step(institution, users.city_admin, action)
    assert history(institution) == [
        ("designate", "applied", "designated"),
        ("promote", "designated", "demonstration"),
        ("suspend", "demonstration", "suspended"),
        ("reinstate", "suspended", "designated"),
        ("designate", "designated", "designated"),
        ("revoke", "designated", "revoked"),
    ]
    assert audit_actions(institution) == [
        "institution.designate",
        "institution.promote",
        "institution.suspend",
        "institution.reinstate",
        "institution.designate",
        "institution.revoke",
    ]
    for action in ACTIONS:
        with pytest.raises(Conflict):
            step(institution, users.city_admin, action)
    assert len(history(institution)) == 6


# ---- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start,end,errors",
    [
        (
            None,
            None,
            [("designated_from", rules.DATES_REQUIRED), ("designated_to", rules.DATES_REQUIRED)],
        ),
        (NEW_FROM, None, [("designated_to", rules.DATES_REQUIRED)]),
        (None, NEW_TO, [("designated_from", rules.DATES_REQUIRED)]),
        (NEW_TO, NEW_FROM, [("designated_to", rules.DATES_ORDER)]),
        (
            TODAY - dt.timedelta(days=400),
            TODAY - dt.timedelta(days=1),
            [("designated_to", rules.DATES_EXPIRED)],
        ),
        ("2026-13-01", NEW_TO, [("designated_from", "日期格式须为 YYYY-MM-DD")]),
    ],
)
def test_designate_requires_both_dates_in_order_and_not_yet_expired(
    start: Any, end: Any, errors: list[tuple[str, str]], users: Any
) -> None:
    institution = make_institution("applied")
    with pytest.raises(InvalidInput) as refused:
        institution_transition(
            institution=institution,
            actor=users.city_admin,
            action="designate",
            comment="",
            designated_from=start,
            designated_to=end,
        )
    assert refused.value.errors == errors
    assert Institution.objects.get(pk=institution.pk).state == "applied"
    assert history(institution) == []


def test_a_designation_of_a_single_day_ending_today_is_allowed(users: Any) -> None:
    institution = make_institution("applied")
    step(institution, users.city_admin, "designate", designated_from=TODAY, designated_to=TODAY)
    stored = Institution.objects.get(pk=institution.pk)
    assert (stored.state, stored.designated_from, stored.designated_to) == (
        "designated",
        TODAY,
        TODAY,
    )
    assert stored.designation_valid_on(TODAY)


@pytest.mark.parametrize("action", ["promote", "suspend", "revoke"])
def test_only_designate_takes_dates(action: str, users: Any) -> None:
    institution = make_institution("designated")
    with pytest.raises(InvalidInput) as refused:
        step(institution, users.city_admin, action, designated_to=NEW_TO)
    assert refused.value.errors == [("designated_to", rules.DATES_ONLY_FOR_DESIGNATE)]
    assert Institution.objects.get(pk=institution.pk).state == "designated"


def test_reinstate_is_refused_once_the_validity_has_expired(users: Any) -> None:
    expired = make_institution(
        "suspended", start=TODAY - dt.timedelta(days=800), end=TODAY - dt.timedelta(days=1)
    )
    with pytest.raises(Conflict) as refused:
        step(expired, users.city_admin, "reinstate")
    assert refused.value.message == rules.REINSTATE_EXPIRED.format(
        date=(TODAY - dt.timedelta(days=1)).isoformat()
    )
    assert Institution.objects.get(pk=expired.pk).state == "suspended"
    assert rules.actions_available(expired, TODAY) == ["designate", "revoke"]
    # ... and a fresh designation with new dates brings it back.
    step(expired, users.city_admin, "designate")
    assert Institution.objects.get(pk=expired.pk).state == "designated"


def test_reinstate_on_the_last_day_of_the_validity_is_allowed(users: Any) -> None:
    institution = make_institution("suspended", start=VALID_FROM, end=TODAY)
    assert step(institution, users.city_admin, "reinstate").state == "designated"


def test_promotion_needs_a_designation_valid_today(users: Any) -> None:
    expired = make_institution(
        "designated", start=TODAY - dt.timedelta(days=800), end=TODAY - dt.timedelta(days=1)
    )
    with pytest.raises(Conflict) as refused:
        step(expired, users.city_admin, "promote")
    assert refused.value.message == rules.PROMOTE_NOT_VALID
    assert Institution.objects.get(pk=expired.pk).state == "designated"
    assert "promote" not in rules.actions_available(expired, TODAY)


@pytest.mark.parametrize("action", ["suspend", "revoke"])
def test_suspend_and_revoke_must_say_why(action: str, users: Any) -> None:
    institution = make_institution("designated")
    with pytest.raises(InvalidInput) as refused:
        step(institution, users.city_admin, action, comment="  ")
    assert refused.value.errors == [("comment", rules.COMMENT_REQUIRED)]
    assert Institution.objects.get(pk=institution.pk).state == "designated"


def test_an_unknown_action_names_the_field(users: Any) -> None:
    institution = make_institution("designated")
    with pytest.raises(InvalidInput) as refused:
        step(institution, users.city_admin, "approve")
    assert refused.value.errors == [("action", rules.ACTION_INVALID)]


# ---- designation_valid_on -----------------------------------------------------------------------

START, END = dt.date(2026, 1, 1), dt.date(2028, 12, 31)


@pytest.mark.parametrize(
    "state,on,valid",
    [
        ("designated", START, True),
        ("designated", END, True),
        ("designated", START - dt.timedelta(days=1), False),
        ("designated", END + dt.timedelta(days=1), False),
        ("demonstration", START, True),
        ("demonstration", END, True),
        ("demonstration", END + dt.timedelta(days=1), False),
        ("suspended", START, False),
        ("revoked", START, False),
        ("applied", START, False),
    ],
)
def test_designation_valid_on_its_boundaries(state: str, on: dt.date, valid: bool) -> None:
    institution = Institution(state=state, designated_from=START, designated_to=END)
    assert rules.designation_valid_on(institution, on) is valid
    assert institution.designation_valid_on(on) is valid


def test_a_designation_without_dates_is_never_valid() -> None:
    assert not rules.designation_valid_on(Institution(state="designated"), START)
    assert not rules.designation_valid_on(
        Institution(state="designated", designated_from=START), START
    )


# ---- who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role",
    [
        "town_staff",
        "institution_staff",
        "employment_service",
        "auditor",
        "sys_admin",
        "security_admin",
        "audit_admin",
    ],
)
def test_only_city_admin_takes_designation_steps(role: str, users: Any, institution: Any) -> None:
    validity = (institution.designated_from, institution.designated_to)
    with pytest.raises(Forbidden):
        step(institution, users.by_role()[role], "suspend")
    stored = Institution.objects.get(pk=institution.pk)
    assert (stored.state, (stored.designated_from, stored.designated_to)) == (
        "designated",
        validity,
    )
    assert history(institution) == []


def test_an_institution_that_does_not_exist_is_not_found(users: Any) -> None:
    ghost = Institution(pk=10**9, state="designated")
    with pytest.raises(NotFound):
        step(ghost, users.city_admin, "suspend")


# ---- the row lock -----------------------------------------------------------------------------


def test_the_state_is_read_again_under_a_row_lock(users: Any) -> None:
    """A caller holding a stale copy cannot take a step the stored state no longer allows."""
    institution = make_institution("designated")
    stale = Institution.objects.get(pk=institution.pk)
    step(institution, users.city_admin, "promote")
    original = QuerySet.select_for_update
    locked_models = []

    def spy(self: QuerySet[Any], *args: Any, **kwargs: Any) -> Any:
        locked_models.append(self.model)
        return original(self, *args, **kwargs)

    with mock.patch.object(QuerySet, "select_for_update", spy), pytest.raises(Conflict) as refused:
        step(stale, users.city_admin, "promote")
    assert Institution in locked_models
    assert "示范点" in refused.value.message
    assert history(institution) == [("promote", "designated", "demonstration")]


POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


@pytest.mark.skipif(not POSTGRES, reason="SQLite serialises all writers; row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(
    "action,start,target",
    [
        ("promote", "designated", "demonstration"),
        ("suspend", "designated", "suspended"),
        ("revoke", "suspended", "revoked"),
    ],
)
def test_twenty_identical_concurrent_steps_take_effect_exactly_once(
    action: str, start: str, target: str
) -> None:
    from canpei.accounts.models import User

    admin = User.objects.create(username="city-concurrent", role="city_admin")
    institution = make_institution(start)

    def worker() -> str:
        step(institution, admin, action)
        return "ok"

    outcomes = all_at_once(worker)
    assert sorted(outcomes) == ["conflict"] * 19 + ["ok"], outcomes
    assert Institution.objects.get(pk=institution.pk).state == target
    assert history(institution) == [(action, start, target)]
    assert audit_actions(institution) == [f"institution.{action}"]
    assert audit_verify().ok
    assert connection.vendor == "postgresql"
