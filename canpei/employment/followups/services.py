"""Follow-ups of completers (就业跟踪): scheduling them when a completion is final, and
recording (or correcting) what the town or the employment service centre found out.

Scheduling rules (PRODUCT.md, "Employment follow-up"):

- a class's trainee whose enrolment is `completed` is followed up once the city has audited the
  class's completion (state `audited`; a settled class has passed that step too). Before the
  audit the completion may still be refused and the roster corrected. The end of the training
  (`ended_on`) is the class's end date;
- an individual application is followed up once it is registered `completed` (or later,
  reimbursed). Its end (`ended_on`) is the certificate's issue date, the proof of completion;
  lacking one, the day the completion was registered;
- one follow-up for each of settings.FOLLOWUP_MONTHS (3 and 6 by default), due that many
  calendar months after the end, clamped to the month's last day (31 January + 1 month is
  28 or 29 February).

Scheduling is idempotent: a follow-up exists at most once per (enrolment or application, months),
which the database's unique constraints guarantee; scheduling again adds only the missing ones.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from canpei import hooks
from canpei.accounts.models import User
from canpei.accounts.roles import Perm, has_perm
from canpei.audit.actions import AuditAction
from canpei.audit.edits import edit_save
from canpei.audit.services import audit_record
from canpei.employment.models import FollowUp, FollowUpMethod
from canpei.employment.selectors import followups_visible_to
from canpei.errors import Conflict, Forbidden, InvalidInput, NotFound
from canpei.errors import lazy_message as _
from canpei.people.models import Person
from canpei.people.rules import EmploymentForm, NotWorkingReason
from canpei.people.services import person_set_employment
from canpei.training.models import (
    Application, ApplicationEvent, ApplicationState, ClassState, Enrollment, EnrollmentStatus,
)
from canpei.validation import Errors, Fields, model_update, text


# ---- messages (tests assert against these) -------------------------------------------------------

DATE_REQUIRED = _("请填写跟踪日期")
DATE_BEFORE_END = _("跟踪日期不能早于培训结束日期（{date}）")
DATE_IN_FUTURE = _("跟踪日期不能晚于今天")
METHOD_REQUIRED = _("请选择跟踪方式")
METHOD_INVALID = _("跟踪方式须为电话回访、入户走访或单位核实")
EMPLOYED_REQUIRED = _("请填写是否已就业")
FORM_INVALID = _("就业形式须为国家标准代码 1 至 7")
FORM_REQUIRED = _("已就业须填写就业形式")
FORM_NOT_EMPLOYED = _("未就业不填就业形式")
REASON_INVALID = _("未就业原因须为国家标准代码 1 至 7")
REASON_EMPLOYED = _("已就业不填未就业原因")
EMPLOYER_TOO_LONG = _("就业单位不能超过 100 个字")
EMPLOYER_NOT_EMPLOYED = _("未就业不填就业单位")
POSITION_TOO_LONG = _("岗位不能超过 50 个字")
POSITION_NOT_EMPLOYED = _("未就业不填岗位")
INCOME_INVALID = _("月收入（元）须为 0 至 200000 元，最多两位小数")
NOTE_TOO_LONG = _("备注不能超过 200 个字")
SOURCE_REQUIRED = _("请指定培训班学员（enrollment）或个人申请（application）之一")
SOURCE_BOTH = _("培训班学员和个人申请只能指定其一")
ENROLLMENT_NOT_COMPLETED = _("该学员未结业或培训班尚未通过结业审核，不能登记就业跟踪")
APPLICATION_NOT_COMPLETED = _("该个人申请尚未完成，不能登记就业跟踪")
MONTHS_INVALID = _("跟踪节点须为 {months} 个月之一")
ALREADY_RECORDED = _("该次跟踪已登记，如需更正请修改原记录")

# The largest monthly income taken as real: anything above is a typing slip (yuan, not fen).
INCOME_MAX = Decimal("200000")

# The yes/no facts of a follow-up that may stay blank (whether employed may not).
OPTIONAL_BOOLEANS = ("contract_signed", "social_insurance", "business_started")
RECORD_FIELDS = ("date", "method", "employed", "employment_form", "employer", "position",
                 "contract_signed", "social_insurance", "monthly_income", "business_started",
                 "not_working_reason", "note")
# Class states in which a completion is final (audited, and settled after it).
FINAL_CLASS_STATES = (ClassState.AUDITED, ClassState.SETTLED)
FINAL_APPLICATION_STATES = (ApplicationState.COMPLETED, ApplicationState.REIMBURSED)


# ---- scheduling ----------------------------------------------------------------------------------

def add_months(day: dt.date, months: int) -> dt.date:
    """`months` calendar months after `day`, on the same day of the month or, when that month is
    shorter, on its last day (2024-01-31 + 1 = 2024-02-29, 2025-01-31 + 1 = 2025-02-28)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def followup_months() -> tuple[int, ...]:
    return tuple(settings.FOLLOWUP_MONTHS)


