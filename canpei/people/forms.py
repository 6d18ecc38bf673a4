from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from canpei.people import rules
from canpei.regions.models import Region
from canpei.regions.scope import town_codes_writable_by

if TYPE_CHECKING:
    from canpei.accounts.models import User


def _blank(choices: Any, label: Any = "—") -> list[tuple[str, Any]]:
    return [("", label)] + list(choices)


class PersonForm(forms.Form):
    """Only shapes the page; every rule is checked by the person services."""

    name = forms.CharField(label=_("姓名"), max_length=30)
    id_number = forms.CharField(label=_("身份证号"), max_length=40,
                                widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    cert_number = forms.CharField(label=_("残疾证号"), max_length=40, required=False,
                                  help_text=_("身份证号后加残疾类别、等级各 1 位，共 20 位"),
                                  widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    category = forms.ChoiceField(label=_("残疾类别"), choices=_blank(rules.Category.choices))
    grade = forms.ChoiceField(label=_("残疾等级"), choices=_blank(rules.Grade.choices))
    town = forms.ChoiceField(label=_("所属镇街"))
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}))
    education = forms.ChoiceField(label=_("文化程度"), choices=_blank(rules.Education.choices),
                                  required=False)
    hardship = forms.MultipleChoiceField(label=_("困难类型"), required=False,
                                         choices=[(flag, _(label)) for flag, label
                                                  in rules.HARDSHIP_FLAGS.items()],
                                         widget=forms.CheckboxSelectMultiple)
    employment_form = forms.ChoiceField(label=_("就业形式"), required=False,
                                        choices=_blank(rules.EmploymentForm.choices, _("未就业")))
    not_working_reason = forms.ChoiceField(label=_("未就业原因"), required=False,
                                           choices=_blank(rules.NotWorkingReason.choices))
    new_entrant = forms.BooleanField(label=_("新成长劳动力"), required=False)
    registered_unemployed = forms.BooleanField(label=_("城镇登记失业"), required=False)
    entrepreneurship_intention = forms.BooleanField(label=_("有创业意愿"), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any):
        super().__init__(*args, **kwargs)
        towns = Region.objects.filter(level=Region.Level.TOWN).order_by("code")
        allowed = town_codes_writable_by(user)
        if allowed is not None:
            towns = towns.filter(code__in=allowed)
        cast(forms.ChoiceField, self.fields["town"]).choices = _blank((t.code, t.name) for t in towns)
        # Field-level validation is the service's; the form only keeps what was typed.
        for field in self.fields.values():
            field.required = False
        self.required_names = {"name", "id_number", "category", "grade", "town"}
        for name in self.required_names:
            self.fields[name].widget.attrs["aria-required"] = "true"

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), choices=rules.PersonStatus.choices)
    comment = forms.CharField(label=_("说明"), max_length=200)


class LookupForm(forms.Form):
    id_number = forms.CharField(label=_("身份证号"), max_length=40,
                                widget=forms.TextInput(attrs={"autocomplete": "off"}))
