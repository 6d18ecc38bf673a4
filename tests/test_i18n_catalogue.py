"""What the source scan (tests/test_i18n_sources.py) cannot see of the English catalogue.

Messages formatted with str.format (`{name}` placeholders, as the rule modules' constants are)
keep their placeholders in English: a placeholder lost or renamed would turn the English refusal
into a KeyError (a 500) or drop a figure. The code tables kept as data (`code_table`, from a
CSV) are translated where shown like any `Codes`: each label needs its English too."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from django.conf import settings

from tests.web.test_i18n import PO, parse_po

BRACE = re.compile(r"\{\w*\}")


def test_brace_placeholders_are_kept_in_english() -> None:
    wrong = [
        (e.msgid, text)
        for e in parse_po(PO)
        if e.msgid
        for text in e.msgstr.values()
        if text.strip() and sorted(BRACE.findall(text)) != sorted(BRACE.findall(e.msgid))
    ]
    assert wrong == []


def test_the_check_sees_a_lost_placeholder() -> None:
    msgid, msgstr = "超出预算：{year} 年{source}预算", "Over budget in {year}"
    assert sorted(BRACE.findall(msgstr)) != sorted(BRACE.findall(msgid))


def test_every_label_of_the_code_tables_kept_as_data_has_its_english() -> None:
    english = {
        e.msgid for e in parse_po(PO) if e.msgid and all(v.strip() for v in e.msgstr.values())
    }
    root = Path(settings.BASE_DIR)
    missing = [
        (path.name, row["table"], row["label"])
        for path in (
            root / "data" / "code_tables.csv",
            root / "people" / "data" / "national_codes.csv",
        )
        for row in csv.DictReader(path.open(encoding="utf-8"))
        if row["label"] not in english
    ]
    assert missing == []
