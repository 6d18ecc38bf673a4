"""Importing the registry from a town's spreadsheet: every bad file rejected with its message
and nothing written; every way federations write a good one accepted."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.conf import settings

from canpei.audit.models import AuditEntry
from canpei.audit.services import audit_verify
from canpei.errors import Conflict, Forbidden
from canpei.people import rules
from canpei.people.imports import (
    CERT_AS_NUMBER,
    ID_AS_NUMBER,
    ID_TWICE_IN_FILE,
    NO_DATA_ROWS,
    PERSON_OTHER_TOWN,
    persons_import,
)
from canpei.people.models import Person
from canpei.people.services import person_change_status, person_create, person_snapshot
from canpei.regions.models import Region
from canpei.reports.models import RegistryStanding
from canpei.spreadsheets import reader
from canpei.spreadsheets.reader import (
    CELL_FORMULA,
    FILE_EMPTY,
    FILE_MISSING_COLUMNS,
    FILE_NO_HEADER,
    FILE_NOT_SPREADSHEET,
    FILE_TOO_LARGE,
    FILE_ZIP_BOMB,
    HEADER_SEARCH_ROWS,
)
from tests.conftest import ANHAI, CIZAO, make_id
from tests.spreadsheets.files import (
    PDF,
    PERSON_HEADER,
    PNG,
    an_id,
    csv_text,
    db_counts,
    person_row,
    xlsx,
    zip_bomb,
)

pytestmark = pytest.mark.django_db


def many_rows(count: int, *, town: str = ANHAI) -> list[list[Any]]:
    rows = []
    for i in range(count):
        born = dt.date(1960, 1, 1) + dt.timedelta(days=i // 400)
        number = make_id(f"350582{born:%Y%m%d}{(i % 400) * 2 + 1:03d}")
        rows.append(
            [
                "王" + "明华强伟芳"[i % 5] + "东南西北中"[i // 5 % 5],
                number,
                number + "42",
                "4",
                "2",
                town,
            ]
        )
    return rows


def errors_of(result) -> list[tuple[int, str, str, str]]:
    return [(e.row, e.column, e.value, e.message) for e in result.errors]


def person_state() -> list[tuple]:
    """Everything stored about every person."""
    fields = [f.attname for f in Person._meta.concrete_fields]
    return list(Person.objects.order_by("pk").values_list(*fields))


@pytest.fixture
def registry(person_in, person_out):
    """Two persons already on the registry (安海 and 磁灶), so "unchanged" means something."""
    return person_in, person_out


# --- bad input: rejected with its message, nothing written ------------------------------


def _file_errors(data: bytes, filename: str, users) -> list[tuple[int, str, str, str]]:
    before = db_counts()
    result = persons_import(actor=users.city_admin, data=data, filename=filename)
    assert not result.ok and not result.written
    assert result.created == result.updated == 0
    assert db_counts() == before
    return errors_of(result)


@pytest.mark.parametrize(
    "data, filename, message",
    [
        (PNG, "名册.xlsx", FILE_NOT_SPREADSHEET),
        (PNG, "名册.png", FILE_NOT_SPREADSHEET),
        (PDF, "名册.pdf", FILE_NOT_SPREADSHEET),
        (b"", "名册.xlsx", FILE_EMPTY),
        (
            xlsx([["晋江市残疾人名册"], ["第一列", "第二列"], ["a", "b"]]),
            "名册.xlsx",
            FILE_NO_HEADER.format(rows=HEADER_SEARCH_ROWS),
        ),
        (
            xlsx([["姓名", "电话", "地址"], ["张三", "13800000000", "中山路"]]),
            "名册.xlsx",
            FILE_MISSING_COLUMNS.format(columns="身份证号、残疾类别、残疾等级、所属镇街"),
        ),
        (
            xlsx([["姓名", "身份证号", "电话"], ["张三", an_id(1), "13800000000"]]),
            "名册.xlsx",
            FILE_MISSING_COLUMNS.format(columns="残疾类别、残疾等级、所属镇街"),
        ),
        (xlsx([PERSON_HEADER]), "名册.xlsx", NO_DATA_ROWS),
    ],
    ids=[
        "png-as-xlsx",
        "png",
        "pdf",
        "empty",
        "no-header",
        "unknown-layout",
        "missing-columns",
        "header-only",
    ],
)
def test_it_rejects_a_file_it_cannot_take(registry, users, data, filename, message):
    assert _file_errors(data, filename, users) == [(0, "", "", message)]


def test_it_rejects_a_file_over_the_size_limit(registry, users, monkeypatch):
    monkeypatch.setattr(reader, "MAX_FILE_BYTES", 4096)
    data = xlsx([PERSON_HEADER] + many_rows(200))
    assert _file_errors(data, "名册.xlsx", users) == [(0, "", "", FILE_TOO_LARGE.format(limit=0))]


def test_it_rejects_a_zip_bomb_disguised_as_a_workbook(registry, users):
    assert _file_errors(zip_bomb(), "名册.xlsx", users) == [(0, "", "", FILE_ZIP_BOMB)]


def _row_errors(rows: list[list[Any]], actor) -> list[tuple[int, str, str, str]]:
    before, state = db_counts(), person_state()
    result = persons_import(actor=actor, data=xlsx([PERSON_HEADER] + rows), filename="名册.xlsx")
    assert not result.ok
    assert db_counts() == before and person_state() == state
    return errors_of(result)


def test_it_rejects_a_formula_and_names_its_cell(registry, users):
    data = xlsx([PERSON_HEADER, person_row(11), person_row(13)], formulas={(2, 4): "=1+1"})
    before = db_counts()
    result = persons_import(actor=users.city_admin, data=data, filename="名册.xlsx")
    assert errors_of(result) == [(3, "残疾等级", "0", CELL_FORMULA)]
    assert db_counts() == before


def test_it_rejects_an_id_with_a_bad_checksum_and_writes_none_of_the_good_rows(registry, users):
    good = an_id(11)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    assert _row_errors(
        [person_row(11, id_number=good), person_row(13, id_number=bad, cert_number="")],
        users.city_admin,
    ) == [(3, "身份证号", rules.mask_id_number(bad), rules.ID_CHECKSUM)]


def test_it_rejects_an_id_with_an_impossible_birth_date(registry, users):
    impossible = make_id("35058219900230001")  # 30 February
    assert _row_errors(
        [person_row(11, id_number=impossible, cert_number="")], users.city_admin
    ) == [(2, "身份证号", rules.mask_id_number(impossible), rules.ID_BIRTH_DATE)]


def test_it_rejects_an_unknown_town(registry, users):
    assert _row_errors([person_row(11, town="火星镇")], users.city_admin) == [
        (2, "所属镇街", "火星镇", rules.TOWN_INVALID)
    ]


def test_town_staff_cannot_import_a_row_for_another_town(registry, users):
    assert _row_errors([person_row(11), person_row(13, town="磁灶镇")], users.town_staff) == [
        (3, "所属镇街", "磁灶镇", rules.TOWN_OUT_OF_SCOPE)
    ]


def test_town_staff_cannot_import_over_another_towns_person(registry, users):
    other = registry[1]
    row = person_row(11, id_number=other.id_number, cert_number="", name="李四")
    assert _row_errors([row], users.town_staff) == [
        (2, "身份证号", other.id_number_masked, PERSON_OTHER_TOWN)
    ]


def test_the_import_does_not_tell_town_staff_that_a_person_lives_in_another_town(registry, users):
    """Issue 8 item 9: the import answers as registering the person by hand does — the number
    is taken — and never that the person is registered in another town."""
    other = registry[1]
    row = person_row(11, id_number=other.id_number, cert_number="", name="李四")
    errors = _row_errors([row], users.town_staff)
    assert errors == [(2, "身份证号", other.id_number_masked, "该身份证号已登记")]
    assert not any("镇街" in message for _r, _c, _v, message in errors)
    with pytest.raises(Conflict) as refused:
        person_create(
            actor=users.town_staff,
            data={
                "name": "李四",
                "id_number": other.id_number,
                "category": "4",
                "grade": "2",
                "town": ANHAI,
            },
        )
    assert str(refused.value) == PERSON_OTHER_TOWN == rules.ID_DUPLICATE


def test_it_rejects_the_same_id_twice_in_one_file(registry, users):
    number = an_id(11)
    twice = person_row(11, id_number=number.lower()[:17] + number[17].lower(), name="张三丰")
    assert _row_errors([person_row(11), person_row(13), twice], users.city_admin) == [
        (4, "身份证号", rules.mask_id_number(number), ID_TWICE_IN_FILE.format(row=2))
    ]


def test_it_explains_an_id_that_excel_stored_as_a_number(registry, users):
    row = person_row(11)
    row[1] = float(row[1][:17])
    assert _row_errors([row], users.city_admin)[0][3] == ID_AS_NUMBER
    row = person_row(11)
    row[2] = float(row[2][:18])
    assert _row_errors([row], users.city_admin)[0][3] == CERT_AS_NUMBER
    text = csv_text([PERSON_HEADER, ["张三", "3.50582E+17", "", "4", "2", ANHAI]]).encode()
    result = persons_import(actor=users.city_admin, data=text, filename="a.csv")
    assert errors_of(result) == [(2, "身份证号", "3.50582E+17", ID_AS_NUMBER)]


def test_it_lists_every_problem_of_every_row(registry, users):
    rows = [
        person_row(11, name="张3", category="9", grade="五级", town=""),
        person_row(13, cert_number="123"),
    ]
    assert _row_errors(rows, users.city_admin) == [
        (2, "姓名", "张3", rules.NAME_INVALID),
        (2, "残疾类别", "9", rules.CATEGORY_INVALID),
        (2, "残疾等级", "五级", rules.GRADE_INVALID),
        (2, "所属镇街", "", "请选择所属镇街"),
        (3, "残疾证号", "123", rules.CERT_FORMAT),
    ]


def test_roles_that_may_not_register_cannot_import(users):
    for actor in (
        users.employment_service,
        users.auditor,
        users.institution_staff,
        users.sys_admin,
    ):
        with pytest.raises(Forbidden):
            persons_import(
                actor=actor, data=xlsx([PERSON_HEADER, person_row(11)]), filename="a.xlsx"
            )
    assert db_counts() == (0, 0, 0)


# --- good input, in every form federations send it ---------------------------------------


def _imported(data: bytes, filename: str, actor) -> Person:
    result = persons_import(actor=actor, data=data, filename=filename)
    assert errors_of(result) == [] and result.written
    assert (result.total, result.created) == (1, 1)
    return Person.objects.get(id_hash=Person.objects.latest("pk").id_hash)


def test_it_reads_an_xlsx_with_title_rows_above_the_header_and_blank_rows(users):
    data = xlsx(
        [
            ["晋江市安海镇残疾人名册"],
            ["制表：林专干", None, "2026年3月"],
            [],
            ["序号"] + PERSON_HEADER + ["备注"],
            [],
            [1] + person_row(11) + ["无"],
            [None, ""],
            [2] + person_row(13) + [""],
            [],
        ]
    )
    result = persons_import(actor=users.city_admin, data=data, filename="名册.xlsx")
    assert errors_of(result) == [] and (result.total, result.created) == (2, 2)
    assert Person.objects.count() == 2


def test_footer_rows_under_the_data_are_skipped_and_named(users):
    data = xlsx(
        [
            ["序号"] + PERSON_HEADER,
            [1] + person_row(11),
            [2] + person_row(13),
            [],
            ["合计", "2人"],
            [None, "填表人：林专干", None, "审核人：陈主任"],
            ["注：残疾等级按证填写"],
        ]
    )
    result = persons_import(actor=users.city_admin, data=data, filename="名册.xlsx")
    assert errors_of(result) == [] and (result.total, result.created) == (2, 2)
    assert result.footers == [5, 6, 7]
    assert result.summary() == (
        "导入完成：共 2 行，新增 2，更新 0，无变化 0；表尾 3 行（第 5、6、7 行：合计、签名或备注）未导入"
    )
    assert result.as_dict()["footer_rows"] == [5, 6, 7]


def test_a_footer_like_row_with_data_after_it_is_a_bad_data_row(users):
    data = xlsx([PERSON_HEADER, person_row(11), ["合计", "2人"], person_row(13)])
    result = persons_import(actor=users.city_admin, data=data, filename="名册.xlsx")
    assert not result.ok and result.footers == []
    assert {e.row for e in result.errors} == {3}
    assert Person.objects.count() == 0


def test_town_staff_may_leave_the_town_column_out(users):
    header = [h for h in PERSON_HEADER if h != "所属镇街"]
    rows = [person_row(11)[:-1], person_row(13)[:-1]]
    result = persons_import(
        actor=users.town_staff, data=xlsx([header] + rows), filename="名册.xlsx"
    )
    assert errors_of(result) == [] and result.created == 2
    assert set(Person.objects.values_list("town_id", flat=True)) == {ANHAI}


def test_the_city_must_still_name_the_town(users):
    header = [h for h in PERSON_HEADER if h != "所属镇街"]
    data = xlsx([header, person_row(11)[:-1]])
    result = persons_import(actor=users.city_admin, data=data, filename="名册.xlsx")
    assert errors_of(result) == [(0, "", "", FILE_MISSING_COLUMNS.format(columns="所属镇街"))]
    assert Person.objects.count() == 0


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_it_reads_csv_in_utf8_with_or_without_bom_and_gb18030(users, encoding):
    data = csv_text([PERSON_HEADER, person_row(11, name="陈淑芬", town="安海镇")]).encode(encoding)
    person = _imported(data, f"名册-{encoding}.csv", users.city_admin)
    assert (person.name, person.town_id, person.id_number) == ("陈淑芬", ANHAI, an_id(11))


def test_it_folds_full_width_digits_stray_spaces_and_a_lower_case_x(users):
    number = next(an_id(n) for n in range(1, 999) if an_id(n).endswith("X"))
    typed = (
        " " + number[:17].translate({ord(d): chr(0xFF10 + int(d)) for d in "0123456789"}) + "x　"
    )
    row = [" 张 三 ", typed, typed.strip()[:-1] + "x４２", " ４ ", "２ ", " 安海镇 "]
    person = _imported(xlsx([PERSON_HEADER, row]), "a.xlsx", users.city_admin)
    assert (person.name, person.id_number, person.cert_number) == ("张 三", number, number + "42")
    assert (person.category, person.grade, person.town_id) == ("4", "2", ANHAI)


@pytest.mark.parametrize(
    "category, grade, town",
    [
        ("肢体", "二级", "安海镇"),
        ("肢体残疾", "2", "安海"),
        ("4", "二", ANHAI),
        (4, 2, int(ANHAI)),
        ("肢残", "2级", "安海镇"),
        ("４", "二级", "安海"),
    ],
)
def test_it_accepts_codes_as_digits_or_chinese_labels(users, category, grade, town):
    row = person_row(11, category=category, grade=grade, town=town)
    person = _imported(xlsx([PERSON_HEADER, row]), "a.xlsx", users.city_admin)
    assert (person.category, person.grade, person.town_id) == ("4", "2", ANHAI)


@pytest.mark.parametrize(
    "header",
    [
        ["姓名", "身份证号码", "残疾人证号", "残疾类别", "残疾等级", "所属镇街"],
        ["残疾人姓名", "公民身份号码", "残疾证号码", "类别", "等级", "镇(街道)"],
        ["姓名*", "身份证号（必填）", "第二代残疾人证号", "残疾类型", "残疾级别", "乡镇（街道）"],
    ],
)
def test_it_matches_the_column_names_federations_use(users, header):
    person = _imported(xlsx([header, person_row(11)]), "a.xlsx", users.city_admin)
    assert (person.id_number, person.cert_number, person.category) == (
        an_id(11),
        an_id(11) + "42",
        "4",
    )


def test_it_reads_the_optional_columns(users):
    header = PERSON_HEADER + [
        "联系电话",
        "文化程度",
        "困难类型",
        "就业形式",
        "未就业原因",
        "新成长劳动力",
        "状态",
        "地址",
    ]
    row = person_row(11) + [
        13800001111,
        "高中",
        "低保、特困",
        "",
        "无就业技能",
        "是",
        "在册",
        "中山路 1 号",
    ]
    person = _imported(xlsx([header, row]), "a.xlsx", users.city_admin)
    assert (
        person.phone,
        person.education,
        person.hardship,
        person.employment_form,
        person.not_working_reason,
        person.new_entrant,
        person.status,
        person.address,
    ) == ("13800001111", "senior_high", ["dibao", "tekun"], "", "4", True, "active", "中山路 1 号")


def test_a_village_is_given_by_its_name(users):
    Region.objects.create(
        code="350582101201", name="庄头村", level=Region.Level.VILLAGE, parent_id=ANHAI
    )
    person = _imported(
        xlsx([PERSON_HEADER + ["村(社区)"], person_row(11) + ["庄头村"]]),
        "a.xlsx",
        users.city_admin,
    )
    assert person.village_id == "350582101201"


# --- the registry afterwards ----------------------------------------------------------


def test_importing_the_same_file_twice_changes_nothing_the_second_time(registry, users):
    data = xlsx([PERSON_HEADER] + many_rows(50))
    first = persons_import(actor=users.city_admin, data=data, filename="名册.xlsx")
    assert (first.created, first.updated, first.unchanged) == (50, 0, 0)
    state, audit_count = person_state(), AuditEntry.objects.count()
    second = persons_import(actor=users.city_admin, data=data, filename="名册.xlsx")
    assert (second.ok, second.created, second.updated, second.unchanged) == (True, 0, 0, 50)
    assert person_state() == state
    new_entries = list(
        AuditEntry.objects.filter(pk__gt=0).order_by("-pk")[
            : AuditEntry.objects.count() - audit_count
        ]
    )
    assert [e.action for e in new_entries] == ["import.persons"]
    assert new_entries[0].changes == {
        "file": "名册.xlsx",
        "created": 0,
        "updated": 0,
        "unchanged": 50,
    }


def test_an_existing_person_is_updated_and_the_change_audited_masked(registry, users):
    person = registry[0]
    row = person_row(
        1,
        id_number=person.id_number,
        cert_number=person.id_number + "43",
        name="张三",
        grade="三级",
    )
    result = persons_import(
        actor=users.town_staff, data=xlsx([PERSON_HEADER, row]), filename="a.xlsx"
    )
    assert (result.ok, result.created, result.updated) == (True, 0, 1)
    person.refresh_from_db()
    assert (person.grade, person.cert_number) == ("3", person.id_number + "43")
    entry = AuditEntry.objects.get(action="person.update", object_id=str(person.pk))
    assert entry.actor_id == users.town_staff.pk
    [audited] = entry.changes["persons"]
    assert audited["id"] == person.pk
    assert audited["diff"]["grade"] == ["2", "3"]
    assert audited["diff"]["cert_number"] == [
        person.id_number_masked + "42",
        person.id_number_masked + "43",
    ]
    assert person.id_number not in json.dumps(entry.changes, ensure_ascii=False)


def test_a_blank_status_does_not_bring_a_person_back_on_the_registry(registry, users):
    person = person_change_status(
        actor=users.city_admin, person=registry[0], status="deceased", comment="已故"
    )
    row = person_row(1, id_number=person.id_number, name="张三")
    result = persons_import(
        actor=users.city_admin, data=xlsx([PERSON_HEADER + ["状态"], row + [""]]), filename="a.xlsx"
    )
    assert result.ok
    person.refresh_from_db()
    assert person.status == "deceased"


def audited_persons(action: str) -> dict[int, dict[str, Any]]:
    """What the audit log says of each person an import wrote, by key (the page and the API
    write an entry a person, without the list)."""
    return {
        item["id"]: item
        for entry in AuditEntry.objects.filter(action=action).order_by("pk")
        for item in entry.changes.get("persons", [])
    }


def test_every_created_person_is_audited_with_numbers_masked(users):
    rows = many_rows(250)
    result = persons_import(
        actor=users.city_admin, data=xlsx([PERSON_HEADER] + rows), filename="名册.xlsx"
    )
    assert result.created == 250
    entries = AuditEntry.objects.filter(action="person.create").order_by("pk")
    # A hundred persons an entry, each listed with everything written for them.
    assert [len(e.changes["persons"]) for e in entries] == [100, 100, 50]
    assert all(e.actor_id == users.city_admin.pk for e in entries)
    audited = audited_persons("person.create")
    assert set(audited) == set(Person.objects.values_list("pk", flat=True))
    for person in Person.objects.all():
        assert audited[person.pk]["after"] == person_snapshot(person)
    dumped = json.dumps([e.changes for e in entries], ensure_ascii=False) + "".join(
        e.summary for e in entries
    )
    for row in rows:
        assert row[1] not in dumped and row[2] not in dumped
        assert rules.mask_id_number(row[1]) in dumped
    assert AuditEntry.objects.filter(action="import.persons").count() == 1


def test_a_dry_run_validates_and_writes_nothing(registry, users):
    before = db_counts()
    result = persons_import(
        actor=users.city_admin,
        data=xlsx([PERSON_HEADER] + many_rows(5)),
        filename="a.xlsx",
        dry_run=True,
    )
    assert (result.ok, result.written, result.created) == (True, False, 5)
    assert db_counts() == before


def test_progress_is_reported_up_to_the_last_row(users):
    seen: list[tuple[int, int]] = []
    persons_import(
        actor=users.city_admin,
        data=xlsx([PERSON_HEADER] + many_rows(5)),
        filename="a.xlsx",
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen[0] == (0, 5) and seen[-1] == (5, 5)


@pytest.mark.slow
def test_the_audit_chain_verifies_after_a_large_import(registry, users):
    result = persons_import(
        actor=users.city_admin,
        data=xlsx([PERSON_HEADER] + many_rows(3000, town=CIZAO)),
        filename="名册.xlsx",
    )
    assert (result.ok, result.created) == (True, 3000)
    verified = audit_verify()
    assert verified.ok, verified.reason
    assert verified.checked == AuditEntry.objects.count()
    assert len(audited_persons("person.create")) == 3000


POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


@pytest.mark.slow
@pytest.mark.skipif(
    not POSTGRES, reason="the background COPY is PostgreSQL's; SQLite writes at the end"
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_postgresql_rows_stream_to_the_database_and_commit_all_or_none():
    """Outside a caller's transaction, new persons are COPYed from a background thread while
    the rest of the file is checked; a bad last row still leaves nothing behind."""
    from canpei.accounts.models import User

    admin = User.objects.create(username="city-stream", role="city_admin")
    rows = many_rows(1500)
    audit_before = AuditEntry.objects.count()
    bad = an_id(13)[:17] + ("0" if an_id(13)[17] != "0" else "1")
    rejected = persons_import(
        actor=admin,
        filename="a.xlsx",
        data=xlsx([PERSON_HEADER] + rows + [person_row(13, id_number=bad, cert_number="")]),
    )
    assert errors_of(rejected) == [(1502, "身份证号", rules.mask_id_number(bad), rules.ID_CHECKSUM)]
    assert (Person.objects.count(), AuditEntry.objects.count()) == (0, audit_before)

    result = persons_import(actor=admin, data=xlsx([PERSON_HEADER] + rows), filename="a.xlsx")
    assert (result.written, result.created) == (True, 1500)
    assert Person.objects.count() == 1500
    audited = audited_persons("person.create")
    assert sorted(Person.objects.values_list("pk", flat=True)) == sorted(audited)
    first = Person.objects.get(id_hash=Person.objects.order_by("pk")[0].id_hash)
    assert (first.id_number, first.cert_number, first.name) == (rows[0][1], rows[0][2], rows[0][0])
    assert audited[first.pk]["after"] == person_snapshot(first)
    assert audited[first.pk]["after"]["id_number"] == rules.mask_id_number(rows[0][1])
    assert {e.actor_id for e in AuditEntry.objects.filter(action="person.create")} == {admin.pk}
    verified = audit_verify()
    assert verified.ok, verified.reason

    # The registry's summary (the home pages' counts) learnt of the streamed persons in their
    # transaction, as it does of persons written any other way.
    from canpei.reports.summaries import differences

    assert differences() == []
    assert RegistryStanding.objects.count() == 1500

    again = persons_import(actor=admin, data=xlsx([PERSON_HEADER] + rows), filename="a.xlsx")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1500)


@pytest.mark.slow
@pytest.mark.skipif(
    not POSTGRES, reason="the background COPY is PostgreSQL's; SQLite writes at the end"
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_postgresql_a_file_streams_in_chunks_and_a_late_duplicate_still_leaves_nothing():
    """Rows are read, looked up and checked 2,000 at a time, the new ones streamed as they pass:
    an ID repeated in a later chunk is still found, and nothing of the first chunks stays."""
    from canpei.accounts.models import User

    admin = User.objects.create(username="city-chunks", role="city_admin")
    rows = many_rows(2600)
    audit_before = AuditEntry.objects.count()
    rejected = persons_import(
        actor=admin, filename="a.xlsx", data=xlsx([PERSON_HEADER] + rows + [rows[5]])
    )
    assert errors_of(rejected) == [
        (2602, "身份证号", rules.mask_id_number(rows[5][1]), ID_TWICE_IN_FILE.format(row=7))
    ]
    assert (Person.objects.count(), AuditEntry.objects.count()) == (0, audit_before)

    # Persons already registered, in the first and in the second chunk, are updated in place.
    first = persons_import(
        actor=admin, filename="a.xlsx", data=xlsx([PERSON_HEADER] + rows[:10] + rows[2300:2310])
    )
    assert (first.written, first.created) == (True, 20)
    changed = [row[:4] + ["3"] + row[5:] for row in rows]
    changed = [row[:2] + [row[1] + "43"] + row[3:] for row in changed]
    result = persons_import(actor=admin, data=xlsx([PERSON_HEADER] + changed), filename="a.xlsx")
    assert (result.written, result.created, result.updated) == (True, 2580, 20)
    assert Person.objects.count() == 2600 and set(
        Person.objects.values_list("grade", flat=True)
    ) == {"3"}
    assert len(audited_persons("person.create")) == 2600
    assert {item["diff"]["grade"][1] for item in audited_persons("person.update").values()} == {"3"}
    verified = audit_verify()
    assert verified.ok, verified.reason


@pytest.mark.parametrize(
    "raw, lost",
    [
        ("3.50582E+17", True),
        ("3.50582e17", True),
        (3.50582199001011e17, True),
        ("350582199001011234", False),
        ("35058219900101123X", False),
        ("E", False),
        (12345.0, False),
    ],
)
def test_a_number_excel_stored_as_a_number_is_recognised(raw, lost):
    from canpei.people.imports import _is_lost_number

    assert _is_lost_number(raw) is lost


def test_a_missing_column_and_the_row_errors_are_reported_at_once(registry, users):
    """Issue 13: a ledger without a required column is refused with that column named AND the
    errors of its other columns, row by row, so the clerk fixes everything in one round; a
    missing column's own blanks are not reported again on each row, and nothing is written."""
    header = [h for h in PERSON_HEADER if h != "残疾等级"]
    good = an_id(11)
    bad = good[:17] + ("0" if good[17] != "0" else "1")

    def without_grade(row: list[Any]) -> list[Any]:
        return row[:4] + row[5:]

    rows = [
        without_grade(person_row(11)),
        without_grade(person_row(13, id_number=bad, cert_number="")),
        without_grade(person_row(15, town="火星镇")),
    ]
    before = db_counts()
    result = persons_import(
        actor=users.city_admin, data=xlsx([header] + rows), filename="名册.xlsx"
    )
    assert errors_of(result) == [
        (0, "", "", FILE_MISSING_COLUMNS.format(columns="残疾等级")),
        (3, "身份证号", rules.mask_id_number(bad), rules.ID_CHECKSUM),
        (4, "所属镇街", "火星镇", rules.TOWN_INVALID),
    ]
    assert not result.written and result.created == result.updated == 0
    assert db_counts() == before


def test_a_file_missing_a_column_with_good_rows_still_imports_nothing(users):
    header = [h for h in PERSON_HEADER if h not in ("身份证号", "残疾类别")]
    rows = [[row[0], row[2], row[4], row[5]] for row in (person_row(11), person_row(13))]
    before = db_counts()
    result = persons_import(
        actor=users.city_admin, data=xlsx([header] + rows), filename="名册.xlsx"
    )
    assert errors_of(result) == [
        (0, "", "", FILE_MISSING_COLUMNS.format(columns="身份证号、残疾类别"))
    ]
    assert result.created == 0 and db_counts() == before
