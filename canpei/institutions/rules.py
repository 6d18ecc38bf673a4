"""Rules of training institutions: the unified social credit code (统一社会信用代码,
GB 32100-2015), the code tables of the record, and the designation lifecycle as one table.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

from django.utils.translation import gettext

from canpei.accounts.roles import Role
from canpei.errors import Message as _
from canpei.institutions.models import DesignationState
# The lifecycle table below names its actions and states shortly.
from canpei.institutions.models import DesignationAction as Action, DesignationState as S
from canpei.workflows import Step, Workflow
from canpei.validation import (  # noqa: F401
    BOOLEAN_INVALID, PHONE_INVALID, TEXT_INVALID, UNKNOWN_FIELD,
)

# The code's alphabet: digits and upper-case letters without I, O, Z, S, V.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

CREDIT_CODE_FORMAT = _("统一社会信用代码须为 18 位数字或大写字母（不含 I、O、Z、S、V）")
CREDIT_CODE_CHECKSUM = _("统一社会信用代码校验位不正确")


def normalize_credit_code(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw or "").strip().upper()


def credit_code_check_char(first17: str) -> str:
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def credit_code_error(code: str) -> str | None:
    if len(code) != 18 or any(c not in ALPHABET for c in code):
        return CREDIT_CODE_FORMAT
    if credit_code_check_char(code[:17]) != code[17]:
        return CREDIT_CODE_CHECKSUM
    return None


# Premises accessibility (场所无障碍设施): stable slugs in the API, labels in the UI.
# The labels are msgids, translated where shown (the form, the page, ACCESSIBILITY_INVALID); the
# ledger keeps the Chinese.
PREMISES_ACCESSIBILITY = {  # zh-msgid
    "step_free": "无障碍通道",
    "accessible_toilet": "无障碍卫生间",
    "lift": "电梯",
    "braille_signage": "盲文标识",
    "hearing_loop": "助听设施",
}

# Messages (shown to users; tests assert against these constants).
NAME_REQUIRED = _("请填写机构名称")
NAME_TOO_LONG = _("机构名称不能超过 100 字")
CREDIT_CODE_REQUIRED = _("请填写统一社会信用代码")
CREDIT_CODE_DUPLICATE = _("该统一社会信用代码已登记")
TYPE_INVALID = _("机构类型不在可选范围内")
TOWN_REQUIRED = _("请选择所在镇街")
TOWN_INVALID = _("所在镇街不存在")
ADDRESS_TOO_LONG = _("地址不能超过 200 字")
LICENSE_TOO_LONG = _("办学许可证号不能超过 50 个字符")
SPECIALTIES_TOO_LONG = _("培训专业不能超过 1000 字")


class _PremisesChoices(str):
    """The choices ACCESSIBILITY_INVALID lists, "slug（label）、…": the Chinese as text, the
    labels translated when shown (see canpei.errors.Message)."""

    def __new__(cls) -> _PremisesChoices:
        return super().__new__(cls, "、".join(
            f"{slug}（{label}）" for slug, label in PREMISES_ACCESSIBILITY.items()))

    def __str__(self) -> str:
        return gettext("、").join(
            gettext("%(code)s（%(label)s）") % {"code": slug, "label": gettext(label)}
            for slug, label in PREMISES_ACCESSIBILITY.items())

    def __reduce__(self) -> tuple[Any, ...]:
        return (_PremisesChoices, ())


ACCESSIBILITY_INVALID = _("无障碍设施须从以下选择：{choices}", choices=_PremisesChoices())
CONTACT_TOO_LONG = _("联系人不能超过 30 字")
DESIGNATION_FIELD = _("状态与定点有效期只能通过定点流程（designate、promote 等）变更")
CITY_ONLY_FIELD = _("统一社会信用代码、机构类型和所在镇街由市残联维护")
TEACHER_NAME_REQUIRED = _("请填写教师姓名")
TEACHER_NAME_TOO_LONG = _("教师姓名不能超过 30 字")
TEACHER_SPECIALTY_TOO_LONG = _("专业不能超过 50 字")
TEACHER_QUALIFICATION_TOO_LONG = _("资格不能超过 100 字")

DATES_REQUIRED = _("定点认定须填写有效期起止日期")
DATES_ORDER = _("定点起始日期不能晚于截止日期")
DATES_EXPIRED = _("定点截止日期不能早于今天")
DATES_ONLY_FOR_DESIGNATE = _("只有定点认定填写有效期")
COMMENT_REQUIRED = _("暂停或撤销须填写原因")
REINSTATE_EXPIRED = _("定点有效期已于 {date} 届满，不能恢复；请重新定点认定")
PROMOTE_NOT_VALID = _("定点有效期不在今天之内，不能评为示范点")


CITY = frozenset({Role.CITY_ADMIN})
NOT_FINAL = frozenset({S.APPLIED, S.DESIGNATED, S.DEMONSTRATION, S.SUSPENDED})

# The designation lifecycle, the one place that says which step leads where; the city decides.
#
# `designate` both designates an applicant and renews a designation (new validity dates): a
# demonstration site keeps its rank when renewed, and a suspended institution whose validity ran
# out comes back only this way, as a fresh decision with new dates (`reinstate` restores an
# unexpired one). `reinstate` always returns to designated: the demonstration rank is re-awarded
# by `promote`, not restored. Revoked is final; an institution revoked applies anew. Suspending
# and revoking must say why.
DESIGNATION_WORKFLOW = Workflow(
    noun=_("机构"), actions=Action, states=DesignationState,
    comment_required_message=COMMENT_REQUIRED, steps={
        Action.DESIGNATE: Step(NOT_FINAL, S.DESIGNATED, CITY, keep=frozenset({S.DEMONSTRATION})),
        Action.PROMOTE: Step(frozenset({S.DESIGNATED}), S.DEMONSTRATION, CITY),
        Action.SUSPEND: Step(frozenset({S.DESIGNATED, S.DEMONSTRATION}), S.SUSPENDED, CITY,
                             comment_required=True, confirm=True),
        Action.REINSTATE: Step(frozenset({S.SUSPENDED}), S.DESIGNATED, CITY),
        Action.REVOKE: Step(NOT_FINAL, S.REVOKED, CITY, comment_required=True, confirm=True),
    })
TRANSITIONS = DESIGNATION_WORKFLOW.steps
COMMENT_REQUIRED_FOR = frozenset(action for action, step in TRANSITIONS.items()
                                 if step.comment_required)
# Derived from the table: "操作须为 designate、… 或 revoke", 「机构当前状态为…」.
ACTION_INVALID = DESIGNATION_WORKFLOW.action_invalid
TRANSITION_NOT_ALLOWED = DESIGNATION_WORKFLOW.transition_not_allowed

# States in which an institution may run subsidised classes (while its validity lasts).
ACTIVE_STATES = frozenset({S.DESIGNATED, S.DEMONSTRATION})


actions_from = DESIGNATION_WORKFLOW.actions_from
transition_target = DESIGNATION_WORKFLOW.target
transition_refusal = DESIGNATION_WORKFLOW.state_refusal


def date_refusal(institution: Any, action: str, today: dt.date) -> str | None:
    """Why the validity dates forbid `action` today, if they do: only an unexpired designation
    is reinstated, only a valid one promoted."""
    if action == Action.REINSTATE and not (
            institution.designated_to is not None and institution.designated_to >= today):
        return REINSTATE_EXPIRED.format(
            date=institution.designated_to.isoformat() if institution.designated_to else "—")
    if action == Action.PROMOTE and not designation_valid_on(institution, today):
        return PROMOTE_NOT_VALID
    return None


def actions_available(institution: Any, today: dt.date) -> list[str]:
    """The actions worth offering on the institution's page today: those the table allows, less
    those whose date condition already fails (the service checks both again)."""
    return [action for action in actions_from(institution.state)
            if date_refusal(institution, action, today) is None]


def designation_valid_on(institution: Any, on: dt.date) -> bool:
    """Designated (or a demonstration site) and `on` within the validity dates, both inclusive.

    Only such an institution may open a subsidised class on those dates (PRODUCT.md).
    """
    start, end = institution.designated_from, institution.designated_to
    return (institution.state in ACTIVE_STATES and start is not None and end is not None
            and start <= on <= end)


def designation_dates_errors(start: dt.date | None, end: dt.date | None,
                             today: dt.date) -> list[tuple[str, str]]:
    if start is None or end is None:
        return [(field, DATES_REQUIRED) for field, value in
                (("designated_from", start), ("designated_to", end)) if value is None]
    if start > end:
        return [("designated_to", DATES_ORDER)]
    if end < today:
        return [("designated_to", DATES_EXPIRED)]
    return []
