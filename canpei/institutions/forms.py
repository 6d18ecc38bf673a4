from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext, gettext_lazy as _

from canpei.accounts.models import User
from canpei.accounts.roles import Role
from canpei.forms import step_form_setup
from canpei.institutions import rules
from canpei.institutions.models import InstitutionType
from canpei.institutions.services import CITY_ONLY_FIELDS
from canpei.regions.models import Region


def _blank(choices: Any, label: str = "—") -> list[tuple[str, str]]:
    return [("", label)] + list(choices)


class InstitutionForm(forms.Form):
    """Only shapes the page; every rule is checked by the institution services."""

    name = forms.CharField(label=_("机构名称"), max_length=100)
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=40,
                                  help_text=_("18 位，GB 32100"),
                                  widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    type = forms.ChoiceField(label=_("机构类型"), choices=_blank(InstitutionType.choices))
    town = forms.ChoiceField(label=_("所在镇街"))
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    license_number = forms.CharField(label=_("办学许可证号"), max_length=50, required=False)
    specialties = forms.CharField(label=_("培训专业"), max_length=1000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    accessibility = forms.MultipleChoiceField(label=_("场所无障碍设施"), required=False,
                                              choices=[(slug, _(label)) for slug, label
                                                       in rules.PREMISES_ACCESSIBILITY.items()],
                                              widget=forms.CheckboxSelectMultiple)
    contact_person = forms.CharField(label=_("联系人"), max_length=30, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}))

    def __init__(self, *args: Any, user: User, editing: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        towns = Region.objects.filter(level=Region.Level.TOWN).order_by("code")
        cast(forms.ChoiceField, self.fields["town"]).choices = _blank((t.code, t.name) for t in towns)
        # Field-level validation is the service's; the form only keeps what was typed.
        for field in self.fields.values():
            field.required = False
        self.required_names = {"name", "credit_code", "type", "town"}
        for name in self.required_names:
            self.fields[name].widget.attrs["aria-required"] = "true"
        if editing and user.role == Role.INSTITUTION_STAFF:
            # Shown, not editable: a disabled field keeps its initial value and never changes.
            for name in CITY_ONLY_FIELDS:
                self.fields[name].disabled = True
                self.fields[name].help_text = rules.CITY_ONLY_FIELD
            self.required_names -= set(CITY_ONLY_FIELDS)

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class TeacherForm(forms.Form):
    name = forms.CharField(label=_("教师姓名"), max_length=30, required=False)
    specialty = forms.CharField(label=_("专业"), max_length=50, required=False)
    qualification = forms.CharField(label=_("资格"), max_length=100, required=False,
                                    help_text=_("如：高级保健按摩师、中级电子商务师"))

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("prefix", "teacher")
        super().__init__(*args, **kwargs)
        self.required_names = {"name"}
        self.fields["name"].widget.attrs["aria-required"] = "true"


class TransitionForm(forms.Form):
    """One designation step; prefixed by its action so each button's form has its own ids."""

    comment = forms.CharField(label=_("说明"), max_length=500, required=False)
    designated_from = forms.DateField(label=_("定点起始"), required=False,
                                      widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    designated_to = forms.DateField(label=_("定点截止"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args: Any, action: str, **kwargs: Any):
        kwargs["prefix"] = action
        super().__init__(*args, **kwargs)
        self.action = action
        self.label = gettext(rules.Action(action).label)
        self.required_names: set[str] = set()
        if action != rules.Action.DESIGNATE:
            del self.fields["designated_from"]
            del self.fields["designated_to"]
        else:
            self.required_names |= {"designated_from", "designated_to"}
        if action in rules.COMMENT_REQUIRED_FOR:
            self.required_names.add("comment")
        step = rules.TRANSITIONS[action]
        message = rules.DESIGNATION_WORKFLOW.comment_required_message.format(action=self.label)
        step_form_setup(self, label=self.label, comment_required=step.comment_required,
                        confirm=step.confirm, comment_message=message)
        for name in self.required_names:
            self.fields[name].widget.attrs["aria-required"] = "true"
