"""The plan form of /plans. It only shapes the page: the rules are checked by
canpei.reports.plans, which names the field of each refusal."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

DATE = {"type": "date"}


class PlanForm(forms.Form):
    name = forms.CharField(label=_("计划名称"), max_length=100)
    period_start = forms.CharField(label=pgettext_lazy("计划", "开始日期"), widget=forms.DateInput(attrs=DATE))
    period_end = forms.CharField(label=pgettext_lazy("计划", "结束日期"), widget=forms.DateInput(attrs=DATE))
    document = forms.CharField(label=_("文号"), max_length=50)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        required = {"name", "period_start", "period_end"}
        self.required_names = required
        for name, field in self.fields.items():
            field.required = False
            if name in required:
                field.widget.attrs["aria-required"] = "true"

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)
