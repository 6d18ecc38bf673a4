"""person_count (a search counted in disjoint parts) must always equal the list's own count."""

from __future__ import annotations

import pytest
from django.utils import timezone

from canpei.demo import generate_persons
from canpei.people.models import Person
from canpei.people.selectors import PersonFilters, person_count, person_list
from tests.conftest import ANHAI, CIZAO

QUERIES = [
    "",
    "c",
    "ch",
    "chen",
    "chenzhi",
    "cz",
    "czm",
    "l",
    "lm",
    "huang",
    "h",
    "zz",
    "陈",
    "陈志",
    "林",
    "1",
    "12",
    "123",
    "1234",
    "000X",
    "nobody",
    "陈 志",
    "C Z",
]


@pytest.fixture
def registry(users):
    Person.objects.bulk_create(
        generate_persons(400, seed=3, towns=[ANHAI, CIZAO], today=timezone.localdate())
    )
    return users


def test_count_equals_the_lists_count(registry):
    for town in ("", ANHAI):
        for q in QUERIES:
            filters = PersonFilters(q=q, town=town)
            for user in (registry.city_admin, registry.town_staff):
                expected = person_list(user=user, filters=filters).count()
                assert person_count(user=user, filters=filters) == expected, (q, town, user)
    assert person_list(user=registry.city_admin, filters=PersonFilters(q="c")).count() > 0


def test_pinyin_and_initials_overlap_counted_once(registry):
    # "c" matches 陈志明 both by pinyin (chen...) and by initials (czm): one row, not two.
    both = person_list(user=registry.city_admin, filters=PersonFilters(q="c"))
    assert person_count(user=registry.city_admin, filters=PersonFilters(q="c")) == both.count()
    assert both.filter(name_pinyin__startswith="c", name_initials__startswith="c").exists()
