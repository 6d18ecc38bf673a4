"""Writes of the annual needs survey (canpei.people.surveys.services): one per person per year,
every rule named by its constant with nothing written, scope, audit, and the registry kept as
the latest survey found the person."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from canpei.audit.models import AuditEntry
from canpei.errors import Conflict, Forbidden, InvalidInput, NotFound
from canpei.people import rules
from canpei.people.models import Person, Skill, Survey
from canpei.people.services import person_update
from canpei.people.surveys import services as s

PAST_YEAR = 2024
PAST_DAY = dt.date(2024, 5, 10)


def survey_data(whom: Any, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"person": whom.pk, "year": PAST_YEAR, "surveyed_on": PAST_DAY}
    data.update(overrides)
    return data


def audit_count(*actions: str) -> int:
    return AuditEntry.objects.filter(action__in=actions).count()


def error_pairs(exc: Any) -> list[tuple[str, str]]:
    return list(exc.value.errors)


# ---------------------------------------------------------------- create


def test_it_creates_a_survey_with_every_field_and_audits_it_once(
    users: Any, person_in: Any
) -> None:
    before = audit_count("survey.create")
    survey = s.survey_create(
        actor=users.town_staff,
        data=survey_data(
            person_in,
            employment_form="",
            not_working_reason="4",
            employer="",
            wants_work=True,
            new_entrant=True,
            registered_unemployed=False,
            entrepreneurship_intention=True,
            training_need=True,
            wanted_types=["entrepreneurship", "employment_skills"],
            wanted_skills=["ecommerce", "computer"],
            preferred_mode="remote",
            accessibility_needs=["screen_reader"],
            surveyor="陈专干",
        ),
    )
    stored = Survey.objects.get(pk=survey.pk)
    assert (stored.person_id, stored.year, stored.surveyed_on) == (
        person_in.pk,
        PAST_YEAR,
        PAST_DAY,
    )
    assert stored.not_working_reason == "4" and stored.employment_form == ""
    assert stored.wants_work and stored.new_entrant and stored.entrepreneurship_intention
    assert stored.wanted_types == ["employment_skills", "entrepreneurship"]
    assert sorted(stored.wanted_skills.values_list("code", flat=True)) == ["computer", "ecommerce"]
    assert stored.preferred_mode == "remote" and stored.accessibility_needs == ["screen_reader"]
    assert stored.surveyor == "陈专干"
    assert audit_count("survey.create") == before + 1
    entry = AuditEntry.objects.filter(action="survey.create").latest("id")
    assert entry.actor_username == users.town_staff.username
    assert entry.object_id == str(survey.pk)
    assert entry.changes["after"]["wanted_skills"] == ["computer", "ecommerce"]


def test_the_year_defaults_to_the_year_of_the_survey_date(users: Any, person_in: Any) -> None:
    data = survey_data(person_in)
    del data["year"]
    survey = s.survey_create(actor=users.city_admin, data=data)
    assert survey.year == PAST_DAY.year


def test_a_second_survey_for_the_same_person_and_year_is_a_conflict(
    users: Any, person_in: Any
) -> None:
    s.survey_create(
        actor=users.town_staff, data=survey_data(person_in, employer="甲公司", employment_form="1")
    )
    surveys, entries = Survey.objects.count(), AuditEntry.objects.count()
    with pytest.raises(Conflict) as exc:
        s.survey_create(
            actor=users.city_admin,
            data=survey_data(person_in, surveyed_on=dt.date(2024, 9, 1), employment_form="3"),
        )
    message = s.SURVEY_DUPLICATE.format(year=PAST_YEAR)
    assert exc.value.message == message
    assert error_pairs(exc) == [("year", message)]
    assert (Survey.objects.count(), AuditEntry.objects.count()) == (surveys, entries)
    assert Survey.objects.get(person=person_in).employer == "甲公司"
    # Another year is another survey.
    s.survey_create(
        actor=users.town_staff,
        data=survey_data(person_in, year=PAST_YEAR - 1, surveyed_on=dt.date(PAST_YEAR - 1, 6, 1)),
    )
    assert Survey.objects.filter(person=person_in).count() == 2


def test_moving_a_survey_onto_a_year_already_surveyed_is_a_conflict(
    users: Any, person_in: Any
) -> None:
    s.survey_create(actor=users.town_staff, data=survey_data(person_in))
    older = s.survey_create(
        actor=users.town_staff,
        data=survey_data(person_in, year=2023, surveyed_on=dt.date(2023, 3, 1)),
    )
    entries = AuditEntry.objects.count()
    with pytest.raises(Conflict) as exc:
        s.survey_update(
            actor=users.town_staff,
            survey=older,
            data={"year": PAST_YEAR, "surveyed_on": dt.date(2024, 3, 1)},
        )
    assert error_pairs(exc) == [("year", s.SURVEY_DUPLICATE.format(year=PAST_YEAR))]
    stored = Survey.objects.get(pk=older.pk)
    assert (stored.year, stored.surveyed_on) == (2023, dt.date(2023, 3, 1))
    assert AuditEntry.objects.count() == entries


def _today() -> dt.date:
    return timezone.localdate()


# (field(s) given, the field named, the message): each alone makes the whole input refused.
INVALID: list[tuple[str, dict[str, Any], str, str]] = [
    ("person missing", {"person": None}, "person", s.PERSON_REQUIRED),
    ("person not a number", {"person": "abc"}, "person", s.PERSON_UNKNOWN),
    ("person absent", {"person": 10**9}, "person", s.PERSON_UNKNOWN),
    ("year not a number", {"year": "20x4"}, "year", s.YEAR_INVALID),
    ("year too early", {"year": 1999}, "year", s.YEAR_INVALID),
    ("year far ahead", {"year": 9999}, "year", s.YEAR_INVALID),
    ("date missing", {"surveyed_on": ""}, "surveyed_on", "请填写调查日期"),
    ("date impossible", {"surveyed_on": "2024-02-30"}, "surveyed_on", s.SURVEYED_ON_INVALID),
    ("date not a date", {"surveyed_on": "next week"}, "surveyed_on", s.SURVEYED_ON_INVALID),
    (
        "date outside the year",
        {"surveyed_on": dt.date(2023, 12, 31)},
        "surveyed_on",
        s.SURVEYED_ON_OUTSIDE_YEAR,
    ),
    ("employment form", {"employment_form": "8"}, "employment_form", rules.EMPLOYMENT_FORM_INVALID),
    (
        "not-working reason",
        {"not_working_reason": "9"},
        "not_working_reason",
        rules.NOT_WORKING_REASON_INVALID,
    ),
    (
        "reason with a form",
        {"employment_form": "1", "not_working_reason": "3"},
        "not_working_reason",
        rules.NOT_WORKING_WITH_FORM,
    ),
    ("employer too long", {"employer": "企" * 101}, "employer", "就业单位不能超过 100 字"),
    ("surveyor too long", {"surveyor": "张" * 31}, "surveyor", "调查人不能超过 30 字"),
    ("boolean", {"wants_work": "maybe"}, "wants_work", s.BOOLEAN_INVALID),
    ("boolean as a number", {"training_need": 2}, "training_need", s.BOOLEAN_INVALID),
    (
        "wanted type",
        {"training_need": True, "wanted_types": ["cooking"]},
        "wanted_types",
        s.WANTED_TYPES_INVALID,
    ),
    (
        "wanted types not a list",
        {"training_need": True, "wanted_types": 5},
        "wanted_types",
        s.WANTED_TYPES_INVALID,
    ),
    (
        "wanted skill",
        {"training_need": True, "wanted_skills": ["underwater_welding"]},
        "wanted_skills",
        s.WANTED_SKILLS_INVALID.format(codes="underwater_welding"),
    ),
    (
        "wanted skills not a list",
        {"training_need": True, "wanted_skills": {"a": 1}},
        "wanted_skills",
        s.WANTED_SKILLS_INVALID.format(codes=""),
    ),
    ("mode", {"preferred_mode": "evening"}, "preferred_mode", s.PREFERRED_MODE_INVALID),
    (
        "accessibility",
        {"accessibility_needs": ["braille_printer"]},
        "accessibility_needs",
        s.ACCESSIBILITY_INVALID,
    ),
    (
        "types without a need",
        {"training_need": False, "wanted_types": ["employment_skills"]},
        "training_need",
        s.NEEDS_WITHOUT_TRAINING,
    ),
    (
        "skills without a need",
        {"wanted_skills": ["ecommerce"]},
        "training_need",
        s.NEEDS_WITHOUT_TRAINING,
    ),
    ("unknown field", {"status": "deceased"}, "status", s.UNKNOWN_FIELD),
]


@pytest.mark.parametrize(
    "fields,field,message", [case[1:] for case in INVALID], ids=[case[0] for case in INVALID]
)
def test_each_invalid_field_is_named_and_nothing_is_written(
    fields: dict[str, Any], field: str, message: str, users: Any, person_in: Any
) -> None:
    data = survey_data(person_in, **fields)
    entries = AuditEntry.objects.count()
    with pytest.raises(InvalidInput) as exc:
        s.survey_create(actor=users.town_staff, data=data)
    assert (field, message) in error_pairs(exc), error_pairs(exc)
    assert not Survey.objects.exists()
    assert AuditEntry.objects.count() == entries
    stored = Person.objects.get(pk=person_in.pk)
    assert (stored.employment_form, stored.not_working_reason) == ("", "")


def test_a_survey_date_in_the_future_is_refused(users: Any, person_in: Any) -> None:
    tomorrow = _today() + dt.timedelta(days=1)
    with pytest.raises(InvalidInput) as exc:
        s.survey_create(
            actor=users.town_staff,
            data=survey_data(person_in, year=tomorrow.year, surveyed_on=tomorrow),
        )
    assert ("surveyed_on", "调查日期不能晚于今天") in error_pairs(exc)
    assert not Survey.objects.exists()
    # Today itself is fine.
    survey = s.survey_create(
        actor=users.town_staff,
        data=survey_data(person_in, year=_today().year, surveyed_on=_today().isoformat()),
    )
    assert survey.surveyed_on == _today()


def test_every_bad_field_is_named_at_once(users: Any, person_in: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        s.survey_create(
            actor=users.town_staff,
            data=survey_data(
                person_in,
                employment_form="0",
                preferred_mode="x",
                employer="企" * 101,
                accessibility_needs=["x"],
                wants_work="perhaps",
            ),
        )
    assert {f for f, _m in error_pairs(exc)} == {
        "employment_form",
        "preferred_mode",
        "employer",
        "accessibility_needs",
        "wants_work",
    }
    assert not Survey.objects.exists()


def test_text_dates_and_labels_from_a_form_are_accepted(users: Any, person_in: Any) -> None:
    survey = s.survey_create(
        actor=users.town_staff,
        data=survey_data(
            person_in,
            surveyed_on="2024/5/10",
            wants_work="是",
            training_need="true",
            wanted_types="employment_skills，entrepreneurship",
            wanted_skills="ecommerce、cooking",
        ),
    )
    assert survey.surveyed_on == PAST_DAY and survey.wants_work and survey.training_need
    assert survey.wanted_types == ["employment_skills", "entrepreneurship"]
    assert sorted(survey.wanted_skills.values_list("code", flat=True)) == ["cooking", "ecommerce"]


def test_unknown_skill_codes_are_each_named(users: Any, person_in: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        s.survey_create(
            actor=users.town_staff,
            data=survey_data(
                person_in, training_need=True, wanted_skills=["ecommerce", "nope", "nada"]
            ),
        )
    assert error_pairs(exc) == [
        ("wanted_skills", s.WANTED_SKILLS_INVALID.format(codes="nope、nada"))
    ]


def test_a_retired_skill_is_refused_for_a_new_survey(users: Any, person_in: Any) -> None:
    Skill.objects.filter(code="sewing").update(active=False)
    with pytest.raises(InvalidInput) as exc:
        s.survey_create(
            actor=users.town_staff,
            data=survey_data(person_in, training_need=True, wanted_skills=["sewing"]),
        )
    assert error_pairs(exc) == [("wanted_skills", s.WANTED_SKILLS_INVALID.format(codes="sewing"))]
    assert not Survey.objects.exists()


def test_a_survey_keeps_a_skill_retired_after_it_was_chosen(users: Any, person_in: Any) -> None:
    survey = s.survey_create(
        actor=users.town_staff,
        data=survey_data(person_in, training_need=True, wanted_skills=["sewing", "cooking"]),
    )
    Skill.objects.filter(code="sewing").update(active=False)
    # Saving the survey as it stands (as the edit page does) keeps what was chosen then…
    s.survey_update(
        actor=users.town_staff,
        survey=survey,
        data={"wanted_skills": ["sewing", "cooking"], "employer": "乙厂"},
    )
    assert sorted(
        Survey.objects.get(pk=survey.pk).wanted_skills.values_list("code", flat=True)
    ) == ["cooking", "sewing"]
    # …but a retired skill cannot be added anew.
    Skill.objects.filter(code="cooking").update(active=False)
    other = s.survey_create(
        actor=users.town_staff,
        data=survey_data(
            person_in,
            year=2023,
            surveyed_on=dt.date(2023, 1, 5),
            training_need=True,
            wanted_skills=["ecommerce"],
        ),
    )
    with pytest.raises(InvalidInput) as exc:
        s.survey_update(actor=users.town_staff, survey=other, data={"wanted_skills": ["cooking"]})
    assert error_pairs(exc) == [("wanted_skills", s.WANTED_SKILLS_INVALID.format(codes="cooking"))]


def test_wanted_types_and_skills_go_with_a_training_need_on_update_too(
    users: Any, person_in: Any
) -> None:
    survey = s.survey_create(
        actor=users.town_staff,
        data=survey_data(person_in, training_need=True, wanted_skills=["ecommerce"]),
    )
    entries = AuditEntry.objects.count()
    with pytest.raises(InvalidInput) as exc:
        s.survey_update(actor=users.town_staff, survey=survey, data={"training_need": False})
    assert error_pairs(exc) == [("training_need", s.NEEDS_WITHOUT_TRAINING)]
    assert Survey.objects.get(pk=survey.pk).training_need is True
    assert AuditEntry.objects.count() == entries
    # Clearing the need together with what was wanted is fine.
    s.survey_update(
        actor=users.town_staff,
        survey=survey,
        data={"training_need": False, "wanted_skills": [], "wanted_types": []},
    )
    stored = Survey.objects.get(pk=survey.pk)
    assert stored.training_need is False and not stored.wanted_skills.exists()


def test_the_person_of_a_survey_cannot_be_changed(
    users: Any, person_in: Any, person_out: Any
) -> None:
    survey = s.survey_create(actor=users.city_admin, data=survey_data(person_in))
    with pytest.raises(InvalidInput) as exc:
        s.survey_update(actor=users.city_admin, survey=survey, data={"person": person_out.pk})
    assert error_pairs(exc) == [("person", s.PERSON_NOT_CHANGEABLE)]
    assert Survey.objects.get(pk=survey.pk).person_id == person_in.pk


# ---------------------------------------------------------------- scope and roles


def test_town_staff_cannot_survey_another_towns_person(users: Any, person_out: Any) -> None:
    entries = AuditEntry.objects.count()
    with pytest.raises(InvalidInput) as exc:
        s.survey_create(actor=users.town_staff, data=survey_data(person_out))
    assert error_pairs(exc) == [("person", s.PERSON_UNKNOWN)]
    assert not Survey.objects.exists() and AuditEntry.objects.count() == entries
    # The other town's own staff may.
    s.survey_create(actor=users.other_town_staff, data=survey_data(person_out))
    assert Survey.objects.filter(person=person_out).count() == 1


def test_town_staff_cannot_edit_another_towns_survey(users: Any, person_out: Any) -> None:
    survey = s.survey_create(actor=users.city_admin, data=survey_data(person_out, employer="甲"))
    with pytest.raises(NotFound):
        s.survey_update(actor=users.town_staff, survey=survey, data={"employer": "乙"})
    assert Survey.objects.get(pk=survey.pk).employer == "甲"


@pytest.mark.parametrize(
    "role",
    [
        "institution_staff",
        "employment_service",
        "auditor",
        "sys_admin",
        "security_admin",
        "audit_admin",
    ],
)
def test_roles_without_survey_rights_write_nothing(role: str, users: Any, person_in: Any) -> None:
    survey = s.survey_create(actor=users.city_admin, data=survey_data(person_in, employer="甲"))
    user = users.by_role()[role]
    entries = AuditEntry.objects.count()
    with pytest.raises(Forbidden):
        s.survey_create(
            actor=user, data=survey_data(person_in, year=2023, surveyed_on=dt.date(2023, 1, 1))
        )
    with pytest.raises(Forbidden):
        s.survey_update(actor=user, survey=survey, data={"employer": "乙"})
    assert Survey.objects.count() == 1 and Survey.objects.get().employer == "甲"
    assert AuditEntry.objects.count() == entries


# ---------------------------------------------------------------- audit and the registry


def test_a_survey_that_changes_the_registry_writes_one_person_update(
    users: Any, person_in: Any
) -> None:
    creates, person_updates = audit_count("survey.create"), audit_count("person.update")
    survey = s.survey_create(
        actor=users.town_staff,
        data=survey_data(
            person_in, employment_form="3", new_entrant=True, entrepreneurship_intention=True
        ),
    )
    assert audit_count("survey.create") == creates + 1
    assert audit_count("person.update") == person_updates + 1
    entry = AuditEntry.objects.filter(action="person.update").latest("id")
    assert entry.object_id == str(person_in.pk)
    assert entry.changes["survey"] == survey.pk
    assert entry.changes["diff"]["employment_form"] == ["", "3"]
    assert entry.changes["diff"]["new_entrant"] == [False, True]
    stored = Person.objects.get(pk=person_in.pk)
    assert (stored.employment_form, stored.new_entrant, stored.entrepreneurship_intention) == (
        "3",
        True,
        True,
    )


def test_a_survey_that_matches_the_registry_writes_no_person_update(
    users: Any, person_in: Any
) -> None:
    person_updates = audit_count("person.update")
    s.survey_create(actor=users.town_staff, data=survey_data(person_in, wants_work=True))
    assert audit_count("person.update") == person_updates
    assert audit_count("survey.create") >= 1


def test_an_update_is_audited_once_with_its_diff_and_a_no_op_not_at_all(
    users: Any, person_in: Any
) -> None:
    survey = s.survey_create(
        actor=users.town_staff,
        data=survey_data(person_in, training_need=True, wanted_skills=["ecommerce"]),
    )
    updates = audit_count("survey.update")
    s.survey_update(
        actor=users.town_staff,
        survey=survey,
        data={"employer": "晋江某鞋厂", "wanted_skills": ["ecommerce", "computer"]},
    )
    assert audit_count("survey.update") == updates + 1
    entry = AuditEntry.objects.filter(action="survey.update").latest("id")
    assert entry.changes["diff"] == {
        "employer": ["", "晋江某鞋厂"],
        "wanted_skills": [["ecommerce"], ["computer", "ecommerce"]],
    }
    # The same values again change nothing and log nothing.
    s.survey_update(
        actor=users.town_staff,
        survey=survey,
        data={"employer": "晋江某鞋厂", "wanted_skills": ["computer", "ecommerce"]},
    )
    assert audit_count("survey.update") == updates + 1


def test_only_the_latest_years_survey_updates_the_registry(users: Any, person_in: Any) -> None:
    latest = s.survey_create(
        actor=users.town_staff, data=survey_data(person_in, employment_form="1", employer="甲公司")
    )
    assert Person.objects.get(pk=person_in.pk).employment_form == "1"
    person_updates = audit_count("person.update")

    # An older year's survey, entered afterwards, does not overwrite the newer picture.
    older = s.survey_create(
        actor=users.town_staff,
        data=survey_data(
            person_in,
            year=2022,
            surveyed_on=dt.date(2022, 4, 1),
            employment_form="",
            not_working_reason="4",
            registered_unemployed=True,
        ),
    )
    stored = Person.objects.get(pk=person_in.pk)
    assert (stored.employment_form, stored.not_working_reason, stored.registered_unemployed) == (
        "1",
        "",
        False,
    )
    assert audit_count("person.update") == person_updates

    # Nor does editing it.
    s.survey_update(
        actor=users.town_staff,
        survey=older,
        data={"employment_form": "5", "not_working_reason": ""},
    )
    assert Person.objects.get(pk=person_in.pk).employment_form == "1"
    assert audit_count("person.update") == person_updates

    # Editing the latest one does.
    s.survey_update(actor=users.town_staff, survey=latest, data={"employment_form": "7"})
    assert Person.objects.get(pk=person_in.pk).employment_form == "7"
    assert audit_count("person.update") == person_updates + 1


def test_editing_an_older_survey_leaves_a_later_registry_edit_alone(
    users: Any, person_in: Any
) -> None:
    """The clerk corrected the registry after the latest survey; fixing a typo in an older
    survey must not silently put the survey's values back."""
    s.survey_create(actor=users.town_staff, data=survey_data(person_in, employment_form="1"))
    older = s.survey_create(
        actor=users.town_staff,
        data=survey_data(
            person_in, year=2023, surveyed_on=dt.date(2023, 4, 1), employment_form="2"
        ),
    )
    person_update(
        actor=users.town_staff,
        person=Person.objects.get(pk=person_in.pk),
        data={"employment_form": "4"},
    )
    person_updates = audit_count("person.update")
    s.survey_update(actor=users.town_staff, survey=older, data={"employer": "福利厂"})
    assert Person.objects.get(pk=person_in.pk).employment_form == "4"
    assert audit_count("person.update") == person_updates


