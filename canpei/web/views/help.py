"""/help: the manuals of docs/ (settings.DOCS_DIR) rendered from Markdown for every signed-in role.

A page is docs/<page>.md (docs/en/<page>.md when the interface is in English and one exists).
Headings may end in `{#anchor}` (the section each page's header links to); links to other .md
files become /help links, images are served from docs/img/, and a Mermaid diagram shows as its
source under a disclosure (the same content follows it as a table): no script is needed.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext as _
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore

INDEX = "README"
PAGE = re.compile(r"[a-z0-9][a-z0-9-]*")
IMAGE = re.compile(r"[a-z0-9][a-z0-9_-]*\.png")
ANCHOR = re.compile(r"\s*\{#([A-Za-z0-9_-]+)\}\s*$")
LINK = re.compile(r"^(?:\.\./)?(?:docs/)?(en/)?([a-z0-9][a-z0-9-]*|README)\.md(#[A-Za-z0-9_-]+)?$")
# /help/en: the English guide (docs/en/README.md) whatever the interface language.
ENGLISH = "en"


def _heading_anchors(state: StateCore) -> None:
    """`## 标题 {#anchor}` → <h2 id="anchor">标题</h2>."""
    tokens = state.tokens
    for i, token in enumerate(tokens):
        if token.type != "heading_open" or i + 1 >= len(tokens):
            continue
        inline = tokens[i + 1]
        match = ANCHOR.search(inline.content)
        if not match or not inline.children:
            continue
        token.attrSet("id", match.group(1))
        inline.content = inline.content[:match.start()]
        last = inline.children[-1]
        if last.type == "text":
            last.content = ANCHOR.sub("", last.content)


def _help_href(href: str) -> str:
    """A link between the documents (`operations.md#backup`) as the /help page it is."""
    match = LINK.match(href)
    if not match:
        return href
    english, page, fragment = match.groups()
    if page == INDEX:
        url = reverse("help_page", args=[ENGLISH]) if english else reverse("help")
    else:
        url = reverse("help_page", args=[page])
    return url + (fragment or "")


@lru_cache(maxsize=1)
def _renderer() -> MarkdownIt:
    """One parser for the process; its rules translate and reverse at render time."""
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    md.core.ruler.push("heading_anchors", _heading_anchors)

    def link_open(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        token = tokens[idx]
        token.attrSet("href", _help_href(str(token.attrGet("href") or "")))
        return str(self.renderToken(tokens, idx, options, env))

    def image(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        token = tokens[idx]
        name = str(token.attrGet("src") or "").rsplit("/", 1)[-1]
        if IMAGE.fullmatch(name):
            token.attrSet("src", reverse("help_image", args=[name]))
        token.attrSet("loading", "lazy")
        return str(self.image(tokens, idx, options, env))

    def fence(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        token = tokens[idx]
        if token.info.strip() == "mermaid":
            return (f'<details class="help-diagram"><summary>{escape(_("状态图源码（Mermaid）"))}'
                    f'</summary><pre><code>{escape(token.content)}</code></pre></details>\n')
        return str(self.fence(tokens, idx, options, env))

    def table_open(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        return ('<div class="table-scroll" tabindex="0" role="region" '
                f'aria-label="{escape(_("表格"))}">' + str(self.renderToken(tokens, idx, options, env)))

    def table_close(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        return str(self.renderToken(tokens, idx, options, env)) + "</div>"

    md.add_render_rule("link_open", link_open)
    md.add_render_rule("image", image)
    md.add_render_rule("fence", fence)
    md.add_render_rule("table_open", table_open)
    md.add_render_rule("table_close", table_close)
    return md


@lru_cache(maxsize=256)
def _rendered(path: Path, _mtime_ns: int, _language: str | None, _urlconf: str | None,
              _prefix: str) -> tuple[str, str]:
    """A document's title and HTML, rendered once per file version, language (the rules
    translate) and URL configuration (they reverse): parsing took about half a help page's time.
    The arguments after `path` are only the cache's key; the rules read them from the request."""
    text = path.read_text(encoding="utf-8")
    # Raw HTML is off in the parser: the documents cannot carry markup of their own.
    return _title(text), mark_safe(_renderer().render(text))


def _source(page: str) -> tuple[Path, bool] | None:
    """The Markdown file of `page` and whether it is the English version."""
    root = Path(settings.DOCS_DIR)
    if page == ENGLISH:
        guide = root / "en" / f"{INDEX}.md"
        return (guide, True) if guide.is_file() else None
    if (get_language() or "").startswith("en"):
        english = root / "en" / f"{page}.md"
        if english.is_file():
            return english, True
    chinese = root / f"{page}.md"
    return (chinese, False) if chinese.is_file() else None


def _title(text: str) -> str:
    for line in text.splitlines():
        if line.startswith("# "):
            return ANCHOR.sub("", line[2:]).strip()
    return _("帮助")


def _render_page(request: HttpRequest, page: str) -> HttpResponse:
    found = _source(page) if PAGE.fullmatch(page) or page == INDEX else None
    if found is None:
        raise Http404
    path, english = found
    title, body = _rendered(path, path.stat().st_mtime_ns, get_language(), get_urlconf(),
                            get_script_prefix())
    return render(request, "web/help.html", {
        "title": title, "body": body,
        "english": english, "page": page, "is_index": page == INDEX,
    })


@login_required
def help_index(request: HttpRequest) -> HttpResponse:
    return _render_page(request, INDEX)


@login_required
def help_page(request: HttpRequest, page: str) -> HttpResponse:
    if page == INDEX.lower():
        page = INDEX
    return _render_page(request, page)


@login_required
def help_image(request: HttpRequest, name: str) -> FileResponse:
    path = Path(settings.DOCS_DIR) / "img" / name
    if not IMAGE.fullmatch(name) or not path.is_file():
        raise Http404
    return FileResponse(path.open("rb"), content_type="image/png")
