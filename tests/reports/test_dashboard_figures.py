"""The dashboard's figures, per role: the city sees every town, a town its own, an institution
its own record and no registry, an officer nothing of the business data."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from canpei.people.services import person_change_status, person_create
from canpei.people.surveys.services import survey_create
from canpei.reports.selectors import TownFigures, dashboard_for, registry_overview
from tests.conftest import ANHAI, CIZAO, make_id, person_data


@pytest.fixture
def anhai_registry(users: Any, person_in: Any) -> Any:
    """安海镇 beyond person_in: one person past working age, one moved out; person_in surveyed."""
    city = users.city_admin
    person_create(
        actor=city,
        data=person_data(name="王五", id_number=make_id("35058219400101001"), cert_number=""),
    )
    moved = person_create(
        actor=city,
        data=person_data(name="赵六", id_number=make_id("35058219950505001"), cert_number=""),
    )
    person_change_status(actor=city, person=moved, status="moved_out", comment="迁往泉州")
    survey_create(actor=city, data={"person": person_in.pk, "surveyed_on": timezone.localdate()})
    return person_in


ANHAI_FIGURES = TownFigures(
    town=ANHAI, town_name="安海镇", total=3, active=2, working_age=1, due=1, surveyed=1
)
CIZAO_FIGURES = TownFigures(
    town=CIZAO, town_name="磁灶镇", total=1, active=1, working_age=1, due=1, surveyed=0
)


def test_the_city_sees_every_town_with_a_person_and_their_sums(
    users: Any, anhai_registry: Any, person_out: Any
) -> None:
    overview = registry_overview(user=users.city_admin, today=timezone.localdate())
    assert overview.towns == [ANHAI_FIGURES, CIZAO_FIGURES]
    assert (
        overview.totals.total,
        overview.totals.active,
        overview.totals.working_age,
        overview.totals.due,
        overview.totals.surveyed,
    ) == (4, 3, 2, 2, 1)


def test_town_staff_see_their_own_town_only(
    users: Any, anhai_registry: Any, person_out: Any
) -> None:
    assert registry_overview(user=users.town_staff, today=timezone.localdate()).towns == [
        ANHAI_FIGURES
    ]
    other = registry_overview(user=users.other_town_staff, today=timezone.localdate())
    assert other.towns == [CIZAO_FIGURES]
    assert other.totals.total == 1


@pytest.mark.parametrize("role", ["employment_service", "auditor"])
def test_city_wide_readers_see_the_same_figures_as_the_city(
    role: str, users: Any, anhai_registry: Any, person_out: Any
) -> None:
    dashboard = dashboard_for(user=users.by_role()[role], today=timezone.localdate())
    assert dashboard.registry is not None
    assert dashboard.registry.towns == [ANHAI_FIGURES, CIZAO_FIGURES]
    assert dashboard.institution is None and not dashboard.officer


def test_institution_staff_get_their_institution_and_no_registry(
    users: Any, institution: Any, other_institution: Any, person_in: Any
) -> None:
    dashboard = dashboard_for(user=users.institution_staff, today=timezone.localdate())
    assert dashboard.registry is None
    assert dashboard.institution is not None and dashboard.institution.pk == institution.pk


@pytest.mark.parametrize("role", ["sys_admin", "security_admin", "audit_admin"])
def test_officers_get_no_business_figures(role: str, users: Any, person_in: Any) -> None:
    dashboard = dashboard_for(user=users.by_role()[role], today=timezone.localdate())
    assert dashboard.officer
    assert dashboard.registry is None and dashboard.institution is None


def test_an_empty_scope_has_no_towns_and_zero_sums(users: Any) -> None:
    overview = registry_overview(user=users.town_staff, today=timezone.localdate())
    assert overview.towns == []
    assert overview.totals == TownFigures(town="", town_name="")