def test_editing_what_the_registry_does_not_hold_leaves_a_registry_correction_alone(
    users: Any, person_in: Any
) -> None:
    latest = s.survey_create(
        actor=users.town_staff, data=survey_data(person_in, employment_form="1")
    )
    person_update(
        actor=users.town_staff,
        person=Person.objects.get(pk=person_in.pk),
        data={"employment_form": "4"},
    )
    s.survey_update(actor=users.town_staff, survey=latest, data={"employer": "晋江某鞋厂"})
    assert Person.objects.get(pk=person_in.pk).employment_form == "4"
    s.survey_update(actor=users.town_staff, survey=latest, data={"employment_form": "2"})
    assert Person.objects.get(pk=person_in.pk).employment_form == "2"


def test_moving_the_latest_survey_to_an_earlier_year_hands_the_registry_to_the_new_latest(
    users: Any, person_in: Any
) -> None:
    s.survey_create(
        actor=users.town_staff,
        data=survey_data(
            person_in, year=2023, surveyed_on=dt.date(2023, 4, 1), employment_form="2"
        ),
    )
    latest = s.survey_create(
        actor=users.town_staff, data=survey_data(person_in, employment_form="1")
    )
    assert Person.objects.get(pk=person_in.pk).employment_form == "1"
    s.survey_update(
        actor=users.town_staff,
        survey=latest,
        data={"year": 2022, "surveyed_on": dt.date(2022, 5, 1)},
    )
    assert Person.objects.get(pk=person_in.pk).employment_form == "2"


