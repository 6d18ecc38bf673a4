"""How the log encodes an entry's changes (issue 18): the fast encoder of trees writes exactly
what json.dumps writes, and values outside JSON nested in lists and dicts are found and stored
as a single entry stores them."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction

from canpei.audit import services
from canpei.audit.actions import AuditAction
from canpei.audit.models import AuditEntry
from canpei.audit.services import audit_prepare_changes, audit_record_many, audit_verify

TREES: list[Any] = [
    {"b": 1, "a": [1, 2.5, None, True, False], "c": {"z": "张三", "y": ""}},
    ["x", {"k": [{"q": 1, "p": 2}]}, -3, 0.1],
    {"引号": 'say "hi"\n', "tab": "a\tb", "emoji": "残😀"},
    "plain text",
    {},
    [],
]


@pytest.mark.parametrize("tree", TREES)
def test_the_tree_encoder_writes_what_json_dumps_writes(tree):
    expected = json.dumps(tree, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert services._canonical_tree(tree) == expected == services._canonical(tree)


@pytest.mark.parametrize(
    "changes,stored",
    [
        ({"rows": [{1: "a", "b": 2}]}, {"rows": [{"1": "a", "b": 2}]}),
        (
            {"after": {"n": 1, "day": dt.date(2026, 1, 31)}},
            {"after": {"n": 1, "day": "2026-01-31"}},
        ),
        ({"after": {"b": "x", 2: "y"}}, {"after": {"b": "x", "2": "y"}}),
        ({"amounts": [Decimal("1.50"), 2]}, {"amounts": ["1.50", 2]}),
        ({"rows": [[{3: "c", "d": 4}]]}, {"rows": [[{"3": "c", "d": 4}]]}),
    ],
)
def test_values_outside_json_nested_anywhere_are_stored_as_text(changes, stored):
    assert json.loads(audit_prepare_changes(changes)) == stored


@pytest.mark.django_db
def test_a_bulk_entry_without_a_summary_has_an_empty_one(users):
    with transaction.atomic():
        audit_record_many(
            actor=users.city_admin,
            entries=[dict(action=AuditAction.PERSON_CREATE, changes={"rows": [{1: "a"}]})],
        )
    entry = AuditEntry.objects.latest("pk")
    assert (entry.summary, entry.changes) == ("", {"rows": [{"1": "a"}]})
    assert audit_verify().ok
