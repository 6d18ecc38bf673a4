"""A whole roster at once (issue 13): appraisal results "all passed, then the exceptions" with the
results already recorded kept, and a column of ID numbers pasted onto a draft roster."""

from __future__ import annotations

from typing import Any

import pytest

from canpei.audit.models import AuditEntry
from canpei.training import rules
from canpei.training.classes import services
from canpei.training.classes.services.roster import APPRAISAL_KEPT
from canpei.training.models import Enrollment
from tests.training.conftest import class_data, designated, make_class, trainee_factory  # noqa: F401


def html(response: Any) -> str:
    return response.content.decode()


def _results(training_class: Any) -> dict[str, str]:
    return {
        e.person.name: e.appraisal_result
        for e in training_class.enrollments.select_related("person")
    }


def test_all_passed_then_the_exceptions_keeping_recorded_results(
    users: Any, make_class: Any, login: Any
) -> None:
    training_class = make_class("completed", trainees=4)
    first, second, third, fourth = training_class.enrollments.order_by("pk")
    services.enrollment_update(
        actor=users.institution_staff, enrollment=first, data={"appraisal_result": "failed"}
    )
    client = login(users.institution_staff)
    detail = html(client.get(f"/classes/{training_class.pk}"))
    assert f'href="/classes/{training_class.pk}/results"' in detail
    page = html(client.get(f"/classes/{training_class.pk}/results"))
    # The recorded result is shown, not offered; the others default to 鉴定合格.
    assert f'name="result-{first.pk}"' not in page and "鉴定不合格（已登记）" in page
    assert f'<select id="result-{second.pk}" name="result-{second.pk}">' in page
    assert page.count('<option value="passed" selected>') == 3
    entries = AuditEntry.objects.filter(action="enrollment.update").count()
    response = client.post(
        f"/classes/{training_class.pk}/results",
        {f"result-{second.pk}": "passed", f"result-{third.pk}": "absent"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/classes/{training_class.pk}#roster-heading"
    results = {e.pk: e.appraisal_result for e in training_class.enrollments.all()}
    # The fourth trainee was not posted at all: passed as well.
    assert results == {
        first.pk: "failed",
        second.pk: "passed",
        third.pk: "absent",
        fourth.pk: "passed",
    }
    assert AuditEntry.objects.filter(action="enrollment.update").count() == entries + 3
    assert "已登记鉴定结果 3 人，已有结果的 1 人保持不变" in html(client.get(response["Location"]))


def test_a_bad_exception_writes_nothing(users: Any, make_class: Any, login: Any) -> None:
    training_class = make_class("completed", trainees=2)
    first, second = training_class.enrollments.order_by("pk")
    services.enrollment_update(
        actor=users.institution_staff, enrollment=first, data={"appraisal_result": "passed"}
    )
    client = login(users.institution_staff)
    for posted, message in (
        ({f"result-{second.pk}": "excellent"}, rules.APPRAISAL_RESULT_INVALID),
        ({f"result-{first.pk}": "failed"}, APPRAISAL_KEPT),
    ):
        response = client.post(f"/classes/{training_class.pk}/results", posted)
        assert response.status_code == 422
        assert message in html(response)
        assert Enrollment.objects.get(pk=second.pk).appraisal_result == ""
        assert Enrollment.objects.get(pk=first.pk).appraisal_result == "passed"


def test_results_wait_for_completion_and_the_roster_right(
    users: Any, make_class: Any, login: Any
) -> None:
    running = make_class("running", trainees=1)
    client = login(users.institution_staff)
    assert f"/classes/{running.pk}/results" not in html(client.get(f"/classes/{running.pk}"))
    response = client.post(f"/classes/{running.pk}/results", {})
    assert response.status_code == 409 and rules.CERTIFICATE_CLOSED in html(response)
    completed = make_class("completed", trainees=1)
    assert login(users.auditor).get(f"/classes/{completed.pk}/results").status_code == 404
    assert login(users.auditor).post(f"/classes/{completed.pk}/results", {}).status_code == 404
    assert _results(completed) == {completed.enrollments.get().person.name: ""}


def test_a_column_of_id_numbers_is_pasted_onto_the_roster(
    users: Any, make_class: Any, trainee_factory: Any, login: Any
) -> None:
    training_class = make_class("draft", trainees=0)
    one, two = trainee_factory(), trainee_factory()
    too_old = trainee_factory(birth="19400101")
    client = login(users.institution_staff)
    page = html(client.get(f"/classes/{training_class.pk}/enroll"))
    assert 'name="numbers"' in page and "粘贴一列身份证号" in page
    pasted = f"{one.id_number}\r\n\r\n  {two.id_number.lower()}  \n{too_old.id_number}\n123\n"
    response = client.post(f"/classes/{training_class.pk}/enroll", {"numbers": pasted})
    assert response.status_code == 422
    page = html(response)
    enrolled = set(training_class.enrollments.values_list("person_id", flat=True))
    assert enrolled == {one.pk, two.pk}
    assert "已加入 " + rules.describe_person(one) in page
    # The refused lines stay in the box (and only they), each with its reason beside its number.
    box = page.split('name="numbers"', 1)[1].split("</textarea>", 1)[0]
    assert too_old.id_number in box and "123" in box and one.id_number not in box
    assert too_old.id_number_masked in page
    assert AuditEntry.objects.filter(action="enrollment.create").count() == 2


@pytest.mark.parametrize("pasted", ["", " \n \n", "\n".join(["1"] * 1) + "\n" * 3])
def test_an_empty_paste_asks_for_numbers(
    pasted: str, users: Any, make_class: Any, login: Any
) -> None:
    training_class = make_class("draft", trainees=0)
    response = login(users.institution_staff).post(
        f"/classes/{training_class.pk}/enroll", {"numbers": pasted}
    )
    assert response.status_code == 422
    if pasted.strip():
        assert not training_class.enrollments.exists()
    else:
        assert "请粘贴身份证号，每行一个" in html(response)


def test_too_many_pasted_numbers_are_refused(users: Any, make_class: Any, login: Any) -> None:
    training_class = make_class("draft", trainees=0)
    numbers = "\n".join(f"35058219900307{i:04d}" for i in range(201))
    response = login(users.institution_staff).post(
        f"/classes/{training_class.pk}/enroll", {"numbers": numbers}
    )
    assert response.status_code == 422 and "一次最多粘贴 200 个身份证号" in html(response)
    assert not training_class.enrollments.exists()
