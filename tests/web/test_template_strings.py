"""The templates say everything through the translation machinery (issue 13): read from the
source, every Chinese word of a template under canpei/web/templates is inside `{% translate %}`,
`{% blocktranslate %}` or a `_("…")` argument, and every such msgid has its English in the
catalogue. A page's Chinese that the English walk (test_english_ui.py) meets on one record
only, or on none of the demo's, fails here on every template."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.web.test_i18n import parse_po

TEMPLATES = Path(settings.BASE_DIR) / "web" / "templates"
HAN = re.compile(r"[\u4e00-\u9fff]")
COMMENT = re.compile(r"{#.*?#}|{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", re.S)
TRANSLATE = re.compile(r"""{%\s*(?:translate|trans)\s+(["'])(.*?)\1.*?%}""", re.S)
BLOCK = re.compile(
    r"{%\s*blocktrans(?:late)?\b([^%]*)%}(.*?){%\s*endblocktrans(?:late)?\s*%}", re.S
)
UNDERSCORE = re.compile(r"""\b_\((["'])(.*?)\1\)""")


def _english() -> set[str]:
    po = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES" / "django.po"
    return {e.msgid for e in parse_po(po) if e.msgid and all(v.strip() for v in e.msgstr.values())}


def _block_msgid(options: str, body: str) -> str:
    singular = re.split(r"{%\s*plural\s*%}", body)[0]
    msgid = re.sub(r"{{\s*(\w+)\s*}}", r"%(\1)s", singular.replace("%", "%%"))
    return " ".join(msgid.split()) if "trimmed" in options else msgid


def _scan(path: Path) -> tuple[list[str], list[str]]:
    """(msgids, bare Chinese lines) of a template."""
    source = COMMENT.sub(" ", path.read_text(encoding="utf-8"))
    msgids = [m.group(2) for m in TRANSLATE.finditer(source)]
    msgids += [_block_msgid(m.group(1), m.group(2)) for m in BLOCK.finditer(source)]
    msgids += [m.group(2) for m in UNDERSCORE.finditer(source)]
    rest = UNDERSCORE.sub(" ", BLOCK.sub(" ", TRANSLATE.sub(" ", source)))
    bare = [line.strip() for line in rest.splitlines() if HAN.search(line)]
    return [m for m in msgids if HAN.search(m)], bare


def _templates() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.html"))


@pytest.mark.parametrize("path", _templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_a_template_has_no_chinese_outside_the_translation_tags(path: Path) -> None:
    assert _scan(path)[1] == []


def test_every_msgid_of_the_templates_has_its_english() -> None:
    english = _english()
    missing = sorted(
        {
            f"{path.relative_to(TEMPLATES)}: {msgid!r}"
            for path in _templates()
            for msgid in _scan(path)[0]
            if msgid not in english
        }
    )
    assert missing == [], "\n".join(missing)


def test_the_scanner_sees_a_bare_word_and_a_msgid_without_english(tmp_path: Path) -> None:
    template = tmp_path / "t.html"
    template.write_text(
        '{% load i18n %}{# 注释 #}<h1>{% translate "人员" %}</h1>\n'
        "<p>未翻译</p>\n"
        "{% blocktranslate with n=count %}共 {{ n }} 人{% endblocktranslate %}\n"
        '{{ x|default:_("未就业") }}\n',
        encoding="utf-8",
    )
    msgids, bare = _scan(template)
    assert bare == ["<p>未翻译</p>"]
    assert msgids == ["人员", "共 %(n)s 人", "未就业"]