def _rows(person_town: Iterable[tuple[int, str, dt.date, dict[str, int]]]) -> list[FollowUp]:
    months = followup_months()
    return [FollowUp(person_id=person_id, town_id=town, ended_on=ended, months=m,
                     due_on=add_months(ended, m), **source)
            for person_id, town, ended, source in person_town for m in months]


def _insert(rows: list[FollowUp]) -> int:
    """Insert the follow-ups not yet scheduled; returns how many were new."""
    if not rows:
        return 0
    enrollment_ids = {r.enrollment_id for r in rows if r.enrollment_id}
    application_ids = {r.application_id for r in rows if r.application_id}
    existing: set[tuple[str, int, int]] = set()
    for field, ids in (("enrollment_id", enrollment_ids), ("application_id", application_ids)):
        id_list = sorted(ids)
        for start in range(0, len(id_list), 1000):
            for source, months in FollowUp.objects.filter(
                    **{f"{field}__in": id_list[start:start + 1000]}).values_list(field, "months"):
                existing.add((field, source, months))
    new = [r for r in rows
           if ("enrollment_id", r.enrollment_id, r.months) not in existing
           and ("application_id", r.application_id, r.months) not in existing]
    # ignore_conflicts: a concurrent scheduler that inserted the same row meanwhile is no error.
    with transaction.atomic():
        FollowUp.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
        hooks.outcomes_changed(r.person_id for r in new)
    return len(new)


def schedule_for_enrollments(enrollment_ids: Iterable[int]) -> int:
    """The follow-ups of these enrolments, those that are completed in a class whose completion
    is final; others are skipped. Returns how many were new."""
    ids = sorted(set(enrollment_ids))
    rows: list[FollowUp] = []
    for start in range(0, len(ids), 1000):
        found = (Enrollment.objects.filter(pk__in=ids[start:start + 1000],
                                           status=EnrollmentStatus.COMPLETED,
                                           training_class__state__in=FINAL_CLASS_STATES)
                 .values_list("pk", "person_id", "person__town_id", "training_class__end_date"))
        rows += _rows((person, town, end, {"enrollment_id": pk})
                      for pk, person, town, end in found)
    return _insert(rows)


def _completed_on(application_ids: list[int]) -> dict[int, dt.date]:
    """The day each application's completion was registered (its latest `complete` step)."""
    days: dict[int, dt.date] = {}
    for application_id, at in (ApplicationEvent.objects
                               .filter(application_id__in=application_ids,
                                       to_state=ApplicationState.COMPLETED)
                               .order_by("at").values_list("application_id", "at")):
        days[application_id] = timezone.localtime(at).date()
    return days


def schedule_for_applications(application_ids: Iterable[int]) -> int:
    """The follow-ups of these individual applications, those completed (or reimbursed);
    others are skipped. Returns how many were new."""
    ids = sorted(set(application_ids))
    rows: list[FollowUp] = []
    today = timezone.localdate()
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        found = list(Application.objects.filter(pk__in=chunk, state__in=FINAL_APPLICATION_STATES)
                     .values_list("pk", "person_id", "person__town_id", "certificate_date"))
        registered = _completed_on([pk for pk, _p, _t, issued in found if issued is None])
        rows += _rows((person, town, issued or registered.get(pk, today), {"application_id": pk})
                      for pk, person, town, issued in found)
    return _insert(rows)


def training_completed_receiver(enrollment_ids: list[int], application_ids: list[int]) -> None:
    """canpei.hooks.training_completed: schedule the follow-ups in the caller's transaction."""
    schedule_for_enrollments(enrollment_ids)
    schedule_for_applications(application_ids)


def schedule_followups(*, actor: User | None = None) -> int:
    """Backfill: the follow-ups of every final completion not yet scheduled (classes audited
    before follow-ups existed, a changed CANPEI_FOLLOWUP_MONTHS). Idempotent; returns how many
    were new, and audits the run when any were."""
    with transaction.atomic():
        enrollments = (Enrollment.objects.filter(status=EnrollmentStatus.COMPLETED,
                                                 training_class__state__in=FINAL_CLASS_STATES)
                       .values_list("pk", flat=True).iterator(chunk_size=5000))
        created = schedule_for_enrollments(enrollments)
        applications = (Application.objects.filter(state__in=FINAL_APPLICATION_STATES)
                        .values_list("pk", flat=True).iterator(chunk_size=5000))
        created += schedule_for_applications(applications)
        if created:
            audit_record(actor=actor, action=AuditAction.FOLLOWUP_SCHEDULE,  # zh-data: audit words
                         object_type="employment.followup",
                         summary=f"补排就业跟踪 {created} 条",
                         changes={"created": created, "months": list(followup_months())})
    return created


