"""Printable documents of a class (issue 13): who may open them (as the class page), what each
holds, and that they are pages made for print (A4 stylesheet, no navigation). The PDFs Chromium
prints from them are checked in tests/browser/test_printables.py."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from canpei.accounts.roles import Role
from canpei.training.classes import services
from tests.conftest import CIZAO
from tests.training.conftest import class_data, designated, make_class, trainee_factory  # noqa: F401

DOCUMENTS = ("application", "sign-in", "completion", "certificates")
READERS = {"city_admin", "town_staff", "institution_staff", "employment_service", "auditor"}


def html(response: Any) -> str:
    return response.content.decode()


@pytest.fixture
def completed(make_class: Any, trainee_factory: Any) -> Any:
    return make_class(
        "completed",
        persons=[trainee_factory(name="林秀英"), trainee_factory(name="黄志明", town=CIZAO)],
    )


@pytest.mark.parametrize("document", DOCUMENTS)
@pytest.mark.parametrize("role", Role.values)
def test_each_document_opens_for_whoever_may_read_the_class(
    role: str, document: str, users: Any, completed: Any, login: Any
) -> None:
    response = login(getattr(users, role)).get(f"/classes/{completed.pk}/print/{document}")
    assert response.status_code == (200 if role in READERS else 404)


@pytest.mark.parametrize("document", DOCUMENTS)
def test_another_institutions_class_is_not_found(
    document: str, users: Any, completed: Any, other_institution: Any, login: Any
) -> None:
    from canpei.accounts.models import User

    outsider = User.objects.create(
        username="other", role="institution_staff", institution=other_institution
    )
    assert login(outsider).get(f"/classes/{completed.pk}/print/{document}").status_code == 404
    assert login(users.city_admin).get(f"/classes/{10**9}/print/{document}").status_code == 404


def test_the_documents_are_made_for_print_and_linked_from_the_class_page(
    users: Any, completed: Any, login: Any
) -> None:
    client = login(users.institution_staff)
    detail = html(client.get(f"/classes/{completed.pk}"))
    for document in DOCUMENTS:
        assert f'href="/classes/{completed.pk}/print/{document}"' in detail, document
        page = html(client.get(f"/classes/{completed.pk}/print/{document}"))
        assert "canpei/print.css" in page and "<nav" not in page and "site-header" not in page
        # Masked numbers only.
        for e in completed.enrollments.select_related("person"):
            assert e.person.id_number not in page
    application = html(client.get(f"/classes/{completed.pk}/print/application"))
    assert "残疾人职业技能培训开班申请表" in application and "花名册" in application
    assert "林秀英" in application and "黄志明" in application and completed.code in application
    certificates = html(client.get(f"/classes/{completed.pk}/print/certificates"))
    assert certificates.count('class="sheet certificate"') == 2
    one = completed.enrollments.get(person__name="林秀英")
    single = html(client.get(f"/classes/{completed.pk}/print/certificates?enrollment={one.pk}"))
    assert single.count('class="sheet certificate"') == 1 and "林秀英" in single


def test_town_staff_print_their_towns_trainees_only(users: Any, completed: Any, login: Any) -> None:
    page = html(login(users.town_staff).get(f"/classes/{completed.pk}/print/completion"))
    assert "林秀英" in page and "黄志明" not in page


def test_completion_documents_wait_for_the_completion(
    users: Any, make_class: Any, login: Any
) -> None:
    running = make_class("running", trainees=1)
    client = login(users.institution_staff)
    detail = html(client.get(f"/classes/{running.pk}"))
    assert f"/classes/{running.pk}/print/completion" not in detail
    for document in ("completion", "certificates"):
        assert client.get(f"/classes/{running.pk}/print/{document}").status_code == 404
    assert client.get(f"/classes/{running.pk}/print/sign-in").status_code == 200


def test_a_sessions_sign_in_sheet(users: Any, make_class: Any, login: Any) -> None:
    running = make_class("running", trainees=2)
    day = timezone.localdate()
    session = services.session_record(
        actor=users.institution_staff,
        training_class=running,
        date=day,
        hours="3",
        topic="面点基础",
        attendance={},
    )
    client = login(users.institution_staff)
    register = html(client.get(f"/classes/{running.pk}/register"))
    assert f'href="/classes/{running.pk}/print/sign-in?session={session.pk}"' in register
    sheet = html(client.get(f"/classes/{running.pk}/print/sign-in?session={session.pk}"))
    assert day.isoformat() in sheet and "面点基础" in sheet and "应到 2 人" in sheet
    for bad in ("abc", str(10**9), "-1"):
        assert client.get(f"/classes/{running.pk}/print/sign-in?session={bad}").status_code == 404
    # A session of another class is not this class's.
    other = make_class("running", trainees=1)
    assert client.get(f"/classes/{other.pk}/print/sign-in?session={session.pk}").status_code == 404
