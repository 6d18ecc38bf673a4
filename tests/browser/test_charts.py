"""Charts (ECharts, vendored) drawn from their data tables, and the home pages in a browser:
the chart renders, its bars lead to the list behind them, axe finds nothing, the CSP is kept,
and a phone-wide screen does not scroll sideways."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from canpei.people.services import person_create
from canpei.people.surveys.services import survey_create
from tests.conftest import ANHAI, CIZAO, make_id, person_data

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROLES = [
    "city_admin",
    "town_staff",
    "institution_staff",
    "employment_service",
    "auditor",
    "sys_admin",
    "security_admin",
    "audit_admin",
]


@pytest.fixture
def registry(users: Any) -> list[Any]:
    """Three persons of 安海镇 (one surveyed this year) and two of 磁灶镇 (none surveyed)."""
    persons = []
    for serial, town in enumerate([ANHAI, ANHAI, ANHAI, CIZAO, CIZAO], start=11):
        number = make_id(f"350582199003070{serial:02d}")
        persons.append(
            person_create(
                actor=users.city_admin,
                data=person_data(
                    name="人员" + "甲乙丙丁戊"[serial - 11],
                    id_number=number,
                    cert_number="",
                    town=town,
                ),
            )
        )
    survey_create(
        actor=users.city_admin, data={"person": persons[0].pk, "surveyed_on": dt.date.today()}
    )
    return persons


def _wait_for_chart(s: Any) -> None:
    s.page.wait_for_function(
        "() => { const f = document.querySelector('#chart-survey-progress');"
        " return f && f.chart && f.querySelector('.chart-canvas canvas'); }"
    )


def test_the_survey_progress_chart_renders_and_its_bar_opens_the_list(
    browser_session: Any, users: Any, registry: Any
) -> None:
    s = browser_session
    s.login_as(users.city_admin)
    s.goto("/surveys/progress")
    _wait_for_chart(s)
    figure = s.page.locator("#chart-survey-progress")
    box = figure.locator(".chart-canvas")
    assert box.get_attribute("aria-hidden") == "true"
    assert box.is_visible()
    assert box.bounding_box()["height"] > 100
    # The table stays, complete, beside the drawing.
    # Towns with nobody due are left out of the chart (the progress table lists them).
    assert figure.locator("table.chart-data tbody tr").count() == 2
    assert "未调查 4 人" in figure.locator("figcaption").inner_text()
    # The chart was built from the table: its series and values are the table's.
    option = s.page.evaluate(
        "() => { const o = document.querySelector('#chart-survey-progress').chart.getOption();"
        " return {categories: o.xAxis[0].data,"
        " series: o.series.map(s => ({name: s.name, data: s.data.map(d => d.value)}))}; }"
    )
    assert option["series"][1]["name"] == "未调查"
    towns = option["categories"]
    assert option["series"][1]["data"][towns.index("磁灶镇")] == 2
    assert option["series"][0]["data"][towns.index("安海镇")] == 1
    s.assert_accessible("/surveys/progress with its chart")
    # A real click on 磁灶镇's "not surveyed" bar goes where its table cell links (the chart in
    # view first: a click outside the viewport reaches nothing).
    box.scroll_into_view_if_needed()
    x, y = s.page.evaluate(
        """(i) => document.querySelector('#chart-survey-progress').chart
            .convertToPixel({seriesIndex: 1}, [i, 1])""",
        towns.index("磁灶镇"),
    )
    origin = box.bounding_box()
    # The bars grow in (ECharts' animation): click once the bar is drawn under the point.
    s.page.wait_for_function(
        """([x, y]) => { const h = document.querySelector('#chart-survey-progress').chart
            .getZr().handler.findHover(x, y); return !!(h && h.target); }""",
        arg=[x, y],
    )
    with s.page.expect_navigation():
        s.page.mouse.click(origin["x"] + x, origin["y"] + y)
    assert s.page.url.endswith(f"town={CIZAO}#missing")
    rows = s.page.locator("#missing ~ table tbody tr")
    assert rows.count() == 2
    s.assert_accessible("the list behind the bar")


def test_without_javascript_the_table_is_the_chart(
    chromium: Any, live_server: Any, users: Any, registry: Any
) -> None:
    from tests.browser.conftest import BrowserSession

    context = chromium.new_context(locale="zh-CN", java_script_enabled=False)
    try:
        s = BrowserSession(context, live_server.url)
        s.login_as(users.city_admin)
        s.goto("/surveys/progress")
        assert s.page.locator("#chart-survey-progress .chart-canvas").is_hidden()
        assert s.page.locator("#chart-survey-progress table.chart-data").is_visible()
    finally:
        context.close()


def test_reduced_motion_turns_the_animation_off(
    chromium: Any, live_server: Any, users: Any, registry: Any
) -> None:
    from tests.browser.conftest import BrowserSession

    context = chromium.new_context(locale="zh-CN", reduced_motion="reduce")
    try:
        s = BrowserSession(context, live_server.url)
        s.login_as(users.city_admin)
        s.goto("/surveys/progress")
        _wait_for_chart(s)
        animation = s.page.evaluate(
            "() => document.querySelector('#chart-survey-progress').chart.getOption().animation"
        )
        assert animation is False
        assert not s.problems
    finally:
        context.close()


@pytest.mark.parametrize("role", ROLES)
def test_home_page_of_every_role_is_accessible_and_fits_a_phone(
    chromium: Any, live_server: Any, users: Any, registry: Any, role: str
) -> None:
    from tests.browser.conftest import BrowserSession

    user = users.by_role()[role]
    for width in (1280, 390):
        context = chromium.new_context(locale="zh-CN", viewport={"width": width, "height": 844})
        try:
            s = BrowserSession(context, live_server.url)
            s.login_as(user)
            s.goto("/")
            s.assert_accessible(f"/ as {role} at {width} px")
            overflow = s.page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"/ as {role} at {width} px scrolls sideways by {overflow} px"
        finally:
            context.close()


def test_survey_progress_fits_a_phone(
    chromium: Any, live_server: Any, users: Any, registry: Any
) -> None:
    from tests.browser.conftest import BrowserSession

    context = chromium.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    try:
        s = BrowserSession(context, live_server.url)
        s.login_as(users.town_staff)
        s.goto("/surveys/progress")
        _wait_for_chart(s)
        s.assert_accessible("/surveys/progress at 390 px")
        overflow = s.page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
    finally:
        context.close()
