"""What the training services share: the validation toolkit's parsers under the names they
import, the institution and occupation checks, and the saving of an edit with its audit entry."""

from __future__ import annotations

from canpei.accounts.models import User
from canpei.audit.edits import edit_save  # noqa: F401  (re-exported for the training services)
from canpei.institutions.models import Institution
from canpei.institutions.selectors import institutions_visible_to
from canpei.training import rules
from canpei.validation import (  # noqa: F401  (re-exported for the training services)
    Errors, bad_text, one_line, parse_bool, parse_date, parse_decimal, parse_int, text,
)
from canpei.validation import Fields
from canpei.validation import snapshot_diff as diff  # noqa: F401


def institution_by_id(actor: User, given: str) -> Institution | None:
    """The institution of that id as far as the actor may see it; None for any other text (an id
    too long for the column is not looked up)."""
    if not given.isdigit() or len(given) >= 10:
        return None
    return institutions_visible_to(actor).filter(pk=int(given)).first()


def check_occupation(fields: Fields) -> str | None:
    """The occupation (职业（工种）/技能) a class or an application trains for: one line, required."""
    return fields.text("occupation", max_length=50, too_long=rules.OCCUPATION_TOO_LONG,
                       required=rules.OCCUPATION_REQUIRED, single_line=True)
