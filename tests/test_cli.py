"""The `canpei` command line: accounts, tokens, regions, the demo data set."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from canpei import cli
from canpei.accounts.models import ApiToken, User
from canpei.accounts.passwords import PASSWORD_KINDS
from canpei.accounts.roles import Role
from canpei.accounts.services import (
    INSTITUTION_REQUIRED_FOR_ROLE,
    TOWN_REQUIRED_FOR_ROLE,
    TOWN_UNKNOWN,
    USERNAME_TAKEN,
)
from canpei.audit.models import AuditEntry
from canpei.demo import DEMO_PASSWORD, DEMO_USERS
from canpei.institutions.models import Institution
from canpei.institutions.rules import credit_code_error
from canpei.people.models import Person
from canpei.people.rules import (
    birth_date_from_id,
    cert_number_error,
    gender_from_id,
    id_number_error,
)
from canpei.regions.models import Region
from tests.conftest import ANHAI, PASSWORD

pytestmark = pytest.mark.django_db


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# createuser


def test_createuser_creates_an_account_with_the_password_from_the_environment(capsys, monkeypatch):
    monkeypatch.setenv("CANPEI_PASSWORD", PASSWORD)
    code, out, err = run(capsys, "createuser", "lin", "--role", "town_staff", "--town", ANHAI)
    assert (code, err) == (0, "")
    assert out.strip() == "已创建用户 lin（镇街专干）"
    user = User.objects.get(username="lin")
    assert (user.role, user.town_id, user.institution_id) == ("town_staff", ANHAI, None)
    assert user.check_password(PASSWORD) and user.password.startswith("argon2")
    entry = AuditEntry.objects.get(action="user.create")
    assert entry.actor_id is None
    assert entry.changes == {
        "after": {"username": "lin", "role": "town_staff", "town": ANHAI, "institution": None}
    }
    assert PASSWORD not in str(entry.changes) and PASSWORD not in entry.summary


def test_createuser_creates_an_institution_account(capsys, monkeypatch, institution):
    monkeypatch.setenv("CANPEI_PASSWORD", PASSWORD)
    code, out, err = run(
        capsys,
        "createuser",
        "teacher",
        "--role",
        "institution_staff",
        "--institution",
        str(institution.pk),
    )
    assert code == 0, err
    assert User.objects.get(username="teacher").institution_id == institution.pk


def test_createuser_rejects_an_unknown_role_through_argparse(capsys, monkeypatch):
    monkeypatch.setenv("CANPEI_PASSWORD", PASSWORD)
    with pytest.raises(SystemExit) as caught:
        cli.main(["createuser", "lin", "--role", "superuser"])
    assert caught.value.code == 2
    assert "superuser" in capsys.readouterr().err
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "argv, field, message",
    [
        (["--role", "town_staff"], "town", TOWN_REQUIRED_FOR_ROLE),
        (["--role", "town_staff", "--town", "350582999000"], "town", TOWN_UNKNOWN),
        (["--role", "institution_staff"], "institution", INSTITUTION_REQUIRED_FOR_ROLE),
    ],
)
def test_createuser_rejects_a_missing_or_unknown_scope(capsys, monkeypatch, argv, field, message):
    monkeypatch.setenv("CANPEI_PASSWORD", PASSWORD)
    code, out, err = run(capsys, "createuser", "lin", *argv)
    assert code == 1
    assert f"{field}: {message}" in err
    assert not User.objects.exists() and not AuditEntry.objects.exists()


@pytest.mark.parametrize("password", ["abcdefgh", "abcdefg1", "ABCDEFG!", "12345678"])
def test_createuser_rejects_a_password_of_fewer_than_three_kinds(capsys, monkeypatch, password):
    monkeypatch.setenv("CANPEI_PASSWORD", password)
    code, out, err = run(capsys, "createuser", "lin", "--role", "city_admin")
    assert code == 1
    assert f"password: {PASSWORD_KINDS}" in err
    assert not User.objects.exists()


def test_createuser_rejects_a_password_shorter_than_eight(capsys, monkeypatch):
    monkeypatch.setenv("CANPEI_PASSWORD", "Ab1!xyz")
    code, out, err = run(capsys, "createuser", "lin", "--role", "city_admin")
    assert code == 1
    assert "password:" in err and PASSWORD_KINDS not in err
    assert not User.objects.exists()


def test_createuser_refuses_to_prompt_without_a_terminal(capsys, monkeypatch):
    monkeypatch.delenv("CANPEI_PASSWORD", raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code, out, err = run(capsys, "createuser", "lin", "--role", "city_admin")
    assert code == 2
    assert "CANPEI_PASSWORD" in err
    assert not User.objects.exists()


def test_createuser_rejects_a_taken_username_in_any_case(capsys, monkeypatch):
    monkeypatch.setenv("CANPEI_PASSWORD", PASSWORD)
    assert run(capsys, "createuser", "lin", "--role", "city_admin")[0] == 0
    code, out, err = run(capsys, "createuser", "LIN", "--role", "auditor")
    assert code == 1
    assert USERNAME_TAKEN in err
    assert User.objects.count() == 1


# token


def test_token_prints_a_token_that_authenticates_the_api(capsys, users, person_in):
    code, out, err = run(capsys, "token", "city")
    assert code == 0, err
    token = out.strip()
    assert token.startswith("cp_")
    assert not ApiToken.objects.filter(digest=token).exists()  # only the digest is stored
    response = Client().get("/api/v1/persons", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert [p["name"] for p in response.json()["results"]] == ["张三"]
    assert AuditEntry.objects.filter(action="token.issue", actor__isnull=True).count() == 1


def test_a_token_of_town_staff_sees_only_their_town(capsys, users, person_in, person_out):
    token = run(capsys, "token", "cizao")[1].strip()
    response = Client().get("/api/v1/persons", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert [p["name"] for p in response.json()["results"]] == ["李四"]


def test_the_api_refuses_a_made_up_token(users):
    response = Client().get("/api/v1/persons", HTTP_AUTHORIZATION="Bearer cp_not-a-token")
    assert response.status_code == 401


@pytest.mark.parametrize("name", ["nobody", "inactive"])
def test_token_refuses_an_unknown_or_inactive_user(capsys, users, name):
    User.objects.filter(username="city").update(is_active=False, username="inactive")
    code, out, err = run(capsys, "token", name)
    assert (code, out) == (1, "")
    assert name in err
    assert not ApiToken.objects.exists()


def test_a_token_stops_working_when_its_user_is_deactivated(capsys, users):
    token = run(capsys, "token", "city")[1].strip()
    User.objects.filter(username="city").update(is_active=False)
    response = Client().get("/api/v1/persons", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401


# regions load


def write_csv(tmp_path: Path, text: str, encoding: str = "utf-8") -> str:
    path = tmp_path / "regions.csv"
    path.write_text(text, encoding=encoding)
    return str(path)


def test_regions_load_adds_villages_under_a_town(capsys, tmp_path):
    path = write_csv(
        tmp_path,
        "\ufeffcode,name,level,parent\n"
        "350582101001,安东社区,village,350582101000\n"
        "350582101201,前蔡村,village,350582101000\n"
        "350582101000,安海镇,town,350582000000\n",
    )
    code, out, err = run(capsys, "regions", "load", path)
    assert (code, err) == (0, "")
    assert out.strip() == "已载入 3 个区划"
    assert list(Region.objects.filter(parent_id=ANHAI).values_list("code", "name", "level")) == [
        ("350582101001", "安东社区", "village"),
        ("350582101201", "前蔡村", "village"),
    ]


def test_regions_load_renames_an_existing_region(capsys, tmp_path):
    path = write_csv(
        tmp_path, "code,name,level,parent\n350582101000,安海镇（新）,town,350582000000\n"
    )
    assert run(capsys, "regions", "load", path)[0] == 0
    assert Region.objects.get(code=ANHAI).name == "安海镇（新）"


@pytest.mark.parametrize(
    "text, message",
    [
        ("编码,名称\n350582101001,安东社区\n", "区划文件须有表头 code,name,level,parent"),
        ("code,name,level,parent\n", "区划文件没有数据行"),
        (
            "code,name,level,parent\n350582101001,安东社区,village,350582101000\n3505821010,前蔡村,village,350582101000\n",
            "第 3 行：区划代码须为 12 位数字",
        ),
        (
            "code,name,level,parent\n350582101001,安东社区,village,350582101000\n350582101001,前蔡村,village,350582101000\n",
            "第 3 行：区划代码重复",
        ),
        (
            "code,name,level,parent\n350582101001,安东社区,hamlet,350582101000\n",
            "第 2 行：级别须为 city、town 或 village",
        ),
        ("code,name,level,parent\n350582101001,,village,350582101000\n", "第 2 行：名称不能为空"),
        (
            "code,name,level,parent\n350582101001,安东社区,village,350582199000\n",
            "第 2 行：上级区划 350582199000 须在本行之前出现",
        ),
    ],
)
def test_regions_load_rejects_a_bad_file_and_loads_none_of_it(capsys, tmp_path, text, message):
    before = set(Region.objects.values_list("code", "name"))
    code, out, err = run(capsys, "regions", "load", write_csv(tmp_path, text))
    assert (code, out) == (1, "")
    assert err.strip() == message
    assert set(Region.objects.values_list("code", "name")) == before


def test_regions_load_reports_a_missing_or_undecodable_file(capsys, tmp_path):
    code, out, err = run(capsys, "regions", "load", str(tmp_path / "missing.csv"))
    assert code == 1 and err.strip() == "无法读取区划文件：FileNotFoundError"
    path = write_csv(
        tmp_path,
        "code,name,level,parent\n350582101001,安东社区,village,350582101000\n",
        encoding="gbk",
    )
    code, out, err = run(capsys, "regions", "load", path)
    assert code == 1 and err.strip() == "无法读取区划文件：UnicodeDecodeError"
    assert not Region.objects.filter(code="350582101001").exists()


# demo


def persons_snapshot() -> list[tuple[Any, ...]]:
    return [
        (
            p.name,
            p.birth_date,
            p.town_id,
            p.gender,
            p.category,
            p.grade,
            p.id_number,
            p.cert_number,
            p.status,
            p.phone,
            p.employment_form,
        )
        for p in Person.objects.order_by("pk")
    ]


def demo_in_a_fresh_database(
    capsys: pytest.CaptureFixture[str], seed: int
) -> list[tuple[Any, ...]]:
    """Run the demo, read what it made, and roll it all back."""
    with transaction.atomic():
        assert not Person.objects.exists() and not User.objects.exists()
        code, out, err = run(capsys, "demo", "--persons", "50", "--seed", str(seed))
        assert code == 0, err
        assert out.startswith("演示数据已生成：50 人，")
        snapshot = persons_snapshot()
        transaction.set_rollback(True)
    return snapshot


@pytest.mark.slow
def test_demo_is_the_same_for_the_same_seed(capsys):
    first = demo_in_a_fresh_database(capsys, 3)
    second = demo_in_a_fresh_database(capsys, 3)
    assert len(first) == 50
    assert first == second
    other = demo_in_a_fresh_database(capsys, 4)
    assert [p[0] for p in other] != [p[0] for p in first]


@pytest.mark.slow
def test_demo_creates_one_account_per_role_with_the_demo_password(capsys):
    code, out, err = run(capsys, "demo", "--persons", "50", "--seed", "3")
    assert code == 0, err
    accounts = User.objects.order_by("pk")
    assert [u.username for u in accounts] == [u[0] for u in DEMO_USERS]
    assert len(accounts) == len(DEMO_USERS) == 11  # school, base and massage are all institutions
    assert {u.role for u in accounts} == set(Role.values)
    for user in accounts:
        assert user.check_password(DEMO_PASSWORD), user.username
        assert user.username in out
    assert {u.username: u.town_id for u in accounts if u.town_id} == {
        "anhai": "350582101000",
        "cizao": "350582102000",
    }
    school = User.objects.get(username="school")
    assert school.institution is not None
    assert school.institution.name == "晋江市职业技术学校"


@pytest.mark.slow
def test_demo_data_passes_the_registrys_own_rules(capsys):
    assert run(capsys, "demo", "--persons", "50", "--seed", "3")[0] == 0
    persons = list(Person.objects.all())
    assert len(persons) == 50
    for person in persons:
        number = person.id_number
        assert id_number_error(number) is None, number
        assert (person.birth_date, person.gender) == (
            birth_date_from_id(number),
            gender_from_id(number),
        )
        assert person.id_tail == number[-4:]
        if person.cert_number:
            assert (
                cert_number_error(
                    person.cert_number,
                    id_number=number,
                    category=person.category,
                    grade=person.grade,
                )
                is None
            )
        assert person.town.level == "town"
    for inst in Institution.objects.all():
        assert credit_code_error(inst.credit_code) is None, inst.credit_code


@pytest.mark.slow
def test_demo_run_twice_with_the_same_seed_adds_nobody_twice(capsys):
    assert run(capsys, "demo", "--persons", "50", "--seed", "3")[0] == 0
    code, out, err = run(capsys, "demo", "--persons", "50", "--seed", "3")
    assert code == 0
    assert out.startswith("演示数据已生成：0 人，0 份需求调查。")
    assert Person.objects.count() == 50 and User.objects.count() == len(DEMO_USERS)
    assert run(capsys, "demo", "--persons", "50", "--seed", "4")[1].startswith(
        "演示数据已生成：50 人，"
    )
    assert Person.objects.count() == 100
