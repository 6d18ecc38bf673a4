"""Writing competitions, entries and typical cases. Every write checks the role and the scope,
locks what it changes and writes its audit entry in the same transaction; pages, API and demo
share these functions.

The city admin registers competitions (name, level, dates, events) and records results and
award grades; town staff enter the persons of their own town, the city anyone in the city. A
typical case about a person is published only with the person's recorded consent, not
withdrawn; withdrawing consent unpublishes the case in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from canpei.accounts.models import User
from canpei.accounts.roles import Perm, has_perm
from canpei.audit.actions import AuditAction
from canpei.audit.edits import edit_save
from canpei.audit.services import audit_record
from canpei.codes import AwardGrade, CompetitionLevel
from canpei.competitions.models import (
    CaseChannel, Competition, ConsentMethod, Entry, Event, TypicalCase,
)
from canpei.competitions.selectors import (
    cases_visible_to, competitions_visible_to, entries_visible_to,
)
from canpei.errors import Conflict, Forbidden, InvalidInput, NotFound
from canpei.errors import Message as _
from canpei.people.models import Person
from canpei.people.rules import PersonStatus
from canpei.people.selectors import persons_visible_to
# The shared date messages, under the names the tests assert (services.X).
from canpei.validation import (
    DATE_INVALID, END_REQUIRED, START_REQUIRED, END_BEFORE_START as DATES_ORDER,
)
from canpei.validation import Fields, choose, model_update, text


# ---- labels (a field declared with its label is refused in its words: 「请填写竞赛名称」,
# 「竞赛名称不能超过 100 个字符」, canpei.validation) ----------------------------------------------

NAME = _("竞赛名称")
LEVEL = _("竞赛级别")
ORGANIZER = _("主办单位")
NOTE = _("备注")
EVENT = _("竞赛项目")
PERSON = _("参赛人员")
RESULT = _("比赛成绩")
AWARD = _("获奖等次")
TITLE = _("案例标题")
TEXT = _("案例正文")
CHANNEL = _("宣传渠道")
CONSENT_DATE = _("同意日期")
METHOD = _("同意方式")
SCOPE = _("同意范围")
WITHDRAW_DATE = _("撤回日期")
PUBLISH_DATE = _("发布日期")

# ---- messages (tests assert these literally) ---------------------------------------------------

NO_COMPETITION_EDIT = _("当前角色不能登记或修改职业技能竞赛")
NO_ENTRY_EDIT = _("当前角色不能为人员报名竞赛")
NO_CASE_EDIT = _("当前角色不能登记或修改典型案例")
DATE_TOO_EARLY = _("日期不能早于 2000-01-01")
EVENTS_REQUIRED = _("请至少填写一个竞赛项目")
EVENTS_INVALID = _("竞赛项目须为项目名称的列表")
EVENT_TOO_LONG = _("竞赛项目名称不能超过 50 个字符：{name}")
EVENT_TWICE = _("竞赛项目重复：{name}")
EVENT_HAS_ENTRIES = _("项目「{name}」已有报名，不能删除")

EVENT_NOT_FOUND = _("请选择本竞赛的项目")
PERSON_NOT_FOUND = _("人员不存在或不属于本人管辖范围")
PERSON_NOT_ACTIVE = _("只能为在册人员报名")
ENTERED_TWICE = _("该人员已报名此项目，不能重复报名")
RESULT_BEFORE_START = _("竞赛开始后才能登记成绩和获奖等次")

CASE_PERSON_FIXED = _("案例已发布或已登记本人同意，不能更换案例人物")
CONSENT_NO_PERSON = _("案例未关联人物，无需登记本人同意")
SCOPE_REQUIRED = _("请填写同意范围（同意在哪些渠道、以何种方式使用本人事迹）")
NO_CONSENT_TO_WITHDRAW = _("尚未登记本人同意或已撤回，无需撤回")
WITHDRAW_BEFORE_CONSENT = _("撤回日期不能早于同意日期")
ALREADY_PUBLISHED = _("案例已发布")
NOT_PUBLISHED = _("案例尚未发布")
PUBLISH_BEFORE_CONSENT = _("发布日期不能早于本人同意日期")
CHANNEL_REQUIRED = _("发布前请选择宣传渠道")
# The rule a publication breaks, named in the API's errors as the field `consent`.
PUBLISH_WITHOUT_CONSENT = _("案例涉及个人，须先登记本人同意（且未撤回）才能发布")


def _id(value: Any) -> int | None:
    given = text(value)
    return int(given) if given.isdigit() and len(given) <= 12 else None


def _date_checks(f: Fields, field: str, *, label: str | None = None, required: str | bool = True,
                 future: bool = False) -> dt.date | None:
    """A record's date with the shared date messages: a blank one refused with `required` (True:
    the label's 「请填写{label}」), and with `future` a day after today (「{label}不能晚于今天」)."""
    return f.day_since(field, label=label, required=required, invalid=DATE_INVALID,
                       too_early=DATE_TOO_EARLY, future=future)


