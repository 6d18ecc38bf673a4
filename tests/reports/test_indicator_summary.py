"""The indicators' summary (canpei.reports.summaries.indicators) gives exactly what the live
computation gives: on the hand-built data set, after random writes made through the services,
and on a later day (the clock)."""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from django.db import transaction

from canpei import hooks
from canpei.employment.followups import services as followups
from canpei.employment.models import FollowUp
from canpei.people.services import person_update
from canpei.reports import plans
from canpei.reports.indicators import IndicatorFilters, Indicators, indicators, live_indicators
from canpei.reports.models import IndicatorCell, IndicatorClock, Plan
from canpei.reports.summaries.indicators import (
    advance_clock,
    rebuild_indicators,
    summary_indicators,
)
from canpei.training.applications.services.applications import (
    application_create,
    application_transition,
)
from canpei.training.classes import services as classes
from canpei.training.models import Enrollment
from tests.conftest import ANHAI, CIZAO
from tests.employment.fixtures import good_record
from tests.reports import indicator_data
from tests.reports.indicator_data import AS_OF, DataSet
from tests.training.fixtures import register_hours

SHAPES: list[dict[str, Any]] = [{}, {"year": 2024}, {"year": 2025}, {"year": 2026}, {"year": 2023}]


@pytest.fixture
def data(trainee_factory: Any, institution: Any, other_institution: Any) -> DataSet:
    return indicator_data.build(trainee_factory, institution, other_institution)


def readers(users: Any) -> list[Any]:
    return [
        users.city_admin,
        users.auditor,
        users.employment_service,
        users.town_staff,
        users.other_town_staff,
        users.institution_staff,
    ]


def served(user: Any, as_of: dt.date, **filters: Any) -> Indicators:
    """The summary's answer, which must exist (not fall back to live) and equal live's."""
    f = IndicatorFilters(**filters)
    summary = summary_indicators(user=user, filters=f, as_of=as_of)
    assert summary is not None, (user.username, filters)
    assert summary == live_indicators(user=user, filters=f, as_of=as_of), (user.username, filters)
    return summary


def agree(users: Any, as_of: dt.date, shapes: list[dict[str, Any]]) -> None:
    for user in readers(users):
        for shape in shapes:
            served(user, as_of, **shape)
    for town in (ANHAI, CIZAO):  # a city-wide reader's town filter reads the town's cells
        served(users.city_admin, as_of, town=town)


def test_never_built_means_live(users: Any, data: DataSet) -> None:
    assert not IndicatorClock.objects.exists()
    f = IndicatorFilters()
    assert summary_indicators(user=users.city_admin, filters=f, as_of=AS_OF) is None
    # The receiver does nothing either: no cell appears.
    hooks.outcomes_changed([p.pk for p in data.persons.values()])
    assert not IndicatorCell.objects.exists()
    assert indicators(user=users.city_admin, filters=f, as_of=AS_OF).total.trained == 5


def test_the_summary_equals_live_on_the_hand_built_set(users: Any, data: DataSet) -> None:
    rebuild_indicators(as_of=AS_OF)
    agree(users, AS_OF, SHAPES)
    total = served(users.city_admin, AS_OF).total
    assert (total.trained, total.trainee_times, total.certificates) == (5, 6, 3)
    assert [m.median_income for m in total.employment] == [
        indicator_data.Decimal("3000.00"),
        indicator_data.Decimal("3850.50"),
    ]
    # indicators() serves the default shapes from the summary, others live (same answer).
    assert indicators(user=users.city_admin, filters=IndicatorFilters(), as_of=AS_OF) == (
        live_indicators(user=users.city_admin, filters=IndicatorFilters(), as_of=AS_OF)
    )
    f = IndicatorFilters(type="employment_skills")
    assert summary_indicators(user=users.city_admin, filters=f, as_of=AS_OF) is None
    assert summary_indicators(user=users.sys_admin, filters=IndicatorFilters(), as_of=AS_OF) is None


