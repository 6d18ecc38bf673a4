"""The ledgers `canpei export KIND` and the export buttons can write."""

from __future__ import annotations

from typing import IO, Any

from canpei.errors import InvalidInput


def _persons(*, actor: Any, out: str | IO[Any], fmt: str, year: int | None = None,
             town: str = "", params: Any = None) -> int:
    from canpei.people.exports import persons_export
    from canpei.people.selectors import PersonFilters

    filters = PersonFilters.from_params(params if params is not None else {"town": town})
    return persons_export(actor=actor, filters=filters, out=out, fmt=fmt)


def _surveys(*, actor: Any, out: str | IO[Any], fmt: str, year: int | None = None,
             town: str = "", params: Any = None) -> int:
    from canpei.people.exports import surveys_export
    from canpei.people.survey_selectors import parse_town, parse_year

    if params is not None:
        year, town = parse_year(params.get("year")), params.get("town", "")
    if year is not None and not 1900 <= year <= 2100:
        raise InvalidInput([("year", "年度须为四位数字")])
    return surveys_export(actor=actor, out=out, fmt=fmt, year=year, town=parse_town(town))


def _applications(*, actor: Any, out: str | IO[Any], fmt: str, year: int | None = None,
                  town: str = "", params: Any = None) -> int:
    from canpei.training.application_exports import applications_export
    from canpei.training.application_selectors import ApplicationFilters

    query = params if params is not None else {"year": year or "", "town": town}
    return applications_export(actor=actor, filters=ApplicationFilters.from_params(query),
                               out=out, fmt=fmt)


def _staff_trainings(*, actor: Any, out: str | IO[Any], fmt: str, year: int | None = None,
                     town: str = "", params: Any = None) -> int:
    from canpei.training.application_exports import staff_trainings_export
    from canpei.training.application_selectors import StaffTrainingFilters

    query = params if params is not None else {"year": year or "", "town": town}
    return staff_trainings_export(actor=actor, filters=StaffTrainingFilters.from_params(query),
                                  out=out, fmt=fmt)


EXPORTS = {"persons": _persons, "surveys": _surveys}
EXPORTS["applications"] = _applications
EXPORTS["staff-training"] = _staff_trainings
