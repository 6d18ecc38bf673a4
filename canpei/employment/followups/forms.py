"""The follow-up record form. It only shapes the page: every rule is the service's
(services.clean_followup_input), which names the field of each refusal."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from canpei.employment.models import FollowUp, FollowUpMethod
from canpei.people.rules import EmploymentForm, NotWorkingReason

BLANK = ("", "—")
YES_NO = [BLANK, ("true", _("是")), ("false", _("否"))]


def _blank(choices: Any) -> list[tuple[str, str]]:
    return [BLANK, *choices]


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("true" if value else "false")


class FollowUpForm(forms.Form):
    date = forms.CharField(label=_("跟踪日期"), widget=forms.DateInput(attrs={"type": "date"}))
    method = forms.ChoiceField(label=_("跟踪方式"), choices=_blank(FollowUpMethod.choices))
    employed = forms.ChoiceField(label=_("已就业"), choices=YES_NO)
    employment_form = forms.ChoiceField(label=_("就业形式"), choices=_blank(EmploymentForm.choices),
                                        help_text=_("已就业时必填"))
    employer = forms.CharField(label=_("就业单位"), max_length=100)
    position = forms.CharField(label=_("岗位"), max_length=50)
    contract_signed = forms.ChoiceField(label=_("签订劳动合同"), choices=YES_NO)
    social_insurance = forms.ChoiceField(label=_("缴纳社会保险"), choices=YES_NO)
    monthly_income = forms.CharField(label=_("月收入（元）"), max_length=20,
                                     widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    business_started = forms.ChoiceField(label=_("已自主创业"), choices=YES_NO)
    not_working_reason = forms.ChoiceField(label=_("未就业原因"),
                                           choices=_blank(NotWorkingReason.choices),
                                           help_text=_("未就业时填写"))
    note = forms.CharField(label=_("备注"), max_length=200,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        required = {"date", "method", "employed"}
        self.required_names = required
        for field in self.fields.values():
            field.required = False
        for name in required:
            self.fields[name].widget.attrs["aria-required"] = "true"

    @staticmethod
    def initial_for(followup: FollowUp, today: Any) -> dict[str, str]:
        if followup.date is None:
            return {"date": today.isoformat()}
        return {
            "date": followup.date.isoformat(), "method": followup.method,
            "employed": _yes_no(followup.employed), "employment_form": followup.employment_form,
            "employer": followup.employer, "position": followup.position,
            "contract_signed": _yes_no(followup.contract_signed),
            "social_insurance": _yes_no(followup.social_insurance),
            "monthly_income": "" if followup.monthly_income is None else str(followup.monthly_income),
            "business_started": _yes_no(followup.business_started),
            "not_working_reason": followup.not_working_reason, "note": followup.note,
        }

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)
