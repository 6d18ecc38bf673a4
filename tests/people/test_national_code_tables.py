"""The national code tables a person's record takes its codes from (残疾类别, 等级, 就业形式,
未就业原因), written out: a table read under the wrong name, from the wrong source or with
other member names fails here (issue 18; they are built once, when canpei.people.rules is
imported, so mutation testing cannot reach them)."""

from __future__ import annotations

import pytest

from canpei.people import rules

TABLES = {
    "Category": (
        rules.Category,
        ["视力残疾", "听力残疾", "言语残疾", "肢体残疾", "智力残疾", "精神残疾", "多重残疾"],
    ),
    "Grade": (rules.Grade, ["一级", "二级", "三级", "四级"]),
    "EmploymentForm": (
        rules.EmploymentForm,
        [
            "按比例就业",
            "集中就业",
            "个体就业（含自主创业）",
            "公益性岗位就业",
            "辅助性就业",
            "农村种养加",
            "灵活就业（社区、居家就业）",
        ],
    ),
    "NotWorkingReason": (
        rules.NotWorkingReason,
        ["在校学习", "退休", "无意愿就业", "无就业技能", "丧失劳动能力", "农用土地被征用", "其他"],
    ),
}


@pytest.mark.parametrize("name", TABLES)
def test_each_national_table_has_its_codes_labels_and_member_names(name):
    table, labels = TABLES[name]
    assert table.__name__ == name
    codes = [str(n) for n in range(1, len(labels) + 1)]
    assert table.choices == list(zip(codes, labels))
    assert [member.name for member in table] == [f"C{code}" for code in codes]
