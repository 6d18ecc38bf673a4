"""Writes of a person through the real services, shared by the summaries' random-write tests."""

from __future__ import annotations

from typing import Any

from tests.conftest import ANHAI, CIZAO


def move_between_towns(users: Any, person: Any) -> None:
    """Move the person from 安海 to 磁灶 or back (person_update)."""
    from canpei.people.services import person_update

    person.refresh_from_db()
    person_update(
        actor=users.city_admin,
        person=person,
        data={"town": CIZAO if person.town_id == ANHAI else ANHAI},
    )


def flip_status(users: Any, person: Any) -> None:
    """An active person deceased, any other active again (person_change_status)."""
    from canpei.people.services import person_change_status

    person.refresh_from_db()
    new = "deceased" if person.status == "active" else "active"
    person_change_status(actor=users.city_admin, person=person, status=new, comment="测试")
