"""Code tables shared by the apps: training types, modes and levels, accessibility needs and the
skills dictionary's first entries. Surveys (people: what persons want) and classes (training:
what is offered) both read them, so they live below both apps and import neither.

API codes are the stable slugs of INTERFACES.md; labels are the Chinese of the national system.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from django.db import models
from django.db.models.enums import ChoicesType
from django.utils.encoding import force_str
from django.utils.functional import lazy
from django.utils.hashable import make_hashable
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy


class CodedDisplay:
    """A model mixin: `get_FOO_display()` translates only the label it returns.

    Django's own looks the value up in a dict built from every (value, label) pair of the field
    and hashes each label on the way; a translated label is lazy, and hashing it translates it,
    so each call translated the whole table (a 50-row person list made some 1,300 catalogue
    lookups). Here the dict is keyed by the values alone; the label found is translated once.
    Same result: the label of the value (the last pair of that value), else the value itself.
    The dict is built once per field (its labels stay lazy, so one dict serves every language):
    a 50-row list showing five coded columns built it 250 times a page."""

    def _get_FIELD_display(self, field: Any) -> Any:
        value = getattr(self, field.attname)
        return force_str(_choice_labels(field).get(make_hashable(value), value),
                         strings_only=True)


@functools.cache
def _choice_labels(field: models.Field[Any, Any]) -> dict[Any, Any]:
    """Value -> (lazy) label of a model field's fixed choices."""
    return {make_hashable(choice): label for choice, label in field.flatchoices}


class TranslatedChoicesType(ChoicesType):
    """Choices whose `choices` (what model fields, forms and pages show) are translated when
    shown: each label is the msgid of its English in the catalogue. `.label` and `.labels` stay
    the Chinese of the national system, for the service messages, audit summaries and the
    spreadsheets' code lookups that must not depend on the reader's language."""

    @property
    def choices(cls) -> list[tuple[Any, Any]]:
        return [(value, gettext_lazy(label) if isinstance(label, str) else label)
                for value, label in super().choices]

    @property
    def labels(cls) -> list[Any]:
        # Django derives `labels` from `choices`: here they stay the tables' own Chinese.
        return [label for _value, label in super().choices]


if TYPE_CHECKING:
    # To mypy (and django-stubs' plugin) a code table is a TextChoices like any other.
    Codes = models.TextChoices
else:
    class Codes(models.TextChoices, metaclass=TranslatedChoicesType):
        """Base of every code table: models.TextChoices with translated `choices`."""


def labels_of(choices: type[models.TextChoices]) -> dict[str, str]:
    """Code -> the table's own Chinese label, whatever language is active: the ledgers
    (exports) keep the national system's wording."""
    return dict(zip(choices.values, choices.labels, strict=True))


# Labels translated where shown (the survey form); the ledgers keep the Chinese.
ACCESSIBILITY_NEEDS = {  # zh-msgid
    "sign_language": "手语翻译",
    "screen_reader": "读屏/盲文材料",
    "accessible_venue": "无障碍场地",
    "companion": "陪同",
}


def shown_label(choices: type[models.TextChoices], code: str) -> str:
    """The label of `code` in the reader's language, as `get_FOO_display()` shows it (the code
    itself when the table has none), translating that one label only: `get_FOO_display()`
    hashes every label of the table, and so translates each, on every call (a list of fifty
    rows spent a third of its time there)."""
    label = _labels(choices).get(code)
    return gettext(label) if label else code


def field_label(model: type[models.Model], name: str) -> str:
    """A model field's label, its verbose name (translated where it is shown): the refusals made
    from it (validation.fill_in, workflows.too_long) name the field as the pages do."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return cast(str, field.verbose_name)


def field_length(model: type[models.Model], name: str) -> int:
    """The most characters a text field of the model holds."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.CharField) and field.max_length is not None
    return field.max_length


def listed_labels(table: type[models.TextChoices]) -> str:
    """A code table's labels in the active language, as a refusal lists them (「市级、省级」)."""
    return "、".join(str(label) for _code, label in table.choices)


def one_of_labels(message: str, table: type[models.TextChoices]) -> str:
    """A lazy refusal naming the values a field accepts: `message` with `{values}` filled by the
    table's labels in the reader's language when the refusal is shown."""
    return cast(str, format_lazy(message, values=lazy(listed_labels, str)(table)))


@functools.cache
def _labels(choices: type[models.TextChoices]) -> dict[str, str]:
    # A table never changes once defined; iterating an enum is slow enough to show in a list.
    return labels_of(choices)


CODE_TABLES = Path(__file__).parent / "data" / "code_tables.csv"


def code_table(name: str, table: str, *, source: Path = CODE_TABLES,
               member: str = "{upper}") -> type[models.TextChoices]:
    """A code table kept as data (a CSV of table, code, label, note; by default
    canpei/data/code_tables.csv) as choices, so each code and label is written once, beside
    where it comes from. Members are named by `member` ("{upper}": FollowUpMethod.PHONE is
    "phone"). mypy sees the members too: canpei/codes_mypy.py reads the same CSV where a module
    assigns `code_table(...)` called with literal arguments."""
    with source.open(encoding="utf-8") as f:
        rows = [(row["code"], row["label"]) for row in csv.DictReader(f) if row["table"] == table]
    if not rows:
        raise ValueError(f"code table {table!r} is empty")
    # Enum's functional API; django-stubs types TextChoices(...) only as a member constructor.
    choices: type[models.TextChoices] = Codes(  # type: ignore[call-overload]
        name, [(member.format(code=code, upper=code.upper()), (code, label)) for code, label in rows])
    return choices


# Shared by surveys (what persons want) and classes (what is offered).
TrainingType = code_table("TrainingType", "training_type")
TrainingMode = code_table("TrainingMode", "training_mode")
TrainingLevel = code_table("TrainingLevel", "training_level")
# Shared by competitions (entries' results) and funds (award subsidy standards, budget sources).
CompetitionLevel = code_table("CompetitionLevel", "competition_level")
AwardGrade = code_table("AwardGrade", "award_grade")
FundSource = code_table("FundSource", "fund_source")