def test_a_refresh_of_everyone_changes_nothing(users: Any, data: DataSet) -> None:
    rebuild_indicators(as_of=AS_OF)
    cells = sorted(
        IndicatorCell.objects.values_list(
            "scope", "year", "breakdown", "key", "trained", "trainee_times"
        )
    )
    hooks.outcomes_changed([p.pk for p in data.persons.values()])
    assert (
        sorted(
            IndicatorCell.objects.values_list(
                "scope", "year", "breakdown", "key", "trained", "trainee_times"
            )
        )
        == cells
    )


def test_raw_writes_then_a_refresh_of_their_persons(users: Any, data: DataSet) -> None:
    rebuild_indicators(as_of=AS_OF)
    jia, bing = data.persons["甲"], data.persons["丙"]
    # 甲 moves to 磁灶 (enrolments and follow-ups follow), 丙's class audit is sent back, and a
    # follow-up of 乙 is recorded employed with an income: written behind the services' back,
    # then announced.
    Enrollment.objects.filter(person=jia).update(town_id=CIZAO)
    FollowUp.objects.filter(person=jia).update(town_id=CIZAO)
    jia.__class__.objects.filter(pk=jia.pk).update(town_id=CIZAO, hardship_dibao=False)
    data.classes["C3"].__class__.objects.filter(pk=data.classes["C3"].pk).update(
        state="audit_failed"
    )
    FollowUp.objects.filter(enrollment=data.enrollments["乙C1"], months=6).update(
        date=dt.date(2026, 1, 10), employed=True, monthly_income=indicator_data.Decimal("999.99")
    )
    with transaction.atomic():
        hooks.outcomes_changed([jia.pk, bing.pk, data.persons["乙"].pk])
    agree(users, AS_OF, SHAPES)


def test_the_clock_advances_to_the_later_day(users: Any, data: DataSet) -> None:
    rebuild_indicators(as_of=AS_OF)
    later = dt.date(2027, 2, 1)  # 甲's C2 3-month follow-up fell due 2027-01-31
    with mock.patch("django.utils.timezone.localdate", return_value=later):
        served_later = served(users.city_admin, later, year=2026)
        assert served_later.total.employment[0].due == 1
        assert IndicatorClock.objects.get().as_of == later
        agree(users, later, SHAPES)
    # An earlier day than the clock's is computed live.
    assert (
        summary_indicators(user=users.city_admin, filters=IndicatorFilters(), as_of=AS_OF) is None
    )
    assert advance_clock(AS_OF) is True and IndicatorClock.objects.get().as_of == later


def test_a_plan_edit_moves_the_plan_rows(users: Any, data: DataSet) -> None:
    rebuild_indicators(as_of=AS_OF)
    plan = plans.plan_create(
        actor=users.city_admin,
        data={"name": "测试计划", "period_start": "2025-01-01", "period_end": "2025-06-30"},
    )
    agree(users, AS_OF, SHAPES)
    plans.plan_update(actor=users.city_admin, plan=plan, data={"period_end": "2026-12-31"})
    agree(users, AS_OF, SHAPES)
    row = next(r for r in served(users.city_admin, AS_OF).by_plan if r.key == str(plan.pk))
    assert (row.label, row.trainee_times) == ("测试计划", 5)  # C1 (3), C2 and A1


# ---- random writes through the services -------------------------------------------------------
# Nothing here calls the summary: every service announces its writes (hooks.outcomes_changed)
# in its transaction, and the receiver keeps the cells.


