"""What a bulk entry (an import) keeps besides its changes and the chain (issue 18, gap 6): the
acting user's id and name (none invented without a user), the summary, the object's type and id,
and the head's count."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from canpei.audit.actions import AuditAction
from canpei.audit.models import AuditEntry, AuditHead
from canpei.audit.services import audit_record_many, audit_verify

pytestmark = pytest.mark.django_db


def fields(entry: AuditEntry) -> tuple[Any, ...]:
    return (
        entry.actor_id,
        entry.actor_username,
        entry.action,
        entry.object_type,
        entry.object_id,
        entry.summary,
    )


def test_bulk_entries_keep_the_actor_the_summary_and_the_object(users):
    count = AuditHead.objects.get(pk=1).count
    with transaction.atomic():
        added = audit_record_many(
            actor=users.city_admin,
            entries=[
                dict(
                    action=AuditAction.PERSON_CREATE,
                    object_type="people.person",
                    object_id=41,
                    summary="导入人员 张三",
                ),
                dict(action=AuditAction.PERSON_UPDATE, summary="导入人员 李四"),
            ],
        )
    assert added == 2
    first, second = AuditEntry.objects.order_by("-pk")[:2][::-1]
    assert fields(first) == (
        users.city_admin.pk,
        users.city_admin.username,
        "person.create",
        "people.person",
        "41",
        "导入人员 张三",
    )
    assert fields(second) == (
        users.city_admin.pk,
        users.city_admin.username,
        "person.update",
        "",
        "",
        "导入人员 李四",
    )
    assert second.changes == {}
    assert second.prev_hash == first.hash
    head = AuditHead.objects.get(pk=1)
    assert (head.count, head.last_entry_id, head.last_hash) == (count + 2, second.pk, second.hash)
    assert audit_verify().ok


def test_bulk_entries_without_a_user_name_nobody():
    with transaction.atomic():
        audit_record_many(
            actor=None,  # type: ignore[arg-type]
            entries=[dict(action=AuditAction.PERSON_CREATE, summary="系统导入")],
        )
    entry = AuditEntry.objects.latest("pk")
    assert fields(entry) == (None, "", "person.create", "", "", "系统导入")
    assert audit_verify().ok


def test_a_long_summary_is_cut_to_the_column_and_nothing_is_written_for_no_entries(users):
    before = AuditEntry.objects.count()
    with transaction.atomic():
        assert audit_record_many(actor=users.city_admin, entries=[]) == 0
    assert AuditEntry.objects.count() == before
    with transaction.atomic():
        audit_record_many(
            actor=users.city_admin,
            entries=[dict(action=AuditAction.PERSON_CREATE, summary="长" * 300)],
        )
    assert AuditEntry.objects.latest("pk").summary == "长" * 255
    assert audit_verify().ok
