"""The reports' summaries stay equal to the live computation: after every write of a seeded random
sequence made through the real services (surveys, moves, status changes, classes completed,
audited, failed and settled, withdrawals, applications completed, follow-ups recorded, a plan's
period changed), `canpei.reports.summaries.differences()` is empty, and the pages' figures read
from the summary equal the live ones."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

import pytest

from canpei.errors import ServiceError
from canpei.reports import targets
from canpei.reports.selectors import registry_overview
from canpei.reports.summaries import differences, rebuild_all
from tests.conftest import ANHAI, CIZAO
from tests.employment.fixtures import GOOD_RECORD
from tests.reports.person_writes import flip_status, move_between_towns

TODAY = dt.date.today()
FLAGS: list[dict[str, Any]] = [
    {"new_entrant": True},
    {"registered_unemployed": True},
    {"employment_form": "1", "employer": "甲鞋业公司"},
    {"employment_form": "2", "employer": "乙福利企业"},
    {"employment_form": "3"},
    {"training_need": True, "wants_work": True, "entrepreneurship_intention": True},
    {
        "new_entrant": True,
        "training_need": True,
        "wants_work": True,
        "entrepreneurship_intention": True,
    },
    {},
]
TYPES = ["employment_skills", "skill_upgrade", "entrepreneurship", "rural_practical"]
LEVELS = ["junior", "intermediate", "senior", "technician"]


def figures(report: targets.TargetsReport) -> list[Any]:
    rows = [*report.towns, *([report.city] if report.city else [])]
    return [(r.town, [(f.population, f.covered) for f in r.targets]) for r in rows]


def agree(users: Any, plan: Any) -> None:
    plan.refresh_from_db()  # a step may have moved its period
    assert differences() == []
    for user in (users.city_admin, users.town_staff):
        kept_registry = registry_overview(user=user, today=TODAY)
        live_registry = registry_overview(user=user, today=TODAY, live=True)
        assert kept_registry.towns == live_registry.towns
        assert figures(targets.targets_report(user=user, plan=plan)) == figures(
            targets.targets_report(user=user, plan=plan, live=True)
        )
        for target in targets.TARGETS:
            kept = targets.uncovered_list(user=user, plan=plan, target=target)
            live = targets.uncovered_list(user=user, plan=plan, target=target, live=True)
            assert [s.pk for s in kept] == [s.pk for s in live]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_summaries_follow_random_writes(
    users: Any,
    seed: int,
    make_class: Callable[..., Any],
    trainee_factory: Callable[..., Any],
    make_completed_application: Callable[..., Any],
) -> None:
    from canpei.employment.followups.services import followup_record
    from canpei.employment.models import FollowUp
    from canpei.people.surveys.services import survey_create, survey_update
    from canpei.reports.plans import plan_create, plan_update
    from canpei.training.classes.services import class_transition, enrollment_update

    rng = random.Random(seed)
    plan = plan_create(
        actor=users.city_admin,
        data={
            "name": f"测试计划 {seed}",
            "period_start": dt.date(TODAY.year - 1, 1, 1).isoformat(),
            "period_end": dt.date(TODAY.year + 1, 12, 31).isoformat(),
        },
    )
    persons = [trainee_factory(town=rng.choice([ANHAI, CIZAO])) for _ in range(10)]
    persons.append(trainee_factory(birth="19640101"))  # leaves working age within the plan
    surveys = {}
    for person in persons:
        surveys[person.pk] = survey_create(
            actor=users.city_admin,
            data={
                "person": person.pk,
                "year": TODAY.year - 1,
                "surveyed_on": dt.date(TODAY.year - 1, 5, 1),
                **rng.choice(FLAGS),
            },
        )
    agree(users, plan)

    def survey_again(person: Any) -> None:
        flags = {
            key: False
            for key in (
                "new_entrant",
                "registered_unemployed",
                "training_need",
                "wants_work",
                "entrepreneurship_intention",
            )
        }
        flags |= {"employment_form": "", "employer": ""} | rng.choice(FLAGS)
        survey_update(actor=users.city_admin, survey=surveys[person.pk], data=flags)

    def survey_this_year(person: Any) -> None:
        if (person.pk, TODAY.year) not in surveys:
            surveys[(person.pk, TODAY.year)] = survey_create(
                actor=users.city_admin,
                data={
                    "person": person.pk,
                    "year": TODAY.year,
                    "surveyed_on": TODAY,
                    **rng.choice(FLAGS),
                },
            )

    def move(person: Any) -> None:
        move_between_towns(users, person)

    def status(person: Any) -> None:
        flip_status(users, person)

    def a_class(state: str) -> Any:
        start = TODAY - dt.timedelta(days=rng.choice([40, 120, 400]))
        return make_class(
            state,
            persons=rng.sample(persons, 3),
            training_type=rng.choice(TYPES),
            level=rng.choice(LEVELS),
            start_date=start.isoformat(),
            end_date=(start + dt.timedelta(days=20)).isoformat(),
        )

    def audited(_person: Any) -> None:
        a_class(rng.choice(["completed", "audited", "settled"]))

    def failed(_person: Any) -> None:
        training_class = a_class("completed")
        class_transition(
            training_class=training_class,
            actor=users.city_admin,
            action="fail_audit",
            comment="测试",
        )

    def withdrawn(_person: Any) -> None:
        training_class = a_class("running")
        enrollment = training_class.enrollments.first()
        enrollment_update(
            actor=users.institution_staff,
            enrollment=enrollment,
            data={"status": "withdrawn", "withdraw_reason": "测试"},
        )

    def applied(person: Any) -> None:
        person.refresh_from_db()
        if person.status == "active" and person.town_id == ANHAI:
            make_completed_application(
                person=person, issued=TODAY - dt.timedelta(days=rng.choice([10, 100]))
            )

    def followed(_person: Any) -> None:
        due = FollowUp.objects.filter(date__isnull=True, due_on__lte=TODAY).first()
        if due is not None:
            followup_record(
                actor=users.city_admin,
                followup=due,
                data={**GOOD_RECORD, "date": TODAY.isoformat()},
            )

    def replanned(_person: Any) -> None:
        plan.refresh_from_db()
        start = dt.date(TODAY.year - rng.choice([0, 1]), rng.choice([1, 6]), 1)
        plan_update(actor=users.city_admin, plan=plan, data={"period_start": start.isoformat()})

    steps = [
        survey_again,
        survey_this_year,
        move,
        status,
        audited,
        failed,
        withdrawn,
        applied,
        followed,
        replanned,
    ]
    done = 0
    for _ in range(16):
        step = rng.choice(steps)
        try:
            step(rng.choice(persons))
            done += 1
        except ServiceError:
            pass  # a refused write (an overlap, a deceased trainee) changed nothing: still agree
        agree(users, plan)
    assert done >= 8


def test_a_rebuild_gives_what_the_writes_kept(
    users: Any, make_class: Callable[..., Any], trainee_factory: Callable[..., Any]
) -> None:
    from canpei.people.surveys.services import survey_create
    from canpei.reports.models import TargetStanding, TargetTally
    from canpei.reports.plans import plan_create

    plan_create(
        actor=users.city_admin,
        data={
            "name": "本期计划",
            "period_start": f"{TODAY.year - 1}-01-01",
            "period_end": f"{TODAY.year + 1}-12-31",
        },
    )
    persons = [trainee_factory() for _ in range(4)]
    for person, flags in zip(persons, FLAGS, strict=False):
        survey_create(
            actor=users.city_admin, data={"person": person.pk, "surveyed_on": TODAY, **flags}
        )
    start = TODAY - dt.timedelta(days=60)
    make_class(
        "audited",
        persons=persons[:2],
        start_date=start.isoformat(),
        end_date=(start + dt.timedelta(days=20)).isoformat(),
    )

    def tallies() -> list[Any]:
        return sorted(
            TargetTally.objects.exclude(population=0, covered=0).values_list(
                "plan__name", "town", "target", "population", "covered"
            )
        )

    def standings() -> list[Any]:
        return sorted(
            TargetStanding.objects.values_list("plan__name", "person_id", "survey_id", "covered_1")
        )

    kept, kept_standings = tallies(), standings()
    assert ("本期计划", ANHAI, 1, 2, 2) in kept  # two new entrants, both trained
    rebuild_all()
    assert tallies() == kept
    assert standings() == kept_standings
    assert differences() == []


@pytest.mark.parametrize(
    "today",
    [
        dt.date(2026, 1, 31),
        dt.date(2026, 2, 28),
        dt.date(2026, 3, 1),
        dt.date(2026, 7, 15),
        dt.date(2024, 2, 29),
    ],
)
def test_the_registry_counts_both_sides_of_the_working_age_bounds(
    users: Any, today: dt.date
) -> None:
    """Persons born on each bound of the working-age range and a day either side, of both
    genders: the months straddling the bounds are counted from the persons, the rest from the
    cells, and the total is the live count exactly."""
    from canpei.people.rules import Gender, working_age_birth_range
    from canpei.people.services import person_create
    from canpei.people.surveys.services import survey_create
    from tests.conftest import make_id, person_data

    serial = iter(range(10, 99))
    births = []
    for gender in (Gender.MALE, Gender.FEMALE):
        after, until = working_age_birth_range(gender, today)
        for day in (
            after - dt.timedelta(days=1),
            after,
            after + dt.timedelta(days=1),
            until - dt.timedelta(days=1),
            until,
        ):
            births.append((gender, day))
        births.append((gender, until + dt.timedelta(days=1)))
        births.append((gender, dt.date(today.year - 30, today.month, 1)))
    for n, (gender, day) in enumerate(births):
        digit = 1 if gender == Gender.MALE else 2
        number = make_id(f"350582{day:%Y%m%d}{next(serial):02d}{digit}")
        person = person_create(
            actor=users.city_admin,
            data=person_data(
                id_number=number,
                cert_number=number + "42",
                town=ANHAI if n % 2 else CIZAO,
                name="界" + "一二三四五六七八九十"[n % 10],
            ),
        )
        if n % 3 == 0 and today <= TODAY:
            survey_create(
                actor=users.city_admin,
                data={"person": person.pk, "year": today.year, "surveyed_on": today},
            )
    kept = registry_overview(user=users.city_admin, today=today)
    live = registry_overview(user=users.city_admin, today=today, live=True)
    assert kept.towns == live.towns
    assert kept.totals.working_age == live.totals.working_age > 0
    assert differences() == []


@pytest.mark.parametrize(
    "today", [dt.date(2026, 7, 15), dt.date(2025, 3, 10), dt.date(2024, 11, 2)]
)
def test_the_registry_overview_is_four_statements_whatever_the_ranges(
    users: Any, person_in: Any, today: dt.date, django_assert_num_queries: Any
) -> None:
    """On a day inside a month (the bounds cut the births into several ranges): the totals, the
    cells of every range of births (one UNION ALL of plain ranges), the persons of the months
    straddling the bounds (another), the towns' names: four statements."""
    with django_assert_num_queries(4) as captured:
        kept = registry_overview(user=users.city_admin, today=today)
    assert [q["sql"].count("UNION ALL") > 0 for q in captured.captured_queries] == [
        False,
        True,
        True,
        False,
    ]
    assert kept.towns == registry_overview(user=users.city_admin, today=today, live=True).towns


