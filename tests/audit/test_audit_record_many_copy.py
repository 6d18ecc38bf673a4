"""audit_record_many's two less travelled paths, on any database: the COPY path (PostgreSQL's,
here with COPY stood in by an ORM insert of exactly the rows and columns it is given), and a
bulk entry whose header is not plain JSON (it is hashed as audit_record hashes it)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

import pytest
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy

from canpei.audit import services
from canpei.audit.actions import AuditAction
from canpei.audit.models import AuditEntry, AuditHead
from canpei.audit.services import VerifyResult, audit_record_many, audit_verify

pytestmark = pytest.mark.django_db


def fake_next_ids(model: Any, count: int) -> list[int]:
    start = (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
    return list(range(start, start + count))


def fake_copy_rows(model: Any, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    # As COPY stores them: text for the JSON column, every value by its column's name.
    made = []
    for row in rows:
        values = dict(zip(columns, row, strict=True))
        values["changes"] = services.json.loads(values["changes"])
        made.append(model(**values))
    model.objects.bulk_create(made)


ENTRIES: tuple[services.AuditItem, ...] = (
    {
        "changes": {"after": {"name": "张三"}},
        "summary": "导入人员 张三",
        "object_id": 7,
        "object_type": "people.person",
        "action": AuditAction.PERSON_CREATE,
    },
    {"summary": "导入人员 李四", "object_id": 8, "action": AuditAction.PERSON_UPDATE},
)


def test_the_copy_path_sends_every_column_of_every_entry_with_ids_in_order(users, monkeypatch):
    monkeypatch.setattr(services, "uses_copy", lambda: True)
    monkeypatch.setattr(services, "next_ids", fake_next_ids)
    monkeypatch.setattr(services, "copy_rows", fake_copy_rows)
    before = AuditHead.objects.get(pk=1).count
    top = AuditEntry.objects.aggregate(top=Max("pk"))["top"] or 0
    with transaction.atomic():
        added = audit_record_many(actor=users.city_admin, entries=list(ENTRIES))
    assert added == 2
    first, second = AuditEntry.objects.filter(pk__gt=top).order_by("pk")
    assert [first.pk, second.pk] == [top + 1, top + 2]
    assert (first.actor_username, first.action, first.object_type, first.object_id) == (
        users.city_admin.username,
        "person.create",
        "people.person",
        "7",
    )
    assert (first.summary, first.changes) == ("导入人员 张三", {"after": {"name": "张三"}})
    assert (second.action, second.object_id, second.summary, second.changes) == (
        "person.update",
        "8",
        "导入人员 李四",
        {},
    )
    assert second.prev_hash == first.hash
    head = AuditHead.objects.get(pk=1)
    assert (head.count, head.last_entry_id, head.last_hash) == (before + 2, second.pk, second.hash)
    assert audit_verify() == VerifyResult(True, head.count)


def test_a_bulk_entry_whose_object_type_is_not_a_plain_string_is_hashed_as_stored(
    users, monkeypatch
):
    # A lazy translation is not a str: the entry's header takes the general encoder. Through
    # the ORM insert on either database (psycopg's COPY cannot adapt a lazy string).
    monkeypatch.setattr(services, "uses_copy", lambda: False)
    with transaction.atomic():
        audit_record_many(
            actor=users.city_admin,
            entries=[
                dict(
                    action=AuditAction.PERSON_CREATE,
                    object_type=cast(Any, gettext_lazy("people.person")),
                    object_id=1,
                    summary="导入",
                )
            ],
        )
    entry = AuditEntry.objects.order_by("-pk").first()
    assert entry is not None and entry.object_type == "people.person"
    assert audit_verify() == VerifyResult(True, AuditHead.objects.get(pk=1).count)
