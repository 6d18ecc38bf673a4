"""Import templates: the header row a clerk fills in, drop-downs, instructions and an example;
the CLI, the upload page and the download agree, and a filled template imports."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from canpei.cli import main
from canpei.people.imports import PERSON_EXAMPLE
from canpei.people.models import Person
from canpei.spreadsheets.registry import import_spec, import_specs
from canpei.spreadsheets.templates import write_template

pytestmark = pytest.mark.django_db


def template(kind: str):
    out = io.BytesIO()
    write_template(out, import_spec(kind))
    return load_workbook(io.BytesIO(out.getvalue()))


def test_the_persons_template_marks_required_columns_and_offers_drop_downs(users):
    book = template("persons")
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert headers[:6] == [
        "姓名＊",
        "身份证号＊",
        "残疾证号",
        "残疾类别＊",
        "残疾等级＊",
        "所属镇街＊",
    ]
    assert sheet.max_row == 1  # nothing to import by accident
    rules = {str(dv.sqref): dv.formula1 for dv in sheet.data_validations.dataValidation}
    assert rules["D2:D2001"] == "'代码表'!$D$2:$D$8"
    lists = book["代码表"]
    assert lists.sheet_state == "hidden"
    assert [lists.cell(row=r, column=4).value for r in range(2, 9)] == [
        "视力残疾",
        "听力残疾",
        "言语残疾",
        "肢体残疾",
        "智力残疾",
        "精神残疾",
        "多重残疾",
    ]
    towns = [lists.cell(row=r, column=6).value for r in range(2, 21)]
    assert "安海镇" in towns and None not in towns
    assert sheet.column_dimensions["B"].number_format == "@"


def test_the_instructions_sheet_lists_each_column_and_an_example_row(users):
    guide = template("persons")["填写说明"]
    rows = [[c.value for c in row] for row in guide.iter_rows()]
    assert rows[3][:5] == ["列名", "是否必填", "也可写作", "可选值", "示例"]
    assert rows[4][:3] == ["姓名", "必填", "名字、残疾人姓名"]
    assert rows[5][:2] == ["身份证号", "必填"] and rows[6][:2] == ["残疾证号", "可选"]
    example = rows[-1]
    assert example[:2] == ["张三", PERSON_EXAMPLE["id_number"]]


def test_a_filled_template_imports(users):
    from canpei.people.imports import persons_import

    book = template("persons")
    sheet = book.worksheets[0]
    example = [PERSON_EXAMPLE[name] for name in import_spec("persons").columns]
    sheet.append(example)
    out = io.BytesIO()
    book.save(out)
    result = persons_import(actor=users.city_admin, data=out.getvalue(), filename="模板.xlsx")
    assert [str(e) for e in result.errors] == [] and result.created == 1
    assert Person.objects.get().name == "张三"


@pytest.mark.parametrize("kind", [spec.kind for spec in import_specs()])
def test_every_kind_has_a_template_whose_required_columns_the_importer_requires(users, kind):
    spec = import_spec(kind)
    assert spec.required and set(spec.required) <= set(spec.columns)
    assert set(spec.example) == set(spec.columns)
    headers = [c.value for c in template(kind).worksheets[0][1]]
    assert [h for h in headers if h.endswith("＊")] == [
        spec.columns[name][0] + "＊" for name in spec.columns if name in spec.required
    ]


def test_the_command_line_writes_a_template(users, tmp_path, capsys):
    out = tmp_path / "模板.xlsx"
    assert main(["import", "template", "surveys", "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"已写入需求调查导入模板：{out}"
    assert load_workbook(out).worksheets[0]["A1"].value == "身份证号＊"
    assert main(["import", "template", "nope", "--out", str(out)]) == 1
    assert capsys.readouterr().err.strip() == (
        "没有这种导入类型：nope（可选：persons、surveys、enrollments、certificates、followups）"
    )
    assert main(["import", "template", "surveys"]) == 1
    assert capsys.readouterr().err.strip() == "请用 --out 指定模板文件，如 --out 模板.xlsx"


def test_the_upload_page_shows_the_columns_and_the_template_of_the_users_kinds(users, login):
    page = login(users.town_staff).get("/imports/new").content.decode()
    assert "下载人员名册导入模板（Excel）" in page and 'href="/imports/template/persons"' in page
    assert '<th scope="row">身份证号</th><td><strong>必填</strong></td>' in page
    response = login(users.town_staff).get("/imports/template/persons")
    assert response.status_code == 200
    assert load_workbook(io.BytesIO(response.content)).worksheets[0]["A1"].value == "姓名＊"
    # Kinds the user may not import, and kinds that do not exist, are not found.
    assert login(users.town_staff).get("/imports/template/certificates").status_code == 404
    assert login(users.town_staff).get("/imports/template/nope").status_code == 404
    assert login(users.auditor).get("/imports/template/persons").status_code == 404
