"""The upload page: a file in, the job's page with its result out, the report downloadable by
the one who imported it and nobody else."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from canpei.people import rules
from canpei.people.models import Person
from canpei.spreadsheets.models import ImportJob
from canpei.spreadsheets.reader import FILE_MISSING_COLUMNS
from canpei.web.views import imports
from tests.spreadsheets.files import PERSON_HEADER, an_id, db_counts, person_row, read_back, xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


def upload(client, data: bytes, name: str = "名册.xlsx", kind: str = "persons", **extra):
    return client.post(
        "/imports/new", {"kind": kind, "file": SimpleUploadedFile(name, data), **extra}
    )


def bad_id() -> str:
    good = an_id(13)
    return good[:17] + ("0" if good[17] != "0" else "1")


@pytest.mark.parametrize(
    "role, status",
    [
        ("city_admin", 200),
        ("town_staff", 200),
        ("employment_service", 200),  # follow-up sheets
        ("auditor", 404),
        ("institution_staff", 200),
        ("sys_admin", 404),
    ],
)
def test_the_upload_page_is_for_those_who_may_import(users, login, role, status):
    assert login(getattr(users, role)).get("/imports/new").status_code == status


def test_an_uploaded_file_is_imported_and_its_page_shows_the_result(users, login, var_dir):
    client = login(users.town_staff)
    response = upload(client, xlsx([PERSON_HEADER, person_row(11), person_row(13)]))
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert response["Location"] == f"/imports/{job.token}"
    page = client.get(response["Location"]).content.decode()
    assert "导入完成：共 2 行，新增 2，更新 0，无变化 0" in page
    assert Person.objects.count() == 2
    assert (job.user_id, job.kind) == (users.town_staff.pk, "persons")
    assert not list(var_dir.glob("imports/*.upload"))  # the upload is not kept
    partial = client.get(f"/imports/{job.token}", headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith('<div id="import-status"') and "hx-get" not in partial


def test_a_rejected_file_shows_its_errors_and_the_report(users, login):
    client = login(users.city_admin)
    before = db_counts()
    response = upload(
        client,
        xlsx([PERSON_HEADER, person_row(11), person_row(13, id_number=bad_id(), cert_number="")]),
    )
    page = client.get(response["Location"]).content.decode()
    assert "已拒绝：1 处错误，未写入任何数据" in page
    assert rules.ID_CHECKSUM in page and rules.mask_id_number(bad_id()) in page
    assert bad_id() not in page
    assert db_counts() == before
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.REJECTED
    assert f'href="/imports/{job.token}/report"' in page
    report = client.get(f"/imports/{job.token}/report")
    assert report.status_code == 200 and "attachment" in report["Content-Disposition"]
    rows = read_back(b"".join(report.streaming_content))
    assert rows[-1][0] == 3 and rows[-1][-1] == f"「身份证号」{rules.ID_CHECKSUM}"


def test_a_missing_column_and_the_row_errors_show_on_the_page_at_once(users, login):
    """Issue 13: the clerk sees the missing column and the other columns' row errors in one
    round, on the page and in the report, and nothing is written."""
    client = login(users.city_admin)
    before = db_counts()
    header = [h for h in PERSON_HEADER if h != "残疾等级"]
    rows = [row[:4] + row[5:] for row in (person_row(11), person_row(13, id_number=bad_id()))]
    response = upload(client, xlsx([header] + rows))
    page = client.get(response["Location"]).content.decode()
    assert "已拒绝：2 处错误，未写入任何数据" in page
    assert FILE_MISSING_COLUMNS.format(columns="残疾等级") in page
    assert rules.ID_CHECKSUM in page and rules.mask_id_number(bad_id()) in page
    assert db_counts() == before
    job = ImportJob.objects.get()
    report = read_back(b"".join(client.get(f"/imports/{job.token}/report").streaming_content))
    assert report[1][0] == FILE_MISSING_COLUMNS.format(columns="残疾等级")
    assert report[-1][0] == 3 and report[-1][-1] == f"「身份证号」{rules.ID_CHECKSUM}"


def test_a_file_that_is_not_a_spreadsheet_is_rejected_on_its_page(users, login):
    client = login(users.city_admin)
    response = upload(client, b"%PDF-1.4\n%%EOF\n", name="名册.pdf")
    page = client.get(response["Location"]).content.decode()
    assert "文件不是 Excel（.xlsx/.xls）或 CSV 文件" in page


def test_a_dry_run_from_the_page_writes_nothing(users, login):
    client = login(users.city_admin)
    response = upload(client, xlsx([PERSON_HEADER, person_row(11)]), dry_run="on")
    page = client.get(response["Location"]).content.decode()
    assert "校验通过（试导入，未写入）：共 1 行，新增 1" in page
    assert Person.objects.count() == 0


def test_a_file_over_the_limit_is_refused_before_it_is_stored(users, login, monkeypatch):
    monkeypatch.setattr(imports, "MAX_FILE_BYTES", 1024 * 1024)
    response = upload(login(users.city_admin), b"a" * (1024 * 1024 + 1), name="名册.csv")
    assert response.status_code == 422
    assert "文件超过 1 MB 的上限" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_another_user_cannot_see_the_job_or_its_report(users, login):
    response = upload(login(users.town_staff), xlsx([PERSON_HEADER, person_row(11)]))
    url = response["Location"]
    assert re.fullmatch(r"/imports/[0-9a-f-]{36}", url)
    for other in (users.other_town_staff, users.city_admin):
        client = login(other)
        assert client.get(url).status_code == 404
        assert client.get(url + "/report").status_code == 404
    assert login(users.auditor).get(url).status_code == 404


def kind_options(page: str) -> list[str]:
    select = re.search(r'<select name="kind".*?</select>', page, re.S)
    assert select is not None
    return re.findall(r'<option value="([a-z]+)"', select.group(0))


@pytest.mark.parametrize(
    "role, kinds",
    [
        ("city_admin", ["persons", "surveys", "enrollments", "certificates", "followups"]),
        ("town_staff", ["persons", "surveys", "followups"]),
        ("employment_service", ["followups"]),
        ("institution_staff", ["enrollments", "certificates"]),
    ],
)
def test_the_page_offers_only_the_kinds_the_user_may_import(users, login, role, kinds):
    page = login(getattr(users, role)).get("/imports/new").content.decode()
    assert kind_options(page) == kinds
    assert 'href="/imports/new"' in page  # the navigation leads here


def test_an_institution_cannot_import_persons_from_the_page(users, login):
    client = login(users.institution_staff)
    response = upload(client, xlsx([PERSON_HEADER, person_row(11)]), kind="persons")
    assert response.status_code == 422
    assert not ImportJob.objects.exists() and Person.objects.count() == 0


def test_town_staff_cannot_import_rosters_from_the_page(users, login):
    response = upload(login(users.town_staff), b"x", kind="enrollments")
    assert response.status_code == 422 and not ImportJob.objects.exists()


def test_an_institution_imports_its_roster_from_the_page(users, login, make_class, trainee_factory):
    draft = make_class("draft", trainees=0)
    person = trainee_factory()
    client = login(users.institution_staff)
    page = client.get("/imports/new?kind=enrollments").content.decode()
    assert '<option value="enrollments" selected>' in page
    response = upload(
        client,
        xlsx([["班级编号", "身份证号", "姓名"], [draft.code, person.id_number, person.name]]),
        kind="enrollments",
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "导入完成：共 1 行，新增 1，更新 0，无变化 0" in page
    assert draft.enrollments.get().person_id == person.pk


def test_an_imports_page_is_under_import_in_the_menu_not_home(users, login):
    client = login(users.city_admin)
    response = upload(client, xlsx([PERSON_HEADER, person_row(11)]))
    page = client.get(response["Location"]).content.decode()
    current = re.findall(r'<a href="([^"]+)" aria-current="page">', page)
    assert current == ["/imports/new"], current
    # A page no menu entry leads to marks none, and never 首页.
    home = client.get("/").content.decode()
    assert re.findall(r'<a href="([^"]+)" aria-current="page">', home) == ["/"]


def test_a_file_uploaded_in_english_is_reported_in_english(users, login, settings):
    """The job runs in the worker, after the request: the row errors and the report come in
    the language of the page the file was uploaded from, and a Chinese page gets Chinese."""
    for language, checksum in (
        ("en", "The check digit of the ID number is wrong"),
        ("zh-hans", "身份证号校验位不正确"),
    ):
        client = login(users.city_admin)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        response = upload(client, xlsx([PERSON_HEADER, person_row(13, id_number=bad_id())]))
        job = ImportJob.objects.get(token=response["Location"].rsplit("/", 1)[1])
        assert job.language == language
        assert checksum in client.get(response["Location"]).content.decode()
        report = read_back(b"".join(client.get(f"/imports/{job.token}/report").streaming_content))
        assert checksum in report[-1][-1]
