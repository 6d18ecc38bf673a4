"""The three targets on a hand-built data set (tests/reports/targets_data.py): every target per
town and for the city, the edge cases of issue 10, both sides of each date boundary, and scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction

from canpei import hooks
from canpei.errors import Forbidden, InvalidInput, NotFound
from canpei.reports import targets
from tests.conftest import ANHAI, CIZAO
from tests.reports.targets_data import EXPECTED, EXPECTED_2019, UNCOVERED, build, ids


@pytest.fixture
def data(users: Any, institution: Any) -> dict[str, Any]:
    return build(users, institution)


def figures(row: Any) -> list[tuple[int, int]]:
    return [(f.population, f.covered) for f in row.targets]


def test_every_target_per_town_and_city(users, data):
    report = targets.targets_report(user=users.city_admin, plan=data["plan"])
    by_town = {t.town: t for t in report.towns}
    assert figures(by_town[ANHAI]) == EXPECTED[ANHAI]
    assert figures(by_town[CIZAO]) == EXPECTED[CIZAO]
    assert report.city is not None
    assert figures(report.city) == EXPECTED["city"]
    # Every town of the city is listed, those without a person with zeros.
    assert len(report.towns) == 19
    assert all(figures(t) == [(0, 0)] * 3 for t in report.towns if t.town not in (ANHAI, CIZAO))
    assert report.city.targets[0].ratio == round(3 / 7, 4)


def test_the_year_reads_the_plan_as_it_stood_at_that_years_end(users, data):
    report = targets.targets_report(user=users.city_admin, plan=data["plan"], year=2019)
    by_town = {t.town: t for t in report.towns}
    assert report.period.end.isoformat() == "2019-12-31"
    assert figures(by_town[ANHAI]) == EXPECTED_2019[ANHAI]
    assert figures(by_town[CIZAO]) == EXPECTED_2019[CIZAO]


def test_a_year_outside_the_plan_is_refused(users, data):
    with pytest.raises(InvalidInput) as exc:
        targets.targets_report(user=users.city_admin, plan=data["plan"], year=2021)
    assert exc.value.errors == [("year", "年度须在计划期内（2019—2020 年）")]


@pytest.mark.parametrize("number,town", sorted(UNCOVERED))
def test_the_uncovered_lists(users, data, number, town):
    rows = targets.uncovered_list(
        user=users.city_admin, plan=data["plan"], target=targets.target_by_number(number), town=town
    )
    assert sorted(s.person_id for s in rows) == ids(data, UNCOVERED[number, town])


def test_uncovered_count_is_population_less_covered(users, data):
    report = targets.targets_report(user=users.city_admin, plan=data["plan"])
    assert report.city is not None
    for target in targets.TARGETS:
        everywhere = targets.uncovered_list(user=users.city_admin, plan=data["plan"], target=target)
        assert everywhere.count() == report.city.targets[target.number - 1].uncovered


def test_the_latest_survey_decides(users, data):
    # a6 said "entrepreneur" in 2019 and "按比例就业" in 2020: target 2, not target 3.
    a6 = data["people"]["a6"].pk
    t2 = targets.uncovered_list(user=users.city_admin, plan=data["plan"], target=targets.TARGETS[1])
    t3 = targets.uncovered_list(user=users.city_admin, plan=data["plan"], target=targets.TARGETS[2])
    assert a6 in {s.person_id for s in t2}
    assert a6 not in {s.person_id for s in t3}


def test_a_person_who_left_working_age_during_the_period_is_nowhere(users, data):
    a7 = data["people"]["a7"]
    assert a7.working_age_on(data["plan"].period_start)
    assert not a7.working_age_on(data["plan"].period_end)
    for target in targets.TARGETS:
        rows = targets.uncovered_list(user=users.city_admin, plan=data["plan"], target=target)
        assert a7.pk not in {s.person_id for s in rows}
    # ... while in 2019 he was still of working age (his survey is of 2020, so still nowhere).
    report = targets.targets_report(user=users.city_admin, plan=data["plan"], year=2019)
    assert figures(next(t for t in report.towns if t.town == ANHAI)) == EXPECTED_2019[ANHAI]


def test_the_person_who_moved_counts_where_they_live_now(users, data):
    a9 = data["people"]["a9"]
    assert a9.town_id == ANHAI
    report = targets.targets_report(user=users.other_town_staff, plan=data["plan"])
    assert figures(report.towns[0]) == EXPECTED[CIZAO]


def test_town_staff_see_their_own_town_and_no_city(users, data):
    report = targets.targets_report(user=users.town_staff, plan=data["plan"])
    assert [t.town for t in report.towns] == [ANHAI]
    assert report.city is None
    assert figures(report.towns[0]) == EXPECTED[ANHAI]
    with pytest.raises(NotFound):
        targets.targets_report(user=users.town_staff, plan=data["plan"], town=CIZAO)
    rows = targets.uncovered_list(
        user=users.town_staff, plan=data["plan"], target=targets.TARGETS[0]
    )
    assert sorted(s.person_id for s in rows) == ids(data, UNCOVERED[1, ANHAI])
    with pytest.raises(NotFound):
        targets.uncovered_list(
            user=users.town_staff, plan=data["plan"], target=targets.TARGETS[0], town=CIZAO
        )


@pytest.mark.parametrize("role", ["employment_service", "auditor"])
def test_city_wide_readers_see_the_city(users, data, role):
    report = targets.targets_report(user=getattr(users, role), plan=data["plan"])
    assert figures(report.city) == EXPECTED["city"]


@pytest.mark.parametrize(
    "role", ["institution_staff", "sys_admin", "security_admin", "audit_admin"]
)
def test_institutions_and_officers_get_no_targets(users, data, role):
    user = getattr(users, role)
    with pytest.raises(Forbidden):
        targets.targets_report(user=user, plan=data["plan"])
    with pytest.raises(Forbidden):
        targets.uncovered_list(user=user, plan=data["plan"], target=targets.TARGETS[0])


def test_a_target_number_other_than_1_2_3_is_refused():
    for bad in ("0", "4", "", "x", None):
        with pytest.raises(InvalidInput) as exc:
            targets.target_by_number(bad)
        assert exc.value.errors == [("target", "目标须为 1、2 或 3")]


def test_every_target_names_its_national_codes_in_its_docstring():
    for function, words in [
        (targets.new_entrants, ["new_entrant", "registered_unemployed"]),
        (targets.enterprise_employees, ["1 按比例就业", "2 集中就业", "skill_upgrade"]),
        (targets.entrepreneurs, ["3 个体就业（含自主创业）", "entrepreneurship"]),
    ]:
        assert all(word in (function.__doc__ or "") for word in words)


def test_the_queries_do_not_grow_with_the_persons(users, data, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        targets.targets_report(user=users.city_admin, plan=data["plan"])


def test_both_sides_of_each_date_boundary(users, data):
    from canpei.training.models import Enrollment

    plan = data["plan"]
    people = data["people"]
    # a1 alone through K8, which ends on the period's first day: still covered.
    Enrollment.objects.filter(person=people["a1"], training_class__end_date="2019-06-30").delete()
    t1 = targets.uncovered_list(user=users.city_admin, plan=plan, target=targets.TARGETS[0])
    assert people["a1"].pk not in {s.person_id for s in t1}
    # c1's class ended the day before the period: uncovered.
    assert people["c1"].pk in {s.person_id for s in t1}
    # a3's class ends on period_end: covered; a10's the day after: uncovered.
    t2 = targets.uncovered_list(user=users.city_admin, plan=plan, target=targets.TARGETS[1])
    t3 = targets.uncovered_list(user=users.city_admin, plan=plan, target=targets.TARGETS[2])
    assert people["a3"].pk not in {s.person_id for s in t2}
    assert people["a10"].pk in {s.person_id for s in t3}
    # Moving the application's completion one day past the end uncovers a11.
    from canpei.training.models import Application

    Application.objects.filter(person=people["a11"]).update(certificate_date="2021-01-01")
    announce(people["a11"])
    for live in (False, True):
        t1 = targets.uncovered_list(
            user=users.city_admin, plan=plan, target=targets.TARGETS[0], live=live
        )
        assert people["a11"].pk in {s.person_id for s in t1}
    Application.objects.filter(person=people["a11"]).update(certificate_date="2020-12-31")
    announce(people["a11"])
    for live in (False, True):
        t1 = targets.uncovered_list(
            user=users.city_admin, plan=plan, target=targets.TARGETS[0], live=live
        )
        assert people["a11"].pk not in {s.person_id for s in t1}


def announce(*persons: Any) -> None:
    """What a service announces after such a write (hooks.outcomes_changed), in its transaction."""
    with transaction.atomic():
        hooks.outcomes_changed([p.pk for p in persons])


@pytest.mark.parametrize(
    "state, covered",
    [
        ("running", False),
        ("completed", True),
        ("audit_failed", False),
        ("audited", True),
        ("settled", True),
        ("cancelled", False),
    ],
)
def test_only_a_class_whose_completion_stands_covers_its_trainees(users, data, state, covered):
    from canpei.training.models import Enrollment, TrainingClass

    a8 = data["people"]["a8"]  # 甲八: new entrant of 安海镇, failed trainee, not covered
    k1 = Enrollment.objects.get(person=a8).training_class
    Enrollment.objects.filter(person=a8).update(status="completed")
    TrainingClass.objects.filter(pk=k1.pk).update(state=state)
    announce(a8)
    for live in (False, True):
        uncovered = targets.uncovered_list(
            user=users.city_admin,
            plan=data["plan"],
            target=targets.TARGETS[0],
            town=ANHAI,
            live=live,
        )
        assert (a8.pk not in [s.person_id for s in uncovered]) is covered


def test_the_summary_equals_the_live_count_for_every_reader(users, data):
    from canpei.reports.summaries.targets import target_differences

    assert target_differences() == []
    for user in (users.city_admin, users.town_staff, users.auditor, users.employment_service):
        kept = targets.targets_report(user=user, plan=data["plan"])
        live = targets.targets_report(user=user, plan=data["plan"], live=True)
        assert [(t.town, figures(t)) for t in kept.towns] == [
            (t.town, figures(t)) for t in live.towns
        ]
        assert (kept.city and figures(kept.city)) == (live.city and figures(live.city))
        for target in targets.TARGETS:
            shown = targets.uncovered_list(user=user, plan=data["plan"], target=target)
            counted = targets.uncovered_list(user=user, plan=data["plan"], target=target, live=True)
            assert [s.pk for s in shown] == [s.pk for s in counted]
            # Counted from the standings, the same number; narrowed further, counted as listed.
            assert shown.count() == len(counted)
            men = shown.filter(person__gender="1")
            assert men.count() == len([s for s in counted if s.person.gender == "1"])


def test_a_page_of_the_uncovered_list_is_the_same_slice_as_the_live_list(
    users, data, django_assert_num_queries
):
    """A page is chosen on the standings alone (their partial index), then joined: every slice
    holds the persons of the live list's slice, in its order, and costs one query (and one for
    the wanted skills), whichever page it is."""
    target = targets.TARGETS[0]  # the city's four uncovered persons: a2, a8, a12, c1
    shown = targets.uncovered_list(user=users.city_admin, plan=data["plan"], target=target)
    live = [
        s.pk
        for s in targets.uncovered_list(
            user=users.city_admin, plan=data["plan"], target=target, live=True
        )
    ]
    assert len(live) == 4
    for size in (1, 2, 3, 50):
        for start in range(0, 6):
            # An empty page has no wanted skills to fetch.
            with django_assert_num_queries(2 if start < len(live) else 1) as captured:
                page = list(shown[start : start + size])
            # The limit and offset are the standings' (in the subquery), not the joined rows'.
            outer = captured.captured_queries[0]["sql"].rsplit(")", 1)[-1]
            assert "LIMIT" not in outer and "OFFSET" not in outer
            assert [s.pk for s in page] == live[start : start + size]
            # What the rows show is loaded with them: no query per row.
            with django_assert_num_queries(0):
                _ = [(s.person.name, s.person.town.name, list(s.wanted_skills.all())) for s in page]
    # Narrowed further, a slice is still the narrowed list's.
    anhai = shown.filter(person__town_id=ANHAI)
    assert [s.pk for s in anhai[1:3]] == [s.pk for s in list(anhai)[1:3]]


@pytest.mark.parametrize(("kind", "covered"), [("appraisal", False), ("upgrade", True)])
def test_an_appraisal_alone_is_no_training(users, data, kind, covered):
    """a12 (新成长劳动力 of 安海镇, uncovered) gets a completed application with its certificate
    inside the period: a qualification upgrade covers him, an appraisal alone does not."""
    from canpei.training.models import Application

    a12 = data["people"]["a12"]
    # a11's completed application, copied for a12 with another kind and date.
    application = Application.objects.get(person=data["people"]["a11"])
    application.pk = None
    application.person, application.kind = a12, kind
    application.certificate_date = dt.date(2020, 3, 1)
    application.save()
    announce(a12)
    population, before = EXPECTED[ANHAI][0]
    for live in (False, True):
        report = targets.targets_report(user=users.city_admin, plan=data["plan"], live=live)
        anhai = next(t for t in report.towns if t.town == ANHAI)
        assert figures(anhai)[0] == (population, before + covered)
        uncovered = targets.uncovered_list(
            user=users.city_admin, plan=data["plan"], target=targets.TARGETS[0], live=live
        )
        assert (a12.pk not in {s.person_id for s in uncovered}) is covered
    # The year 2020 is counted live: the same answer.
    report = targets.targets_report(user=users.city_admin, plan=data["plan"], year=2020)
    anhai = next(t for t in report.towns if t.town == ANHAI)
    assert figures(anhai)[0] == (population, before + covered)


def test_the_plans_whole_period_is_read_from_its_tallies_unless_live(users, data):
    """Without a year the report reads the plan's tallies (kept by every write); `live=True`
    counts from the records. A tally changed past the services shows the difference."""
    from canpei.reports.models import TargetTally

    TargetTally.objects.filter(plan=data["plan"], town=ANHAI, target=1).update(
        population=60, covered=30
    )
    kept = targets.targets_report(user=users.city_admin, plan=data["plan"])
    assert figures(next(t for t in kept.towns if t.town == ANHAI))[0] == (60, 30)
    counted = targets.targets_report(user=users.city_admin, plan=data["plan"], live=True)
    assert figures(next(t for t in counted.towns if t.town == ANHAI)) == EXPECTED[ANHAI]
    # One year of the plan is always counted live.
    year = targets.targets_report(user=users.city_admin, plan=data["plan"], year=2020)
    assert figures(next(t for t in year.towns if t.town == ANHAI)) == EXPECTED[ANHAI]


@pytest.mark.parametrize("town", [ANHAI, CIZAO])
def test_one_town_asked_for_live(users, data, town):
    for live, year in ((True, None), (False, 2020)):
        report = targets.targets_report(
            user=users.city_admin, plan=data["plan"], town=town, live=live, year=year
        )
        assert [t.town for t in report.towns] == [town]
        assert figures(report.towns[0]) == EXPECTED[town]
        assert report.city is None


def test_the_live_list_loads_what_its_rows_show_with_it(users, data, django_assert_num_queries):
    """The live list (a year's, or `live=True`) reads its rows and their wanted skills in two
    queries, however many rows: the person, town and skills each row shows come with them."""
    target = targets.TARGETS[0]
    with django_assert_num_queries(2):
        rows = list(
            targets.uncovered_list(
                user=users.city_admin, plan=data["plan"], target=target, live=True
            )
        )
    assert len(rows) == 4
    with django_assert_num_queries(0):
        _ = [(s.person.name, s.person.town.name, list(s.wanted_skills.all())) for s in rows]
