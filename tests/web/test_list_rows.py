"""The busiest lists' rows and filter options, rendered in one pass by canpei_lists' tags: the
same markup the template loop wrote, every value escaped, labels in the reader's language."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone, translation

from canpei.people import crypto
from canpei.people.models import Person, Survey
from canpei.regions.models import Region
from canpei.training.models import TrainingClass
from canpei.web.templatetags.canpei_lists import (
    candidate_rows,
    class_rows,
    options,
    person_rows,
    town_options,
)
from tests.conftest import ANHAI, make_id


def _age(birth: dt.date) -> int:
    today = timezone.localdate()
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def test_a_person_row_shows_each_column_linked_and_masked(
    users: Any, person_in: Any, login: Any
) -> None:
    client = login(users.city_admin)
    page = client.get("/persons").content.decode()
    assert (
        f'<tr>\n      <th scope="row"><a href="/persons/{person_in.pk}">张三</a></th>\n'
        f'      <td class="mono">350582********0016</td><td>男</td>'
        f'<td class="num">{_age(dt.date(1990, 3, 7))}</td>\n'
        "      <td>肢体残疾</td><td>二级</td><td>安海镇</td>\n"
        "      <td>未就业</td><td>在册</td>\n    </tr>"
    ) in page
    assert person_in.id_number not in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/persons").content.decode()
    assert "<td>Male</td>" in page
    assert "<td>Physical</td><td>Grade 2</td>" in page
    assert "<td>Not employed</td><td>On register</td>" in page
    page = client.get("/persons?q=nobody").content.decode()
    assert '<tr><td colspan="9">No matching persons</td></tr>' in page


def test_an_empty_person_list_says_so(users: Any, login: Any) -> None:
    page = login(users.city_admin).get("/persons").content.decode()
    assert '<tbody>\n  \n    <tr><td colspan="9">没有符合条件的人员</td></tr>' in page


def test_the_rows_escape_what_they_show(db: Any) -> None:
    town = Region(code=ANHAI, name="安<海>")
    person = Person(
        pk=7,
        name='<script>alert("x")</script>',
        id_number_enc=crypto.encrypt(make_id("35058219900307001")),
        gender="1",
        birth_date=dt.date(1990, 3, 7),
        category="4",
        grade="2",
        town=town,
        employment_form="",
        status="active",
    )
    with translation.override("zh-hans"):
        html = str(person_rows([person]))
    assert "<script>" not in html and "安<海>" not in html
    assert '<a href="/persons/7">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</a>' in html
    assert "<td>安&lt;海&gt;</td>" in html
    training_class = TrainingClass(
        pk=9,
        code="C<1>",
        name="<b>面点</b>",
        training_type="rural_practical",
        start_date=dt.date(2026, 3, 1),
        end_date=dt.date(2026, 3, 31),
        capacity=30,
        state="running",
    )
    # trainee_count: the selector's annotation.
    training_class.trainee_count = 2  # type: ignore[attr-defined]
    training_class.institution = _institution("<i>学校</i>")
    with translation.override("zh-hans"):
        html = str(class_rows([training_class]))
    assert html == (
        '\n    <tr>\n      <th scope="row" class="mono"><a href="/classes/9">C&lt;1&gt;</a></th>\n'
        "      <td>&lt;b&gt;面点&lt;/b&gt;</td><td>&lt;i&gt;学校&lt;/i&gt;</td>"
        "<td>农村实用技术培训</td>\n      <td>2026-03-01 — 2026-03-31</td>\n"
        '      <td class="num">2 / 30</td>\n'
        '      <td><span class="state state-running">开班中</span></td>\n    </tr>'
    )
    with translation.override("zh-hans"):
        assert str(class_rows([])) == '\n    <tr><td colspan="7">没有符合条件的培训班</td></tr>'


def _institution(name: str) -> Any:
    from canpei.institutions.models import Institution

    return Institution(name=name)


def test_options_select_the_chosen_value_and_escape_labels() -> None:
    assert str(options([("a", "甲<"), ("b", '乙"')], "b")) == (
        '<option value="a">甲&lt;</option><option value="b" selected>乙&quot;</option>'
    )
    assert str(options([(1, "one")], "1")) == '<option value="1">one</option>'
    assert str(options([], "a")) == ""
    towns = [Region(code="350582001000", name="青阳"), Region(code=ANHAI, name="安海镇")]
    assert str(town_options(towns, ANHAI)) == (
        '<option value="350582001000">青阳</option>'
        f'<option value="{ANHAI}" selected>安海镇</option>'
    )


def _candidate(pk: int, name: str, town: str, mode: str, needs: list[str]) -> Survey:
    person = Person(pk=pk, name=name, town=Region(code=ANHAI, name=town))
    return Survey(person=person, preferred_mode=mode, accessibility_needs=needs)


def test_the_candidate_rows_link_label_escape_and_offer_enrolment_when_asked() -> None:
    candidates = [
        _candidate(7, "<b>李四</b>", "安<海>", "remote", ["sign_language", "companion"]),
        _candidate(8, "王五", "磁灶镇", "", []),
    ]
    with translation.override("zh-hans"):
        html = str(candidate_rows({"csrf_token": "tok"}, candidates, 12))
    assert html == (
        '\n      <tr><th scope="row"><a href="/persons/7">&lt;b&gt;李四&lt;/b&gt;</a></th>'
        "<td>安&lt;海&gt;</td>\n        <td>网络远程</td><td>手语翻译、陪同</td>\n        "
        '<td><form method="post" action="/classes/12/enroll-candidate">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="tok">'
        '<input type="hidden" name="person" value="7"><button type="submit" class="link-button">'
        '加入花名册<span class="visually-hidden"> &lt;b&gt;李四&lt;/b&gt;</span></button></form>'
        "</td></tr>"
        '\n      <tr><th scope="row"><a href="/persons/8">王五</a></th><td>磁灶镇</td>\n'
        "        <td>—</td><td>—</td>\n        "
        '<td><form method="post" action="/classes/12/enroll-candidate">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="tok">'
        '<input type="hidden" name="person" value="8"><button type="submit" class="link-button">'
        '加入花名册<span class="visually-hidden"> 王五</span></button></form></td></tr>'
    )
    # Without a class to enrol into: the four columns only; no token, no token field.
    with translation.override("en"):
        html = str(candidate_rows({}, candidates[:1]))
    assert html == (
        '\n      <tr><th scope="row"><a href="/persons/7">&lt;b&gt;李四&lt;/b&gt;</a></th>'
        "<td>安&lt;海&gt;</td>\n        <td>Online (remote)</td>"
        "<td>Sign language interpreting、Companion</td>\n        </tr>"
    )
    with translation.override("zh-hans"):
        html = str(candidate_rows({"csrf_token": "NOTPROVIDED"}, candidates[1:], 12))
    assert "csrfmiddlewaretoken" not in html and 'name="person" value="8"' in html
    assert str(candidate_rows({}, [], 12)) == ""
