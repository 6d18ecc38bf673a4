"""The ledgers `canpei export KIND` and the export buttons can write."""

from __future__ import annotations

from typing import IO, Any

from canpei.accounts.roles import Perm
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


def _class_filters(year: int | None, town: str, params: Any) -> Any:
    from canpei.training.selectors import ClassFilters

    if params is None:
        params = {"year": "" if year is None else str(year), "town": town}
    return ClassFilters.from_params(params)


def _trainees(*, actor: Any, out: str | IO[Any], fmt: str, year: int | None = None,
              town: str = "", params: Any = None) -> int:
    from canpei.training.exports import trainees_export

    return trainees_export(actor=actor, filters=_class_filters(year, town, params), out=out, fmt=fmt)


def _classes(*, actor: Any, out: str | IO[Any], fmt: str, year: int | None = None,
             town: str = "", params: Any = None) -> int:
    from canpei.training.exports import classes_export

    return classes_export(actor=actor, filters=_class_filters(year, town, params), out=out, fmt=fmt)


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


EXPORTS = {"persons": _persons, "surveys": _surveys, "trainees": _trainees, "classes": _classes,
           "applications": _applications, "staff-training": _staff_trainings}

# Who may write each ledger: the registry's need PERSON_EXPORT; the training ledgers follow the
# class scope (an institution exports its own classes' trainees, masked).
EXPORT_PERMS = {"persons": Perm.PERSON_EXPORT, "surveys": Perm.PERSON_EXPORT,
                "trainees": Perm.CLASS_BROWSE, "classes": Perm.CLASS_BROWSE,
                "applications": Perm.APPLICATION_BROWSE,
                "staff-training": Perm.STAFF_TRAINING_BROWSE}
EXPORT_NAMES = {"persons": "人员名册", "surveys": "需求调查", "trainees": "培训学员", "classes": "培训班",
                "applications": "个人申请", "staff-training": "专干远程培训"}
# The list a refused export goes back to.
EXPORT_LISTS = {"persons": "/persons", "surveys": "/surveys", "trainees": "/classes",
                "classes": "/classes", "applications": "/applications",
                "staff-training": "/staff-training"}
