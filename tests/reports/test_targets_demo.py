"""The demo has the seed plan and a current one whose targets show real figures."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from canpei.accounts.models import User
from canpei.demo import demo_load
from canpei.reports import targets
from canpei.reports.models import Plan


@pytest.mark.slow
def test_the_demos_current_plan_has_real_ratios(db: Any) -> None:
    summary = demo_load(persons=600, seed=1)
    assert summary["plans"] == 1
    assert Plan.objects.count() == 2
    city = User.objects.get(username="city")
    plan = targets.default_plan(timezone.localdate())
    assert plan.document == "演示"
    report = targets.targets_report(user=city, plan=plan)
    assert report.city is not None
    for figure in report.city.targets:
        assert 0 < figure.covered < figure.population, figure
    assert summary["target_trainings"] >= 6  # up to 3 per town and target, as the rules allow
    assert demo_load(persons=0, seed=1)["plans"] == 0  # once