@pytest.mark.slow
def test_the_summary_stays_equal_to_live_after_random_writes(
    users: Any, make_class: Callable[..., Any], trainee_factory: Callable[..., Any]
) -> None:
    today = dt.date.today()
    rng = random.Random(20261202)
    rebuild_indicators()
    made = iter(range(14))  # classes in turn, none overlapping, all ended before today
    people = [trainee_factory(town=rng.choice([ANHAI, CIZAO])) for _ in range(10)]
    running: list[Any] = []
    declared: list[Any] = []
    audited: list[Any] = []
    shapes: list[dict[str, Any]] = [{}, {"year": today.year}, {"year": today.year - 1}]

    def new_class() -> None:
        n = next(made, None)
        if n is None:
            return
        start = today - dt.timedelta(days=680 - 40 * n)
        c = make_class(
            "running",
            persons=rng.sample(people, 3),
            training_type=rng.choice(["employment_skills", "rural_practical"]),
            level=rng.choice(["junior", "senior"]),
            folk_craft=rng.random() < 0.5,
            start_date=start.isoformat(),
            end_date=(start + dt.timedelta(days=30)).isoformat(),
        )
        running.append(c)

    def withdraw() -> None:
        if not running:
            return new_class()
        c = rng.choice(running)
        e = c.enrollments.filter(status="enrolled").first()
        if e is None:
            return None
        classes.enrollment_update(
            actor=users.institution_staff,
            enrollment=e,
            data={"status": "withdrawn", "withdraw_reason": "搬家"},
        )
        return None

    def complete() -> None:
        if not running:
            return new_class()
        c = running.pop(rng.randrange(len(running)))
        # The register, in full: completion needs every planned hour (issue 12).
        attended = {
            e.pk: str(c.hours) if rng.random() < 0.8 else "1"
            for e in c.enrollments.filter(status="enrolled")
        }
        register_hours(users.institution_staff, c, attended)
        classes.class_transition(training_class=c, actor=users.institution_staff, action="complete")
        declared.append(c)
        return None

    def audit() -> None:
        if not declared:
            return complete()
        c = declared.pop(rng.randrange(len(declared)))
        passed = rng.random() < 0.7
        classes.class_transition(
            training_class=c,
            actor=users.city_admin,
            action="pass_audit" if passed else "fail_audit",
            comment="" if passed else "材料不全",
        )
        if passed:
            audited.append(c)
        return None

    def record_followup() -> None:
        followup = FollowUp.objects.filter(date__isnull=True).order_by("?").first()
        if followup is None:
            return audit()
        employed = rng.random() < 0.6
        data = (
            good_record(monthly_income=str(rng.choice([1800, 2500, 3200, 4100])))
            if employed
            else {
                "method": "phone",
                "employed": False,
                "not_working_reason": "4",
                "date": today.isoformat(),
            }
        )
        followups.followup_record(actor=users.employment_service, followup=followup, data=data)
        return None

    def move() -> None:
        person = rng.choice(people)
        person.refresh_from_db()
        town = CIZAO if person.town_id == ANHAI else ANHAI
        person_update(actor=users.city_admin, person=person, data={"town": town})

    def hardship() -> None:
        person = rng.choice(people)
        person.refresh_from_db()
        flags = [] if person.hardship_dibao else ["dibao"]
        person_update(actor=users.city_admin, person=person, data={"hardship": flags})

    def application() -> None:
        person = rng.choice(people)
        person.refresh_from_db()
        clerk = users.town_staff if person.town_id == ANHAI else users.other_town_staff
        a = application_create(
            actor=clerk,
            data={
                "person": person.pk,
                "kind": "self_directed",
                "institution_name": "外地学校",
                "training_type": "employment_skills",
                "occupation": "电子商务师",
                "level": rng.choice(["junior", "technician"]),
                "planned_start": (today - dt.timedelta(days=100)).isoformat(),
                "planned_end": (today - dt.timedelta(days=50)).isoformat(),
                "amount_requested": "1500",
                "reason": "自学",
            },
        )
        application_transition(
            application=a, actor=users.city_admin, action="approve", comment="", data={}
        )
        application_transition(
            application=a,
            actor=clerk,
            action="complete",
            comment="",
            data={
                "certificate_type": "training",
                "certificate_number": f"ZS{a.pk}",
                "certificate_date": (today - dt.timedelta(days=rng.choice([40, 400]))).isoformat(),
                "certificate_issuer": "人社局",
            },
        )

    def plan_edit() -> None:
        plan = Plan.objects.order_by("?").first()
        assert plan is not None
        start = today - dt.timedelta(days=rng.choice([30, 220, 800]))
        plans.plan_update(
            actor=users.city_admin,
            plan=plan,
            data={"period_start": start.isoformat(), "period_end": today.isoformat()},
        )

    steps = [
        new_class,
        withdraw,
        complete,
        audit,
        audit,
        record_followup,
        record_followup,
        move,
        hardship,
        application,
        plan_edit,
    ]
    for _ in range(3):
        new_class()
    taken: list[str] = []
    for _ in range(30):
        step = rng.choice(steps)
        step()
        taken.append(step.__name__)
        for user in (
            users.city_admin,
            users.town_staff,
            users.other_town_staff,
            users.institution_staff,
        ):
            for shape in shapes:
                try:
                    served(user, today, **shape)
                except AssertionError:
                    raise AssertionError(f"after {step.__name__}") from None
    assert {"audit", "record_followup", "move", "application"} <= set(taken) and audited
    total = served(users.city_admin, today).total
    assert total.trainee_times > 0 and total.employment[0].recorded > 0
    # And a later day: the follow-ups due since are counted as live counts them.
    later = today + dt.timedelta(days=200)
    with mock.patch("django.utils.timezone.localdate", return_value=later):
        for user in (users.city_admin, users.town_staff, users.institution_staff):
            for shape in shapes:
                served(user, later, **shape)


