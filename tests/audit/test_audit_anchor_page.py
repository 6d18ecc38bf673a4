"""The audit officer downloads the anchor from the audit log's page; the download is audited."""

from __future__ import annotations

from typing import Any

import pytest

from canpei.audit.models import AuditEntry
from canpei.audit.services import anchor_parse, audit_verify

pytestmark = pytest.mark.django_db


def test_the_audit_officer_downloads_a_signed_anchor_and_the_download_is_audited(
    users, login, person_in
):
    client = login(users.audit_admin)
    page = client.get("/audit").content.decode()
    assert 'action="/audit/anchor"' in page and "下载审计锚点" in page
    assert client.get("/audit/anchor").status_code == 405  # a GET does not write the log
    answer = client.post("/audit/anchor")
    assert answer.status_code == 200
    assert answer["Content-Disposition"].startswith('attachment; filename="canpei-audit-anchor-')
    anchor = anchor_parse(answer.content.decode())
    entry = AuditEntry.objects.get(action="audit.anchor")
    assert (entry.actor_username, entry.summary) == ("auditadmin", "下载审计锚点")
    # The anchor covers its own download.
    assert (anchor.count, anchor.last_entry_id, anchor.last_hash) == (
        AuditEntry.objects.count(),
        entry.pk,
        entry.hash,
    )
    assert audit_verify(anchor=anchor).ok


@pytest.mark.parametrize("role", ["city_admin", "sys_admin", "security_admin", "auditor"])
def test_no_one_else_can_download_an_anchor(role: str, users: Any, login: Any):
    client = login(users.by_role()[role])
    assert client.post("/audit/anchor").status_code == 404
    assert not AuditEntry.objects.filter(action="audit.anchor").exists()
