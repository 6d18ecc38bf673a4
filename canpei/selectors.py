"""What every app's selectors share: reading list filters from query parameters, applying the
given ones, and fetching one record in scope.

Every app's `*Filters.from_params` reads its parameters through `FilterParams`, which names each
bad one and refuses them all at once (InvalidInput); unknown parameters are ignored everywhere.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Self, TypeVar
from collections.abc import Iterable, Mapping

from django.db.models import Model, Q, QuerySet

from canpei.errors import InvalidInput, NotFound
from canpei.errors import Message as _

TOWN_FILTER_INVALID = _("镇街代码须为 12 位数字")
DATE_FILTER_INVALID = _("日期应为 2026-01-31 这样的格式")
YEAR_FILTER_INVALID = _("年度须为 2000 至 2100 的整数")

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


@dataclass(frozen=True)
class ListFilters:
    """A list's filters, as a frozen dataclass subclassing this one. The subclass says in `parse`
    how each of its fields is read from the query parameters; `from_params` then reads them all
    and refuses the bad ones together, and `as_params` gives back the ones given."""

    @classmethod
    def parse(cls, read: FilterParams) -> dict[str, Any]:
        """The fields' values read from `read`, which collects the bad ones."""
        raise NotImplementedError

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
