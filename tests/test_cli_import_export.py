"""`canpei import` and `canpei export`: exit codes, row-level errors on stderr, the report, and
an import killed half-way through."""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from canpei import cli
from canpei.audit.models import AuditEntry
from canpei.people import rules
from canpei.people.imports import ID_TWICE_IN_FILE
from canpei.people.models import Person
from canpei.spreadsheets.reader import FILE_MISSING_COLUMNS, FILE_NOT_SPREADSHEET
from tests.conftest import ANHAI, CIZAO, PASSWORD
from tests.people.test_person_import import many_rows
from tests.spreadsheets.files import (
    PDF,
    PERSON_HEADER,
    an_id,
    db_counts,
    person_row,
    read_back,
    xlsx,
)

ROOT = Path(__file__).resolve().parent.parent


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def bad_file(tmp_path) -> Path:
    good = an_id(11)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    path = tmp_path / "名册.xlsx"
    path.write_bytes(
        xlsx(
            [
                ["安海镇残疾人名册"],
                PERSON_HEADER,
                person_row(11),
                person_row(13, id_number=bad, cert_number=""),
                person_row(11),
            ]
        )
    )
    return path


@pytest.mark.django_db
def test_a_rejected_import_lists_row_column_value_and_message_and_exits_1(bad_file, users, capsys):
    before = db_counts()
    code, out, err = run(capsys, "import", "persons", str(bad_file))
    bad = an_id(11)[:17] + ("0" if an_id(11)[17] != "0" else "1")
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert lines[0] == f"第 4 行「身份证号」（{rules.mask_id_number(bad)}）：{rules.ID_CHECKSUM}"
    assert (
        lines[1]
        == f"第 5 行「身份证号」（{rules.mask_id_number(an_id(11))}）：{ID_TWICE_IN_FILE.format(row=3)}"
    )
    assert lines[-1] == "已拒绝：2 处错误，未写入任何数据"
    assert db_counts() == before


@pytest.mark.django_db
def test_a_missing_column_is_reported_with_the_row_errors(tmp_path, users, capsys):
    """Issue 13: one run names the missing column and the rows' errors; nothing written."""
    bad = an_id(13)[:17] + ("0" if an_id(13)[17] != "0" else "1")
    header = [h for h in PERSON_HEADER if h != "残疾等级"]
    rows = [row[:4] + row[5:] for row in (person_row(11), person_row(13, id_number=bad))]
    path = tmp_path / "名册.xlsx"
    path.write_bytes(xlsx([header] + rows))
    before = db_counts()
    code, out, err = run(capsys, "import", "persons", str(path))
    assert code == 1 and out == ""
    assert err.splitlines() == [
        f"文件：{FILE_MISSING_COLUMNS.format(columns='残疾等级')}",
        f"第 3 行「身份证号」（{rules.mask_id_number(bad)}）：{rules.ID_CHECKSUM}",
        "已拒绝：2 处错误，未写入任何数据",
    ]
    assert db_counts() == before


@pytest.mark.django_db
def test_the_report_has_the_original_rows_and_the_errors(bad_file, tmp_path, users, capsys):
    report = tmp_path / "报告.xlsx"
    code, _out, _err = run(capsys, "import", "persons", str(bad_file), "--report", str(report))
    assert code == 1
    rows = read_back(report.read_bytes())
    assert rows[0][0] == "已拒绝：2 处错误，未写入任何数据"
    header = rows[2]
    assert header[:7] == ["行号"] + PERSON_HEADER and header[-1] == "错误"
    assert [r[0] for r in rows[3:]] == [3, 4, 5]
    assert [r[1:7] for r in rows[3:]][0] == person_row(11)
    assert [r[-1] for r in rows[3:]] == [
        "",
        f"「身份证号」{rules.ID_CHECKSUM}",
        f"「身份证号」{ID_TWICE_IN_FILE.format(row=3)}",
    ]


