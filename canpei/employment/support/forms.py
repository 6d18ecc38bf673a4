"""The employment service form. It only shapes the page: every rule is checked by the services
(canpei.employment.support.services), which name the field of each refusal."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from canpei.employment.models import EmploymentService, ReferralResult, ServiceKind
from canpei.forms import ServiceDataForm

DATE = {"type": "date"}


def _blank(choices: Any) -> list[tuple[str, str]]:
    return [("", "—")] + list(choices)


class ServiceForm(ServiceDataForm):
    required_names = {"kind", "date"}

    kind = forms.ChoiceField(label=_("服务类别"), choices=_blank(ServiceKind.choices))
    date = forms.CharField(label=_("服务日期"), widget=forms.DateInput(attrs=DATE))
    content = forms.CharField(label=_("服务内容"), max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 3}))
    employer = forms.CharField(label=_("推荐单位"), max_length=100,
                               help_text=_("仅职业介绍填写，且必填"))
    position = forms.CharField(label=_("推荐岗位"), max_length=50,
                               help_text=_("仅职业介绍填写，且必填"))
    result = forms.ChoiceField(label=_("推荐结果"), choices=_blank(ReferralResult.choices),
                               help_text=_("仅职业介绍填写，且必填"))
    provider = forms.CharField(label=_("服务人员"), max_length=30)


def service_initial(service: EmploymentService) -> dict[str, Any]:
    return {"kind": service.kind, "date": service.date.isoformat(), "content": service.content,
            "employer": service.employer, "position": service.position, "result": service.result,
            "provider": service.provider}
