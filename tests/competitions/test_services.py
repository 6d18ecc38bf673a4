"""The competition and typical case services: every rule on both sides, with its message."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from canpei.audit.models import AuditEntry
from canpei.codes import CompetitionLevel
from canpei.competitions import services as s
from canpei.competitions.models import CaseChannel, Competition, Entry, TypicalCase
from canpei.competitions.selectors import awarded_entries, entry_list
from canpei.errors import Conflict, Forbidden, InvalidInput
from canpei.people.services import person_update
from canpei.validation import one_of
from tests.competitions.fixtures import TODAY, case_data, competition_data
from tests.conftest import CIZAO


def errors_of(exc: pytest.ExceptionInfo[Any]) -> dict[str, str]:
    return dict(exc.value.errors)


def day(offset: int) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


# ---- competitions ------------------------------------------------------------------------------


def test_a_competition_is_stored_with_its_events_and_audited(competition: Any) -> None:
    assert competition.level == "city"
    assert [e.name for e in competition.events.all()] == ["电子商务", "盲人保健按摩"]
    entry = AuditEntry.objects.get(action="competition.create")
    assert entry.object_id == str(competition.pk)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "请填写竞赛名称"),
        ("name", "赛" * 101, "竞赛名称不能超过 100 个字符"),
        ("level", "", "请选择竞赛级别"),
        ("level", "county", "竞赛级别须为市级、泉州市级、省级、全国之一"),
        ("start_date", "", s.START_REQUIRED),
        ("start_date", "2026-13-01", s.DATE_INVALID),
        ("start_date", "1999-12-31", s.DATE_TOO_EARLY),
        ("end_date", "", s.END_REQUIRED),
        ("events", [], s.EVENTS_REQUIRED),
        ("events", ["电子商务", "电子商务"], s.EVENT_TWICE.format(name="电子商务")),
        ("events", [1, 2], s.EVENTS_INVALID),
        ("events", ["项" * 51], s.EVENT_TOO_LONG.format(name="项" * 50 + "…")),
        ("organizer", "办" * 101, "主办单位不能超过 100 个字符"),
    ],
)
def test_bad_competition_input_is_refused_naming_the_field(
    users: Any, field: str, value: Any, message: str
) -> None:
    with pytest.raises(InvalidInput) as exc:
        s.competition_create(actor=users.city_admin, data=competition_data(**{field: value}))
    assert errors_of(exc)[field] == message
    assert not Competition.objects.exists()


def test_the_level_codes_are_the_four_of_the_code_table(users: Any) -> None:
    levels = []
    for level in ("city", "prefecture", "province", "national"):
        c = s.competition_create(actor=users.city_admin, data=competition_data(level=level))
        levels.append(c.get_level_display())
    assert levels == ["市级", "泉州市级", "省级", "全国"]
    assert one_of(s.LEVEL, CompetitionLevel) == "竞赛级别须为市级、泉州市级、省级、全国之一"


def test_the_end_may_be_the_start_day_but_not_before(users: Any) -> None:
    ok = s.competition_create(
        actor=users.city_admin, data=competition_data(start_date=day(5), end_date=day(5))
    )
    assert ok.start_date == ok.end_date
    with pytest.raises(InvalidInput) as exc:
        s.competition_create(
            actor=users.city_admin, data=competition_data(start_date=day(5), end_date=day(4))
        )
    assert errors_of(exc) == {"end_date": "结束日期不能早于开始日期"}


def test_only_the_city_admin_writes_competitions(users: Any) -> None:
    for user in (users.town_staff, users.auditor, users.employment_service, users.sys_admin):
        with pytest.raises(Forbidden) as exc:
            s.competition_create(actor=user, data=competition_data())
        assert exc.value.message == "当前角色不能登记或修改职业技能竞赛"


def test_an_edit_adds_and_removes_events_but_not_one_entered(
    users: Any, competition: Any, person_in: Any
) -> None:
    massage = competition.events.get(name="盲人保健按摩")
    s.entry_create(
        actor=users.town_staff,
        competition=competition,
        data={"event": massage.pk, "person": person_in.pk},
    )
    with pytest.raises(InvalidInput) as exc:
        s.competition_update(
            actor=users.city_admin, competition=competition, data={"events": ["电子商务"]}
        )
    assert errors_of(exc) == {"events": "项目「盲人保健按摩」已有报名，不能删除"}
    s.competition_update(
        actor=users.city_admin,
        competition=competition,
        data={"events": "盲人保健按摩\n手工编织", "end_date": day(-8)},
    )
    assert sorted(e.name for e in competition.events.all()) == ["手工编织", "盲人保健按摩"]
    audit = AuditEntry.objects.get(action="competition.update")
    assert audit.changes["diff"]["events"] == {"added": ["手工编织"], "removed": ["电子商务"]}


def test_an_edit_checks_the_dates_against_the_stored_ones(users: Any, competition: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        s.competition_update(
            actor=users.city_admin, competition=competition, data={"end_date": day(-11)}
        )
    assert errors_of(exc) == {"end_date": s.DATES_ORDER}


# ---- entries -----------------------------------------------------------------------------------


def enter(user: Any, competition: Any, person: Any, event: str = "电子商务") -> Entry:
    return s.entry_create(
        actor=user,
        competition=competition,
        data={"event": competition.events.get(name=event).pk, "person": person.pk},
    )


def test_town_staff_enter_their_own_persons_with_their_town(
    users: Any, competition: Any, person_in: Any
) -> None:
    entry = enter(users.town_staff, competition, person_in)
    assert entry.town_id == person_in.town_id
    assert entry.entered_by == users.town_staff
    assert AuditEntry.objects.filter(action="competition_entry.create").count() == 1


def test_another_towns_person_reads_as_not_found(
    users: Any, competition: Any, person_out: Any
) -> None:
    with pytest.raises(InvalidInput) as exc:
        enter(users.town_staff, competition, person_out)
    assert errors_of(exc) == {"person": "人员不存在或不属于本人管辖范围"}
    # The city admin may enter anyone in the city.
    assert enter(users.city_admin, competition, person_out).person == person_out


def test_a_person_is_entered_once_per_event_but_may_enter_two_events(
    users: Any, competition: Any, person_in: Any
) -> None:
    enter(users.town_staff, competition, person_in)
    with pytest.raises(Conflict) as exc:
        enter(users.city_admin, competition, person_in)
    assert exc.value.message == "该人员已报名此项目，不能重复报名"
    enter(users.town_staff, competition, person_in, "盲人保健按摩")
    assert Entry.objects.count() == 2


def test_an_event_of_another_competition_is_refused(
    users: Any, competition: Any, person_in: Any
) -> None:
    other = s.competition_create(actor=users.city_admin, data=competition_data(name="另一竞赛"))
    with pytest.raises(InvalidInput) as exc:
        s.entry_create(
            actor=users.town_staff,
            competition=competition,
            data={"event": other.events.get(name="电子商务").pk, "person": person_in.pk},
        )
    assert errors_of(exc) == {"event": "请选择本竞赛的项目"}
    with pytest.raises(InvalidInput) as exc:
        s.entry_create(actor=users.town_staff, competition=competition, data={})
    assert errors_of(exc) == {"event": "请选择竞赛项目", "person": "请选择参赛人员"}


def test_only_active_persons_are_entered(users: Any, competition: Any, person_in: Any) -> None:
    person_in.status = "deceased"
    person_in.save()
    with pytest.raises(InvalidInput) as exc:
        enter(users.town_staff, competition, person_in)
    assert errors_of(exc) == {"person": "只能为在册人员报名"}


def test_readers_and_institutions_enter_no_one(
    users: Any, competition: Any, person_in: Any
) -> None:
    for user in (users.auditor, users.employment_service, users.institution_staff):
        with pytest.raises(Forbidden) as exc:
            enter(user, competition, person_in)
        assert exc.value.message == "当前角色不能为人员报名竞赛"


def test_results_and_awards_are_recorded_by_the_city_once_started(
    users: Any, competition: Any, person_in: Any
) -> None:
    entry = enter(users.town_staff, competition, person_in)
    s.entry_record_result(
        actor=users.city_admin, entry=entry, data={"result": "92.5 分", "award": "first"}
    )
    entry.refresh_from_db()
    assert (entry.result, entry.get_award_display()) == ("92.5 分", "一等奖")
    assert AuditEntry.objects.get(action="competition_entry.result").changes["diff"]["award"] == [
        "",
        "first",
    ]
    with pytest.raises(InvalidInput) as exc:
        s.entry_record_result(actor=users.city_admin, entry=entry, data={"award": "gold"})
    assert errors_of(exc) == {"award": "获奖等次须为一等奖、二等奖、三等奖、优秀奖之一"}
    with pytest.raises(InvalidInput) as exc:
        s.entry_record_result(actor=users.city_admin, entry=entry, data={"result": "分" * 51})
    assert errors_of(exc) == {"result": "比赛成绩不能超过 50 个字符"}
    with pytest.raises(Forbidden):
        s.entry_record_result(actor=users.town_staff, entry=entry, data={"award": "second"})


def test_no_result_before_the_competition_starts_but_on_its_first_day(
    users: Any, person_in: Any
) -> None:
    later = s.competition_create(
        actor=users.city_admin, data=competition_data(start_date=day(1), end_date=day(2))
    )
    entry = enter(users.town_staff, later, person_in)
    with pytest.raises(Conflict) as exc:
        s.entry_record_result(actor=users.city_admin, entry=entry, data={"award": "first"})
    assert exc.value.message == "竞赛开始后才能登记成绩和获奖等次"
    today = s.competition_create(
        actor=users.city_admin, data=competition_data(start_date=day(0), end_date=day(2))
    )
    entry = enter(users.town_staff, today, person_in)
    s.entry_record_result(actor=users.city_admin, entry=entry, data={"award": "third"})


def test_awarded_entries_are_found_by_year_in_scope(
    users: Any, competition: Any, person_in: Any, person_out: Any
) -> None:
    mine = enter(users.town_staff, competition, person_in)
    theirs = enter(users.city_admin, competition, person_out)
    enter(users.city_admin, competition, person_out, "盲人保健按摩")
    for entry in (mine, theirs):
        s.entry_record_result(actor=users.city_admin, entry=entry, data={"award": "second"})
    year = competition.start_date.year
    assert set(awarded_entries(users.city_admin, year)) == {mine, theirs}
    assert list(awarded_entries(users.town_staff, year)) == [mine]
    assert not awarded_entries(users.city_admin, year - 1).exists()
    assert not awarded_entries(users.institution_staff, year).exists()


def test_an_entry_follows_its_person_to_another_town(
    users: Any, competition: Any, person_in: Any
) -> None:
    entry = enter(users.town_staff, competition, person_in)
    person_update(actor=users.city_admin, person=person_in, data={"town": CIZAO})
    entry.refresh_from_db()
    assert entry.town_id == CIZAO
    assert not entry_list(user=users.town_staff).exists()
    assert list(entry_list(user=users.other_town_staff)) == [entry]


# ---- typical cases -----------------------------------------------------------------------------


def consent(users: Any, case: TypicalCase, offset: int = -5) -> TypicalCase:
    return s.case_record_consent(
        actor=users.city_admin,
        case=case,
        data={"date": day(offset), "method": "written", "scope": "微信公众号，可用真实姓名"},
    )


@pytest.fixture
def case(users: Any, person_in: Any) -> TypicalCase:
    return s.case_create(actor=users.city_admin, data=case_data(person=person_in.pk))


def test_a_case_needs_a_title_and_text(users: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        s.case_create(actor=users.city_admin, data={"channel": "tv"})
    assert errors_of(exc) == {
        "title": "请填写案例标题",
        "text": "请填写案例正文",
        "channel": "宣传渠道须为报刊、广播电视、网站、微信公众号、宣传册之一",
    }
    with pytest.raises(Forbidden) as exc2:
        s.case_create(actor=users.town_staff, data=case_data())
    assert exc2.value.message == "当前角色不能登记或修改典型案例"


def test_a_case_about_a_person_is_not_published_without_consent(
    users: Any, case: TypicalCase
) -> None:
    with pytest.raises(Conflict) as exc:
        s.case_publish(
            actor=users.city_admin, case=case, data={"date": day(0), "channel": "wechat"}
        )
    assert exc.value.message == "案例涉及个人，须先登记本人同意（且未撤回）才能发布"
    assert exc.value.errors == [("consent", exc.value.message)]
    case.refresh_from_db()
    assert case.published_on is None
    consent(users, case)
    s.case_publish(actor=users.city_admin, case=case, data={"date": day(0), "channel": "wechat"})
    case.refresh_from_db()
    assert (case.published_on, case.channel) == (TODAY, "wechat")


def test_a_case_about_no_one_is_published_without_consent(users: Any) -> None:
    case = s.case_create(actor=users.city_admin, data=case_data(channel="website"))
    s.case_publish(actor=users.city_admin, case=case, data={"date": day(0)})
    case.refresh_from_db()
    assert case.published
    with pytest.raises(Conflict) as exc:
        consent(users, case)
    assert exc.value.message == "案例未关联人物，无需登记本人同意"


def test_publishing_checks_date_and_channel(users: Any, case: TypicalCase) -> None:
    consent(users, case, -5)
    with pytest.raises(InvalidInput) as exc:
        s.case_publish(actor=users.city_admin, case=case, data={"date": day(1)})
    assert errors_of(exc) == {"date": "发布日期不能晚于今天", "channel": "发布前请选择宣传渠道"}
    with pytest.raises(InvalidInput) as exc:
        s.case_publish(actor=users.city_admin, case=case, data={"date": day(-6), "channel": "tv"})
    assert errors_of(exc) == {
        "date": "发布日期不能早于本人同意日期",
        "channel": one_of(s.CHANNEL, CaseChannel),
    }
    s.case_publish(actor=users.city_admin, case=case, data={"date": day(-5), "channel": "brochure"})
    with pytest.raises(Conflict) as exc2:
        s.case_publish(actor=users.city_admin, case=case, data={"date": day(0)})
    assert exc2.value.message == "案例已发布"


def test_consent_is_recorded_with_date_method_and_scope(users: Any, case: TypicalCase) -> None:
    with pytest.raises(InvalidInput) as exc:
        s.case_record_consent(actor=users.city_admin, case=case, data={"method": "oral"})
    assert errors_of(exc) == {
        "date": "请填写同意日期",
        "method": "同意方式须为书面、口头录音、电子签名之一",
        "scope": "请填写同意范围（同意在哪些渠道、以何种方式使用本人事迹）",
    }
    with pytest.raises(InvalidInput) as exc:
        s.case_record_consent(
            actor=users.city_admin, case=case, data={"date": day(1), "scope": "全部"}
        )
    assert errors_of(exc) == {"date": "同意日期不能晚于今天", "method": "请选择同意方式"}
    consent(users, case, 0)
    case.refresh_from_db()
    assert (case.consent_on, case.get_consent_method_display()) == (TODAY, "书面")


def test_withdrawing_consent_unpublishes_in_one_transaction_audited(
    users: Any, case: TypicalCase
) -> None:
    consent(users, case, -5)
    s.case_publish(actor=users.city_admin, case=case, data={"date": day(-4), "channel": "wechat"})
    with pytest.raises(InvalidInput) as exc:
        s.case_withdraw_consent(actor=users.city_admin, case=case, data={"date": day(-6)})
    assert errors_of(exc) == {"date": "撤回日期不能早于同意日期"}
    with pytest.raises(InvalidInput) as exc:
        s.case_withdraw_consent(actor=users.city_admin, case=case, data={"date": day(1)})
    assert errors_of(exc) == {"date": "撤回日期不能晚于今天"}
    s.case_withdraw_consent(actor=users.city_admin, case=case, data={"date": day(-5)})
    case.refresh_from_db()
    assert case.consent_withdrawn_on == TODAY - dt.timedelta(days=5)
    assert case.published_on is None
    actions = list(
        AuditEntry.objects.filter(object_id=str(case.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions[-2:] == ["typical_case.consent_withdraw", "typical_case.unpublish"]
    with pytest.raises(Conflict) as exc2:
        s.case_withdraw_consent(actor=users.city_admin, case=case, data={"date": day(0)})
    assert exc2.value.message == "尚未登记本人同意或已撤回，无需撤回"
    with pytest.raises(Conflict):
        s.case_publish(actor=users.city_admin, case=case, data={"date": day(0)})
    # A new consent clears the withdrawal; then the case may be published again.
    consent(users, case, 0)
    s.case_publish(actor=users.city_admin, case=case, data={"date": day(0)})


def test_a_withdrawal_of_an_unpublished_case_writes_no_unpublish(
    users: Any, case: TypicalCase
) -> None:
    consent(users, case)
    s.case_withdraw_consent(actor=users.city_admin, case=case, data={"date": day(0)})
    assert not AuditEntry.objects.filter(action="typical_case.unpublish").exists()


def test_the_person_is_fixed_once_consent_is_recorded(
    users: Any, case: TypicalCase, person_out: Any, person_in: Any
) -> None:
    s.case_update(actor=users.city_admin, case=case, data={"person": person_out.pk})
    case.refresh_from_db()
    assert case.town_id == CIZAO
    consent(users, case)
    with pytest.raises(InvalidInput) as exc:
        s.case_update(actor=users.city_admin, case=case, data={"person": person_in.pk})
    assert errors_of(exc) == {"person": "案例已发布或已登记本人同意，不能更换案例人物"}
    s.case_update(actor=users.city_admin, case=case, data={"title": "新标题"})


def test_unpublish_needs_a_published_case(users: Any) -> None:
    case = s.case_create(actor=users.city_admin, data=case_data(channel="website"))
    with pytest.raises(Conflict) as exc:
        s.case_unpublish(actor=users.city_admin, case=case)
    assert exc.value.message == "案例尚未发布"
    s.case_publish(actor=users.city_admin, case=case, data={"date": day(0)})
    s.case_unpublish(actor=users.city_admin, case=case)
    case.refresh_from_db()
    assert not case.published