# ---- competitions ------------------------------------------------------------------------------

def competition_snapshot(c: Competition) -> dict[str, Any]:
    return {"name": c.name, "level": c.level, "start_date": c.start_date.isoformat(),
            "end_date": c.end_date.isoformat(), "organizer": c.organizer, "note": c.note}


def _event_names(f: Fields) -> list[str] | None:
    """The events given: a list of names, or one name a line (a form's textarea)."""
    if not f.runs("events", True):
        return None
    raw = f.raw("events")
    if raw is None or isinstance(raw, str):
        names = [line.strip() for line in (raw or "").splitlines()]
    elif isinstance(raw, (list, tuple)) and all(isinstance(n, str) for n in raw):
        names = [n.strip() for n in raw]
    else:
        f.error("events", EVENTS_INVALID)
        return None
    names = [n for n in names if n]
    if not names:
        f.error("events", EVENTS_REQUIRED)
        return None
    seen: set[str] = set()
    for name in names:
        if len(name) > 50:
            f.error("events", EVENT_TOO_LONG.format(name=name[:50] + "…"))
            return None
        if name in seen:
            f.error("events", EVENT_TWICE.format(name=name))
            return None
        seen.add(name)
    return names


def clean_competition_input(data: dict[str, Any], *, current: Competition | None
                            ) -> tuple[dict[str, Any], list[str] | None]:
    """Every given field checked at once; the values to set and the events (None: unchanged)."""
    f = Fields(data, allowed=("name", "level", "start_date", "end_date", "organizer", "note",
                              "events"), current=current)
    f.text("name", label=NAME, max_length=100, required=True, single_line=True)
    f.choice("level", CompetitionLevel, label=LEVEL, required=True)
    start = _date_checks(f, "start_date", required=START_REQUIRED)
    end = _date_checks(f, "end_date", required=END_REQUIRED)
    f.text("organizer", label=ORGANIZER, max_length=100, single_line=True)
    f.text("note", label=NOTE, max_length=200, single_line=True)
    events = _event_names(f)
    if not f.failed("start_date", "end_date") and (start is not None or end is not None):
        first, last = f.final("start_date", None), f.final("end_date", None)
        if first is not None and last is not None and last < first:
            f.error("end_date", DATES_ORDER)
    values = f.finish()
    values.pop("events", None)
    return values, events


def _set_events(actor: User, competition: Competition, names: list[str]) -> dict[str, Any]:
    """Add the new events and remove the ones no longer named (refused if entered)."""
    existing = {e.name: e for e in competition.events.all()}
    gone = [e for name, e in existing.items() if name not in names]
    for event in gone:
        if event.entries.exists():
            raise InvalidInput([("events", EVENT_HAS_ENTRIES.format(name=event.name))])
    for event in gone:
        event.delete()
    added = [Event.objects.create(competition=competition, name=n)
             for n in names if n not in existing]
    return {"added": [e.name for e in added], "removed": [e.name for e in gone]}


def competition_create(*, actor: User, data: dict[str, Any]) -> Competition:
    if not has_perm(actor, Perm.COMPETITION_EDIT):
        raise Forbidden(NO_COMPETITION_EDIT)
    values, events = clean_competition_input(data, current=None)
    with transaction.atomic():
        competition = Competition.objects.create(**values)
        _set_events(actor, competition, events or [])
        audit_record(actor=actor, action=AuditAction.COMPETITION_CREATE, obj=competition,  # zh-data: audit words
                     summary=f"登记职业技能竞赛 #{competition.pk}",
                     changes={"after": {**competition_snapshot(competition),
                                        "events": events}})
    return competition