@pytest.mark.django_db
def test_a_good_import_exits_0_and_a_dry_run_writes_nothing(tmp_path, users, capsys):
    path = tmp_path / "名册.csv"
    path.write_text(
        "\n".join(",".join(str(c) for c in row) for row in [PERSON_HEADER] + many_rows(3)),
        encoding="gb18030",
    )
    before = db_counts()
    code, out, err = run(capsys, "import", "persons", str(path), "--dry-run")
    assert (code, err) == (0, "")
    assert out.strip() == "校验通过（试导入，未写入）：共 3 行，新增 3，更新 0，无变化 0"
    assert db_counts() == before
    code, out, err = run(capsys, "import", "persons", str(path), "--as", "anhai")
    assert (code, err) == (0, "")
    assert out.strip() == "导入完成：共 3 行，新增 3，更新 0，无变化 0"
    assert Person.objects.filter(town_id=ANHAI).count() == 3
    assert AuditEntry.objects.get(action="import.persons").actor_id == users.town_staff.pk
    code, out, _err = run(capsys, "import", "persons", str(path))
    assert (code, out.strip()) == (0, "导入完成：共 3 行，新增 0，更新 0，无变化 3")


@pytest.mark.django_db
def test_a_file_that_is_not_a_spreadsheet_exits_1(tmp_path, users, capsys):
    path = tmp_path / "名册.pdf"
    path.write_bytes(PDF)
    code, _out, err = run(capsys, "import", "surveys", str(path))
    assert code == 1
    assert err.splitlines()[0] == f"文件：{FILE_NOT_SPREADSHEET}"
    code, _out, err = run(capsys, "import", "persons", str(tmp_path / "nowhere.xlsx"))
    assert code == 1 and err.startswith("无法读取文件")


@pytest.mark.django_db
def test_an_import_as_a_role_that_may_not_import_exits_1(bad_file, users, capsys):
    code, _out, err = run(capsys, "import", "persons", str(bad_file), "--as", "auditor")
    assert code == 1 and err.strip() == "无权执行此操作"


@pytest.mark.django_db
def test_export_writes_the_ledger_of_the_operators_scope(
    person_in, person_out, tmp_path, users, capsys
):
    out_file = tmp_path / "台账.xlsx"
    code, out, err = run(capsys, "export", "persons", "--out", str(out_file))
    assert (code, err) == (0, "") and out.strip() == f"已导出 2 行到 {out_file}"
    rows = read_back(out_file.read_bytes())
    assert rows[3][:3] == ["序号", "姓名", "身份证号"]
    assert [r[2] for r in rows[4:]] == [person_in.id_number_masked, person_out.id_number_masked]
    code, _out, _err = run(
        capsys, "export", "persons", "--out", str(out_file), "--as", "employment", "--town", CIZAO
    )
    assert [r[2] for r in read_back(out_file.read_bytes())[4:]] == [person_out.id_number_masked]
    code, _out, _err = run(
        capsys, "export", "persons", "--out", str(out_file), "--as", "anhai", "--town", CIZAO
    )
    assert (code, read_back(out_file.read_bytes())[4:]) == (0, [])
    csv_file = tmp_path / "台账.csv"
    code, _out, _err = run(capsys, "export", "persons", "--out", str(csv_file), "--as", "auditor")
    rows = list(csv.reader(csv_file.read_text(encoding="utf-8-sig").splitlines()))
    assert code == 0 and rows[2][2] == person_in.id_number_masked
    assert AuditEntry.objects.filter(action="export.persons").count() == 4


@pytest.mark.django_db
def test_export_full_numbers_need_a_purpose_and_a_role_that_may_reveal(
    person_in, person_out, tmp_path, users, capsys
):
    out_file = tmp_path / "台账.xlsx"
    args = ["export", "persons", "--out", str(out_file)]
    code, out, err = run(capsys, *args, "--full-numbers", "--purpose", "补贴核对")
    assert (code, err) == (0, "")
    assert [r[2] for r in read_back(out_file.read_bytes())[4:]] == [
        person_in.id_number,
        person_out.id_number,
    ]
    entry = AuditEntry.objects.get(action="export.persons")
    assert (entry.changes["full_numbers"], entry.changes["purpose"]) == (True, "补贴核对")
    code, _out, err = run(capsys, *args, "--full-numbers")
    assert (code, err.strip()) == (
        1,
        "输入有误，请检查标出的字段\n  purpose: 导出完整证件号码须填写用途",
    )
    code, _out, err = run(capsys, *args, "--purpose", "补贴核对")
    assert (code, err.strip()) == (1, "--purpose 只与 --full-numbers 一起使用")
    code, _out, err = run(capsys, *args, "--full-numbers", "--purpose", "核对", "--as", "auditor")
    assert (code, err.strip()) == (1, "无权导出完整证件号码")
    assert AuditEntry.objects.filter(action="export.persons").count() == 1


