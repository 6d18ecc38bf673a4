"""Reads of employment services: the list's filters, counts for home pages, a person's timeline
through each record's own scope, and the ledger (masked ID numbers, scope, audit)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from canpei import cli
from canpei.audit.models import AuditEntry
from canpei.employment.models import EmploymentService, FollowUp
from canpei.employment.support.selectors import (
    ServiceFilters,
    person_timeline,
    referrals_pending,
    service_counts,
    service_get,
    service_list,
)
from canpei.employment.support.services import service_create
from canpei.errors import InvalidInput, NotFound
from canpei.people.surveys.services import survey_create
from canpei.training.applications.services import application_create
from tests.conftest import ANHAI, CIZAO
from tests.spreadsheets.files import read_back

TODAY = dt.date.today()
KINDS = (
    "服务类别须为 policy_consultation、career_guidance、job_referral、entrepreneurship、"
    "rights_protection"
)
ALL_ROLES = (
    "city_admin",
    "town_staff",
    "institution_staff",
    "employment_service",
    "auditor",
    "sys_admin",
    "security_admin",
    "audit_admin",
)


def record(actor: Any, who: Any, kind: str = "policy_consultation", **extra: Any) -> Any:
    values: dict[str, Any] = {"person": who.pk, "kind": kind, "date": TODAY.isoformat()}
    if kind == "job_referral":
        values.update(employer="晋江恒安集团", position="包装工", result="pending")
    values.update(extra)
    return service_create(actor=actor, data=values)


@pytest.fixture
def two_towns(users: Any, person_in: Any, person_out: Any) -> tuple[Any, Any]:
    ours = record(users.city_admin, person_in, "job_referral", date="2025-03-01")
    theirs = record(users.city_admin, person_out, "career_guidance", date="2024-06-15")
    return ours, theirs


# ---- scope -------------------------------------------------------------------------------------


def test_each_role_sees_its_scope(users: Any, two_towns: Any) -> None:
    ours, theirs = two_towns
    seen = {role: set(service_list(user=u)) for role, u in users.by_role().items()}
    for role in ("city_admin", "employment_service", "auditor"):
        assert seen[role] == {ours, theirs}
    assert seen["town_staff"] == {ours}
    for role in ("institution_staff", "sys_admin", "security_admin", "audit_admin"):
        assert seen[role] == set()
    assert set(service_list(user=users.other_town_staff)) == {theirs}


def test_out_of_scope_reads_as_not_found(users: Any, two_towns: Any) -> None:
    ours, theirs = two_towns
    assert service_get(user=users.town_staff, service_id=ours.pk) == ours
    for bad in (theirs.pk, 999999, "abc"):
        with pytest.raises(NotFound):
            service_get(user=users.town_staff, service_id=bad)
    with pytest.raises(NotFound):
        service_get(user=users.institution_staff, service_id=ours.pk)


# ---- filters -----------------------------------------------------------------------------------


def filtered(user: Any, **params: str) -> set[Any]:
    return set(service_list(user=user, filters=ServiceFilters.from_params(params)))


def test_filters_by_town_kind_result_year_and_dates(users: Any, two_towns: Any) -> None:
    ours, theirs = two_towns
    city = users.city_admin
    assert filtered(city, town=ANHAI) == {ours}
    assert filtered(city, town=CIZAO) == {theirs}
    assert filtered(city, kind="job_referral") == {ours}
    assert filtered(city, result="pending") == {ours}
    assert filtered(city, result="hired") == set()
    assert filtered(city, year="2024") == {theirs}
    assert filtered(city, year="2025") == {ours}
    # Both ends of a range are included.
    assert filtered(city, date_from="2024-06-15", date_to="2025-03-01") == {ours, theirs}
    assert filtered(city, date_from="2024-06-16") == {ours}
    assert filtered(city, date_to="2025-02-28") == {theirs}


def test_search_by_person_name_pinyin_and_id_tail(
    users: Any, two_towns: Any, person_in: Any
) -> None:
    ours, theirs = two_towns
    city = users.city_admin
    assert filtered(city, q="张三") == {ours}
    assert filtered(city, q="zs") == {ours}
    assert filtered(city, q="lisi") == {theirs}
    assert filtered(city, q=person_in.id_number[-4:]) == {ours}
    assert filtered(city, person=str(person_in.pk)) == {ours}
    # The search never widens the scope.
    assert filtered(users.town_staff, q="李四") == set()


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"kind": "x"}, [("kind", KINDS)]),
        ({"result": "x"}, [("result", "推荐结果须为 hired、not_hired、pending")]),
        ({"date_from": "2025-13-01"}, [("date_from", "日期须为 YYYY-MM-DD")]),
        ({"date_to": "yesterday"}, [("date_to", "日期须为 YYYY-MM-DD")]),
        (
            {"date_from": "2025-02-01", "date_to": "2025-01-31"},
            [("date_to", "结束日期不能早于开始日期")],
        ),
        ({"year": "1999"}, [("year", "年度须为 2000 至 2100 的整数")]),
        ({"town": "安海"}, [("town", "镇街代码须为 12 位数字")]),
        ({"person": "x"}, [("person", "服务对象须为人员编号")]),
        ({"q": "字" * 31}, [("q", "搜索内容不能超过 30 个字符")]),
    ],
)
def test_bad_filters_are_named(params: dict[str, str], errors: list[Any]) -> None:
    with pytest.raises(InvalidInput) as info:
        ServiceFilters.from_params(params)
    assert info.value.errors == errors


def test_the_same_day_range_is_accepted() -> None:
    f = ServiceFilters.from_params({"date_from": "2025-02-01", "date_to": "2025-02-01"})
    assert f.date_from == f.date_to == dt.date(2025, 2, 1)


# ---- counts ------------------------------------------------------------------------------------


def test_referrals_pending_counts_the_scope(users: Any, person_in: Any, person_out: Any) -> None:
    record(users.city_admin, person_in, "job_referral")
    record(users.city_admin, person_in, "job_referral", result="hired")
    record(users.city_admin, person_out, "job_referral")
    record(users.city_admin, person_out, "policy_consultation")
    assert referrals_pending(user=users.employment_service) == 2
    assert referrals_pending(user=users.town_staff) == 1
    assert referrals_pending(user=users.other_town_staff) == 1
    assert referrals_pending(user=users.institution_staff) == 0
    assert referrals_pending(user=users.audit_admin) == 0


def test_service_counts_by_kind(users: Any, two_towns: Any) -> None:
    counts = service_counts(user=users.city_admin)
    assert counts == {
        "policy_consultation": 0,
        "career_guidance": 1,
        "job_referral": 1,
        "entrepreneurship": 0,
        "rights_protection": 0,
    }
    assert service_counts(user=users.town_staff, year=2024)["career_guidance"] == 0
    assert service_counts(user=users.city_admin, year=2024)["career_guidance"] == 1


# ---- the person's timeline ---------------------------------------------------------------------


@pytest.fixture
def history(users: Any, make_class: Any, trainee_factory: Any) -> Any:
    """A person of 安海 with a survey, a class, an application, follow-ups due and recorded, and
    a service."""
    person = trainee_factory(town=ANHAI, name="王五")
    survey_create(
        actor=users.town_staff,
        data={"person": person.pk, "year": 2024, "surveyed_on": dt.date(2024, 5, 10)},
    )
    training_class = make_class("running", persons=[person])
    enrollment = training_class.enrollments.get()
    application_create(
        actor=users.town_staff,
        data={
            "person": person.pk,
            "kind": "appraisal",
            "occupation": "保健按摩师",
            "institution_name": "泉州市职业技能鉴定指导中心",
        },
    )
    common = {"person": person, "town_id": ANHAI, "enrollment": enrollment}
    FollowUp.objects.create(
        **common, months=3, ended_on=dt.date(2024, 1, 1), due_on=dt.date(2024, 4, 1),
        date=dt.date(2024, 4, 3), method="phone", employed=True, employer="安踏体育用品",
    )  # fmt: skip
    FollowUp.objects.create(
        **common, months=6, ended_on=dt.date(2024, 1, 1), due_on=dt.date(2024, 7, 1)
    )
    record(
        users.town_staff, person, "job_referral", date=(TODAY - dt.timedelta(days=1)).isoformat()
    )
    return person, training_class


def test_the_timeline_gathers_everything_newest_first(users: Any, history: Any) -> None:
    person, training_class = history
    entries = person_timeline(user=users.town_staff, person=person)
    kinds = [e.kind for e in entries]
    assert sorted(kinds) == sorted(
        ["survey", "class", "application", "followup", "followup_due", "service"]
    )
    dates = [e.date for e in entries]
    assert dates == sorted(dates, reverse=True)
    by_kind = {e.kind: e for e in entries}
    assert by_kind["service"].title == "职业介绍"
    assert by_kind["service"].summary == "晋江恒安集团 · 包装工；待定"
    assert by_kind["service"].url_name == "service_detail"
    assert by_kind["class"].title == f"{training_class.code} {training_class.name}"
    assert by_kind["class"].summary.endswith("学员状态：在训")
    assert by_kind["class"].url_name == "class-detail"
    assert by_kind["application"].summary == "保健按摩师；已提交"
    assert by_kind["followup"].summary == "电话回访；已就业（安踏体育用品）"
    assert by_kind["followup"].date == dt.date(2024, 4, 3)
    assert by_kind["followup_due"].summary == "已逾期（应于 2024-07-01 跟踪）"
    assert by_kind["followup_due"].url_name == ""
    assert by_kind["survey"].title == "2024 年需求调查"


@pytest.mark.parametrize("role", ["city_admin", "employment_service", "auditor"])
def test_city_wide_readers_see_the_whole_timeline(role: str, users: Any, history: Any) -> None:
    person, _c = history
    assert len(person_timeline(user=users.by_role()[role], person=person)) == 6


def test_each_kind_is_read_through_its_own_scope(users: Any, history: Any) -> None:
    person, _c = history
    assert person_timeline(user=users.other_town_staff, person=person) == []
    for role in ("sys_admin", "security_admin", "audit_admin"):
        assert person_timeline(user=users.by_role()[role], person=person) == []
    # The institution sees its own class's roster row and nothing else of the person.
    assert [e.kind for e in person_timeline(user=users.institution_staff, person=person)] == [
        "class"
    ]


def test_a_person_who_moves_takes_the_timeline_to_the_new_town(users: Any, history: Any) -> None:
    from canpei.people.services import person_update

    person, _c = history
    person_update(actor=users.city_admin, person=person, data={"town": CIZAO})
    kinds = {e.kind for e in person_timeline(user=users.other_town_staff, person=person)}
    # Services, enrolments and follow-ups follow the person; surveys and applications are read
    # through the person's town.
    assert {"service", "class", "survey", "application"} <= kinds
    assert person_timeline(user=users.town_staff, person=person) == []


# ---- the ledger --------------------------------------------------------------------------------


def run(capsys: Any, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_ledger_masks_id_numbers_and_keeps_the_scope(
    users: Any, two_towns: Any, person_in: Any, person_out: Any, tmp_path: Any, capsys: Any
) -> None:
    out_file = tmp_path / "就业服务.xlsx"
    code, out, err = run(capsys, "export", "employment-services", "--out", str(out_file))
    assert (code, err) == (0, "")
    rows = read_back(out_file.read_bytes())
    assert rows[3][:6] == ["序号", "姓名", "身份证号", "所属镇街", "服务日期", "服务类别"]
    body = rows[4:]
    assert [r[1] for r in body] == ["张三", "李四"]
    assert [r[2] for r in body] == [person_in.id_number_masked, person_out.id_number_masked]
    assert body[0][5:10] == ["职业介绍", "", "晋江恒安集团", "包装工", "待定"]
    text = str(rows)
    assert person_in.id_number not in text and person_out.id_number not in text
    entry = AuditEntry.objects.filter(action="export.employment_services").latest("id")
    assert entry.changes["rows"] == 2 and entry.changes["full_numbers"] is False

    run(capsys, "export", "employment-services", "--out", str(out_file), "--as", "anhai")
    assert [r[1] for r in read_back(out_file.read_bytes())[4:]] == ["张三"]
    run(capsys, "export", "employment-services", "--out", str(out_file), "--year", "2024")
    assert [r[1] for r in read_back(out_file.read_bytes())[4:]] == ["李四"]


def test_the_ledger_is_refused_to_roles_without_the_right(
    users: Any, two_towns: Any, tmp_path: Any, capsys: Any
) -> None:
    code, _out, err = run(
        capsys, "export", "employment-services", "--out", str(tmp_path / "a.xlsx"), "--as", "school"
    )
    assert code != 0
    assert not AuditEntry.objects.filter(action="export.employment_services").exists()
    assert EmploymentService.objects.count() == 2
