"""The rules of money and their messages (tests assert these literally)."""

from __future__ import annotations

from decimal import Decimal

from canpei.errors import Message as _
from canpei.errors import lazy_format as format_lazy
# The shared messages, re-exported: the tests and the funds services assert rules.X.
from canpei.validation import (  # noqa: F401
    DATE_REQUIRED, END_BEFORE_START, END_REQUIRED, START_REQUIRED,
    MONEY_REQUIRED as AMOUNT_REQUIRED,
)


# A class's and an application's payment comes from the employment security fund unless the
# clerk names another source (PRODUCT.md: it pays institutions for audited classes).
DEFAULT_SOURCE = "security_fund"

# The largest amount of one budget entry, donation, contract or payment: more is a typing error.
AMOUNT_MAX = Decimal("1000000000")
STANDARD_MAX = Decimal("100000")
YEAR_MIN, YEAR_MAX = 2000, 2100

# The fields' labels: a field declared with its label is refused in its words (「请填写捐赠人」,
# 「收据编号不能超过 50 个字符」, canpei.validation).
SOURCE = _("资金来源")
NOTE = _("说明")
DONOR = _("捐赠人")
DONATION_PURPOSE = _("用途")
RECEIPT = _("收据编号")
INSTITUTION = _("承接机构")
CONTRACT_NUMBER = _("合同编号")
REASON = _("冲销原因")

NO_EDIT = _("只有市残联业务管理员可以登记资金")
NO_BROWSE = _("当前角色不能查看资金")
NO_LEDGER = _("当前角色不能查看资金台账")

YEAR_INVALID = format_lazy(_("年度须为 {low} 至 {high} 之间的整数"), low=YEAR_MIN, high=YEAR_MAX)

AMOUNT_INVALID = _("金额须为 0.01 至 {high} 元，最多两位小数")
ADJUSTMENT_INVALID = _("调整金额须为非零金额（可为负数），绝对值不超过 {high} 元，最多两位小数")
NOTE_REQUIRED = _("预算调整须写明说明（文件依据或原因）")
KIND_INVALID = _("类别须为 initial（年初预算）或 adjustment（预算调整）")
BUDGET_BELOW_PAID = (_("调整后 {year} 年{source}预算为 {after} 元，低于已拨付的 {paid} 元"))

PURPOSE_INVALID = _("适用对象须为 class、application 或 award")
TYPE_REQUIRED = _("培训班标准须选择培训类型")
KIND_REQUIRED = _("个人申请标准须选择申请类型")
GRADE_REQUIRED = _("竞赛奖励标准须选择奖项等次")
FIELD_NOT_FOR_PURPOSE = _("{purpose}标准不填此项")
CHOICE_INVALID = _("取值不在可选范围内")
FROM_REQUIRED = _("请填写生效日期")
TO_BEFORE_FROM = _("失效日期不能早于生效日期")
STANDARD_OVERLAP = _("与已有标准 #{id}（{start} 至 {end}）的有效期重叠")
OPEN_END = _("长期")

DATE_FUTURE = _("日期不能晚于今天")
RECEIPT_TAKEN = _("收据编号 {number} 已登记")

INSTITUTION_NOT_FOUND = _("承接机构不存在")
NUMBER_TAKEN = _("合同编号 {number} 已登记")
CLASSES_INVALID = _("涵盖培训班须为培训班编号的列表")
CLASS_NOT_OF_INSTITUTION = _("培训班 {code} 不属于承接机构")

DISBURSEMENT_PURPOSE_INVALID = _("用途须为 class、application、award 或 contract")
TARGET_REQUIRED = _("请选择要拨付的{what}")
TARGET_NOT_FOR_PURPOSE = _("用途为{purpose}时不填此项")
CLASS_NOT_FOUND = _("培训班不存在")
APPLICATION_NOT_FOUND = _("个人申请不存在")
CONTRACT_NOT_FOUND = _("合同不存在")
ENTRY_NOT_FOUND = _("参赛记录不存在")
ENTRY_NOT_AWARDED = _("参赛记录 #{id} 尚未登记获奖等次，不能拨付竞赛奖励")
CLASS_NOT_AUDITED = _("培训班 {code} 尚未通过结业审核（当前状态：{state}），不能拨付")
APPLICATION_NOT_COMPLETED = _("个人申请 #{id} 尚未批准并完成（当前状态：{state}），不能拨付")
NO_STANDARD = _("没有适用于{what}（{key}，{date}）的补贴标准，请先新增补贴标准")
NO_COMPLETED = _("培训班 {code} 没有结业学员，无可拨付金额")
TRAINEES_INVALID = _("学员须为人员编号的列表")
TRAINEE_WITHDRAWN = _("学员 {person} 已退学，不能拨付")
TRAINEE_NOT_COMPLETED = _("学员 {person} 未结业，不能拨付")
TRAINEE_NOT_ON_ROSTER = _("人员 #{id} 不在培训班 {code} 的花名册上")
AMOUNT_COMPUTED = _("已有补贴标准，金额按标准计算，不能填写")
OTHER_YEAR = _("{what}属于 {own} 年，不能使用 {year} 年的预算")
CONTRACT_YEAR = _("合同 {number} 的期限为 {start} 至 {end}，不能使用 {year} 年的预算")
INSTALMENT_INVALID = _("期次须为 1 至 99 的整数")
CONTRACT_EXCEEDED = _("合同 {number} 金额 {amount} 元，已拨付 {paid} 元，本次 {this} 元将超出合同金额")
ALREADY_PAID = _("{what}已拨付（拨付单 #{id}），不能重复拨付")
NO_BUDGET = _("{year} 年{source}没有预算，不能拨付 {amount} 元")
OVER_BUDGET = _("超出预算：{year} 年{source}预算 {budget} 元，已拨付 {paid} 元，剩余 {left} 元，本次拨付 {amount} 元")
REASON_REQUIRED = _("冲销须写明原因")
ALREADY_REVERSED = _("拨付单 #{id} 已冲销")
REVERSAL_NOT_REVERSIBLE = _("冲销记录不能再冲销")
IDEMPOTENCY_KEY_INVALID = _("Idempotency-Key 须为 1 至 200 个可见字符")
IDEMPOTENCY_KEY_REUSED = _("此 Idempotency-Key 已用于另一个请求")
