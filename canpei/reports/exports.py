"""Ledgers of the plan's targets: the figures per town and for the city (`targets`), and the
persons a target names who are not covered yet (`targets-uncovered`, ID numbers masked). Both
read canpei.reports.targets, as the page and the API do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Any
from collections.abc import Iterator, Mapping

from django.utils import timezone

from canpei.accounts.models import User
from canpei.accounts.roles import Perm
from canpei.audit.actions import AuditAction
from canpei.codes import labels_of, ACCESSIBILITY_NEEDS, TrainingMode, TrainingType
from canpei.people.surveys.selectors import parse_town, parse_year
from canpei.reports import matching, targets
from canpei.reports.models import Plan
from canpei.spreadsheets.registry import ExportSpec, Ledger, ledger_write, numbers_released

# Who may write them: the readers of the targets hold PERSON_BROWSE as well (city-wide readers
# and town staff); institution staff and the officers do not, so the export page is a 404 to
# them. targets.check_reader refuses anyone else again.
PERMISSION = Perm.PERSON_BROWSE

TARGETS_HEADERS = ["镇街", "区划代码"] + [
    f"目标{n}{what}" for n in ("一", "二", "三") for what in ("应覆盖人数", "已覆盖人数", "覆盖率")]
TARGETS_WIDTHS = [12, 14] + [12] * 9
UNCOVERED_HEADERS = ["序号", "姓名", "身份证号", "所属镇街", "调查年度", "需求培训类型", "需求技能",
                     "期望培训方式", "无障碍需求"]
UNCOVERED_WIDTHS = [7, 10, 21, 10, 9, 24, 24, 12, 20]


@dataclass(frozen=True)
class TargetParams:
    plan: Plan
    year: int | None
    town: str

    def as_params(self) -> dict[str, Any]:
        return {"plan": self.plan.pk, "year": self.year or "", "town": self.town}


def _params(params: Mapping[str, Any] | None, year: int | None, town: str) -> TargetParams:
    raw = params if params is not None else {"year": year or "", "town": town}
    chosen_year = parse_year(raw.get("year"))
    plan = targets.parse_plan(raw.get("plan"), today=timezone.localdate(), year=chosen_year)
    return TargetParams(plan=plan, year=chosen_year, town=parse_town(raw.get("town")))


def _figure_cells(row: targets.TownTargets) -> list[Any]:
    cells: list[Any] = []
    for figure in row.targets:
        cells += [figure.population, figure.covered, figure.ratio]
    return cells


def targets_rows(report: targets.TargetsReport) -> list[list[Any]]:
    """One row per town, then the city's (when the reader sees the city)."""
    rows = [[t.town_name, t.town, *_figure_cells(t)] for t in report.towns]
    if report.city is not None:
        rows.append(["全市", "", *_figure_cells(report.city)])
    return rows


def targets_export(*, actor: User, plan: Plan, year: int | None = None, town: str = "",
                   out: str | IO[Any], fmt: str = "xlsx") -> int:
    def build() -> Ledger:
        report = targets.targets_report(user=actor, plan=plan, year=year, town=town)
        chosen = TargetParams(plan=plan, year=year, town=town)
        title = f"{plan.name}目标完成情况" + (f"（截至{year}年底）" if year else "")
        return Ledger(title=title, headers=TARGETS_HEADERS, widths=TARGETS_WIDTHS,
                      rows=targets_rows(report), action=AuditAction.EXPORT_TARGETS,
                      object_type="reports.plan", summary=f"导出计划目标台账（{plan.name}）",
                      filters=chosen.as_params())

    return ledger_write(actor=actor, permission=PERMISSION, ledger=build, out=out, fmt=fmt)


def _uncovered_rows(actor: User, plan: Plan, target: targets.Target, town: str,
                    year: int | None, reveal: bool = False) -> Iterator[list[Any]]:
    types, modes = labels_of(TrainingType), labels_of(TrainingMode)
    qs = targets.uncovered_list(user=actor, plan=plan, target=target, town=town, year=year)
    for index, survey in enumerate(qs.iterator(chunk_size=2000), start=1):
        person = survey.person
        number = person.id_number if reveal else person.id_number_masked
        yield [index, person.name, number, person.town.name, survey.year,
               "、".join(types.get(t, t) for t in survey.wanted_types),
               "、".join(s.name for s in survey.wanted_skills.all()),
               modes.get(survey.preferred_mode, ""),
               "、".join(ACCESSIBILITY_NEEDS.get(n, n) for n in survey.accessibility_needs)]


