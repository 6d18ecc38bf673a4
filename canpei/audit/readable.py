"""The audit log as the audit officer reads it: actions and records in words, changes as a
before → after table, values as 是/否 rather than True/None. The log itself is never changed;
this is only how an entry is shown (and exported)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.apps import apps

from canpei.audit.actions import action_label
from canpei.audit.models import AuditEntry

# The records the services audit, in words (model names are English); others by verbose name.
OBJECT_LABELS = {
    "accounts.user": "账户",
    "people.person": "人员",
    "people.survey": "需求调查",
    "people.skill": "技能",
    "institutions.institution": "培训机构",
    "institutions.teacher": "授课教师",
    "training.trainingclass": "培训班",
    "training.enrollment": "学员",
    "training.inspection": "过程检查",
    "training.application": "个人申请",
    "training.stafftraining": "专干远程培训",
    "employment.followup": "就业跟踪",
    "employment.employmentservice": "就业服务",
    "reports.plan": "计划",
}
# Keys of `changes` that are not a record's fields.
KEY_LABELS = {"diff": "变更", "after": "新值", "before": "原值", "rows": "行数", "format": "格式",
              "filters": "筛选条件", "full_numbers": "完整证件号码", "purpose": "用途",
              "file": "文件", "class": "培训班", "person": "人员", "comment": "说明",
              "attempt": "尝试", "reason": "原因", "from": "原状态", "to": "新状态"}
EMPTY = "—"


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


@lru_cache(maxsize=1)
def field_labels() -> dict[str, str]:
    """Every model field's name → its Chinese verbose name (the first model to name it wins)."""
    labels: dict[str, str] = {}
    for model in apps.get_models():
        for f in model._meta.get_fields():
            verbose = str(getattr(f, "verbose_name", "") or "")
            if verbose and verbose != f.name.replace("_", " ") and f.name not in labels:
                labels[f.name] = verbose
    return {**labels, **KEY_LABELS}


def object_label(object_type: str) -> str:
    if not object_type:
        return ""
    if object_type in OBJECT_LABELS:
        return OBJECT_LABELS[object_type]
    try:
        return str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return object_type


def shown(value: Any) -> str:
    """A logged value in words."""
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if value is True:
        return "是"
    if value is False:
        return "否"
    if isinstance(value, list):
        return "、".join(shown(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{_label_of(k)}：{shown(v)}" for k, v in value.items())
    return str(value)


def _label_of(key: str, model_labels: dict[str, str] | None = None) -> str:
    if model_labels and key in model_labels:
        return model_labels[key]
    return field_labels().get(key, key)


@lru_cache(maxsize=64)
def model_field_labels(object_type: str) -> dict[str, str]:
    """The fields of the entry's own model first: "name" is 姓名 on a person, 名称 elsewhere."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return {}
    return {f.name: str(f.verbose_name) for f in model._meta.get_fields()
            if getattr(f, "verbose_name", None) and str(f.verbose_name) != f.name.replace("_", " ")}


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
        name, role = entry.actor_username or "系统", ""
    what = object_label(entry.object_type)
    return ReadableEntry(entry=entry, action=action_label(entry.action),
                         object=f"{what} #{entry.object_id}" if what and entry.object_id else what,
                         actor_name=name, actor_role=role,
                         changes=readable_changes(entry.changes or {}, entry.object_type))
