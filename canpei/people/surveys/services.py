"""Writes of the annual needs survey (就业培训需求调查)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_noop

from canpei import hooks
from canpei.accounts.models import User
from canpei.accounts.roles import Perm, has_perm
from canpei.audit.actions import AuditAction
from canpei.audit.services import AuditItem, audit_record, audit_record_many
from canpei.codes import ACCESSIBILITY_NEEDS, TrainingMode, TrainingType, field_label, field_length
from canpei.errors import Conflict, Forbidden, InvalidInput, NotFound
from canpei.people import rules
from canpei.people.models import Person, Skill, Survey
from canpei.people.pinyin import name_pinyin
from canpei.people.selectors import persons_visible_to
from canpei.spreadsheets.reader import cell_date
from canpei.validation import BOOLEAN_INVALID, UNKNOWN_FIELD, Fields, snapshot_diff  # noqa: F401
from canpei.validation import TOO_LONG_ZI, fill_in, not_after_today, too_long_for

# Messages, translated where they are raised (the constants stay Chinese for the tests).
SURVEY_DUPLICATE = gettext_noop("该人员 {year} 年已有调查记录")
PERSON_REQUIRED = gettext_noop("请选择被调查人员")
PERSON_UNKNOWN = gettext_noop("人员不存在或不在本镇街")
YEAR_INVALID = gettext_noop("调查年度须为 2000 年至明年之间的年份")
SURVEYED_ON_INVALID = gettext_noop("调查日期无效")
SURVEYED_ON_OUTSIDE_YEAR = gettext_noop("调查日期须在调查年度内")
WANTED_TYPES_INVALID = gettext_noop(
    "需求培训类型须为 employment_skills、skill_upgrade、entrepreneurship 或 rural_practical")
WANTED_SKILLS_INVALID = gettext_noop("需求技能不在技能目录中：{codes}")
PREFERRED_MODE_INVALID = gettext_noop("期望培训方式须为 centralized（集中）、self_directed（分散）或 remote（远程）")
ACCESSIBILITY_INVALID = gettext_noop("无障碍需求须为 sign_language、screen_reader、accessible_venue 或 companion")
NEEDS_WITHOUT_TRAINING = gettext_noop("无培训需求时不填需求培训类型和技能")
PERSON_NOT_CHANGEABLE = gettext_noop("调查记录的人员不能更改")

SURVEY_FIELDS = ("person", "year", "employment_form", "not_working_reason", "employer", "wants_work",
                 "new_entrant", "registered_unemployed", "entrepreneurship_intention",
                 "training_need", "wanted_types", "wanted_skills", "preferred_mode",
                 "accessibility_needs", "surveyor", "surveyed_on")
SURVEY_BOOLEANS = ("wants_work", "new_entrant", "registered_unemployed",
                   "entrepreneurship_intention", "training_need")
# What a survey tells about the person now: the latest survey updates the registry.
PERSON_FIELDS_FROM_SURVEY = ("employment_form", "not_working_reason", "new_entrant",
                             "registered_unemployed", "entrepreneurship_intention")


def _as_list(value: Any) -> list[str] | None:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [v for v in value.replace("，", ",").replace("、", ",").split(",") if v.strip()]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value if v.strip()]
    return None


def skills_by_code(active_only: bool = True) -> dict[str, Skill]:
    qs = Skill.objects.filter(active=True) if active_only else Skill.objects.all()
    return {s.code: s for s in qs}


def clean_survey_input(data: dict[str, Any], *, actor: User, current: Survey | None,
                       today: dt.date, skills: dict[str, Skill] | None = None,
                       person: Person | None = None) -> dict[str, Any]:
    """Validate the given fields together; return the values to store (skills as objects)."""
    f = Fields(data, allowed=SURVEY_FIELDS, current=current, text_check=None)
    values = f.values
    data = dict(f.data)

    if current is None:
        if person is None:
            raw = data.get("person")
            if raw in (None, ""):
                f.error("person", _(PERSON_REQUIRED))
            else:
                try:
                    person = persons_visible_to(actor).filter(pk=int(raw)).first()
                except (TypeError, ValueError):
                    person = None
                if person is None:
                    f.error("person", _(PERSON_UNKNOWN))
        values["person"] = person
    elif "person" in data and str(data["person"]) != str(current.person_id):
        f.error("person", _(PERSON_NOT_CHANGEABLE))

    surveyed_on: dt.date | None = current.surveyed_on if current else None
    if f.wanted("surveyed_on"):
        # cell_date takes date cells, datetimes, Excel serials and text alike.
        surveyed_on = f.date("surveyed_on", required=fill_in(field_label(Survey, "surveyed_on")),
                             invalid=_(SURVEYED_ON_INVALID), reader=cell_date)
        if surveyed_on and surveyed_on > today:
            f.error("surveyed_on", not_after_today(field_label(Survey, "surveyed_on")))
            values.pop("surveyed_on")
            surveyed_on = None
    year: int | None = current.year if current else None
    if f.wanted("year"):
        if data.get("year") in (None, "") and surveyed_on:
            year = values["year"] = surveyed_on.year
        else:
            year = f.integer("year", low=2000, high=today.year + 1, message=_(YEAR_INVALID),
                             required=True)
    if year and surveyed_on and surveyed_on.year != year:
        f.error("surveyed_on", _(SURVEYED_ON_OUTSIDE_YEAR))

    f.choice("employment_form", rules.EmploymentForm, _(rules.EMPLOYMENT_FORM_INVALID), blank=True)
    f.choice("not_working_reason", rules.NotWorkingReason, _(rules.NOT_WORKING_REASON_INVALID),
             blank=True)
    f.choice("preferred_mode", TrainingMode, _(PREFERRED_MODE_INVALID), blank=True)
    if f.final("employment_form") and f.final("not_working_reason"):
        f.error("not_working_reason", _(rules.NOT_WORKING_WITH_FORM))
    for name in ("employer", "surveyor"):
        length = field_length(Survey, name)
        f.text(name, max_length=length, too_long=too_long_for(field_label(Survey, name), length, TOO_LONG_ZI.msgid))
    for key in SURVEY_BOOLEANS:
        f.boolean(key)
    if "wanted_types" in data:
        types = _as_list(data["wanted_types"])
        if types is None or any(t not in TrainingType.values for t in types):
            f.error("wanted_types", _(WANTED_TYPES_INVALID))
        else:
            values["wanted_types"] = sorted(set(types))
    if "wanted_skills" in data:
        codes = _as_list(data["wanted_skills"])
        table = skills if skills is not None else skills_by_code()
        if codes is None:
            f.error("wanted_skills", _(WANTED_SKILLS_INVALID).format(codes=""))
        else:
            unknown = [c for c in codes if c not in table]
            if unknown and current is not None and current.pk:
                # A skill retired after this survey chose it stays on the survey when it is
                # saved again; only adding a retired skill anew is refused.
                # .all(): served by the import's prefetch, no query per row.
                kept = {k.code: k for k in current.wanted_skills.all() if k.code in unknown}
                table = {**table, **kept}
                unknown = [c for c in unknown if c not in kept]
            if unknown:
                f.error("wanted_skills", _(WANTED_SKILLS_INVALID).format(codes="、".join(unknown[:5])))
            else:
                values["wanted_skills"] = [table[c] for c in dict.fromkeys(codes)]
    if "accessibility_needs" in data:
        needs = _as_list(data["accessibility_needs"])
        if needs is None or any(n not in ACCESSIBILITY_NEEDS for n in needs):
            f.error("accessibility_needs", _(ACCESSIBILITY_INVALID))
        else:
            values["accessibility_needs"] = sorted(set(needs))
    if "training_need" in data or "wanted_types" in data or "wanted_skills" in data:
        training_need = values.get("training_need", current.training_need if current else False)
        if not training_need:
            # What is wanted after this write: the new lists where given, else the stored ones.
            wanted_types = values.get("wanted_types", current.wanted_types if current else [])
            if "wanted_skills" in values:
                has_skills = bool(values["wanted_skills"])
            else:
                has_skills = bool(current and current.pk and list(current.wanted_skills.all()))
            if wanted_types or has_skills:
                f.error("training_need", _(NEEDS_WITHOUT_TRAINING))
    return f.finish()


def survey_snapshot(survey: Survey, skills: list[str] | None = None) -> dict[str, Any]:
    return {
        "person": survey.person_id, "year": survey.year, "employment_form": survey.employment_form,
        "not_working_reason": survey.not_working_reason, "employer": survey.employer,
        "wants_work": survey.wants_work, "new_entrant": survey.new_entrant,
        "registered_unemployed": survey.registered_unemployed,
        "entrepreneurship_intention": survey.entrepreneurship_intention,
        "training_need": survey.training_need, "wanted_types": list(survey.wanted_types),
        # .all() so that a prefetched list (imports, lists) is used instead of a query.
        "wanted_skills": skills if skills is not None else
        sorted(s.code for s in survey.wanted_skills.all()) if survey.pk else [],
        "preferred_mode": survey.preferred_mode, "accessibility_needs": list(survey.accessibility_needs),
        "surveyor": survey.surveyor,
        "surveyed_on": survey.surveyed_on.isoformat() if survey.surveyed_on else None,
    }


def _is_latest(survey: Survey, year: int) -> bool:
    """Whether no other survey of the person is of a later year than `year`."""
    return not Survey.objects.filter(person_id=survey.person_id, year__gt=year) \
        .exclude(pk=survey.pk).exists()


def refresh_persons_from_latest(actor: User, person_ids: list[int]) -> None:
    """The registry shows each person as their latest survey found them."""
    latest: dict[int, Survey] = {}
    for start in range(0, len(person_ids), 1000):
        chunk = person_ids[start:start + 1000]
        for row in Survey.objects.filter(person_id__in=chunk).order_by("person_id", "year"):
            latest[row.person_id] = row
    changed: list[Person] = []
    entries: list[AuditItem] = []
    now = timezone.now()
    for start in range(0, len(person_ids), 1000):
        for person in Person.objects.select_for_update().filter(pk__in=person_ids[start:start + 1000]):
            found = latest.get(person.pk)
            if found is None:
                continue
            survey = found
            diff = {}
            for key in PERSON_FIELDS_FROM_SURVEY:
                new = getattr(survey, key)
                if getattr(person, key) != new:
                    diff[key] = [getattr(person, key), new]
                    setattr(person, key, new)
            if diff:
                person.updated_at = now
                changed.append(person)
                entries.append(AuditItem(action=AuditAction.PERSON_UPDATE, object_type="people.person",  # zh-data
                                    object_id=person.pk, changes={"diff": diff, "survey": survey.pk},
                                    summary=f"按 {survey.year} 年调查更新人员 #{person.pk} 就业情况"))
    Person.objects.bulk_update(changed, [*PERSON_FIELDS_FROM_SURVEY, "updated_at"], batch_size=1000)
    audit_record_many(actor=actor, entries=entries)


def _can_write(actor: User) -> None:
    if not has_perm(actor, Perm.SURVEY_EDIT):
        raise Forbidden()


def survey_create(*, actor: User, data: dict[str, Any]) -> Survey:
    _can_write(actor)
    values = clean_survey_input(data, actor=actor, current=None, today=timezone.localdate())
    skills = values.pop("wanted_skills", [])
    person: Person = values.pop("person")
    with transaction.atomic():
        # Lock the person: two clerks entering the same survey must not both pass the check.
        Person.objects.select_for_update().filter(pk=person.pk).exists()
        if Survey.objects.filter(person=person, year=values["year"]).exists():
            message = _(SURVEY_DUPLICATE).format(year=values["year"])
            raise Conflict(message, [("year", message)])
        survey = Survey(person=person, **values)
        try:
            with transaction.atomic():
                survey.save()
        except IntegrityError:
            message = _(SURVEY_DUPLICATE).format(year=values["year"])
            raise Conflict(message, [("year", message)]) from None
        survey.wanted_skills.set(skills)
        audit_record(actor=actor, action=AuditAction.SURVEY_CREATE, obj=survey,  # zh-data
                     summary=f"登记人员 #{person.pk} {survey.year} 年调查",
                     changes={"after": survey_snapshot(survey, sorted(s.code for s in skills))})
        # An older year's survey entered late tells nothing about the person now.
        if _is_latest(survey, survey.year):
            refresh_persons_from_latest(actor, [person.pk])
        hooks.outcomes_changed([person.pk])
    return survey


def survey_update(*, actor: User, survey: Survey, data: dict[str, Any]) -> Survey:
    _can_write(actor)
    with transaction.atomic():
        locked = (Survey.objects.select_for_update()
                  .filter(pk=survey.pk, person__in=persons_visible_to(actor)).first())
        if locked is None:
            raise NotFound()
        # The person too, before the audit chain's head: the registry may follow this survey.
        Person.objects.select_for_update().filter(pk=locked.person_id).exists()
        before = survey_snapshot(locked)
        was_latest = _is_latest(locked, locked.year)
        values = clean_survey_input(data, actor=actor, current=locked, today=timezone.localdate())
        skills = values.pop("wanted_skills", None)
        values.pop("person", None)
        if "year" in values and values["year"] != locked.year and Survey.objects.filter(
                person_id=locked.person_id, year=values["year"]).exclude(pk=locked.pk).exists():
            message = _(SURVEY_DUPLICATE).format(year=values["year"])
            raise Conflict(message, [("year", message)])
        for key, value in values.items():
            setattr(locked, key, value)
        after = survey_snapshot(locked, sorted(s.code for s in skills) if skills is not None else None)
        diff = snapshot_diff(before, after)
        if not diff:
            return locked
        locked.updated_at = timezone.now()
        try:
            with transaction.atomic():
                locked.save()
        except IntegrityError:
            # Another clerk took that year between the check above and this save.
            message = _(SURVEY_DUPLICATE).format(year=locked.year)
            raise Conflict(message, [("year", message)]) from None
        if skills is not None:
            locked.wanted_skills.set(skills)
        audit_record(actor=actor, action=AuditAction.SURVEY_UPDATE, obj=locked,  # zh-data
                     summary=f"修改调查 #{locked.pk}", changes={"diff": diff})
        # Only the latest year speaks for the person now, and only through what it says about
        # employment: editing an older survey, or the employer of the latest, must not put the
        # latest survey's values back over a later correction of the registry. A survey moved
        # away from (or onto) the latest year hands the registry over.
        touches_person = any(k in diff for k in (*PERSON_FIELDS_FROM_SURVEY, "year"))
        if touches_person and (was_latest or _is_latest(locked, locked.year)):
            refresh_persons_from_latest(actor, [locked.person_id])
        hooks.outcomes_changed([locked.person_id])
    return locked


SKILL_NAME_REQUIRED = gettext_noop("请填写技能名称")
SKILL_CODE_INVALID = gettext_noop("代码须为 2 至 40 个小写字母、数字或下划线")
SKILL_DUPLICATE = gettext_noop("技能代码或名称已存在")


def _derived_skill_code(name: str) -> str:
    """电子商务 → "dianzishangwu" (pinyin; Latin letters and digits kept), cut to 36 characters,
    with "_2", "_3" … while the code is taken."""
    import re

    full, _initials = name_pinyin(name.replace("/", " "))
    base = re.sub(r"[^a-z0-9]", "", full.lower())[:36] or "skill"
    if len(base) < 2:
        base = f"skill_{base}"
    code, n = base, 1
    while Skill.objects.filter(code=code).exists():
        n += 1
        code = f"{base}_{n}"
    return code


def skill_save(*, actor: User, code: str, name: str, active: bool = True,
               skill: Skill | None = None) -> Skill:
    """Add or edit an entry of the skills dictionary (city staff)."""
    import re

    if not has_perm(actor, Perm.SKILLS_EDIT):
        raise Forbidden()
    errors = []
    code = (code or "").strip()
    name = (name or "").strip()
    if not code and skill is None and name:
        # A new skill needs no code typed: it is derived from the name's pinyin.
        code = _derived_skill_code(name)
    if not re.fullmatch(r"[a-z0-9_]{2,40}", code):
        errors.append(("code", _(SKILL_CODE_INVALID)))
    if not name or len(name) > 50:
        errors.append(("name", _(SKILL_NAME_REQUIRED)))
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        clash = Skill.objects.filter(code=code) | Skill.objects.filter(name=name)
        if skill is not None:
            clash = clash.exclude(pk=skill.pk)
        if clash.exists():
            raise Conflict(_(SKILL_DUPLICATE), [("code", _(SKILL_DUPLICATE))])
        before = {"code": skill.code, "name": skill.name, "active": skill.active} if skill else None
        target = skill or Skill()
        target.code, target.name, target.active = code, name, active
        target.save()
        audit_record(actor=actor, action=AuditAction.SKILL_SAVE, obj=target, summary=f"技能目录：{name}",  # zh-data
                     changes={"before": before, "after": {"code": code, "name": name, "active": active}})
    return target
