"""The printable documents printed to PDF by Chromium (issue 13): A4 pages, the sheets that must
start a new page do, the text is on the paper, and the pages pass axe-core. An ordinary page
printed loses its navigation."""

from __future__ import annotations

import io
from typing import Any

import pytest

from tests.training.conftest import class_data, designated, make_class, trainee_factory  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

A4_POINTS = (595, 842)  # 210 mm x 297 mm in PDF points (1/72 inch)


def _pdf(s: Any, path: str) -> list[str]:
    """Print the page at `path` to PDF as Chromium does for the print dialogue (A4, the page's own
    @page size) and return the text of each printed page, after checking every page is A4."""
    from pypdf import PdfReader

    s.goto(path)
    s.page.emulate_media(media="print")
    reader = PdfReader(io.BytesIO(s.page.pdf(prefer_css_page_size=True, print_background=True)))
    s.page.emulate_media(media="screen")
    for number, page in enumerate(reader.pages, start=1):
        size = (round(float(page.mediabox.width)), round(float(page.mediabox.height)))
        assert size == A4_POINTS, f"{path}: page {number} is {size} points, not A4"
    return [page.extract_text() for page in reader.pages]


def _squeezed(text: str) -> str:
    return "".join(text.split())


def test_the_documents_print_on_a4_with_their_page_breaks(
    browser_session: Any, users: Any, make_class: Any, trainee_factory: Any
) -> None:
    names = ["林秀英", "黄志明", "陈美玲"]
    training_class = make_class("completed", persons=[trainee_factory(name=n) for n in names])
    s = browser_session
    s.login_as(users.institution_staff)
    base = f"/classes/{training_class.pk}/print"

    # The application on its page, the roster on the next.
    pages = [_squeezed(t) for t in _pdf(s, f"{base}/application")]
    assert len(pages) == 2, pages
    assert "残疾人职业技能培训开班申请表" in pages[0] and "林秀英" not in pages[0]
    assert "花名册" in pages[1] and all(name in pages[1] for name in names)

    pages = [_squeezed(t) for t in _pdf(s, f"{base}/sign-in")]
    assert len(pages) == 1 and "培训签到表" in pages[0] and "应到3人" in pages[0]

    pages = [_squeezed(t) for t in _pdf(s, f"{base}/completion")]
    assert len(pages) == 1 and "培训结业名单" in pages[0] and "结业学员共3人" in pages[0]

    # One certificate a page, each naming its trainee; the screen's heading is not printed.
    pages = [_squeezed(t) for t in _pdf(s, f"{base}/certificates")]
    assert len(pages) == 3, pages
    for page, name in zip(pages, names, strict=True):
        assert "培训合格证" in page and name in page and "份）" not in page
        assert "返回培训班" not in page

    for document in ("application", "sign-in", "completion", "certificates"):
        s.goto(f"{base}/{document}")
        s.assert_accessible(f"{base}/{document}")
        s.page.set_viewport_size({"width": 390, "height": 844})
        s.assert_accessible(f"{base}/{document} at 390 px")
        s.page.set_viewport_size({"width": 1280, "height": 900})


def test_an_ordinary_page_prints_without_its_navigation(
    browser_session: Any, users: Any, make_class: Any
) -> None:
    training_class = make_class("running", trainees=1)
    s = browser_session
    s.login_as(users.institution_staff)
    s.goto(f"/classes/{training_class.pk}")
    assert s.page.locator("nav").first.is_visible()
    s.page.emulate_media(media="print")
    assert not s.page.locator("header.site-header").is_visible()
    assert not s.page.locator("footer.site-footer").is_visible()
    assert s.page.locator("h1").is_visible()
