"""canpei.hooks: the explicit reactions of one app to another's writes."""

from __future__ import annotations

import pytest

from canpei import hooks
from tests.conftest import ANHAI


def test_person_moved_refuses_to_run_outside_the_transaction_that_moved_them() -> None:
    # Outside a transaction the receivers' writes (enrolments following the town) could commit
    # while the move itself rolled back.
    with pytest.raises(RuntimeError):
        hooks.person_moved({1: ANHAI})


def test_training_follows_a_moved_person_through_the_hook() -> None:
    from canpei.training.receivers import enrollments_follow_town

    assert enrollments_follow_town in hooks._person_moved
