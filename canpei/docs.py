"""The generated parts of docs/: the data dictionary and the workflow state diagrams.

Both are written from what the code itself reads — the export and import registry
(canpei.spreadsheets.registry), the code tables (canpei/data/code_tables.csv and the national
codes, canpei/people/data/national_codes.csv) and the workflow tables (canpei.workflows) — by
`canpei docs` (and `make docs`); tests/docs fails when a committed file differs from what this
module produces, so the documents cannot drift from the code.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils import translation

GENERATED_NOTE = ("> 本文件由 `canpei docs` 根据代码中的登记表自动生成，请勿手工修改；"
                  "代码改变后运行 `make docs` 重新生成。")

DATA_DICTIONARY = "data-dictionary.md"
WORKFLOWS = "workflows.md"


def _cell(value: object) -> str:
    """A Markdown table cell: pipes escaped, line breaks flattened."""
    return " ".join(str(value).split()).replace("|", "\\|") or "—"


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return lines + [""]


def _csv_tables(path: Path) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """table -> (its note, [(code, label)]) in file order."""
    tables: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            note, rows = tables.setdefault(row["table"], (row["note"].strip(), []))
            rows.append((row["code"], row["label"]))
    return tables


def _choices_rows(choices: type[models.TextChoices]) -> list[tuple[str, str]]:
    return [(str(value), str(label)) for value, label in choices.choices]


def data_dictionary() -> str:
    from canpei import codes
    from canpei.people import rules as people_rules
    from canpei.spreadsheets.registry import export_specs, import_specs

    out = ["# 数据字典 {#top}", "", GENERATED_NOTE, "",
           "台账（导出）的列、导入文件接受的列名及同义列名、国家标准代码和系统代码表。"
           "导入时列名不区分全角半角和空格，代码列可填代码、名称或名称的简写（如 `4`、`肢体残疾`、`肢体`）。",
           ""]

    out += ["## 台账（导出） {#exports}", "",
            "每种台账可在页面 `/KIND/export` 下载，或用命令 `canpei export KIND --out 文件.xlsx` 导出；"
            "身份证号和残疾证号默认脱敏。", ""]
    out += _table(["KIND", "台账", "所需权限", "列数"],
                  [(f"`{s.kind}`", s.label, f"`{s.permission}`", len(s.headers))
                   for s in export_specs()])
    for spec in export_specs():
        out += [f"### {spec.label}台账（`{spec.kind}`） {{#export-{spec.kind}}}", ""]
        out += _table(["序号", "列名"], [(i, header) for i, header in
                                        enumerate(spec.headers, start=1)])

    out += ["## 导入 {#imports}", "",
            "每种导入可在页面「导入」上传，或用命令 `canpei import KIND 文件` 导入（全部写入或全部不写）；"
            "模板由 `canpei import template KIND --out 模板.xlsx` 生成。"
            "「模板列名」是模板的表头，「也接受」列出同样认可的其他列名。", ""]
    out += _table(["KIND", "导入", "所需权限"],
                  [(f"`{s.kind}`", s.label, "、".join(f"`{p}`" for p in s.permissions))
                   for s in import_specs()])
    for imp in import_specs():
        out += [f"### {imp.label}（`{imp.kind}`） {{#import-{imp.kind}}}", ""]
        out += _table(["字段", "模板列名", "必填", "也接受"],
                      [(f"`{name}`", headers[0], "是" if name in imp.required else "",
                        "、".join(headers[1:])) for name, headers in imp.columns.items()])

    out += ["## 国家标准代码 {#national-codes}", "",
            "来自 `canpei/people/data/national_codes.csv`（第二代残疾人证及全国残疾人基本服务状况和需求"
            "信息数据动态更新的代码）。", ""]
    for table, (note, rows) in _csv_tables(people_rules.NATIONAL_CODES).items():
        out += [f"### `{table}` {{#code-{table}}}", ""]
        if note:
            out += [f"说明：{note}", ""]
        out += _table(["代码", "名称"], rows)

    out += ["## 业务代码表 {#code-tables}", "",
            "来自 `canpei/data/code_tables.csv`。", ""]
    for table, (note, rows) in _csv_tables(codes.CODE_TABLES).items():
        out += [f"### `{table}` {{#code-{table}}}", ""]
        if note:
            out += [f"说明：{note}", ""]
        out += _table(["代码", "名称"], rows)

    fixed: list[tuple[str, str, list[tuple[str, str]]]] = [
        ("gender", "性别（GB/T 2261.1）", _choices_rows(people_rules.Gender)),
        ("hardship", "困难类别", list(people_rules.HARDSHIP_FLAGS.items())),
        ("accessibility", "无障碍需求", list(codes.ACCESSIBILITY_NEEDS.items())),
    ]
    out += ["## 系统代码 {#enums}", "", "写在代码中的代码（API 和导出使用代码，页面显示名称）。", ""]
    for key, title, rows in fixed:
        out += [f"### {title}（`{key}`） {{#enum-{key}}}", ""]
        out += _table(["代码", "名称"], rows)
    return "\n".join(out).rstrip() + "\n"


def _workflows() -> list[tuple[str, str, str, object]]:
    from canpei.institutions.rules import DESIGNATION_WORKFLOW
    from canpei.supervision.workflow import ALERT_WORKFLOW
    from canpei.training.rules import APPLICATION_WORKFLOW, CLASS_WORKFLOW

    return [("class", "培训班", "`CLASS_WORKFLOW`，canpei/training/rules.py", CLASS_WORKFLOW),
            ("application", "个人申请", "`APPLICATION_WORKFLOW`，canpei/training/rules.py",
             APPLICATION_WORKFLOW),
            ("institution", "培训机构认定", "`DESIGNATION_WORKFLOW`，canpei/institutions/rules.py",
             DESIGNATION_WORKFLOW),
            ("alert", "监管预警", "`ALERT_WORKFLOW`，canpei/supervision/workflow.py",
             ALERT_WORKFLOW)]


def workflow_diagrams() -> str:
    from canpei.accounts.roles import Role
    from canpei.workflows import Workflow

    roles = {value: str(label) for value, label in Role.choices}
    out = ["# 工作流状态图 {#top}", "", GENERATED_NOTE, "",
           "每个流程由一张表规定：每个操作从哪些状态出发、到达哪个状态、由谁执行、是否须填写原因、"
           "页面是否要求确认。页面上的按钮、API 接受的操作和拒绝信息都从这张表得出。"
           "下面的状态图（Mermaid）和表格都由这张表生成。", ""]
    for key, title, source, workflow in _workflows():
        assert isinstance(workflow, Workflow)
        states = {value: str(label) for value, label in workflow.states.choices}
        out += [f"## {title} {{#{key}}}", "", f"规则表：{source}。", ""]
        out += ["```mermaid", "stateDiagram-v2"]
        out += [f"    state \"{label}\" as {value}" for value, label in states.items()]
        out += [f"    [*] --> {workflow.states.values[0]}"]
        for action, step in workflow.steps.items():
            for source_state in sorted(step.sources, key=list(states).index):
                target = step.target_from(source_state)
                out.append(f"    {source_state} --> {target}: {workflow.label(action)}")
        out += ["```", ""]
        out += [f"### {title}的状态 {{#{key}-states}}", ""]
        out += _table(["状态", "代码", "可执行的操作"],
                      [(label, f"`{value}`",
                        "、".join(workflow.label(a) for a in workflow.actions_from(value)) or "（终态）")
                       for value, label in states.items()])
        out += [f"### {title}的操作 {{#{key}-actions}}", ""]
        out += _table(["操作", "代码", "从", "到", "执行者", "须填原因", "须确认"],
                      [(workflow.label(action), f"`{action}`",
                        "、".join(states[s] for s in sorted(step.sources, key=list(states).index)),
                        states[step.target] + ("（原为示范的保持示范）" if step.keep else ""),
                        "、".join(roles[r] for r in sorted(step.roles)) or "系统（后台任务）",
                        "是" if step.comment_required else "", "是" if step.confirm else "")
                       for action, step in workflow.steps.items()])
    return "\n".join(out).rstrip() + "\n"


def default_docs_dir() -> Path:
    return Path(settings.DOCS_DIR)


def generated(docs_dir: Path | None = None) -> Iterator[tuple[Path, str]]:
    """Each generated file and the text it must hold, in Chinese whatever the locale."""
    root = docs_dir or default_docs_dir()
    with translation.override("zh-hans"):
        yield root / DATA_DICTIONARY, data_dictionary()
        yield root / WORKFLOWS, workflow_diagrams()


def write_generated(docs_dir: str | Path | None = None) -> list[tuple[Path, bool]]:
    """Write the generated files; returns each path and whether its content changed."""
    written = []
    for path, text in generated(Path(docs_dir) if docs_dir else None):
        path.parent.mkdir(parents=True, exist_ok=True)
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if old != text:
            path.write_text(text, encoding="utf-8")
        written.append((path, old != text))
    return written