def competition_update(*, actor: User, competition: Competition,
                       data: dict[str, Any]) -> Competition:
    if not has_perm(actor, Perm.COMPETITION_EDIT):
        raise Forbidden(NO_COMPETITION_EDIT)
    with transaction.atomic():
        if not competitions_visible_to(actor).filter(pk=competition.pk).exists():
            raise NotFound()
        locked = Competition.objects.select_for_update().get(pk=competition.pk)
        values, events = clean_competition_input(data, current=locked)
        changes: dict[str, Any] = dict(model_update(locked, values,
                                                    snapshot=competition_snapshot))
        if events is not None:
            moved = _set_events(actor, locked, events)
            if moved["added"] or moved["removed"]:
                changes["events"] = moved
        edit_save(actor=actor, record=locked, changes=changes,  # zh-data: audit words
                  action=AuditAction.COMPETITION_UPDATE, summary=f"修改职业技能竞赛 #{locked.pk}")
    return locked


# ---- entries -----------------------------------------------------------------------------------

def entry_snapshot(e: Entry) -> dict[str, Any]:
    return {"event": e.event_id, "person": e.person_id, "town": e.town_id, "result": e.result,
            "award": e.award}


def entry_create(*, actor: User, competition: Competition, data: dict[str, Any]) -> Entry:
    """Enter a person of the actor's scope in an event of the competition, once per event."""
    if not has_perm(actor, Perm.ENTRY_EDIT):
        raise Forbidden(NO_ENTRY_EDIT)
    f = Fields(data, allowed=("event", "person"))
    event = person = None
    if text(f.raw("event")) == "":
        f.error("event", choose(EVENT))
    else:
        event_id = _id(f.raw("event"))
        event = (competition.events.filter(pk=event_id).first() if event_id is not None
                 else None)
        if event is None:
            f.error("event", EVENT_NOT_FOUND)
    if text(f.raw("person")) == "":
        f.error("person", choose(PERSON))
    else:
        person_id = _id(f.raw("person"))
        person = (persons_visible_to(actor).filter(pk=person_id).first()
                  if person_id is not None else None)
        if person is None:
            f.error("person", PERSON_NOT_FOUND)
        elif person.status != PersonStatus.ACTIVE:
            f.error("person", PERSON_NOT_ACTIVE)
    f.finish()
    assert event is not None and person is not None
    with transaction.atomic():
        # The person locked while the town is copied (a move waits, or comes first).
        locked = Person.objects.select_for_update().get(pk=person.pk)
        if Entry.objects.filter(event=event, person=locked).exists():
            raise Conflict(ENTERED_TWICE, [("person", ENTERED_TWICE)])
        try:
            with transaction.atomic():
                entry = Entry.objects.create(event=event, person=locked, town_id=locked.town_id,
                                             entered_by=actor)
        except IntegrityError:
            raise Conflict(ENTERED_TWICE, [("person", ENTERED_TWICE)]) from None
        audit_record(actor=actor, action=AuditAction.ENTRY_CREATE, obj=entry,  # zh-data: audit words
                     summary=f"竞赛报名 #{entry.pk}（{competition.name} · {event.name}）",
                     changes={"after": entry_snapshot(entry)})
    return entry


def entry_record_result(*, actor: User, entry: Entry, data: dict[str, Any]) -> Entry:
    """The result and award grade of an entry (the city admin, once the competition started)."""
    if not has_perm(actor, Perm.COMPETITION_EDIT):
        raise Forbidden(NO_COMPETITION_EDIT)
    with transaction.atomic():
        if not entries_visible_to(actor).filter(pk=entry.pk).exists():
            raise NotFound()
        locked = Entry.objects.select_for_update().select_related(
            "event__competition").get(pk=entry.pk)
        f = Fields(data, allowed=("result", "award"), current=locked)
        f.text("result", label=RESULT, max_length=50, single_line=True)
        f.choice("award", AwardGrade, label=AWARD, blank=True)
        values = f.finish()
        if values and locked.event.competition.start_date > timezone.localdate():
            raise Conflict(RESULT_BEFORE_START, [("award" if "award" in values else "result",
                                                  RESULT_BEFORE_START)])
        edit_save(actor=actor, record=locked,  # zh-data: audit words
                  changes=model_update(locked, values, snapshot=entry_snapshot),
                  action=AuditAction.ENTRY_RESULT, summary=f"登记竞赛成绩 #{locked.pk}")
    return locked


