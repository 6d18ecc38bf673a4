"""The designation steps offered on an institution's page in each state, on valid and on expired
dates, and where each leads (issue 18, gap 11): written out here, so that a single change to the
table or to the date conditions fails a test."""

from __future__ import annotations

import datetime as dt

import pytest

from canpei.institutions import rules
from canpei.institutions.models import Institution

TODAY = dt.date(2026, 6, 15)
VALID = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
EXPIRED = (dt.date(2024, 1, 1), dt.date(2026, 6, 14))
LAST_DAY = (dt.date(2025, 6, 15), TODAY)
NOT_YET = (dt.date(2026, 6, 16), dt.date(2027, 6, 15))

OFFERED = {
    # state: (on valid dates, on expired dates, valid up to today, valid from tomorrow)
    "applied": (
        ["designate", "revoke"],
        ["designate", "revoke"],
        ["designate", "revoke"],
        ["designate", "revoke"],
    ),
    "designated": (
        ["designate", "promote", "suspend", "revoke"],
        ["designate", "suspend", "revoke"],
        ["designate", "promote", "suspend", "revoke"],
        ["designate", "suspend", "revoke"],
    ),
    "demonstration": (
        ["designate", "suspend", "revoke"],
        ["designate", "suspend", "revoke"],
        ["designate", "suspend", "revoke"],
        ["designate", "suspend", "revoke"],
    ),
    "suspended": (
        ["designate", "reinstate", "revoke"],
        ["designate", "revoke"],
        ["designate", "reinstate", "revoke"],
        ["designate", "reinstate", "revoke"],
    ),
    "revoked": ([], [], [], []),
}


@pytest.mark.parametrize("state", OFFERED)
def test_the_steps_offered_in_each_state_on_each_kind_of_dates(state):
    found = [
        rules.actions_available(
            Institution(state=state, designated_from=start, designated_to=end), TODAY
        )
        for start, end in (VALID, EXPIRED, LAST_DAY, NOT_YET)
    ]
    assert found == list(OFFERED[state])


def test_a_suspended_institution_without_dates_is_offered_no_reinstatement():
    institution = Institution(state="suspended")
    assert rules.actions_available(institution, TODAY) == ["designate", "revoke"]
    assert rules.date_refusal(institution, "reinstate", TODAY) == (
        "定点有效期已于 — 届满，不能恢复；请重新定点认定"
    )


def test_the_date_refusals_read_as_written():
    expired = Institution(state="suspended", designated_from=EXPIRED[0], designated_to=EXPIRED[1])
    assert rules.date_refusal(expired, "reinstate", TODAY) == (
        "定点有效期已于 2026-06-14 届满，不能恢复；请重新定点认定"
    )
    stale = Institution(state="designated", designated_from=EXPIRED[0], designated_to=EXPIRED[1])
    assert rules.date_refusal(stale, "promote", TODAY) == "定点有效期不在今天之内，不能评为示范点"
    for action in ("designate", "suspend", "revoke"):
        assert rules.date_refusal(stale, action, TODAY) is None


@pytest.mark.parametrize(
    "state,action,target",
    [
        ("applied", "designate", "designated"),
        ("designated", "designate", "designated"),
        ("demonstration", "designate", "demonstration"),
        ("suspended", "designate", "designated"),
        ("designated", "promote", "demonstration"),
        ("designated", "suspend", "suspended"),
        ("demonstration", "suspend", "suspended"),
        ("suspended", "reinstate", "designated"),
        ("applied", "revoke", "revoked"),
        ("designated", "revoke", "revoked"),
        ("demonstration", "revoke", "revoked"),
        ("suspended", "revoke", "revoked"),
        ("revoked", "designate", None),
        ("revoked", "reinstate", None),
        ("demonstration", "promote", None),
        ("applied", "suspend", None),
        ("designated", "reinstate", None),
        ("applied", "fly", None),
    ],
)
def test_where_each_step_leads(state, action, target):
    assert rules.transition_target(state, action) == target


@pytest.mark.parametrize(
    "start,end,errors",
    [
        (
            None,
            None,
            [
                ("designated_from", "定点认定须填写有效期起止日期"),
                ("designated_to", "定点认定须填写有效期起止日期"),
            ],
        ),
        (TODAY, None, [("designated_to", "定点认定须填写有效期起止日期")]),
        (None, TODAY, [("designated_from", "定点认定须填写有效期起止日期")]),
        (TODAY, TODAY, []),
        (TODAY, TODAY - dt.timedelta(days=1), [("designated_to", "定点起始日期不能晚于截止日期")]),
        (
            TODAY - dt.timedelta(days=9),
            TODAY - dt.timedelta(days=1),
            [("designated_to", "定点截止日期不能早于今天")],
        ),
    ],
)
def test_the_validity_dates_a_designation_takes(start, end, errors):
    assert rules.designation_dates_errors(start, end, TODAY) == errors
