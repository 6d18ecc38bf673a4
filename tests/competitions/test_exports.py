"""`canpei export competitions|cases`: the operator's scope, masked ID numbers unless revealed
with a purpose, the award labels, audited."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from canpei import cli
from canpei.audit.models import AuditEntry
from canpei.competitions import services
from tests.competitions.fixtures import TODAY, case_data


def rows_of(path: Path) -> list[list[Any]]:
    book = openpyxl.load_workbook(io.BytesIO(path.read_bytes()))
    return [[c.value for c in row] for row in book.active.iter_rows()]


@pytest.fixture
def entries(users: Any, competition: Any, person_in: Any, person_out: Any) -> None:
    event = competition.events.get(name="电子商务")
    for person, award in ((person_in, "first"), (person_out, "")):
        entry = services.entry_create(
            actor=users.city_admin,
            competition=competition,
            data={"event": event.pk, "person": person.pk},
        )
        services.entry_record_result(
            actor=users.city_admin, entry=entry, data={"result": "90 分", "award": award}
        )


def test_the_competitions_ledger_by_scope_masked(
    entries: None, person_in: Any, person_out: Any, tmp_path: Path, capsys: Any
) -> None:
    out = tmp_path / "竞赛.xlsx"
    assert cli.main(["export", "competitions", "--out", str(out)]) == 0
    assert "已导出 2 行" in capsys.readouterr().out
    rows = rows_of(out)
    header = next(i for i, r in enumerate(rows) if r[0] == "序号")
    assert rows[header][6:11] == ["姓名", "身份证号", "所属镇街", "比赛成绩", "获奖等次"]
    body = rows[header + 1 : header + 3]
    assert {r[7] for r in body} == {person_in.id_number_masked, person_out.id_number_masked}
    assert {r[10] for r in body} == {"一等奖", None}
    assert cli.main(["export", "competitions", "--out", str(out), "--as", "anhai"]) == 0
    rows = rows_of(out)
    assert [r[6] for r in rows if isinstance(r[0], int)] == [person_in.name]
    assert AuditEntry.objects.filter(action="export.competitions").count() == 2


def test_full_numbers_need_a_purpose(
    entries: None, person_in: Any, tmp_path: Path, capsys: Any
) -> None:
    out = tmp_path / "竞赛.xlsx"
    args = ["export", "competitions", "--out", str(out), "--full-numbers", "--purpose", "奖励核对"]
    assert cli.main(args) == 0
    assert person_in.id_number in {r[7] for r in rows_of(out)}
    entry = AuditEntry.objects.get(action="export.competitions")
    assert entry.changes["full_numbers"] is True


def test_the_cases_ledger(users: Any, person_in: Any, tmp_path: Path, capsys: Any) -> None:
    case = services.case_create(actor=users.city_admin, data=case_data(person=person_in.pk))
    services.case_record_consent(
        actor=users.city_admin,
        case=case,
        data={"date": TODAY.isoformat(), "method": "written", "scope": "网站"},
    )
    out = tmp_path / "案例.xlsx"
    assert cli.main(["export", "cases", "--out", str(out), "--as", "auditor"]) == 0
    body = [r for r in rows_of(out) if isinstance(r[0], int)]
    assert body[0][1:3] == ["自强不息的电商创业者", person_in.name]
    assert body[0][7] == "书面"
    assert cli.main(["export", "cases", "--out", str(out), "--as", "school"]) == 1
