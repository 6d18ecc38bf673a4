"""Employment services (就业服务): recording and correcting them, every rule on both sides with
its literal message and nothing stored, scope and roles, and the audit entries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from canpei.audit.models import AuditEntry
from canpei.employment.models import EmploymentService
from canpei.employment.support import services as S
from canpei.employment.support.services import service_create, service_update
from canpei.errors import Forbidden, InvalidInput, NotFound
from canpei.people.services import person_update
from canpei.validation import EARLIEST_DAY
from tests.conftest import ANHAI, CIZAO

TODAY = dt.date.today()


def data(who: Any, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "person": who.pk,
        "kind": "policy_consultation",
        "date": TODAY.isoformat(),
        "content": "讲解残疾人就业补贴政策",
        "provider": "林专干",
    }
    values.update(overrides)
    return values


def referral(who: Any, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "kind": "job_referral",
        "employer": "晋江恒安集团",
        "position": "包装工",
        "result": "pending",
    }
    values.update(overrides)
    return data(who, **values)


def refused(call: Any) -> dict[str, str]:
    with pytest.raises(InvalidInput) as info:
        call()
    return dict(info.value.errors)


# ---- creating ----------------------------------------------------------------------------------


def test_town_staff_record_a_service_for_their_town(users: Any, person_in: Any) -> None:
    service = service_create(actor=users.town_staff, data=data(person_in))
    service.refresh_from_db()
    assert service.person == person_in
    assert service.town_id == ANHAI
    assert service.kind == "policy_consultation"
    assert service.date == TODAY
    assert service.recorded_by == users.town_staff
    assert (service.employer, service.position, service.result) == ("", "", "")
    entry = AuditEntry.objects.get(action="employment_service.create")
    assert entry.object_id == str(service.pk)
    assert entry.changes["after"]["kind"] == "policy_consultation"
    assert person_in.id_number not in str(entry.changes)


def test_a_job_referral_keeps_employer_position_and_result(users: Any, person_in: Any) -> None:
    service = service_create(actor=users.employment_service, data=referral(person_in))
    service.refresh_from_db()
    assert (service.employer, service.position, service.result) == (
        "晋江恒安集团",
        "包装工",
        "pending",
    )


@pytest.mark.parametrize("role", ["city_admin", "employment_service"])
def test_city_wide_roles_record_for_any_town(role: str, users: Any, person_out: Any) -> None:
    service = service_create(actor=users.by_role()[role], data=data(person_out))
    assert service.town_id == CIZAO


def test_another_towns_person_reads_as_not_found(users: Any, person_out: Any) -> None:
    errors = refused(lambda: service_create(actor=users.town_staff, data=data(person_out)))
    assert errors == {"person": "服务对象不存在或不属于本人管辖范围"}
    assert not EmploymentService.objects.exists()


@pytest.mark.parametrize("value", ["", None, "abc", "99999999", "-1"])
def test_the_person_is_required_and_must_exist(value: Any, users: Any, person_in: Any) -> None:
    errors = refused(
        lambda: service_create(actor=users.city_admin, data=data(person_in, person=value))
    )
    expected = "请选择服务对象" if value in ("", None) else "服务对象不存在或不属于本人管辖范围"
    assert errors == {"person": expected}
    assert not EmploymentService.objects.exists()


@pytest.mark.parametrize(
    "role", ["auditor", "institution_staff", "sys_admin", "security_admin", "audit_admin"]
)
def test_roles_without_the_right_record_nothing(role: str, users: Any, person_in: Any) -> None:
    with pytest.raises(Forbidden) as info:
        service_create(actor=users.by_role()[role], data=data(person_in))
    assert info.value.message == "当前角色不能登记就业服务"
    assert not EmploymentService.objects.exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "请选择服务类别"),
        (None, "请选择服务类别"),
        ("job_hunting", "服务类别须为政策咨询、职业指导、职业介绍、创业指导与服务、维权服务之一"),
        ("JOB_REFERRAL", "服务类别须为政策咨询、职业指导、职业介绍、创业指导与服务、维权服务之一"),
    ],
)
def test_the_kind_is_required_and_valid(
    value: Any, message: str, users: Any, person_in: Any
) -> None:
    errors = refused(
        lambda: service_create(actor=users.town_staff, data=data(person_in, kind=value))
    )
    assert errors == {"kind": message}
    assert not EmploymentService.objects.exists()


def test_a_missing_kind_is_named(users: Any, person_in: Any) -> None:
    values = data(person_in)
    del values["kind"], values["date"]
    errors = refused(lambda: service_create(actor=users.town_staff, data=values))
    assert errors == {"kind": "请选择服务类别", "date": "请填写服务日期"}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "请填写服务日期"),
        ("2026-02-30", "服务日期格式须为 YYYY-MM-DD"),
        ("明天", "服务日期格式须为 YYYY-MM-DD"),
        ((TODAY + dt.timedelta(days=1)).isoformat(), "服务日期不能晚于今天"),
        ("1999-12-31", "服务日期不能早于 2000-01-01"),
    ],
)
def test_bad_dates_are_refused(value: str, message: str, users: Any, person_in: Any) -> None:
    errors = refused(
        lambda: service_create(actor=users.town_staff, data=data(person_in, date=value))
    )
    assert errors == {"date": message}
    assert not EmploymentService.objects.exists()


@pytest.mark.parametrize("value", [TODAY.isoformat(), "2000-01-01"])
def test_the_date_boundaries_are_accepted(value: str, users: Any, person_in: Any) -> None:
    service = service_create(actor=users.town_staff, data=data(person_in, date=value))
    assert service.date == dt.date.fromisoformat(value)


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("employer", "职业介绍须填写推荐单位"),
        ("position", "职业介绍须填写推荐岗位"),
        ("result", "职业介绍须选择推荐结果（已录用、未录用或待定）"),
    ],
)
def test_a_referral_needs_each_of_its_fields(
    field: str, message: str, users: Any, person_in: Any
) -> None:
    errors = refused(
        lambda: service_create(actor=users.town_staff, data=referral(person_in, **{field: " "}))
    )
    assert errors == {field: message}
    assert not EmploymentService.objects.exists()


def test_a_referral_with_none_of_its_fields_names_all_three(users: Any, person_in: Any) -> None:
    errors = refused(
        lambda: service_create(actor=users.town_staff, data=data(person_in, kind="job_referral"))
    )
    assert errors == {
        "employer": "职业介绍须填写推荐单位",
        "position": "职业介绍须填写推荐岗位",
        "result": "职业介绍须选择推荐结果（已录用、未录用或待定）",
    }


@pytest.mark.parametrize("result", ["hired", "not_hired", "pending"])
def test_every_referral_result_is_accepted(result: str, users: Any, person_in: Any) -> None:
    service = service_create(actor=users.town_staff, data=referral(person_in, result=result))
    assert service.result == result


def test_an_unknown_result_is_refused(users: Any, person_in: Any) -> None:
    errors = refused(
        lambda: service_create(actor=users.town_staff, data=referral(person_in, result="maybe"))
    )
    assert errors == {"result": "推荐结果须为已录用、未录用、待定之一"}


@pytest.mark.parametrize(
    ("field", "value", "label"),
    [
        ("employer", "晋江恒安集团", "推荐单位"),
        ("position", "包装工", "推荐岗位"),
        ("result", "hired", "推荐结果"),
    ],
)
@pytest.mark.parametrize(
    ("kind", "kind_label"),
    [
        ("policy_consultation", "政策咨询"),
        ("career_guidance", "职业指导"),
        ("entrepreneurship", "创业指导与服务"),
        ("rights_protection", "维权服务"),
    ],
)
def test_other_kinds_take_no_referral_fields(
    field: str, value: str, label: str, kind: str, kind_label: str, users: Any, person_in: Any
) -> None:
    errors = refused(
        lambda: service_create(
            actor=users.town_staff, data=data(person_in, kind=kind, **{field: value})
        )
    )
    assert errors == {field: f"{label}仅用于职业介绍，{kind_label}不填"}
    assert not EmploymentService.objects.exists()


@pytest.mark.parametrize(
    ("field", "limit", "message"),
    [
        ("employer", 100, "推荐单位不能超过 100 个字符"),
        ("position", 50, "推荐岗位不能超过 50 个字符"),
        ("provider", 30, "服务人员不能超过 30 个字符"),
        ("content", 2000, "服务内容不能超过 2000 个字符"),
    ],
)
def test_text_lengths_on_both_sides(
    field: str, limit: int, message: str, users: Any, person_in: Any
) -> None:
    errors = refused(
        lambda: service_create(
            actor=users.town_staff, data=referral(person_in, **{field: "字" * (limit + 1)})
        )
    )
    assert errors == {field: message}
    assert not EmploymentService.objects.exists()
    service = service_create(
        actor=users.town_staff, data=referral(person_in, **{field: "字" * limit})
    )
    assert getattr(service, field) == "字" * limit


def test_unknown_fields_and_bad_text_are_refused(users: Any, person_in: Any) -> None:
    errors = refused(
        lambda: service_create(
            actor=users.town_staff, data=data(person_in, town=CIZAO, content="a\x00b")
        )
    )
    assert errors == {"town": "不能修改此字段", "content": "含有无效字符"}
    assert not EmploymentService.objects.exists()


# ---- correcting --------------------------------------------------------------------------------


@pytest.fixture
def service(users: Any, person_in: Any) -> EmploymentService:
    return service_create(actor=users.town_staff, data=referral(person_in))


def test_an_update_is_saved_and_audited_with_its_diff(users: Any, service: Any) -> None:
    updated = service_update(
        actor=users.employment_service, service=service, data={"result": "hired"}
    )
    updated.refresh_from_db()
    assert updated.result == "hired"
    entry = AuditEntry.objects.get(action="employment_service.update")
    assert entry.changes["diff"] == {"result": ["pending", "hired"]}


def test_an_update_that_changes_nothing_writes_nothing(users: Any, service: Any) -> None:
    service_update(actor=users.town_staff, service=service, data={"result": "pending"})
    assert not AuditEntry.objects.filter(action="employment_service.update").exists()


def test_changing_the_kind_away_from_referral_asks_to_clear_its_fields(
    users: Any, service: Any
) -> None:
    errors = refused(
        lambda: service_update(
            actor=users.town_staff, service=service, data={"kind": "career_guidance"}
        )
    )
    assert errors == {
        "employer": "推荐单位仅用于职业介绍，职业指导不填",
        "position": "推荐岗位仅用于职业介绍，职业指导不填",
        "result": "推荐结果仅用于职业介绍，职业指导不填",
    }
    service.refresh_from_db()
    assert service.kind == "job_referral"
    updated = service_update(
        actor=users.town_staff,
        service=service,
        data={"kind": "career_guidance", "employer": "", "position": "", "result": ""},
    )
    updated.refresh_from_db()
    assert (updated.kind, updated.employer, updated.result) == ("career_guidance", "", "")


def test_changing_a_consultation_into_a_referral_asks_for_its_fields(
    users: Any, person_in: Any
) -> None:
    service = service_create(actor=users.town_staff, data=data(person_in))
    errors = refused(
        lambda: service_update(
            actor=users.town_staff, service=service, data={"kind": "job_referral"}
        )
    )
    assert set(errors) == {"employer", "position", "result"}


def test_the_person_is_fixed_and_bad_values_store_nothing(
    users: Any, service: Any, person_out: Any
) -> None:
    errors = refused(
        lambda: service_update(
            actor=users.city_admin,
            service=service,
            data={"person": person_out.pk, "date": "1999-01-01", "kind": ""},
        )
    )
    assert errors == {
        "person": "服务对象登记后不能更换",
        "date": "服务日期不能早于 2000-01-01",
        "kind": "请选择服务类别",
    }
    service.refresh_from_db()
    assert service.date == TODAY and service.kind == "job_referral"
    assert not AuditEntry.objects.filter(action="employment_service.update").exists()


def test_another_towns_service_cannot_be_updated(users: Any, service: Any) -> None:
    with pytest.raises(NotFound):
        service_update(actor=users.other_town_staff, service=service, data={"result": "hired"})
    service.refresh_from_db()
    assert service.result == "pending"


@pytest.mark.parametrize(
    "role", ["auditor", "institution_staff", "sys_admin", "security_admin", "audit_admin"]
)
def test_roles_without_the_right_update_nothing(role: str, users: Any, service: Any) -> None:
    with pytest.raises(Forbidden):
        service_update(actor=users.by_role()[role], service=service, data={"result": "hired"})
    service.refresh_from_db()
    assert service.result == "pending"


def test_the_service_follows_the_person_when_they_move(
    users: Any, person_in: Any, service: Any
) -> None:
    person_update(actor=users.city_admin, person=person_in, data={"town": CIZAO})
    service.refresh_from_db()
    assert service.town_id == CIZAO
    assert service.kind == S.JOB_REFERRAL


def test_a_kind_with_bad_text_is_named_once(users: Any, person_in: Any) -> None:
    errors = refused(
        lambda: service_create(
            actor=users.town_staff, data=data(person_in, kind="job\x00", employer="x")
        )
    )
    assert errors == {"kind": "含有无效字符"}
    assert not EmploymentService.objects.exists()


# ---- any input: a record that keeps every rule, or a named refusal and nothing stored ----------

ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.text(max_size=40),
    st.sampled_from(
        ["job_referral", "policy_consultation", "hired", "pending", "2024-02-29", "1999-12-31"]
    ),
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    values=st.fixed_dictionaries(
        {},
        optional={
            name: ANY_VALUE
            for name in ("kind", "date", "content", "employer", "position", "result", "provider")
        },
    )
)
def test_any_input_stores_a_valid_record_or_nothing(
    values: dict[str, Any], users: Any, person_in: Any
) -> None:
    before = EmploymentService.objects.count()
    try:
        service = service_create(actor=users.town_staff, data={"person": person_in.pk, **values})
    except InvalidInput as exc:
        assert exc.errors and all(field and message for field, message in exc.errors)
        assert EmploymentService.objects.count() == before
        return
    service.refresh_from_db()
    assert service.kind in S.ServiceKind.values
    assert EARLIEST_DAY <= service.date <= TODAY
    referral = (service.employer, service.position, service.result)
    if service.kind == "job_referral":
        assert all(referral) and service.result in ("hired", "not_hired", "pending")
    else:
        assert referral == ("", "", "")
