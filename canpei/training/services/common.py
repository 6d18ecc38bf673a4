"""The parsers the training services share: the validation toolkit's, under the names the
roster, inspection and transition services import, and the one check of a step's comment."""

from __future__ import annotations

from canpei.training import rules
from canpei.validation import (  # noqa: F401  (re-exported for the training services)
    Errors, bad_text, one_line, parse_bool, parse_date, parse_decimal, parse_int, text,
)
from canpei.validation import snapshot_diff as diff  # noqa: F401


def check_comment(comment: str, errors: Errors) -> None:
    if bad_text(comment):
        errors.append(("comment", rules.TEXT_INVALID))
    elif len(comment) > 500:
        errors.append(("comment", rules.COMMENT_TOO_LONG))
