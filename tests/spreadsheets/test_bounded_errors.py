"""A file wrong on every row (issue 8, item 7): the first ERRORS_PER_COLUMN errors of each column
are listed, the rest counted ("另有 N 行同类错误") — in the result, on stderr and in the report —
so that the errors of a rejected file cannot fill the memory."""

from __future__ import annotations

from typing import Any

import pytest

from canpei import cli
from canpei.people import rules
from canpei.people.imports import persons_import
from canpei.spreadsheets import importing
from canpei.spreadsheets.importing import ERRORS_PER_COLUMN, ErrorList, RowError
from tests.people.test_person_import import many_rows
from tests.spreadsheets.files import PERSON_HEADER, db_counts, read_back, xlsx

pytestmark = pytest.mark.django_db


def broken(count: int) -> list[list[Any]]:
    """`count` rows whose ID number fails its checksum, and whose grade is unknown."""
    rows = many_rows(count)
    for row in rows:
        number = str(row[1])
        row[1] = number[:17] + ("0" if number[17] != "0" else "1")
        row[2] = ""
        row[4] = "九级"
    return rows


def test_up_to_the_limit_every_error_is_listed():
    errors = ErrorList()
    for row in range(2, ERRORS_PER_COLUMN + 2):
        errors.append(RowError(row, "身份证号", "", "x"))
    assert (len(errors), errors.found, errors.more_lines()) == (
        ERRORS_PER_COLUMN,
        ERRORS_PER_COLUMN,
        [],
    )
    errors.append(RowError(999, "身份证号", "", "x"))
    errors.append(RowError(0, "", "", "整个文件的问题"))  # the file's own errors are always kept
    assert (len(errors), errors.found) == (ERRORS_PER_COLUMN + 1, ERRORS_PER_COLUMN + 2)
    assert errors.more_lines() == ["「身份证号」另有 1 行同类错误"]


def test_a_file_wrong_on_every_row_keeps_the_first_errors_of_each_column_and_counts_the_rest(
    users, monkeypatch
):
    monkeypatch.setattr(importing, "ERRORS_PER_COLUMN", 10)
    before = db_counts()
    result = persons_import(
        actor=users.city_admin, data=xlsx([PERSON_HEADER] + broken(25)), filename="名册.xlsx"
    )
    assert db_counts() == before
    assert [(e.row, e.column) for e in result.errors if e.column == "身份证号"] == [
        (row, "身份证号") for row in range(2, 12)
    ]
    assert len(result.errors) == 20 and result.error_count == 50
    assert result.summary() == "已拒绝：50 处错误，未写入任何数据"
    assert sorted(result.more_errors()) == [
        "「残疾等级」另有 15 行同类错误",
        "「身份证号」另有 15 行同类错误",
    ]
    assert result.errors[0].message == rules.ID_CHECKSUM
    assert result.as_dict()["error_count"] == 50 and len(result.as_dict()["errors"]) == 20


def test_the_command_line_and_the_report_show_the_count_of_the_rest(
    users, monkeypatch, tmp_path, capsys
):
    monkeypatch.setattr(importing, "ERRORS_PER_COLUMN", 3)
    path = tmp_path / "名册.xlsx"
    path.write_bytes(xlsx([PERSON_HEADER] + broken(8)))
    report = tmp_path / "报告.xlsx"
    assert cli.main(["import", "persons", str(path), "--report", str(report)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3 + 3 + 2 + 1
    assert "「身份证号」另有 5 行同类错误" in err and "「残疾等级」另有 5 行同类错误" in err
    assert err[-1] == "已拒绝：16 处错误，未写入任何数据"
    rows = read_back(report.read_bytes())
    assert rows[0][0] == "已拒绝：16 处错误，未写入任何数据"
    assert {rows[1][0], rows[2][0]} == {
        "「身份证号」另有 5 行同类错误",
        "「残疾等级」另有 5 行同类错误",
    }
    # Every row of the file is in the report; the first three of each column carry their errors.
    assert rows[4][0] == "行号"
    data = rows[5:]
    assert [r[0] for r in data] == list(range(2, 10))
    assert [bool(r[-1]) for r in data] == [True] * 3 + [False] * 5


def test_the_job_page_shows_the_count_of_the_rest(users, login, monkeypatch, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.VAR_DIR = tmp_path
    monkeypatch.setattr(importing, "ERRORS_PER_COLUMN", 2)
    client = login(users.city_admin)
    response = client.post(
        "/imports/new",
        {
            "kind": "persons",
            "file": SimpleUploadedFile("名册.xlsx", xlsx([PERSON_HEADER] + broken(5))),
        },
    )
    page = client.get(response["Location"]).content.decode()
    assert "已拒绝：10 处错误，未写入任何数据" in page
    assert "「身份证号」另有 3 行同类错误" in page and "「残疾等级」另有 3 行同类错误" in page
