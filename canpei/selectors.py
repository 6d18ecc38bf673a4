"""What every app's selectors share: reading list filters from query parameters, applying the
given ones, and fetching one record in scope.

Every app's `*Filters.from_params` reads its parameters through `FilterParams`, which names each
bad one and refuses them all at once (InvalidInput); unknown parameters are ignored everywhere.
A filters class declares how each of its fields is read (`town_filter()`, `choice_filter(…)`, …
below) and the reading follows from the declarations.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field, fields
from typing import Any, Self, TypeVar
from collections.abc import Callable, Iterable, Mapping

from django.db.models import Model, Q, QuerySet

from canpei.errors import InvalidInput, NotFound
from canpei.errors import Message as _

TOWN_FILTER_INVALID = _("镇街代码须为 12 位数字")
DATE_FILTER_INVALID = _("日期应为 2026-01-31 这样的格式")
YEAR_FILTER_INVALID = _("年度须为 2000 至 2100 的整数")
# A filter naming a record by its id, said with the filter's label and the kind of record.
RECORD_ID_INVALID = _("{label}须为{record}的编号（数字）")

M = TypeVar("M", bound=Model)


class FilterParams:
    """Query parameters read one by one; `done()` raises for all the bad ones together."""

    def __init__(self, params: Mapping[str, Any]):
        self.params = params
        self.errors: list[tuple[str, str]] = []

    def text(self, key: str) -> str:
        value = self.params.get(key)
        return str(value).strip() if value is not None else ""

    def town(self, message: str = TOWN_FILTER_INVALID) -> str:
        """A 12-digit town code, or ""."""
        raw = self.text("town")
        if raw and not re.fullmatch(r"[0-9]{12}", raw):
            self.errors.append(("town", message))
        return raw

    def choice(self, key: str, allowed: Iterable[str], message: str) -> str:
        raw = self.text(key)
        if raw and raw not in allowed:
            self.errors.append((key, message))
        return raw

    def year(self, message: str = YEAR_FILTER_INVALID) -> int | None:
        raw = self.text("year")
        if not raw:
            return None
        if re.fullmatch(r"[0-9]{4}", raw) and 2000 <= int(raw) <= 2100:
            return int(raw)
        self.errors.append(("year", message))
        return None

    def date(self, key: str, message: str = DATE_FILTER_INVALID) -> dt.date | None:
        """An ISO date (2026-01-31), or None."""
        raw = self.text(key)
        if not raw:
            return None
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
            try:
                return dt.date.fromisoformat(raw)
            except ValueError:
                pass
        self.errors.append((key, message))
        return None

    def record_id(self, key: str, message: str) -> int | None:
        """The id of a record named by the filter (an institution), or None."""
        raw = self.text(key)
        if not raw:
            return None
        if re.fullmatch(r"[0-9]{1,9}", raw):
            return int(raw)
        self.errors.append((key, message))
        return None

    def search(self, *, limit: int, message: str) -> str:
        """The search box `q`, NFKC-normalised (full-width digits and letters typed in Chinese
        input methods match), at most `limit` characters."""
        q = unicodedata.normalize("NFKC", self.text("q"))
        if len(q) > limit:
            self.errors.append(("q", message))
        return q

    def done(self) -> None:
        if self.errors:
            raise InvalidInput(self.errors)


def filters_as_params(filters: object) -> dict[str, str]:
    """The filters given, as query parameters (export links, audit entries)."""
    return {key: str(value) for key, value in vars(filters).items() if value not in ("", None)}


# How a filter field is read: the query parameters and the parameter's name.
Reader = Callable[[FilterParams, str], Any]


def read_as(reader: Reader, default: Any = "", *, key: str = "") -> Any:
    """A ListFilters field read by `reader` from the query parameter `key` (the field's own name
    when not given); `default` when the parameter is absent or refused."""
    return field(default=default, metadata={"reader": reader, "key": key})


def town_filter() -> str:
    """`town`: a 12-digit town code."""
    return read_as(lambda read, _key: read.town())


def year_filter() -> int | None:
    """`year`: a year from 2000 to 2100."""
    return read_as(lambda read, _key: read.year(), None)


def choice_filter(allowed: Iterable[str], message: str, *, key: str = "") -> str:
    """One of `allowed`; anything else is refused with `message`."""
    return read_as(lambda read, name: read.choice(name, allowed, message), key=key)


def search_filter(*, limit: int, message: str) -> str:
    """`q`, the search box (FilterParams.search)."""
    return read_as(lambda read, _key: read.search(limit=limit, message=message))


def record_id_invalid(label: str, record: str | None = None) -> str:
    """「人员须为人员的编号（数字）」: a record filter given something other than an id; `record`
    names the kind of record where the filter's label does not (「培训机构须为机构的…」)."""
    return _(RECORD_ID_INVALID.msgid, label=label, record=label if record is None else record)


def record_filter(message: str, *, key: str = "") -> int | None:
    """The id of a record (FilterParams.record_id)."""
    return read_as(lambda read, name: read.record_id(name, message), None, key=key)


def date_filter() -> dt.date | None:
    """An ISO date (FilterParams.date)."""
    return read_as(lambda read, name: read.date(name), None)


@dataclass(frozen=True)
class ListFilters:
    """A list's filters, as a frozen dataclass subclassing this one. Each field declares how it
    is read from the query parameters (`read_as` and the helpers built on it); `from_params`
    reads them all, in the order of the fields, and refuses the bad ones together, and
    `as_params` gives back the ones given. A subclass with a field read its own way (or with a
    check across fields) extends `parse`."""

    @classmethod
    def parse(cls, read: FilterParams) -> dict[str, Any]:
        """The declared fields' values read from `read`, which collects the bad ones."""
        return {f.name: f.metadata["reader"](read, f.metadata["key"] or f.name)
                for f in fields(cls) if "reader" in f.metadata}

    @classmethod
    def from_params(cls, params: Any) -> Self:
        """Parse query parameters, naming each bad one; unknown parameters are ignored."""
        read = FilterParams(params)
        values = cls.parse(read)
        read.done()
        return cls(**values)

    def as_params(self) -> dict[str, str]:
        return filters_as_params(self)


def filter_given(records: QuerySet[M], **lookups: Any) -> QuerySet[M]:
    """`records` filtered by each lookup whose value was given (empty, None or 0: not given)."""
    given = {lookup: value for lookup, value in lookups.items() if value}
    return records.filter(**given) if given else records


def get_in_scope(records: QuerySet[M], record_id: int | str) -> M:
    """The record `record_id` among `records` (already scoped). A malformed id, a missing record
    and one outside the scope all answer NotFound, alike."""
    try:
        pk = int(record_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    found = records.filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def prefixed_q(q: Q, prefix: str) -> Q:
    """`q` with every lookup read through `prefix` (`Q(state="x")` with "training_class__" is
    `Q(training_class__state="x")`): one condition written once, applied from another model.
    Q objects of plain (lookup, value) pairs, nested to any depth."""
    clone = Q()
    clone.connector, clone.negated = q.connector, q.negated
    for child in q.children:
        if isinstance(child, Q):
            clone.children.append(prefixed_q(child, prefix))
        else:
            lookup, value = child  # type: ignore[misc]  # a lookup pair, Q's only other child
            clone.children.append((prefix + lookup, value))
    return clone
