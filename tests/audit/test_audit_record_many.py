"""Many entries at once (imports): the same chain and the same stored changes as one by one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction

from canpei.audit.actions import AuditAction
from canpei.audit.models import AuditEntry
from canpei.audit.services import (
    audit_prepare_changes,
    audit_record,
    audit_record_many,
    audit_verify,
)

pytestmark = pytest.mark.django_db

# Non-string keys on purpose: a bulk entry must store them as a single entry does.
CHANGES: list[dict[Any, Any]] = [
    {
        "after": {
            "name": "张三",
            "hardship": ["dibao"],
            "village": None,
            "new_entrant": True,
            "n": 3,
        }
    },
    {1: "int key", "b": dt.date(2024, 1, 31), "c": {2: Decimal("1.5"), "x": [1.25, None]}},
    {"nested": {"z": 1, "a": {"k": ["v", 2, False]}}, "float": 0.1},
]


def test_bulk_entries_store_what_single_entries_store_and_the_chain_verifies(users):
    with transaction.atomic():
        singles = [
            audit_record(
                actor=users.city_admin, action=AuditAction.SURVEY_CREATE, summary="s", changes=c
            )
            for c in CHANGES
        ]
        audit_record_many(
            actor=users.city_admin,
            entries=[
                dict(
                    action=AuditAction.SURVEY_UPDATE,
                    object_type="x",
                    object_id=i,
                    summary="m",
                    changes=c,
                )
                for i, c in enumerate(CHANGES)
            ],
        )
        audit_record_many(
            actor=users.city_admin,
            entries=[
                dict(action=AuditAction.SKILL_SAVE, summary="p", changes=audit_prepare_changes(c))
                for c in CHANGES
            ],
        )
    many = list(AuditEntry.objects.filter(action=AuditAction.SURVEY_UPDATE).order_by("pk"))
    prepared = list(AuditEntry.objects.filter(action=AuditAction.SKILL_SAVE).order_by("pk"))
    stored = [AuditEntry.objects.get(pk=s.pk).changes for s in singles]
    assert [e.changes for e in many] == stored == [e.changes for e in prepared]
    assert stored[1] == {"1": "int key", "b": "2024-01-31", "c": {"2": "1.5", "x": [1.25, None]}}
    result = audit_verify()
    assert result.ok, result.reason
    assert result.checked == AuditEntry.objects.count() == 9


def test_changes_vouched_plain_are_encoded_as_checked_ones(users):
    # What an import passes: snapshots whose masked values are str subclasses, lists, None.
    class Shown(str):
        pass

    changes = {
        "persons": [
            {
                "id": 7,
                "after": {
                    "name": Shown("张*三"),
                    "hardship": ["dibao"],
                    "village": None,
                    "new_entrant": False,
                },
            }
        ],
        "diff": {"phone": [Shown("****"), Shown("")]},
    }
    assert audit_prepare_changes(changes, plain=True) == audit_prepare_changes(changes)
    with transaction.atomic():
        audit_record_many(
            actor=users.city_admin,
            entries=[
                dict(
                    action=AuditAction.PERSON_UPDATE,
                    summary="p",
                    changes=audit_prepare_changes(changes, plain=True),
                )
            ],
        )
    assert AuditEntry.objects.get(action=AuditAction.PERSON_UPDATE).changes["diff"] == {
        "phone": ["****", ""]
    }
    assert audit_verify().ok
