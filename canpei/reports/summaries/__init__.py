"""The reports' summaries: tables kept in step with the records by the writers' transactions
(canpei.hooks.outcomes_changed), so the pages that read a whole province answer in milliseconds.
Each summary also rebuilds itself from the records and names where it differs from the live
computation; `canpei summaries rebuild` and `canpei summaries check` run those."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction


def _parts() -> list[tuple[str, Callable[[], object], Callable[[], list[str]]]]:
    from canpei.reports.summaries import registry, targets

    return [("targets", targets.rebuild_targets, targets.target_differences),
            ("registry", registry.rebuild_registry, registry.registry_differences)]


def rebuild_all() -> dict[str, object]:
    """Rebuild every summary from the records, in one transaction; what each wrote."""
    with transaction.atomic():
        return {name: rebuild() for name, rebuild, _check in _parts()}


def differences() -> list[str]:
    """Every difference between a summary and the live computation (empty when all agree)."""
    return [f"{name}: {problem}" for name, _rebuild, check in _parts() for problem in check()]
