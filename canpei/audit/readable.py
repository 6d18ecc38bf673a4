"""The audit log as the audit officer reads it: actions and records in words, changes as a
before → after table, values as 是/否 rather than True/None. The log itself is never changed;
this is only how an entry is shown (and exported)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.apps import apps
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy as _

from canpei.audit.actions import action_label
from canpei.audit.models import AuditEntry

# The records the services audit, in words (model names are English); others by verbose name.
OBJECT_LABELS: dict[str, str | Promise] = {
    "accounts.user": _("账户"),
    "people.person": _("人员"),
    "people.survey": _("需求调查"),
    "people.skill": _("技能"),
    "institutions.institution": _("培训机构"),
    "institutions.teacher": _("授课教师"),
    "training.trainingclass": _("培训班"),
    "training.enrollment": _("学员"),
    "training.inspection": _("过程检查"),
    "training.application": _("个人申请"),
    "training.stafftraining": _("专干远程培训"),
    "employment.followup": _("就业跟踪"),
    "employment.employmentservice": _("就业服务"),
    "reports.plan": _("计划"),
}
# Keys of `changes` that are not a record's fields.
KEY_LABELS: dict[str, str | Promise] = {
    "diff": _("变更"), "after": _("新值"), "before": _("原值"), "rows": _("行数"), "format": _("格式"),
    "filters": _("筛选条件"), "full_numbers": _("完整证件号码"), "purpose": _("用途"),
    "file": _("文件"), "class": _("培训班"), "person": _("人员"), "comment": _("说明"),
    "attempt": _("尝试"), "reason": _("原因"), "from": _("原状态"), "to": _("新状态")}
EMPTY = "—"


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


def _named(f: Any) -> bool:
    """A field given a verbose name of its own (a lazy one, or a plain one other than Django's
    default, the name with spaces), judged without translating it."""
    verbose = getattr(f, "verbose_name", None)
    return isinstance(verbose, Promise) or bool(verbose) and verbose != f.name.replace("_", " ")


# The labels are kept lazy and translated when shown: the caches outlive a request's language.
@lru_cache(maxsize=1)
def field_labels() -> dict[str, str | Promise]:
    """Every model field's name → its verbose name (the first model to name it wins)."""
    labels: dict[str, str | Promise] = {}
    for model in apps.get_models():
        for f in model._meta.get_fields():
            if _named(f) and f.name not in labels:
                labels[f.name] = f.verbose_name  # type: ignore[union-attr]
    return {**labels, **KEY_LABELS}


def object_label(object_type: str) -> str:
    if not object_type:
        return ""
    if object_type in OBJECT_LABELS:
        return str(OBJECT_LABELS[object_type])
    try:
        return str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return object_type


def shown(value: Any) -> str:
    """A logged value in words."""
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if value is True:
        return gettext("是")
    if value is False:
        return gettext("否")
    if isinstance(value, list):
        return "、".join(shown(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{_label_of(k)}：{shown(v)}" for k, v in value.items())
    return str(value)


def _label_of(key: str, model_labels: dict[str, str | Promise] | None = None) -> str:
    if model_labels and key in model_labels:
        return str(model_labels[key])
    return str(field_labels().get(key, key))


@lru_cache(maxsize=64)
def model_field_labels(object_type: str) -> dict[str, str | Promise]:
    """The fields of the entry's own model first: "name" is 姓名 on a person, 名称 elsewhere."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return {}
    return {f.name: f.verbose_name for f in model._meta.get_fields()  # type: ignore[union-attr]
            if _named(f)}


def _pair(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2


def readable_changes(changes: dict[str, Any], object_type: str = "") -> list[Change]:
    """The entry's changes as rows: a diff ({field: [before, after]}, alone or under "diff"),
    a record's snapshots ("before"/"after"), and any other key as a value of its own. Fields
    are named as `object_type`'s model names them, else as any model does."""
    own = model_field_labels(object_type) if object_type else {}

    def label_of(key: str) -> str:
        return _label_of(key, own)

    rows: list[Change] = []
    rest = dict(changes)
    diff = rest.pop("diff", None)
    if isinstance(diff, dict):
        rows += [Change(label_of(k), shown(v[0]), shown(v[1])) if _pair(v)
                 else Change(label_of(k), EMPTY, shown(v)) for k, v in diff.items()]
    before, after = rest.get("before"), rest.get("after")
    if isinstance(after, dict) and (before is None or isinstance(before, dict)):
        rest.pop("before", None)
        rest.pop("after")
        old = before or {}
        for key in dict.fromkeys([*old, *after]):
            if old.get(key) != after.get(key) or before is None:
                rows.append(Change(label_of(key), shown(old.get(key)) if before else EMPTY,
                                   shown(after.get(key))))
    for key, value in rest.items():
        if _pair(value):
            rows.append(Change(label_of(key), shown(value[0]), shown(value[1])))
        else:
            rows.append(Change(label_of(key), "", shown(value)))
    return rows


@dataclass(frozen=True)
class ReadableEntry:
    entry: AuditEntry
    action: str
    object: str
    actor_name: str
    actor_role: str
    changes: list[Change]


def readable(entry: AuditEntry) -> ReadableEntry:
    actor = entry.actor
    if actor is not None:
        name = actor.get_full_name() or actor.username
        role = str(actor.get_role_display()) if actor.role else ""
    else:
        name, role = entry.actor_username or gettext("系统"), ""
    what = object_label(entry.object_type)
    return ReadableEntry(entry=entry, action=action_label(entry.action),
                         object=f"{what} #{entry.object_id}" if what and entry.object_id else what,
                         actor_name=name, actor_role=role,
                         changes=readable_changes(entry.changes or {}, entry.object_type))