def uncovered_export(*, actor: User, plan: Plan, target: targets.Target, year: int | None = None,
                     town: str = "", out: str | IO[Any], fmt: str = "xlsx",
                     purpose: str | None = None) -> int:
    """The uncovered persons of a target; ID numbers masked unless asked for with a purpose by a
    role that may reveal them (registry.numbers_released), as every ledger of persons."""
    def build() -> Ledger:
        targets.check_reader(actor)
        reveal = numbers_released(actor, purpose)
        chosen = TargetParams(plan=plan, year=year, town=town)
        return Ledger(title=f"{plan.name}目标{target.number}未覆盖人员",
                      headers=UNCOVERED_HEADERS, widths=UNCOVERED_WIDTHS,
                      rows=_uncovered_rows(actor, plan, target, town, year, reveal),
                      action=AuditAction.EXPORT_TARGETS_UNCOVERED, object_type="reports.plan",
                      summary=f"导出目标{target.number}未覆盖人员（{plan.name}）",
                      filters={**chosen.as_params(), "target": target.number}, full_numbers=reveal,
                      purpose=purpose or "")

    return ledger_write(actor=actor, permission=PERMISSION, ledger=build, out=out, fmt=fmt)


def _targets_run(*, actor: User, out: str | IO[Any], fmt: str, year: int | None = None,
                 town: str = "", params: Mapping[str, Any] | None = None,
                 purpose: str | None = None) -> int:
    chosen = _params(params, year, town)
    return targets_export(actor=actor, plan=chosen.plan, year=chosen.year, town=chosen.town,
                          out=out, fmt=fmt)


def _uncovered_run(*, actor: User, out: str | IO[Any], fmt: str, year: int | None = None,
                   town: str = "", params: Mapping[str, Any] | None = None,
                   purpose: str | None = None) -> int:
    chosen = _params(params, year, town)
    # The CLI has no --target: its ledger is target 1's.
    target = targets.target_by_number((params or {}).get("target") or "1")
    return uncovered_export(actor=actor, plan=chosen.plan, target=target, year=chosen.year,
                            town=chosen.town, out=out, fmt=fmt, purpose=purpose)


MATCHING_HEADERS = ["镇街", "区划代码", "需求技能", "需求人数", "计划或在办培训班", "剩余名额",
                    "缺口", "建议"]
MATCHING_WIDTHS = [10, 14, 16, 9, 36, 9, 7, 48]


def matching_rows(rows: list[matching.MatchRow]) -> list[list[Any]]:
    """One row per town and wanted skill, most unmet first, as the page lists them."""
    return [[r.town_name, r.town, r.skill_name, r.demand,
             "、".join(f"{c.code} {c.name}" for c in r.classes), r.places, r.unmet, r.advice]
            for r in rows]


def matching_export(*, actor: User, year: int | None = None, town: str = "",
                    out: str | IO[Any], fmt: str = "xlsx") -> int:
    """The needs-and-supply table (供需匹配) of a year, for the readers of the page (the city
    admin, a town's staff for their town)."""
    def build() -> Ledger:
        chosen_year = year or timezone.localdate().year
        report = matching.matching_report(user=actor, year=chosen_year, town=town)
        return Ledger(title=f"{chosen_year}年培训供需匹配", headers=MATCHING_HEADERS,
                      widths=MATCHING_WIDTHS, rows=matching_rows(report),
                      action=AuditAction.EXPORT_MATCHING, object_type="reports.matching",
                      summary=f"导出供需匹配表（{chosen_year}年）",
                      filters={"year": chosen_year, "town": town})

    return ledger_write(actor=actor, permission=Perm.SURVEY_EDIT, ledger=build, out=out, fmt=fmt)


def _matching_run(*, actor: User, out: str | IO[Any], fmt: str, year: int | None = None,
                  town: str = "", params: Mapping[str, Any] | None = None,
                  purpose: str | None = None) -> int:
    raw = params if params is not None else {"year": year or "", "town": town}
    return matching_export(actor=actor, year=parse_year(raw.get("year")),
                           town=parse_town(raw.get("town")), out=out, fmt=fmt)


# Registered by ReportsConfig.ready().
EXPORTS = (
    ExportSpec(kind="targets", label="计划目标", permission=PERMISSION, list_url="/reports/targets",
               headers=TARGETS_HEADERS, run=_targets_run),
    ExportSpec(kind="targets-uncovered", label="目标未覆盖人员", permission=PERMISSION,
               list_url="/reports/targets", headers=UNCOVERED_HEADERS, run=_uncovered_run),
    ExportSpec(kind="matching", label="供需匹配", permission=Perm.SURVEY_EDIT,
               list_url="/reports/matching", headers=MATCHING_HEADERS, run=_matching_run),
)