# ---- typical cases -----------------------------------------------------------------------------

def case_snapshot(c: TypicalCase) -> dict[str, Any]:
    def day(d: dt.date | None) -> str | None:
        return d.isoformat() if d else None
    return {"title": c.title, "person": c.person_id, "channel": c.channel,
            "published_on": day(c.published_on), "consent_on": day(c.consent_on),
            "consent_method": c.consent_method, "consent_scope": c.consent_scope,
            "consent_withdrawn_on": day(c.consent_withdrawn_on)}


def _case_input(data: dict[str, Any], actor: User, current: TypicalCase | None) -> dict[str, Any]:
    def refuse(key: str) -> str | None:
        if (key == "person" and current is not None
                and (current.published or current.consent_on is not None)
                and _id(data.get(key)) != current.person_id):
            return CASE_PERSON_FIXED
        return None
    f = Fields(data, allowed=("title", "text", "person", "channel"), current=current,
               refuse=refuse)
    f.text("title", label=TITLE, max_length=100, required=True, single_line=True)
    f.text("text", label=TEXT, max_length=10000, required=True)
    f.choice("channel", CaseChannel, label=CHANNEL, blank=True)
    if "person" in f.data and "person" not in f.bad and not f.failed("person"):
        raw = f.raw("person")
        if raw is None or text(raw) == "":
            f.values["person"] = None
        else:
            person_id = _id(raw)
            person = (persons_visible_to(actor).filter(pk=person_id).first()
                      if person_id is not None else None)
            if person is None:
                f.error("person", PERSON_NOT_FOUND)
            else:
                f.values["person"] = person
    return f.finish()


def _locked_case(actor: User, case: TypicalCase) -> TypicalCase:
    if not cases_visible_to(actor).filter(pk=case.pk).exists():
        raise NotFound()
    return TypicalCase.objects.select_for_update().get(pk=case.pk)


def _case_edit(actor: User) -> None:
    if not has_perm(actor, Perm.CASE_EDIT):
        raise Forbidden(NO_CASE_EDIT)


def _case_step_save(actor: User, locked: TypicalCase, before: dict[str, Any],
                    action: AuditAction, summary: str) -> None:
    """Save a case a step changed (publication, withdrawal) and audit it whole, before and after."""
    locked.updated_at = timezone.now()
    locked.save()
    audit_record(actor=actor, action=action, obj=locked, summary=summary,
                 changes={"before": before, "after": case_snapshot(locked)})


def case_create(*, actor: User, data: dict[str, Any]) -> TypicalCase:
    _case_edit(actor)
    values = _case_input(data, actor, None)
    person = values.get("person")
    with transaction.atomic():
        case = TypicalCase.objects.create(town_id=person.town_id if person else None, **values)
        audit_record(actor=actor, action=AuditAction.CASE_CREATE, obj=case,  # zh-data: audit words
                     summary=f"登记典型案例 #{case.pk}", changes={"after": case_snapshot(case)})
    return case


def case_update(*, actor: User, case: TypicalCase, data: dict[str, Any]) -> TypicalCase:
    _case_edit(actor)
    with transaction.atomic():
        locked = _locked_case(actor, case)
        values = _case_input(data, actor, locked)
        if "person" in values:
            person = values["person"]
            values["town_id"] = person.town_id if person else None
        edit_save(actor=actor, record=locked,  # zh-data: audit words
                  changes=model_update(locked, values, snapshot=case_snapshot),
                  action=AuditAction.CASE_UPDATE, summary=f"修改典型案例 #{locked.pk}")
    return locked


