"""`/reports`, `GET /api/v1/reports/indicators` and the indicators export: the same figures,
the same scope. The year 2025 of the hand-built data set is used where figures are compared with
known answers: its follow-ups are all due whatever the day the tests run."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

import pytest
from openpyxl import load_workbook

from canpei.audit.models import AuditEntry
from canpei.reports.models import Plan
from tests.conftest import ANHAI, CIZAO
from tests.reports import indicator_data
from tests.reports.indicator_data import DataSet


@pytest.fixture
def data(trainee_factory: Any, institution: Any, other_institution: Any) -> DataSet:
    return indicator_data.build(trainee_factory, institution, other_institution)


def _milestones(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (
            m["months"],
            m["due"],
            m["recorded"],
            m["unrecorded"],
            m["employed"],
            m["rate"],
            m["median_income"],
        )
        for m in body["employment"]
    ]


def test_the_api_gives_the_indicators_of_a_year(users: Any, data: DataSet, api: Any) -> None:
    response = api(users.city_admin).get("/reports/indicators", year="2025")
    assert response.status_code == 200
    body = response.json()
    total = body["total"]
    # C1 (甲 乙 丁) and 己's application.
    assert (
        total["trained"],
        total["trainee_times"],
        total["free_hardship"],
        total["certificates"],
        total["appraised"],
        total["passed"],
        total["pass_rate"],
    ) == (4, 4, 1, 2, 2, 2, 1.0)
    assert _milestones(total) == [
        (3, 4, 3, 1, 2, 0.5, "3500.00"),  # 3000 (甲, recorded late), 4000 (己)
        (6, 4, 3, 1, 3, 0.75, "4201.00"),  # 3500, 4201, 5000
    ]
    assert body["months"] == [3, 6]
    assert body["filters"] == {
        "year": 2025,
        "plan": None,
        "town": "",
        "institution": None,
        "type": "",
    }
    assert [(f["key"], f["label"], f["trainee_times"]) for f in body["by_town"]] == [
        (ANHAI, "安海镇", 3),
        (CIZAO, "磁灶镇", 1),
    ]
    assert [f["key"] for f in body["by_type"]] == ["employment_skills"]
    assert [f["key"] for f in body["by_year"]] == ["2025"]
    assert body["high_skill"]["trainee_times"] == 1  # 己's technician application
    assert body["heritage"]["trainee_times"] == 0


def test_the_api_follows_scope(users: Any, data: DataSet, api: Any) -> None:
    town = api(users.town_staff).get("/reports/indicators", year="2025").json()
    assert (town["total"]["trained"], [f["key"] for f in town["by_town"]]) == (3, [ANHAI])
    school = api(users.institution_staff).get("/reports/indicators", year="2025").json()
    assert school["total"]["trainee_times"] == 3  # C1 only: no individual application
    for role in ("sys_admin", "security_admin", "audit_admin"):
        response = api(getattr(users, role)).get("/reports/indicators")
        assert response.status_code == 403
        assert response.json()["detail"] == "当前角色不能查看统计报表"


def test_the_api_names_each_bad_filter(users: Any, db: Any, api: Any) -> None:
    response = api(users.city_admin).get(
        "/reports/indicators", year="20x5", town="1", type="cooking", plan="9", institution="a"
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {
        "year",
        "town",
        "type",
        "plan",
        "institution",
    }


def _page_figures(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-figure="(\w+)">(?:<span class="rate">)?([^<]*)<', html))


def _page_rows(html: str, breakdown: str) -> list[str]:
    table = html.split(f'data-breakdown="{breakdown}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<tr data-key="([^"]*)">', table)


def test_the_page_and_the_api_give_the_same_numbers(
    users: Any, data: DataSet, api: Any, login: Any
) -> None:
    Plan.objects.create(
        name="2025 年计划", period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 12, 31)
    )
    for user, query in (
        (users.city_admin, {}),
        (users.city_admin, {"year": "2025"}),
        (users.town_staff, {"type": "employment_skills"}),
        (users.institution_staff, {}),
    ):
        body = api(user).get("/reports/indicators", **query).json()
        response = login(user).get("/reports", query)
        assert response.status_code == 200
        html = response.content.decode()
        total = body["total"]
        rate = total["pass_rate"]
        assert _page_figures(html) == {
            "trained": str(total["trained"]),
            "trainee_times": str(total["trainee_times"]),
            "free_hardship": str(total["free_hardship"]),
            "certificates": str(total["certificates"]),
            "pass_rate": "—" if rate is None else f"{rate * 100:.1f}%",
        }
        for m in total["employment"]:
            row = html.split(f'<tr data-months="{m["months"]}">', 1)[1].split("</tr>", 1)[0]
            cells = re.findall(r'<td class="num">([^<]*)<', row)
            assert cells[:4] == [
                str(m["due"]),
                str(m["recorded"]),
                str(m["unrecorded"]),
                str(m["employed"]),
            ]
            assert (m["median_income"] or "—") in row
            if m["rate"] is not None:
                assert f"{m['rate'] * 100:.1f}%" in row
        for name in ("town", "institution", "type", "year", "plan"):
            assert _page_rows(html, name) == [f["key"] for f in body[f"by_{name}"]]


def test_the_page_shows_rates_as_per_cent_with_progress_bars(
    users: Any, data: DataSet, login: Any
) -> None:
    html = login(users.city_admin).get("/reports", {"year": "2025"}).content.decode()
    assert '<span class="rate">50.0%</span> <progress max="100" value="50.0"' in html
    assert 'aria-label="结业后 3 个月就业率：50.0%"' in html
    assert "民间工艺/闽南文化传承" in html and "高技能（高级、技师）" in html
    assert 'href="/indicators/export?year=2025"' in html


@pytest.mark.parametrize("role", ["sys_admin", "security_admin", "audit_admin"])
def test_officers_get_no_reports_page(users: Any, db: Any, login: Any, role: str) -> None:
    assert login(getattr(users, role)).get("/reports").status_code == 404
    assert login(getattr(users, role)).get("/indicators/export").status_code == 404


def test_the_page_shows_a_bad_filter_and_the_unfiltered_figures(
    users: Any, data: DataSet, login: Any
) -> None:
    html = login(users.city_admin).get("/reports", {"year": "1999"}).content.decode()
    assert "年度须为 2000 至 2100 的整数" in html
    assert _page_figures(html)["trainee_times"] == "6"


def test_the_filters_offered_follow_the_role(users: Any, data: DataSet, login: Any) -> None:
    town = login(users.town_staff).get("/reports").content.decode()
    assert 'id="r-town"' not in town and 'id="r-institution"' in town
    school = login(users.institution_staff).get("/reports").content.decode()
    assert 'id="r-institution"' not in school


def test_the_export_gives_the_same_figures_and_is_audited(
    users: Any, data: DataSet, login: Any
) -> None:
    response = login(users.town_staff).get("/indicators/export", {"year": "2025", "format": "csv"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header = next(r for r in rows if r and r[0] == "分组")
    data_rows = rows[rows.index(header) + 1 :]
    total = dict(zip(header, data_rows[0], strict=True))
    assert (
        total["名称"],
        total["培训人数"],
        total["培训人次"],
        total["3个月应跟踪"],
        total["3个月已就业"],
        total["6个月月收入中位数（元）"],
    ) == ("合计", "3", "3", "3", "1", "3850.50")
    assert [r[1] for r in data_rows if r[0] == "镇街"] == ["安海镇"]
    entry = AuditEntry.objects.filter(action="export.indicators").get()
    assert entry.actor_id == users.town_staff.pk
    xlsx = login(users.city_admin).get("/indicators/export")
    sheet = list(
        load_workbook(
            io.BytesIO(b"".join(xlsx.streaming_content)), read_only=True
        ).active.iter_rows(values_only=True)
    )
    assert sheet[3][:4] == ("分组", "名称", "培训人数", "培训人次")
    assert sheet[4][:4] == ("合计", "合计", 5, 6)


def test_canpei_export_indicators_writes_the_operators_scope(
    users: Any, data: DataSet, tmp_path: Any, capsys: Any
) -> None:
    from canpei import cli

    out_file = tmp_path / "指标.csv"
    code = cli.main(
        ["export", "indicators", "--out", str(out_file), "--year", "2025", "--as", "anhai"]
    )
    assert code == 0, capsys.readouterr()
    rows = list(csv.reader(out_file.read_text(encoding="utf-8-sig").splitlines()))
    header = next(r for r in rows if r and r[0] == "分组")
    total = dict(zip(header, rows[rows.index(header) + 1], strict=True))
    assert (total["培训人数"], total["培训人次"], total["鉴定合格率（%）"]) == ("3", "3", "100.0")


def test_the_charts_draw_the_reports_figures_and_link_to_the_report_behind_each_bar(
    users: Any, data: DataSet, login: Any
) -> None:
    page = login(users.city_admin).get("/reports?year=2025").content.decode()
    for key in ("by-year", "by-type", "followups"):
        assert f'id="chart-{key}"' in page
    year_chart = page[page.index('id="chart-by-year"') : page.index('id="chart-by-type"')]
    # 2025: 4 persons, 4 trainee-times; each bar drills down to the report of its year.
    assert '<td class="num" data-value="4"><a href="?year=2025">4</a></td>' in year_chart
    outcomes = page[page.index('id="chart-followups"') :]
    outcomes = outcomes[: outcomes.index("</figure>")]
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', outcomes)
    cells = [(label, re.findall(r'data-value="(\d+)"', row)) for label, row in rows]
    # employed, not employed (recorded), not yet followed up — as the milestone table says.
    assert cells == [("结业后 3 个月", ["2", "1", "1"]), ("结业后 6 个月", ["3", "0", "1"])]


def test_each_bar_of_the_outcomes_chart_links_to_the_follow_ups_behind_it(
    users: Any, data: DataSet, login: Any
) -> None:
    from tests.web.test_home_pages import rows_behind

    client = login(users.city_admin)
    page = client.get("/reports").content.decode()
    outcomes = page[page.index('id="chart-followups"') :]
    outcomes = outcomes[: outcomes.index("</figure>")]
    links = re.findall(r'data-value="(\d+)"><a href="([^"]+)">', outcomes)
    # Three bars a milestone (employed, not employed, not yet followed up), each a link.
    assert [url for _n, url in links] == [
        f"/employment?months={m}&amp;outcome={o}"
        for m in (3, 6)
        for o in ("employed", "not_employed", "unrecorded")
    ]
    for figure, url in links:
        assert rows_behind(client, url.replace("&amp;", "&")) == int(figure), url
    # A report narrowed by a year (the year training ended) has no list of follow-ups to match.
    narrowed = client.get("/reports?year=2025").content.decode()
    chart = narrowed[narrowed.index('id="chart-followups"') :]
    assert "/employment?" not in chart[: chart.index("</figure>")]
    # A bad outcome is refused by name, not ignored.
    assert (
        "跟踪结果须为 employed（已就业）、not_employed（未就业）或 unrecorded（应跟踪未跟踪）"
        in (client.get("/employment?outcome=maybe").content.decode())
    )


def test_the_api_lists_the_follow_ups_by_outcome_as_the_page_does(
    users: Any, data: DataSet, api: Any
) -> None:
    report = api(users.city_admin).get("/reports/indicators").json()["total"]
    three = next(m for m in report["employment"] if m["months"] == 3)
    listed = api(users.city_admin).get("/followups", months="3", outcome="employed").json()
    assert listed["count"] == three["employed"]
    bad = api(users.city_admin).get("/followups", outcome="maybe")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "outcome"
