"""Ledgers from the list pages: ID numbers masked unless asked for, with a purpose, by a role
that may reveal them (INTERFACES.md, `--full-numbers --purpose`)."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook

from canpei.audit.models import AuditEntry


def _sheet(response: Any) -> list[tuple[Any, ...]]:
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return list(workbook.active.iter_rows(values_only=True))


def test_the_default_ledger_is_masked_even_for_roles_that_may_reveal(users, login, person_in):
    rows = _sheet(login(users.town_staff).get("/persons/export"))
    assert rows[4][2] == person_in.id_number_masked and person_in.id_number not in str(rows)


def test_full_numbers_with_a_purpose_keep_the_filters_and_are_audited(users, login, person_in):
    page = login(users.town_staff).get("/persons?q=zhang").content.decode()
    assert 'name="full_numbers" value="1"' in page and 'name="purpose" required' in page
    assert '<input type="hidden" name="q" value="zhang">' in page
    response = login(users.town_staff).get(
        "/persons/export?q=zhang&full_numbers=1&purpose=补贴核对"
    )
    rows = _sheet(response)
    assert [r[2] for r in rows[4:]] == [person_in.id_number]
    entry = AuditEntry.objects.get(action="export.persons")
    assert (entry.changes["purpose"], entry.changes["filters"]) == ("补贴核对", {"q": "zhang"})


def test_a_missing_purpose_or_a_role_that_may_not_reveal_gets_the_list_back(
    users, login, person_in
):
    client = login(users.town_staff)
    refused = client.get("/persons/export?full_numbers=1&purpose=%20")
    assert (refused.status_code, refused["Location"]) == (302, "/persons")
    assert "导出完整证件号码须填写用途" in client.get("/persons").content.decode()
    auditor = login(users.auditor)
    page = auditor.get("/persons").content.decode()
    assert 'name="full_numbers"' not in page
    refused = auditor.get("/persons/export?full_numbers=1&purpose=核对")
    assert (refused.status_code, refused["Location"]) == (302, "/persons")
    assert "无权导出完整证件号码" in auditor.get("/persons").content.decode()
    assert not AuditEntry.objects.filter(action="export.persons").exists()