# ---------------------------------------------------------------- skills dictionary


def test_city_staff_add_edit_and_retire_a_skill_each_audited(users: Any) -> None:
    entries = audit_count("skill.save")
    skill = s.skill_save(actor=users.city_admin, code="tea_art", name="茶艺")
    assert Skill.objects.get(code="tea_art").name == "茶艺" and skill.active
    s.skill_save(
        actor=users.city_admin, skill=skill, code="tea_art", name="茶艺（闽南）", active=False
    )
    stored = Skill.objects.get(pk=skill.pk)
    assert (stored.name, stored.active) == ("茶艺（闽南）", False)
    assert audit_count("skill.save") == entries + 2
    entry = AuditEntry.objects.filter(action="skill.save").latest("id")
    assert entry.changes["before"] == {"code": "tea_art", "name": "茶艺", "active": True}


@pytest.mark.parametrize(
    "role",
    [
        "town_staff",
        "institution_staff",
        "employment_service",
        "auditor",
        "sys_admin",
        "security_admin",
        "audit_admin",
    ],
)
def test_only_city_staff_edit_the_skills_dictionary(role: str, users: Any) -> None:
    count = Skill.objects.count()
    with pytest.raises(Forbidden):
        s.skill_save(actor=users.by_role()[role], code="tea_art", name="茶艺")
    assert Skill.objects.count() == count


def test_a_bad_or_duplicate_skill_is_refused(users: Any) -> None:
    count, entries = Skill.objects.count(), AuditEntry.objects.count()
    with pytest.raises(InvalidInput) as exc:
        s.skill_save(actor=users.city_admin, code="Tea Art!", name="")
    assert error_pairs(exc) == [("code", s.SKILL_CODE_INVALID), ("name", s.SKILL_NAME_REQUIRED)]
    with pytest.raises(Conflict) as conflict:
        s.skill_save(actor=users.city_admin, code="ecommerce", name="网店")
    assert conflict.value.message == s.SKILL_DUPLICATE
    with pytest.raises(Conflict):
        s.skill_save(actor=users.city_admin, code="online_shop", name="电子商务")
    assert (Skill.objects.count(), AuditEntry.objects.count()) == (count, entries)
