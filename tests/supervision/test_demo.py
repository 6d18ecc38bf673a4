"""The demo raises at least one alert of every kind."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from canpei.demo import demo_load
from canpei.supervision.models import Alert
from canpei.supervision.rules import RULES

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_the_demo_raises_every_kind_of_alert(django_db_setup: Any, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock(), transaction.atomic():
        demo_load(persons=600, seed=1)
        kinds = set(Alert.objects.values_list("rule", flat=True))
        assert kinds >= set(RULES), set(RULES) - kinds
        # A second run adds no example and no alert.
        count = Alert.objects.count()
        demo_load(persons=10, seed=2)
        assert Alert.objects.count() == count
        assert not Alert.objects.filter(summary__contains="13900000000").exists()
        transaction.set_rollback(True)