def case_record_consent(*, actor: User, case: TypicalCase, data: dict[str, Any]) -> TypicalCase:
    """The person's consent: date, how (a code) and scope. Recording it again after a withdrawal
    is a new consent (the withdrawal date is cleared)."""
    _case_edit(actor)
    with transaction.atomic():
        locked = _locked_case(actor, case)
        if locked.person_id is None:
            raise Conflict(CONSENT_NO_PERSON, [("person", CONSENT_NO_PERSON)])
        f = Fields(data, allowed=("date", "method", "scope"))
        day = _date_checks(f, "date", label=CONSENT_DATE, future=True)
        f.choice("method", ConsentMethod, label=METHOD, required=True)
        f.text("scope", label=SCOPE, max_length=200, required=SCOPE_REQUIRED, single_line=True)
        values = f.finish()
        changes = model_update(locked, {"consent_on": day, "consent_method": values["method"],
                                        "consent_scope": values["scope"],
                                        "consent_withdrawn_on": None},
                               snapshot=case_snapshot)
        edit_save(actor=actor, record=locked, changes=changes,  # zh-data: audit words
                  action=AuditAction.CASE_CONSENT, summary=f"登记典型案例 #{locked.pk} 本人同意")
    return locked


def case_withdraw_consent(*, actor: User, case: TypicalCase,
                          data: dict[str, Any]) -> TypicalCase:
    """The person withdraws consent: recorded with its date; a published case is unpublished in
    the same transaction, both audited."""
    _case_edit(actor)
    with transaction.atomic():
        locked = _locked_case(actor, case)
        if not locked.consent_valid:
            raise Conflict(NO_CONSENT_TO_WITHDRAW, [("consent", NO_CONSENT_TO_WITHDRAW)])
        f = Fields(data, allowed=("date",))
        day = _date_checks(f, "date", label=WITHDRAW_DATE, future=True)
        if day is not None and locked.consent_on is not None and day < locked.consent_on:
            f.error("date", WITHDRAW_BEFORE_CONSENT)
        f.finish()
        was_published = locked.published_on
        before = case_snapshot(locked)
        locked.consent_withdrawn_on = day
        locked.published_on = None
        _case_step_save(actor, locked, before, AuditAction.CASE_CONSENT_WITHDRAW,  # zh-data: audit words
                        f"典型案例 #{locked.pk} 本人撤回同意")
        if was_published is not None:
            audit_record(actor=actor, action=AuditAction.CASE_UNPUBLISH, obj=locked,  # zh-data: audit words
                         summary=f"典型案例 #{locked.pk} 因本人撤回同意而撤下",
                         changes={"published_on": was_published.isoformat(),
                                  "reason": "consent_withdrawn"})
    return locked


def case_publish(*, actor: User, case: TypicalCase, data: dict[str, Any]) -> TypicalCase:
    """Publish on a date (and channel, if given now). A case about a person needs the person's
    recorded consent, not withdrawn: refused otherwise (409, the rule named as `consent`)."""
    _case_edit(actor)
    with transaction.atomic():
        locked = _locked_case(actor, case)
        if locked.published:
            raise Conflict(ALREADY_PUBLISHED)
        if locked.person_id is not None and not locked.consent_valid:
            raise Conflict(PUBLISH_WITHOUT_CONSENT, [("consent", PUBLISH_WITHOUT_CONSENT)])
        f = Fields(data, allowed=("date", "channel"))
        day = _date_checks(f, "date", label=PUBLISH_DATE, future=True)
        f.choice("channel", CaseChannel, label=CHANNEL, blank=True)
        if day is not None and locked.consent_on is not None and day < locked.consent_on:
            f.error("date", PUBLISH_BEFORE_CONSENT)
        channel = text(f.raw("channel")) or locked.channel
        if not channel and not f.failed("channel"):
            f.error("channel", CHANNEL_REQUIRED)
        f.finish()
        before = case_snapshot(locked)
        locked.published_on = day
        locked.channel = channel
        _case_step_save(actor, locked, before, AuditAction.CASE_PUBLISH,  # zh-data: audit words
                        f"发布典型案例 #{locked.pk}")
    return locked


def case_unpublish(*, actor: User, case: TypicalCase) -> TypicalCase:
    _case_edit(actor)
    with transaction.atomic():
        locked = _locked_case(actor, case)
        if not locked.published:
            raise Conflict(NOT_PUBLISHED)
        before = case_snapshot(locked)
        locked.published_on = None
        _case_step_save(actor, locked, before, AuditAction.CASE_UNPUBLISH,  # zh-data: audit words
                        f"撤下典型案例 #{locked.pk}")
    return locked