# ---- recording -----------------------------------------------------------------------------------

def followup_snapshot(followup: FollowUp) -> dict[str, Any]:
    return {
        "person": followup.person_id, "enrollment": followup.enrollment_id,
        "application": followup.application_id, "months": followup.months,
        "due_on": followup.due_on.isoformat(),
        "date": followup.date.isoformat() if followup.date else None,
        "method": followup.method, "employed": followup.employed,
        "employment_form": followup.employment_form, "employer": followup.employer,
        "position": followup.position, "contract_signed": followup.contract_signed,
        "social_insurance": followup.social_insurance,
        "monthly_income": None if followup.monthly_income is None else str(followup.monthly_income),
        "business_started": followup.business_started,
        "not_working_reason": followup.not_working_reason, "note": followup.note,
    }


def _optional_bool(f: Fields, field: str) -> None:
    """Yes, no, or blank (not asked): None, "" stay None."""
    if field not in f.data:
        return
    raw = f.data[field]
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        f.values[field] = None
    else:
        f.boolean(field)


def clean_followup_input(data: Mapping[str, Any], *, followup: FollowUp,
                         today: dt.date) -> dict[str, Any]:
    """Validate a record of `followup` (every given field at once) and return the values to
    set. A first record needs date, method and employed; a correction may give any of them, and
    the rules between fields are checked on the record as it will be."""
    first = followup.date is None
    f = Fields(dict(data), allowed=RECORD_FIELDS, current=None if first else followup)

    if first or "date" in f.data:
        day = f.date("date", required=DATE_REQUIRED)
        if day is not None and day < followup.ended_on:
            f.values.pop("date", None)
            f.error("date", DATE_BEFORE_END.format(date=followup.ended_on.isoformat()))
        elif day is not None and day > today:
            f.values.pop("date", None)
            f.error("date", DATE_IN_FUTURE)
    if first and not text(f.data.get("method")):
        f.error("method", METHOD_REQUIRED)
    elif "method" in f.data:
        f.choice("method", FollowUpMethod, METHOD_INVALID)
    if "employed" in f.data or first:
        raw = f.data.get("employed")
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            f.error("employed", EMPLOYED_REQUIRED)
        else:
            f.boolean("employed")
    f.choice("employment_form", EmploymentForm, FORM_INVALID, blank=True)
    f.choice("not_working_reason", NotWorkingReason, REASON_INVALID, blank=True)
    f.text("employer", max_length=100, too_long=EMPLOYER_TOO_LONG, single_line=True)
    f.text("position", max_length=50, too_long=POSITION_TOO_LONG, single_line=True)
    f.text("note", max_length=200, too_long=NOTE_TOO_LONG)
    for field in OPTIONAL_BOOLEANS:
        _optional_bool(f, field)
    if "monthly_income" in f.data:
        raw = f.data["monthly_income"]
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            f.values["monthly_income"] = None
        else:
            f.decimal("monthly_income", low=Decimal(0), high=INCOME_MAX, places=2,
                      message=INCOME_INVALID)

    # A change of `employed` clears what belongs to the other answer, unless given again.
    if f.values.get("employed") is False:
        for field in ("employment_form", "employer", "position"):
            if field not in f.data:
                f.values[field] = ""
    elif f.values.get("employed") is True and "not_working_reason" not in f.data:
        f.values["not_working_reason"] = ""

    # Between fields, on the record as it will be.
    if not f.failed("employed", "employment_form", "not_working_reason"):
        employed = f.final("employed", None)
        form, reason = f.final("employment_form"), f.final("not_working_reason")
        if employed is True:
            if not form:
                f.error("employment_form", FORM_REQUIRED)
            if reason:
                f.error("not_working_reason", REASON_EMPLOYED)
        elif employed is False:
            if form:
                f.error("employment_form", FORM_NOT_EMPLOYED)
            if f.final("employer") and not f.failed("employer"):
                f.error("employer", EMPLOYER_NOT_EMPLOYED)
            if f.final("position") and not f.failed("position"):
                f.error("position", POSITION_NOT_EMPLOYED)
    return f.finish()


def locked_followup(actor: User, followup_id: int) -> FollowUp:
    """The follow-up, in the actor's scope, locked until the transaction ends."""
    if not followups_visible_to(actor).filter(pk=followup_id).exists():
        raise NotFound()
    return FollowUp.objects.select_for_update().select_related("person").get(pk=followup_id)


