"""The alert desk in the browser: /alerts, an alert's page and a refused dismissal pass axe-core's
WCAG 2.1 A/AA rules at desktop width and at 390 px; a dismissal is made with the keyboard."""

from __future__ import annotations

from typing import Any

import pytest

from tests.supervision.conftest import World, day, world  # noqa: F401 (the fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _both_widths(s: Any, label: str) -> None:
    s.assert_accessible(label)
    s.page.set_viewport_size({"width": 390, "height": 844})
    s.assert_accessible(f"{label} at 390 px")
    s.page.set_viewport_size({"width": 1280, "height": 900})


def test_the_alert_desk(browser_session: Any, world: World) -> None:  # noqa: F811
    from canpei.supervision.compute import recompute
    from canpei.supervision.models import Alert

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
    recompute(2026)
    alert = Alert.objects.get()
    s = browser_session
    for user, label in (
        (world.users.auditor, "auditor"),
        (world.users.town_staff, "town_staff"),
        (world.users.city_admin, "city_admin"),
    ):
        s.login_as(user)
        s.goto("/alerts")
        _both_widths(s, f"/alerts as {label}")
    s.goto("/alerts?rule=nope")
    _both_widths(s, "/alerts with a bad filter")
    s.goto(f"/alerts/{alert.pk}")
    _both_widths(s, "/alerts/{id}")
    s.page.get_by_role("button", name="排除").click()
    s.page.wait_for_load_state()
    assert "「排除」预警须填写理由" in s.page.content()
    _both_widths(s, "/alerts/{id} refused")
    s.page.get_by_label("排除原因").fill("核实为同一学员的补课记录")
    s.page.get_by_label("排除原因").press("Tab")
    with s.page.expect_navigation():
        s.page.keyboard.press("Enter")
    assert Alert.objects.get().state == "dismissed"
    s.goto(f"/classes/{a.pk}")
    _both_widths(s, "/classes/{id} with its alerts")
