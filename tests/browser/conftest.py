"""Browser tests: Debian's Chromium driven by Playwright's sync API against pytest-django's
live server, with axe-core for the accessibility bar of QUALITY.md.

Chromium is never downloaded: the tests use /usr/bin/chromium. Without it they are skipped,
unless CANPEI_REQUIRE_BROWSER=1 (as in CI), where a missing browser is an error.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API keeps an asyncio loop on the main thread; Django would otherwise
# refuse the ORM calls that fixtures and assertions make while the browser is open.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path(os.environ.get("CANPEI_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The axe-core rule tags that make up WCAG 2.1 level AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Results axe leaves "to review" that are always real faults here: an aria-describedby or
# aria-labelledby that points at no element on the page.
INCOMPLETE_IS_FAILURE = {"aria-valid-attr-value", "aria-valid-attr"}


def _require_browser() -> bool:
    return os.environ.get("CANPEI_REQUIRE_BROWSER", "").strip().lower() in {
        "1",
        "true",
        "yes",
        "on",
    }


def _unavailable(reason: str) -> None:
    if _require_browser():
        pytest.fail(
            f"{reason} (CANPEI_REQUIRE_BROWSER=1, so this is an error, not a skip)", pytrace=False
        )
    pytest.skip(reason)


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium(_migrated_rows: str) -> Iterator[Any]:
    """One headless Chromium for the session, with a throwaway profile."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing: apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - the test extra installs it
        _unavailable(f"playwright is not installed: {exc}")
    profile = tempfile.mkdtemp(prefix="canpei-chromium-")
    playwright = sync_playwright().start()
    try:
        # launch_persistent_context would need one context for everything; a plain launch
        # already uses a fresh temporary profile, and --user-data-dir is not allowed there.
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            env={**os.environ, "HOME": profile},
        )
    except Exception:
        playwright.stop()
        shutil.rmtree(profile, ignore_errors=True)
        raise
    try:
        yield browser
    finally:
        browser.close()
        playwright.stop()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(autouse=True)
def _live_server_tests_are_transactional(transactional_db: Any) -> None:
    """The live server reads the database from another thread: no test-wide transaction."""


class BrowserSession:
    """A browser tab on the live server, with helpers for signing in and running axe."""

    def __init__(self, context: Any, base_url: str):
        self.context = context
        self.base_url = base_url.rstrip("/")
        self.page = context.new_page()
        self.problems: list[str] = []
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        self.page.on("response", self._on_response)

    def _on_console(self, message: Any) -> None:
        # CSP violations and failed resources (e.g. the stylesheet) show up as console errors.
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.problems.append(f"console error on {self.page.url}: {message.text}")

    def _on_response(self, response: Any) -> None:
        # Sub-resources only: the pages themselves are checked by goto() with their status.
        if response.status >= 400 and response.request.resource_type != "document":
            self.problems.append(f"{response.status} for {response.url}")

    def url(self, path: str) -> str:
        return self.base_url + path

    def login_as(self, user: Any) -> None:
        """Sign in without the login form (the flow test covers the form itself)."""
        from django.conf import settings
        from django.test import Client

        client = Client()
        client.force_login(user)
        name = settings.SESSION_COOKIE_NAME
        self.context.clear_cookies()
        self.context.add_cookies(
            [{"name": name, "value": client.cookies[name].value, "url": self.base_url}]
        )

    def goto(self, path: str, status: int = 200) -> Any:
        response = self.page.goto(self.url(path))
        assert response is not None, path
        assert response.status == status, f"GET {path}: {response.status}, expected {status}"
        return response

    def axe(self) -> dict[str, Any]:
        from axe_playwright_python.sync_playwright import Axe

        results = Axe().run(
            self.page,
            options={
                "runOnly": {"type": "tag", "values": WCAG_TAGS},
                "resultTypes": ["violations", "incomplete"],
            },
        )
        return dict(results.response)

    def axe_violations(self) -> list[dict[str, Any]]:
        response = self.axe()
        return list(response["violations"]) + [
            v for v in response["incomplete"] if v["id"] in INCOMPLETE_IS_FAILURE
        ]

    def assert_accessible(self, label: str = "") -> None:
        """0 axe violations and no console errors (CSP, missing CSS) on the current page."""
        violations = self.axe_violations()
        lines = []
        for v in violations:
            lines.append(f"- {v['id']} ({v.get('impact')}): {v['help']}")
            for node in v["nodes"][:10]:
                summary = " ".join(node.get("failureSummary", "").split())
                lines.append(f"    {node['target']}: {summary}"[:400])
        where = label or self.page.url
        assert not violations, (
            f"axe found {len(violations)} violation(s) on {where}:\n" + "\n".join(lines)
        )
        assert not self.problems, "\n".join(self.problems)


@pytest.fixture
def browser_session(chromium: Any, live_server: Any) -> Iterator[BrowserSession]:
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    try:
        yield BrowserSession(context, live_server.url)
    finally:
        context.close()