def test_the_page_the_api_and_the_home_page_read_alike_from_the_summary(
    users: Any, data: DataSet, api: Any, login: Any
) -> None:
    Plan.objects.create(
        name="2025 年计划", period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 12, 31)
    )
    asks = [
        (users.city_admin, "/reports", {}),
        (users.city_admin, "/reports", {"year": "2025"}),
        (users.city_admin, "/reports", {"town": CIZAO}),
        (users.town_staff, "/reports", {}),
        (users.institution_staff, "/reports", {"year": "2025"}),
        (users.auditor, "/", {}),
    ]

    def read() -> list[Any]:
        found: list[Any] = []
        for user, url, query in asks:
            response = login(user).get(url, query)
            assert response.status_code == 200
            # The page as shown, but for its per-request CSRF tokens.
            found.append(
                re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())
            )
            found.append(api(user).get("/reports/indicators", **query).json())
        return found

    rebuild_indicators()
    today = dt.date.today()
    assert summary_indicators(user=users.auditor, filters=IndicatorFilters(), as_of=today)
    summary = read()
    IndicatorClock.objects.all().delete()  # never built: live
    assert read() == summary


@pytest.mark.slow
def test_the_demo_builds_the_summary_and_it_equals_live(db: Any) -> None:
    from canpei.accounts.models import User
    from canpei.demo import demo_load

    demo_load(persons=600, seed=1)
    today = dt.date.today()
    assert IndicatorClock.objects.get().as_of == today
    city = User.objects.get(username="city")
    report = served(city, today)
    assert report.total.trainee_times > 0 and any(m.due for m in report.total.employment)
    served(city, today, year=today.year)
    for user in User.objects.filter(role__in=["town_staff", "institution_staff", "auditor"]):
        served(user, today)
        served(user, today, year=today.year - 1)


def test_other_milestones_than_the_summarys_are_computed_live(users: Any, data: DataSet) -> None:
    rebuild_indicators(as_of=AS_OF)
    assert IndicatorClock.objects.get().months == "3,6"
    f = IndicatorFilters()
    with mock.patch("django.conf.settings.FOLLOWUP_MONTHS", (3,)):
        assert summary_indicators(user=users.city_admin, filters=f, as_of=AS_OF) is None
        rebuild_indicators(as_of=AS_OF)
        assert served(users.city_admin, AS_OF).months == (3,)