def _is_latest(followup: FollowUp) -> bool:
    """Whether this is the person's most recent recorded follow-up (by date, then id): only
    that one says what the person's employment is now."""
    later = (FollowUp.objects.filter(person_id=followup.person_id, date__isnull=False)
             .exclude(pk=followup.pk))
    assert followup.date is not None
    return not (later.filter(date__gt=followup.date).exists()
                or later.filter(date=followup.date, pk__gt=followup.pk).exists())


def followup_record(*, actor: User, followup: FollowUp, data: Mapping[str, Any]) -> FollowUp:
    """Record a follow-up, or correct one recorded before (the audit entry keeps the diff).

    When the record is the person's latest follow-up, the person's current employment form (or
    reason for not working) follows it, through people.services.person_set_employment, in the
    same transaction. Nothing is stored when any field is refused.
    """
    if not has_perm(actor, Perm.FOLLOWUP_RECORD):
        raise Forbidden()
    today = timezone.localdate()
    with transaction.atomic():
        locked = locked_followup(actor, followup.pk)
        # The person too, now: recording may update their employment (below), and every lock
        # is taken before the audit chain's head, as in every other service.
        Person.objects.select_for_update().filter(pk=locked.person_id).exists()
        first = locked.date is None
        values = clean_followup_input(data, followup=locked, today=today)
        changes = model_update(locked, values, snapshot=followup_snapshot)
        if not changes:
            return locked
        locked.recorded_by = actor
        edit_save(actor=actor, record=locked, changes=changes,  # zh-data: audit words
                  action=AuditAction.FOLLOWUP_RECORD if first else AuditAction.FOLLOWUP_UPDATE,
                  summary=(f"{'登记' if first else '更正'}就业跟踪 #{locked.pk}"
                           f"（{locked.months} 个月）"))
        hooks.outcomes_changed([locked.person_id])
        if _is_latest(locked):
            person_set_employment(  # zh-data: the source is stored, as audit words
                actor=actor, person=locked.person,
                employment_form=locked.employment_form if locked.employed else "",
                not_working_reason="" if locked.employed else locked.not_working_reason,
                source=f"就业跟踪 #{locked.pk}")
    return locked


def _source(data: Mapping[str, Any]) -> tuple[dict[str, int], int, Errors]:
    """The enrolment or application a posted follow-up names, with its months, as a lookup."""
    errors: Errors = []
    enrollment, application = data.get("enrollment"), data.get("application")
    allowed = followup_months()
    months = data.get("months")
    if isinstance(months, bool) or not isinstance(months, int) or months not in allowed:
        try:
            months = int(str(months).strip())
        except ValueError:
            months = None
        if months not in allowed:
            errors.append(("months", MONTHS_INVALID.format(
                months="、".join(str(m) for m in allowed))))
    given = [name for name, value in (("enrollment", enrollment), ("application", application))
             if value not in (None, "")]
    if not given:
        errors.append(("enrollment", SOURCE_REQUIRED))
        return {}, 0, errors
    if len(given) == 2:
        errors.append(("application", SOURCE_BOTH))
        return {}, 0, errors
    name = given[0]
    raw = text(enrollment if name == "enrollment" else application)
    source_id = int(raw) if raw.isdigit() and len(raw) <= 12 else 0
    return {f"{name}_id": source_id}, int(months or 0), errors


def followup_create(*, actor: User, data: Mapping[str, Any]) -> FollowUp:
    """Record the follow-up of a completed enrolment or application (`enrollment` or
    `application`, and `months`), with the record's fields. The follow-up must be one that the
    completion schedules: for a trainee who did not complete (or whose class's completion is not
    yet audited) the refusal names the field, and nothing is stored. Scheduled now if the
    scheduler has not yet run; an already recorded one is a conflict (correct it instead)."""
    if not has_perm(actor, Perm.FOLLOWUP_RECORD):
        raise Forbidden()
    record = {key: value for key, value in data.items()
              if key not in ("enrollment", "application", "months")}
    lookup, months, errors = _source(data)
    if errors:
        raise InvalidInput(errors)
    field = "enrollment" if "enrollment_id" in lookup else "application"
    message = ENROLLMENT_NOT_COMPLETED if field == "enrollment" else APPLICATION_NOT_COMPLETED
    with transaction.atomic():
        found = followups_visible_to(actor).filter(months=months, **lookup).first()
        if found is None:
            if field == "enrollment":
                schedule_for_enrollments([lookup["enrollment_id"]])
            else:
                schedule_for_applications([lookup["application_id"]])
            found = followups_visible_to(actor).filter(months=months, **lookup).first()
        if found is None:
            # Not completed, not final, or another town's: alike, so nothing is learnt by trying.
            raise InvalidInput([(field, message)])
        if found.date is not None:
            raise Conflict(ALREADY_RECORDED, [("months", ALREADY_RECORDED)])
        return followup_record(actor=actor, followup=found, data=record)
