"""The completion-audit checklist's last line: the alerts about the class (canpei.supervision
adds it to canpei.training.classes.checks.CHECKS). Open or confirmed alerts fail it; dismissed
and resolved ones do not."""

from __future__ import annotations

from typing import Any

import pytest

from canpei.supervision.compute import recompute
from canpei.supervision.models import Alert
from canpei.supervision.services import alert_transition
from canpei.training.classes import checks
from tests.supervision.conftest import World, day

pytestmark = pytest.mark.django_db


def alerts_line(world: World, training_class: Any) -> checks.CheckResult:
    found = checks.class_checks(user=world.users.city_admin, training_class=training_class)
    assert found[-1].key == "alerts"
    return found[-1]


def test_open_and_confirmed_alerts_fail_the_check_dismissed_ones_pass(world: World) -> None:
    p = world.person(name="王五")
    a = world.new_class(start=day(3, 2), end=day(3, 20))
    b = world.new_class(
        institution=world.other_institution,
        start=day(3, 10),
        end=day(4, 5),
        occupation="中式面点师",
    )
    world.enroll(a, p)
    world.enroll(b, p)
    line = alerts_line(world, a)
    assert (line.passed, line.detail) == (True, "待处理 0 条，已确认 0 条")
    recompute(2026)
    line = alerts_line(world, a)
    assert (line.passed, line.detail, line.figures) == (
        False,
        "待处理 1 条，已确认 0 条",
        {"open": 1, "confirmed": 0},
    )
    alert = Alert.objects.get()
    alert_transition(alert=alert, actor=world.users.city_admin, action="confirm", comment="")
    assert alerts_line(world, b).detail == "待处理 0 条，已确认 1 条"
    assert not alerts_line(world, b).passed
    Alert.objects.filter(pk=alert.pk).update(state="dismissed")
    assert alerts_line(world, a).passed


def test_the_line_is_added_once() -> None:
    from canpei.supervision.checks import alerts_on_class

    assert checks.CHECKS.count(alerts_on_class) == 1
