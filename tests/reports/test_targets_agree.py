"""The targets page, the API and the ledger give the same numbers, read as a user reads them
(the page's table cells, the API's JSON, the exported CSV), and the hand-built answer."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser
from typing import Any

import pytest

from canpei.audit.models import AuditEntry
from tests.conftest import ANHAI, CIZAO
from tests.reports.targets_data import EXPECTED, UNCOVERED, build, ids


@pytest.fixture
def data(users: Any, institution: Any) -> dict[str, Any]:
    return build(users, institution)


class Cells(HTMLParser):
    """The rows of the page's targets table, each as the text of its cells."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.in_table = self.in_cell = False

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "table" and ("class", "list targets") in attrs:
            self.in_table = True
        elif self.in_table and tag == "tr":
            self.rows.append([])
        elif self.in_table and tag in ("td", "th"):
            self.in_cell = True
            self.rows[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.in_table = False
        elif tag in ("td", "th"):
            self.in_cell = False

    def handle_data(self, text: str) -> None:
        if self.in_table and self.in_cell:
            self.rows[-1][-1] += text


def page_numbers(html: str) -> dict[str, list[tuple[int, int, str]]]:
    parser = Cells()
    parser.feed(html)
    result = {}
    for row in parser.rows[2:]:
        name = row[0].strip()
        cells = row[1:]
        figures = []
        for i in range(3):
            found = re.match(r"\s*([\d,]+)", cells[4 * i])
            assert found is not None
            population = int(found.group(1).replace(",", ""))
            covered = int(cells[4 * i + 1].strip().replace(",", ""))
            shown = re.search(r"([\d.]+)%|(—)", cells[4 * i + 3])
            assert shown is not None
            figures.append((population, covered, shown.group(1) or shown.group(2)))
        result[name] = figures
    return result


def percent(population: int, covered: int) -> str:
    """As the page shows a ratio: one decimal, or a dash where the target names nobody."""
    return f"{covered * 100 / population:.1f}" if population else "—"


def test_page_api_and_export_agree(users, data, login, api):
    plan = data["plan"]
    names = {ANHAI: "安海镇", CIZAO: "磁灶镇", "city": "全市"}
    expected = {
        names[key]: [(p, c, percent(p, c)) for p, c in value] for key, value in EXPECTED.items()
    }

    page = login(users.city_admin).get("/reports/targets", {"plan": plan.pk})
    assert page.status_code == 200
    shown = page_numbers(page.content.decode())
    assert {k: shown[k] for k in expected} == expected
    # The 17 towns nobody in the data set lives in: a dash for each ratio, not 0.0%.
    empty = [figures for name, figures in shown.items() if name not in expected]
    assert len(empty) == 17
    assert all(figures == [(0, 0, "—")] * 3 for figures in empty)

    body = api(users.city_admin).get("/reports/targets", plan=plan.pk).json()
    from_api = {t["town_name"]: t for t in body["towns"]}
    from_api["全市"] = body["city"]
    for name, figures in expected.items():
        got = [
            (f["population"], f["covered"], percent(f["population"], f["covered"]))
            for f in from_api[name]["targets"]
        ]
        assert got == figures
        assert [f["target"] for f in from_api[name]["targets"]] == [1, 2, 3]
        assert [f["ratio"] for f in from_api[name]["targets"]] == [
            round(c / p, 4) if p else 0.0 for p, c, _ in figures
        ]

    exported = login(users.city_admin).get("/targets/export", {"plan": plan.pk, "format": "csv"})
    assert exported.status_code == 200
    text = b"".join(exported.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))[2:]
    from_export = {row[0]: row for row in rows}
    assert len(rows) == 20  # 19 towns and the city
    for name, figures in expected.items():
        row = from_export[name]
        got = [
            (
                int(row[2 + 3 * i]),
                int(row[3 + 3 * i]),
                percent(int(row[2 + 3 * i]), int(row[3 + 3 * i])),
            )
            for i in range(3)
        ]
        assert got == figures
    assert AuditEntry.objects.filter(action="export.targets").count() == 1


def test_the_uncovered_lists_agree(users, data, login, api):
    plan = data["plan"]
    for (number, town), keys in UNCOVERED.items():
        body = (
            api(users.city_admin)
            .get("/reports/targets/uncovered", plan=plan.pk, target=number, town=town)
            .json()
        )
        assert body["count"] == len(keys)
        assert sorted(r["id"] for r in body["results"]) == ids(data, keys)
        page = login(users.city_admin).get(
            "/reports/targets/uncovered", {"plan": plan.pk, "target": number, "town": town}
        )
        html = page.content.decode()
        for key in keys:
            assert data["people"][key].name in html
        exported = login(users.city_admin).get(
            "/targets-uncovered/export",
            {"plan": plan.pk, "target": number, "town": town, "format": "csv"},
        )
        text = b"".join(exported.streaming_content).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))[2:]
        assert sorted(r[1] for r in rows) == sorted(data["people"][k].name for k in keys)
        for row in rows:
            assert "*" in row[2]  # masked ID numbers


def test_the_uncovered_entry_shows_what_the_person_asked_for(users, data, login):
    page = login(users.city_admin).get(
        "/reports/targets/uncovered", {"plan": data["plan"].pk, "target": 3, "town": ANHAI}
    )
    html = page.content.decode()
    assert "甲十" in html
    assert "网络远程" in html and "手语翻译" in html
    assert "/classes?type=entrepreneurship" in html
    assert f'/persons/{data["people"]["a10"].pk}"' in html


def test_canpei_export_targets_from_the_command_line(users, data, tmp_path, capsys):
    from canpei import cli

    out_file = tmp_path / "目标.csv"
    code = cli.main(
        ["export", "targets", "--out", str(out_file), "--as", "anhai", "--year", "2019"]
    )
    out, err = capsys.readouterr()
    assert (code, err) == (0, ""), err
    rows = list(csv.reader(io.StringIO(out_file.read_text(encoding="utf-8-sig"))))[2:]
    assert len(rows) == 1  # town staff: their own town, no city row
    assert rows[0][:2] == ["安海镇", ANHAI]
    assert [int(rows[0][2]), int(rows[0][3])] == [5, 2]  # target 1 at the end of 2019
    code = cli.main(["export", "targets", "--out", str(out_file), "--as", "school"])
    out, err = capsys.readouterr()
    assert code == 1