@pytest.mark.django_db
def test_export_rejects_a_bad_town_and_exits_1(tmp_path, users, capsys):
    code, _out, err = run(
        capsys, "export", "persons", "--out", str(tmp_path / "a.xlsx"), "--town", "安海"
    )
    assert code == 1 and "镇街代码须为 12 位数字" in err
    code, _out, err = run(
        capsys, "export", "surveys", "--out", str(tmp_path / "a.xlsx"), "--year", "20"
    )
    assert code == 1


# --- killed in the middle ---------------------------------------------------------------


def _canpei(env: dict[str, str], *argv: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "canpei", *argv],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )


@pytest.mark.slow
def test_an_import_killed_while_writing_leaves_the_database_as_before(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CANPEI_USER")}
    env.update(
        CANPEI_VAR_DIR=str(tmp_path / "var"), CANPEI_PASSWORD=PASSWORD, CANPEI_TASKS="immediate"
    )
    assert _canpei(env, "migrate").returncode == 0
    assert _canpei(env, "createuser", "city", "--role", "city_admin").returncode == 0
    database = tmp_path / "var" / "canpei.sqlite3"
    wal = Path(str(database) + "-wal")
    with sqlite3.connect(database) as db:
        audit_before = db.execute("SELECT count(*) FROM audit_auditentry").fetchone()[0]
    big = tmp_path / "big.xlsx"
    big.write_bytes(xlsx([PERSON_HEADER] + many_rows(12000, town=CIZAO)))

    process = subprocess.Popen(
        [sys.executable, "-m", "canpei", "import", "persons", str(big)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Validation writes nothing; the write phase spills its uncommitted pages into the WAL.
    # Kill it once a few megabytes of them are there: well inside the one transaction.
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        if wal.exists() and wal.stat().st_size > 4 * 1024 * 1024:
            break
        time.sleep(0.005)
    assert process.poll() is None, (
        "the import finished before it could be killed; use a bigger file"
    )
    process.send_signal(signal.SIGKILL)
    process.wait()

    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM people_person").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM audit_auditentry").fetchone()[0] == audit_before
    verified = _canpei(env, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    # Nothing is left locked: the same file imports completely afterwards.
    again = _canpei(env, "import", "persons", str(big))
    assert again.returncode == 0, again.stderr[-2000:]
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM people_person").fetchone()[0] == 12000
    assert _canpei(env, "audit", "verify").returncode == 0


@pytest.mark.django_db
def test_an_unwritable_report_or_ledger_is_an_error_not_a_traceback(
    bad_file, tmp_path, users, capsys
):
    nowhere = tmp_path / "no-such-dir"
    code, _out, err = run(
        capsys, "import", "persons", str(bad_file), "--report", str(nowhere / "r.xlsx")
    )
    assert code == 1 and err.splitlines()[-1] == f"无法写入报告：{nowhere / 'r.xlsx'}"
    for name in ("台账.xlsx", "台账.csv"):
        code, _out, err = run(capsys, "export", "persons", "--out", str(nowhere / name))
        assert code == 1 and err.startswith("无法写入文件")


# --- training: rosters, certificates, ledgers ---------------------------------------------


@pytest.mark.django_db
def test_import_enrollments_enrols_reports_bad_rows_and_is_idempotent(
    tmp_path, users, make_class, trainee_factory, capsys
):
    # What an institution is told of an unknown number (a name that differs and an inactive
    # person answer the same: tests/training/classes/test_enrollment_import.py).
    from canpei.training.classes.imports import PERSON_NOT_MATCHED as PERSON_NOT_FOUND
    from canpei.training.models import Enrollment

    draft = make_class("draft", trainees=0)
    a, b = trainee_factory(), trainee_factory()
    stranger = an_id(999)
    header = ["班级编号", "身份证号码", "姓名"]
    bad = tmp_path / "花名册.xlsx"
    bad.write_bytes(
        xlsx(
            [["花名册"], header, [draft.code, a.id_number, a.name], [draft.code, stranger, "某某"]]
        )
    )
    report = tmp_path / "报告.xlsx"
    code, out, err = run(
        capsys, "import", "enrollments", str(bad), "--as", "school", "--report", str(report)
    )
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"第 4 行「身份证号码」（{rules.mask_id_number(stranger)}）：{PERSON_NOT_FOUND}",
        "已拒绝：1 处错误，未写入任何数据",
    ]
    assert read_back(report.read_bytes())[-1][-1] == f"「身份证号码」{PERSON_NOT_FOUND}"
    assert not Enrollment.objects.exists()

    good = tmp_path / "花名册2.xlsx"
    good.write_bytes(
        xlsx([header, [draft.code, a.id_number, a.name], [draft.code, b.id_number, b.name]])
    )
    code, out, err = run(capsys, "import", "enrollments", str(good), "--as", "school", "--dry-run")
    assert (code, out.strip()) == (
        0,
        "校验通过（试导入，未写入）：共 2 行，新增 2，更新 0，无变化 0",
    )
    assert not Enrollment.objects.exists()
    code, out, err = run(capsys, "import", "enrollments", str(good), "--as", "school")
    assert (code, out.strip()) == (0, "导入完成：共 2 行，新增 2，更新 0，无变化 0")
    assert draft.enrollments.count() == 2
    code, out, err = run(capsys, "import", "enrollments", str(good), "--as", "school")
    assert (code, out.strip()) == (0, "导入完成：共 2 行，新增 0，更新 0，无变化 2")
    code, _out, err = run(capsys, "import", "enrollments", str(good), "--as", "anhai")
    assert code == 1 and err.strip() == "无权执行此操作"


@pytest.mark.django_db
def test_import_certificates_from_the_command_line(tmp_path, users, make_class, capsys):
    completed = make_class("completed", trainees=1)
    enrollment = completed.enrollments.get()
    path = tmp_path / "证书.csv"
    path.write_text(
        "\n".join(
            [
                "班级编号,身份证号,姓名,证书类型,证书等级,证书编号,发证日期,发证机构",
                f"{completed.code},{enrollment.person.id_number},{enrollment.person.name},专项职业能力证书,"
                f"专项能力,ZX-001,{completed.start_date:%Y/%m/%d},泉州市职业技能鉴定中心",
            ]
        ),
        encoding="gb18030",
    )
    code, out, err = run(capsys, "import", "certificates", str(path), "--as", "school")
    assert (code, err, out.strip()) == (0, "", "导入完成：共 1 行，新增 0，更新 1，无变化 0")
    enrollment.refresh_from_db()
    assert (enrollment.certificate_type, enrollment.certificate_number) == (
        "special_ability",
        "ZX-001",
    )


@pytest.mark.django_db
def test_export_trainees_and_classes_with_year_and_town(
    tmp_path, users, make_class, trainee_factory, capsys
):
    ours = make_class("running", persons=[trainee_factory(town=ANHAI), trainee_factory(town=CIZAO)])
    year = str(ours.start_date.year)
    out_file = tmp_path / "学员.xlsx"
    code, out, err = run(
        capsys, "export", "trainees", "--out", str(out_file), "--year", year, "--town", CIZAO
    )
    assert (code, err, out.strip()) == (0, "", f"已导出 1 行到 {out_file}")
    rows = read_back(out_file.read_bytes())
    assert rows[0][0] == f"{year}年度培训学员台账" and rows[4][1] == ours.code
    code, _out, _err = run(capsys, "export", "trainees", "--out", str(out_file), "--as", "school")
    assert code == 0 and all("*" in r[5] for r in read_back(out_file.read_bytes())[4:])
    code, out, _err = run(
        capsys,
        "export",
        "classes",
        "--out",
        str(tmp_path / "班级.csv"),
        "--year",
        str(int(year) + 1),
    )
    assert (code, out.strip()) == (0, f"已导出 0 行到 {tmp_path / '班级.csv'}")
    code, _out, err = run(
        capsys, "export", "classes", "--out", str(tmp_path / "b.xlsx"), "--year", "20"
    )
    assert code == 1 and "年度须为 2000 至 2100 的整数" in err
    assert AuditEntry.objects.filter(action__in=["export.trainees", "export.classes"]).count() == 3
