"""/help for every role of the demo: reachable from the header, 0 axe violations, and the
manuals' screenshots (docs/img/*.png) taken from the demo data, so a change that alters a
documented page changes its picture in the same commit (`make docs` runs this module too)."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import _unavailable

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

IMAGES = Path(__file__).resolve().parent.parent.parent / "docs" / "img"


def _shoot(s: Any, name: str) -> None:
    """A 1280 × 800 picture of the page as it opens (not the whole page), reduced to 64 colours:
    a third of the size of Chromium's PNG, and the repository keeps every version of it."""
    from PIL import Image

    s.page.set_viewport_size({"width": 1280, "height": 800})
    IMAGES.mkdir(parents=True, exist_ok=True)
    picture = Image.open(io.BytesIO(s.page.screenshot(full_page=False))).convert("RGB")
    reduced = picture.quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    reduced.save(IMAGES / name, format="PNG", optimize=True)


def _has_chinese_font() -> bool:
    if shutil.which("fc-list") is None:
        return False
    found = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False)
    return bool(found.stdout.strip())


def test_help_for_every_demo_role_and_the_manuals_screenshots(browser_session: Any) -> None:
    from playwright.sync_api import expect

    if not _has_chinese_font():
        # Without one every character of the pictures would be an empty box.
        _unavailable("no Chinese font for the screenshots: apt-get install -y fonts-wqy-microhei")

    from canpei.accounts.models import User
    from canpei.demo import DEMO_USERS, demo_load
    from canpei.training.models import ClassState, TrainingClass

    demo_load(persons=600, seed=1)
    s = browser_session
    accounts = {u.username: u for u in User.objects.filter(username__in=[d[0] for d in DEMO_USERS])}
    assert set(accounts) == {d[0] for d in DEMO_USERS}

    # The pictures first: the manuals below show them.
    submitted = TrainingClass.objects.filter(state=ClassState.SUBMITTED).order_by("pk").first()
    school = accounts["school"]
    draft = (
        TrainingClass.objects.filter(state=ClassState.DRAFT, institution=school.institution)
        .order_by("pk")
        .first()
    )
    assert submitted is not None and draft is not None
    shots = [
        ("city", "/", "city-admin-home.png"),
        ("city", f"/classes/{submitted.pk}", "city-admin-class.png"),
        ("anhai", "/persons", "town-staff-persons.png"),
        ("anhai", "/surveys/progress", "town-staff-survey-progress.png"),
        ("school", "/classes", "institution-classes.png"),
        ("school", f"/classes/{draft.pk}", "institution-class.png"),
        ("employment", "/employment/services", "employment-services.png"),
        ("auditor", "/classes", "auditor-classes.png"),
        ("sysadmin", "/admin/users", "officers-users.png"),
        ("auditadmin", "/audit", "officers-audit.png"),
    ]
    for username, path, image in shots:
        s.login_as(accounts[username])
        s.goto(path)
        _shoot(s, image)
    for username, user in accounts.items():
        s.login_as(user)
        s.goto("/")
        # The header's 帮助 opens the role's manual at the section of the page it was on.
        s.page.get_by_role("link", name="帮助").click()
        s.page.wait_for_load_state()
        assert "/help/manual-" in s.page.url and s.page.url.endswith("#home"), s.page.url
        expect(s.page.locator("#home")).to_be_visible()
        s.assert_accessible(f"{s.page.url} as {username}")
        s.goto("/help")
        expect(s.page.get_by_role("heading", level=1)).to_have_text("残培 使用与运维文档")
        s.assert_accessible(f"/help as {username}")

    # The pages every reader opens from the index: the generated ones and the operations guide.
    for page in ("operations", "data-dictionary", "workflows", "architecture", "en"):
        s.goto(f"/help/{page}")
        s.assert_accessible(f"/help/{page}")

    # The manuals show exactly these pictures: one named that is not taken fails here.
    documented = set()
    for manual in IMAGES.parent.glob("*.md"):
        documented |= {
            line.split("](img/")[1].split(")")[0]
            for line in manual.read_text(encoding="utf-8").splitlines()
            if "](img/" in line
        }
    assert documented == {image for _, _, image in shots}
    s.goto("/help/manual-city-admin")
    expect(s.page.locator("article.help img").first).to_be_visible()
    s.assert_accessible("/help/manual-city-admin with its pictures")
