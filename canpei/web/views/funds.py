"""Pages of money (资金): the year's ledger at /funds, the payments and their lines, and the
city admin's forms for budgets, standards, donations, contracts and payments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from canpei.accounts.models import User, signed_in_user
from canpei.accounts.roles import Perm, has_perm
from canpei.codes import AwardGrade, FundSource, TrainingLevel, TrainingMode, TrainingType
from canpei.errors import ServiceError
from canpei.forms import ServiceDataForm, add_service_errors
from canpei.funds import selectors, services
from canpei.funds.models import BudgetKind, Purpose, StandardPurpose
from canpei.training.models import ApplicationKind, ClassCycle
from canpei.web.pages import requires

DATE = {"type": "date"}
# The newest payments the page lists; the export has them all.
PAYMENTS_SHOWN = 50
PAYMENT_COLUMNS = ("purpose", "training_class__code", "training_class__name", "application_id",
                   "contract__number", "instalment", "entry_id", "year", "source", "amount",
                   "reverses_id", "is_reversed", "created_at")


def _blank(choices: Any) -> list[tuple[str, str]]:
    return [("", "—"), *choices]


class MoneyForm(ServiceDataForm):
    """A form that only shapes the page: the services check every rule and name the field.
    What the clerk left blank is not passed at all (the services read a missing key as unset)."""

    def service_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if v not in ("", None)}


class BudgetForm(MoneyForm):
    required_names = {"year", "source", "amount"}
    year = forms.CharField(label=_("年度"), max_length=4)
    source = forms.ChoiceField(label=_("资金来源"), choices=_blank(FundSource.choices))
    kind = forms.ChoiceField(label=_("类别"), choices=[c for c in BudgetKind.choices
                                                      if c[0] != BudgetKind.DONATION])
    amount = forms.CharField(label=_("金额（元）"), help_text=_("预算调整可为负数"))
    note = forms.CharField(label=_("说明"), max_length=200, help_text=_("预算调整必填"))


class StandardForm(MoneyForm):
    required_names = {"purpose", "amount", "effective_from"}
    purpose = forms.ChoiceField(label=_("适用对象"), choices=_blank(StandardPurpose.choices))
    training_type = forms.ChoiceField(label=_("培训类型"), choices=_blank(TrainingType.choices))
    level = forms.ChoiceField(label=_("培训等级"), choices=_blank(TrainingLevel.choices),
                              help_text=_("不选表示各等级"))
    mode = forms.ChoiceField(label=_("培训方式"), choices=_blank(TrainingMode.choices),
                             help_text=_("不选表示各方式"))
    cycle = forms.ChoiceField(label=_("培训周期"), choices=_blank(ClassCycle.choices),
                              help_text=_("不选表示各周期"))
    application_kind = forms.ChoiceField(label=_("申请类型"),
                                         choices=_blank(ApplicationKind.choices))
    award_grade = forms.ChoiceField(label=_("奖项等次"), choices=_blank(AwardGrade.choices))
    amount = forms.CharField(label=_("标准（元/人）"))
    effective_from = forms.CharField(label=_("生效日期"), widget=forms.DateInput(attrs=DATE))
    effective_to = forms.CharField(label=_("失效日期"), widget=forms.DateInput(attrs=DATE),
                                   help_text=_("不填表示长期有效"))
    note = forms.CharField(label=_("文件依据"), max_length=200)


class DonationForm(MoneyForm):
    required_names = {"donor", "amount", "date", "receipt_number"}
    donor = forms.CharField(label=_("捐赠人"), max_length=100)
    amount = forms.CharField(label=_("金额（元）"))
    purpose = forms.CharField(label=_("用途"), max_length=200)
    date = forms.CharField(label=_("捐赠日期"), widget=forms.DateInput(attrs=DATE))
    receipt_number = forms.CharField(label=_("收据编号"), max_length=50)


class ContractForm(MoneyForm):
    required_names = {"institution", "number", "amount", "start_date", "end_date"}
    institution = forms.CharField(label=_("承接机构编号"), max_length=12)
    number = forms.CharField(label=_("合同编号"), max_length=50)
    amount = forms.CharField(label=_("合同金额（元）"))
    start_date = forms.CharField(label=_("开始日期"), widget=forms.DateInput(attrs=DATE))
    end_date = forms.CharField(label=_("结束日期"), widget=forms.DateInput(attrs=DATE))
    classes = forms.CharField(label=_("涵盖培训班编号"), help_text=_("培训班记录编号，以逗号分隔"))
    note = forms.CharField(label=_("说明"), max_length=200)


class DisbursementForm(MoneyForm):
    required_names = {"purpose"}
    purpose = forms.ChoiceField(label=_("用途"), choices=_blank(Purpose.choices))
    class_id = forms.CharField(label=_("培训班记录编号"), max_length=12,
                               help_text=_("用途为培训班补贴时填写；金额按补贴标准计算"))
    application = forms.CharField(label=_("个人申请编号"), max_length=12)
    entry = forms.CharField(label=_("获奖参赛记录编号"), max_length=12,
                            help_text=_("用途为竞赛奖励时填写；金额按奖项等次的补贴标准计算"))
    contract = forms.CharField(label=_("合同记录编号"), max_length=12)
    instalment = forms.CharField(label=_("期次"), max_length=2, help_text=_("政府购买服务填写"))
    year = forms.CharField(label=_("预算年度"), max_length=4, help_text=_("不填为拨付对象所属年度"))
    source = forms.ChoiceField(label=_("资金来源"), choices=_blank(FundSource.choices),
                               help_text=_("不填为残疾人就业保障金"))
    amount = forms.CharField(label=_("金额（元）"), help_text=_("没有补贴标准时填写"))
    note = forms.CharField(label=_("说明"), max_length=200)

    def service_data(self) -> dict[str, Any]:
        data = super().service_data()
        if "class_id" in data:
            data["class"] = data.pop("class_id")
        return data


FORMS: dict[str, tuple[type[MoneyForm], Any, Callable[..., Any]]] = {
    "budget": (BudgetForm, _("登记预算"), services.budget_create),
    "standard": (StandardForm, _("新增补贴标准"), services.standard_create),
    "donation": (DonationForm, _("登记捐赠"), services.donation_create),
    "contract": (ContractForm, _("登记政府购买服务合同"), services.contract_create),
    "disbursement": (DisbursementForm, _("拨付资金"), services.disbursement_create),
}


def _year(request: HttpRequest) -> int:
    raw = request.GET.get("year", "")
    if raw.isdigit() and 2000 <= int(raw) <= 2100:
        return int(raw)
    return timezone.localdate().year


@requires(Perm.FUNDS_BROWSE)
def funds_home(request: HttpRequest) -> HttpResponse:
    """The ledger of the year (for the city and the auditor) and the payments in the user's
    scope."""
    user = signed_in_user(request)
    year = _year(request)
    context: dict[str, Any] = {"year": year, "can_edit": has_perm(user, Perm.FUNDS_EDIT),
                               "ledger": None, "forms": FORMS}
    if has_perm(user, Perm.FUNDS_LEDGER):
        context.update(ledger=selectors.fund_ledger(user=user, year=year),
                       years=selectors.ledger_years(),
                       towns=selectors.money_by_town(user=user, year=year),
                       budgets=selectors.budget_list(user=user, year=year),
                       standards=selectors.standard_list(user=user)[:50],
                       donations=selectors.donation_list(user=user, year=year)[:50])
    context["contracts"] = selectors.contract_list(user=user)[:50]
    filters = selectors.DisbursementFilters(year=year)
    # Only what the list shows (Disbursement.target_label: the class's code and name, the
    # contract's number), not the whole rows the selector joins for the API.
    context["payments"] = (selectors.disbursement_list(user=user, filters=filters)
                           .select_related(None).select_related("training_class", "contract")
                           .only(*PAYMENT_COLUMNS)[:PAYMENTS_SHOWN])
    return render(request, "funds/home.html", context)


@requires(Perm.FUNDS_BROWSE)
def disbursement_detail(request: HttpRequest, disbursement_id: int) -> HttpResponse:
    user = signed_in_user(request)
    payment = selectors.disbursement_get(user=user, disbursement_id=disbursement_id)
    return render(request, "funds/disbursement_detail.html", {
        "payment": payment, "lines": selectors.lines_visible_to(user, payment),
        "can_edit": has_perm(user, Perm.FUNDS_EDIT)})


@requires(Perm.FUNDS_EDIT)
@require_http_methods(["GET", "POST"])
def funds_new(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in FORMS:
        raise Http404()
    user = signed_in_user(request)
    form_class, title, create = FORMS[kind]
    form = form_class(request.POST or None)
    return _create(request, form, title, create, user)


def _create(request: HttpRequest, form: MoneyForm, title: Any, create: Callable[..., Any],
            user: User) -> HttpResponse:
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            create(actor=user, data=form.service_data())
        except ServiceError as exc:
            add_service_errors(form, exc)
            status = 409 if exc.status == 409 else 422
        else:
            messages.success(request, _("%(title)s：已保存") % {"title": title})
            return redirect("funds")
    return render(request, "funds/form.html", {"title": title, "form": form}, status=status)


@requires(Perm.FUNDS_EDIT)
@require_http_methods(["POST"])
def disbursement_reverse(request: HttpRequest, disbursement_id: int) -> HttpResponse:
    user = signed_in_user(request)
    selectors.disbursement_get(user=user, disbursement_id=disbursement_id)
    try:
        reversal = services.disbursement_reverse(actor=user, disbursement_id=disbursement_id,
                                                 reason=request.POST.get("reason", ""))
    except ServiceError as exc:
        messages.error(request, "；".join(m for _f, m in exc.errors) or exc.message)
        return redirect("funds-disbursement", disbursement_id=disbursement_id)
    messages.success(request, _("已冲销，冲销单 #%(number)s") % {"number": reversal.pk})
    return redirect("funds-disbursement", disbursement_id=reversal.pk)