def test_an_upgrade_that_creates_the_summaries_builds_them_from_the_records(
    users: Any, make_class: Callable[..., Any], monkeypatch: Any, capsys: Any
) -> None:
    """A database with records migrated past the summaries' migrations gets them built at once
    (canpei migrate and canpei run), not a home page of zeros until someone runs a rebuild."""
    from django.db.migrations.recorder import MigrationRecorder

    from canpei import cli
    from canpei.reports.models import RegistryCell

    make_class("audited", trainees=2)
    RegistryCell.objects.all().delete()
    assert differences() != []
    applied = MigrationRecorder.applied_migrations
    monkeypatch.setattr(
        MigrationRecorder,
        "applied_migrations",
        lambda self: {k: v for k, v in applied(self).items() if k not in cli.SUMMARY_MIGRATIONS},
    )
    monkeypatch.setattr("django.core.management.call_command", lambda *a, **k: None)
    cli._migrate(verbosity=0)
    assert "新建了统计汇总表：按现有数据重建" in capsys.readouterr().out
    assert differences() == []
    # Already past them: nothing is rebuilt.
    monkeypatch.setattr(MigrationRecorder, "applied_migrations", applied)
    RegistryCell.objects.all().delete()
    cli._migrate(verbosity=0)
    assert differences() != []
