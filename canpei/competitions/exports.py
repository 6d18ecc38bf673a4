"""The competitions ledger (职业技能竞赛台账: every entry with its result and award) and the
typical cases ledger (典型案例台账): `canpei export competitions|cases` and the list pages'
downloads, written through the caller's scope and audited. ID numbers are masked unless asked
for with a purpose by a role that may reveal them (numbers_released)."""

from __future__ import annotations

from typing import IO, Any
from collections.abc import Iterator, Mapping

from canpei.accounts.models import User
from canpei.accounts.roles import Perm
from canpei.audit.actions import AuditAction
from canpei.codes import AwardGrade, CompetitionLevel, labels_of
from canpei.competitions.models import CaseChannel, ConsentMethod
from canpei.competitions.selectors import CaseFilters, EntryFilters, case_list, entry_list
from canpei.spreadsheets.registry import ExportSpec, Ledger, ledger_write, numbers_released

ENTRY_HEADERS = ["序号", "竞赛名称", "竞赛级别", "开始日期", "结束日期", "竞赛项目", "姓名",
                 "身份证号", "所属镇街", "比赛成绩", "获奖等次"]
ENTRY_WIDTHS = [7, 30, 10, 11, 11, 16, 10, 21, 10, 14, 10]
CASE_HEADERS = ["序号", "标题", "案例人物", "所属镇街", "宣传渠道", "发布日期", "同意日期",
                "同意方式", "同意范围", "撤回同意日期", "正文"]
CASE_WIDTHS = [7, 30, 10, 10, 12, 11, 11, 10, 30, 11, 60]


def _entry_rows(actor: User, filters: EntryFilters, reveal: bool) -> Iterator[list[Any]]:
    levels, awards = labels_of(CompetitionLevel), labels_of(AwardGrade)
    for index, e in enumerate(entry_list(user=actor, filters=filters).iterator(chunk_size=2000),
                              start=1):
        c = e.event.competition
        number = e.person.id_number if reveal else e.person.id_number_masked
        yield [index, c.name, levels.get(c.level, c.level), c.start_date, c.end_date,
               e.event.name, e.person.name, number, e.town.name, e.result,
               awards.get(e.award, "")]


def competitions_export(*, actor: User, filters: EntryFilters, out: str | IO[Any],
                        fmt: str = "xlsx", purpose: str | None = None) -> int:
    def build() -> Ledger:
        reveal = numbers_released(actor, purpose)
        title = (f"{filters.year}年度职业技能竞赛台账" if filters.year else "职业技能竞赛台账")
        return Ledger(title=title, headers=ENTRY_HEADERS, widths=ENTRY_WIDTHS,
                      rows=_entry_rows(actor, filters, reveal),
                      action=AuditAction.EXPORT_COMPETITIONS, object_type="competitions.entry",
                      summary="导出职业技能竞赛台账", filters=filters.as_params(),
                      full_numbers=reveal, purpose=purpose or "")

    return ledger_write(actor=actor, permission=Perm.COMPETITION_BROWSE, ledger=build, out=out,
                        fmt=fmt)


def _case_rows(actor: User, filters: CaseFilters) -> Iterator[list[Any]]:
    channels, methods = labels_of(CaseChannel), labels_of(ConsentMethod)
    for index, c in enumerate(case_list(user=actor, filters=filters).iterator(chunk_size=500),
                              start=1):
        yield [index, c.title, c.person.name if c.person else "", c.town.name if c.town else "",
               channels.get(c.channel, ""), c.published_on, c.consent_on,
               methods.get(c.consent_method, ""), c.consent_scope, c.consent_withdrawn_on,
               c.text]


def cases_export(*, actor: User, filters: CaseFilters, out: str | IO[Any],
                 fmt: str = "xlsx") -> int:
    def build() -> Ledger:
        return Ledger(title="典型案例台账", headers=CASE_HEADERS, widths=CASE_WIDTHS,
                      rows=_case_rows(actor, filters), action=AuditAction.EXPORT_CASES,
                      object_type="competitions.typicalcase", summary="导出典型案例台账",
                      filters=filters.as_params())

    return ledger_write(actor=actor, permission=Perm.CASE_BROWSE, ledger=build, out=out, fmt=fmt)


def _run_competitions(*, actor: User, out: str | IO[Any], fmt: str, year: int | None = None,
                      town: str = "", params: Mapping[str, Any] | None = None,
                      purpose: str | None = None) -> int:
    filters = EntryFilters.from_params(params if params is not None
                                       else {"year": year or "", "town": town})
    return competitions_export(actor=actor, filters=filters, out=out, fmt=fmt, purpose=purpose)


def _run_cases(*, actor: User, out: str | IO[Any], fmt: str, year: int | None = None,
               town: str = "", params: Mapping[str, Any] | None = None,
               purpose: str | None = None) -> int:
    filters = CaseFilters.from_params(params if params is not None else {"year": year or ""})
    return cases_export(actor=actor, filters=filters, out=out, fmt=fmt)


# Registered by CompetitionsConfig.ready().
EXPORTS = (
    ExportSpec(kind="competitions", label="职业技能竞赛", permission=Perm.COMPETITION_BROWSE,
               list_url="/competitions", headers=ENTRY_HEADERS, run=_run_competitions),
    ExportSpec(kind="cases", label="典型案例", permission=Perm.CASE_BROWSE, list_url="/cases",
               headers=CASE_HEADERS, run=_run_cases),
)
