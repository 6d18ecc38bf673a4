"""A person's page lists the classes they took, as far as the viewer sees rosters."""

from __future__ import annotations


def test_the_person_page_lists_their_classes(users, login, make_class, trainee_factory):
    person = trainee_factory()
    training_class = make_class("running", persons=[person])
    page = login(users.town_staff).get(f"/persons/{person.pk}").content.decode()
    assert "参加培训" in page
    assert f'href="/classes/{training_class.pk}"' in page
    assert training_class.code in page


def test_roles_without_classes_see_no_training_section(users, login, person_in):
    from canpei.accounts.roles import ROLE_PERMISSIONS, Perm

    assert all(
        Perm.CLASS_BROWSE in ROLE_PERMISSIONS[role]
        for role in ("city_admin", "town_staff", "employment_service", "auditor")
    )
    page = login(users.city_admin).get(f"/persons/{person_in.pk}").content.decode()
    assert "尚无培训记录" in page
