"""The reports' summaries: tables kept in step with the records by the writers' transactions
(canpei.hooks.outcomes_changed), so the pages that read a whole province answer in milliseconds.
Each summary also rebuilds itself from the records and names where it differs from the live
computation; `canpei summaries rebuild` and `canpei summaries check` run those."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction


def one_writer_at_a_time(person_ids: list[int]) -> None:
    """The first receiver of hooks.outcomes_changed and hooks.persons_added: take the audit
    chain's head lock (canpei.audit.models.AuditHead) before any summary is read or moved.

    Every audited write takes that lock before it commits anyway (one audited writer at a time),
    so taking it here costs no concurrency; it makes the summaries' refreshes run one at a time
    (no two subtract a person's old standing), and it puts the summaries' own locks (the
    indicators' clock, the tallies and cells) after the writer's record locks and the head,
    always in that order, so no two writers wait on each other in opposite orders."""
    from canpei.audit.models import AuditHead

    AuditHead.objects.select_for_update().filter(pk=1).exists()


def _parts() -> list[tuple[str, Callable[[], object], Callable[[], list[str]]]]:
    from canpei.employment.followups import summary as followups
    from canpei.funds.summaries import rebuild_town_paid, town_paid_differences
    from canpei.reports.summaries import indicators, matching, registry, targets

    return [("targets", targets.rebuild_targets, targets.target_differences),
            ("registry", registry.rebuild_registry, registry.registry_differences),
            ("indicators", indicators.rebuild_indicators, _indicator_differences),
            ("open follow-ups", followups.rebuild_open_followups,
             followups.open_followup_differences),
            ("money by town", rebuild_town_paid, town_paid_differences),
            ("matching", matching.rebuild_matching, matching.matching_differences)]


def _indicator_differences() -> list[str]:
    """The indicators as the pages read them (summary) against the live computation, for a
    city-wide reader and each town's staff, with no filter and for this year."""
    from django.utils import timezone

    from canpei.accounts.models import User
    from canpei.accounts.roles import CITY_WIDE_READERS, Role
    from canpei.reports.indicators import IndicatorFilters, indicators

    today = timezone.localdate()
    readers = list(User.objects.filter(role__in=list(CITY_WIDE_READERS), is_active=True)
                   .order_by("pk")[:1])
    seen: dict[str, User] = {}
    for clerk in User.objects.filter(role=Role.TOWN_STAFF, is_active=True).order_by("pk"):
        seen.setdefault(clerk.town_id or "", clerk)
    readers += list(seen.values())
    problems = []
    for user in readers:
        for filters in (IndicatorFilters(), IndicatorFilters(year=today.year)):
            kept = indicators(user=user, filters=filters, as_of=today)
            live = indicators(user=user, filters=filters, as_of=today, live=True)
            if kept != live:
                shape = "no filter" if filters.year is None else f"year {filters.year}"
                problems.append(f"{user.username} ({shape}): summary differs from live")
    return problems


def summary_names() -> list[str]:
    return [name for name, _rebuild, _check in _parts()]


def rebuild_all(only: str | None = None) -> dict[str, object]:
    """Rebuild every summary (or the one named `only`) from the records, in one transaction;
    what each wrote."""
    with transaction.atomic():
        return {name: rebuild() for name, rebuild, _check in _parts() if only in (None, name)}


def differences() -> list[str]:
    """Every difference between a summary and the live computation (empty when all agree)."""
    return [f"{name}: {problem}" for name, _rebuild, check in _parts() for problem in check()]
