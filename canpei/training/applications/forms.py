"""Forms of the application and staff-training pages. They only shape the page: every rule is
checked by the services (canpei.training.applications.services), which name the field of each
refusal."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import Q
from django.utils.translation import gettext, gettext_lazy as _

from canpei.accounts.models import User
from canpei.accounts.roles import Role
from canpei.codes import TrainingLevel, TrainingType
from canpei.institutions.models import Institution
from canpei.regions.models import Region
from canpei.forms import step_form_setup
from canpei.training import rules
from canpei.training.models import ApplicationKind, CertificateType, StaffPosition
from canpei.training.rules import ApplicationAction

DATE = {"type": "date"}


def _blank(choices: Any) -> list[tuple[str, str]]:
    return [("", "—")] + list(choices)


def _mark_required(form: forms.Form, names: set[str]) -> None:
    form.required_names = names  # type: ignore[attr-defined]
    for field in form.fields.values():
        field.required = False
    for name in names:
        form.fields[name].widget.attrs["aria-required"] = "true"


class ApplicationForm(forms.Form):
    kind = forms.ChoiceField(label=_("申请类型"), choices=_blank(ApplicationKind.choices))
    institution = forms.ChoiceField(label=_("培训/鉴定机构"),
                                    help_text=_("本市登记的机构；不在列表中的请填写下方机构名称"))
    institution_name = forms.CharField(label=_("机构名称"), max_length=100)
    training_type = forms.ChoiceField(label=_("培训类型"), choices=_blank(TrainingType.choices))
    occupation = forms.CharField(label=_("职业（工种）/技能"), max_length=50)
    level = forms.ChoiceField(label=_("等级"), choices=_blank(TrainingLevel.choices))
    planned_start = forms.CharField(label=_("计划开始日期"), widget=forms.DateInput(attrs=DATE))
    planned_end = forms.CharField(label=_("计划结束日期"), widget=forms.DateInput(attrs=DATE))
    amount_requested = forms.CharField(label=_("申请金额（元）"), max_length=20,
                                       widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    reason = forms.CharField(label=_("申请理由"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # Suspended and revoked institutions are not offered, unless the application already
        # names one (its edit page keeps showing it).
        current = str(self.initial.get("institution") or "")
        institutions = (Institution.objects.exclude(
            Q(state__in=rules.INSTITUTION_STATES_REFUSED) & ~Q(pk=int(current) if current.isdigit() else 0))
            .order_by("name").values_list("pk", "name"))
        cast(forms.ChoiceField, self.fields["institution"]).choices = _blank(
            (str(pk), name) for pk, name in institutions)
        _mark_required(self, {"kind", "occupation"})

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class ApplicationTransitionForm(forms.Form):
    """One workflow step; prefixed by its action so each button's form has its own ids."""

    comment = forms.CharField(label=_("说明"), max_length=500)
    amount_approved = forms.CharField(label=_("核定金额（元）"), max_length=20,
                                      widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    certificate_type = forms.ChoiceField(label=_("证书类型"), choices=_blank(CertificateType.choices))
    certificate_level = forms.ChoiceField(label=_("证书等级"), choices=_blank(TrainingLevel.choices))
    certificate_number = forms.CharField(label=_("证书编号"), max_length=50)
    certificate_date = forms.CharField(label=_("发证日期"), widget=forms.DateInput(attrs=DATE))
    certificate_issuer = forms.CharField(label=_("发证机构"), max_length=100)
    amount_reimbursed = forms.CharField(label=_("报销金额（元）"), max_length=20,
                                        widget=forms.TextInput(attrs={"inputmode": "decimal"}))

    STEP_FIELDS: dict[str, tuple[str, ...]] = {
        ApplicationAction.APPROVE: ("comment", "amount_approved"),
        ApplicationAction.REJECT: ("comment",),
        ApplicationAction.COMPLETE: ("comment", "certificate_type", "certificate_level",
                                     "certificate_number", "certificate_date",
                                     "certificate_issuer"),
        ApplicationAction.REIMBURSE: ("comment", "amount_reimbursed"),
    }
    REQUIRED: dict[str, set[str]] = {
        ApplicationAction.APPROVE: set(),
        ApplicationAction.REJECT: {"comment"},
        ApplicationAction.COMPLETE: {"certificate_type", "certificate_number", "certificate_date",
                                     "certificate_issuer"},
        ApplicationAction.REIMBURSE: {"amount_reimbursed"},
    }

    def __init__(self, *args: Any, action: str, **kwargs: Any):
        kwargs["prefix"] = action
        super().__init__(*args, **kwargs)
        self.action = action
        self.label = gettext(ApplicationAction(action).label)
        for name in list(self.fields):
            if name not in self.STEP_FIELDS[action]:
                del self.fields[name]
        step = rules.APPLICATION_TRANSITIONS[action]
        message = rules.APPLICATION_WORKFLOW.comment_required_message.format(action=self.label)
        step_form_setup(self, label=self.label, comment_required=step.comment_required,
                        confirm=step.confirm, comment_message=message)
        _mark_required(self, set(self.REQUIRED[action]))

    def service_data(self) -> dict[str, Any]:
        """The step's fields as typed, without the comment; blanks left out."""
        return {k: v for k, v in self.cleaned_data.items() if k != "comment" and v not in ("", None)}


class StaffTrainingForm(forms.Form):
    town = forms.ChoiceField(label=_("所属镇街"))
    staff_name = forms.CharField(label=_("姓名"), max_length=30)
    position = forms.ChoiceField(label=_("岗位"), choices=_blank(StaffPosition.choices))
    course = forms.CharField(label=_("课程"), max_length=100)
    year = forms.CharField(label=_("年度"), max_length=4,
                           widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    hours = forms.CharField(label=_("学时"), max_length=10,
                            widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    completed = forms.BooleanField(label=_("已完成"))
    completed_on = forms.CharField(label=_("完成日期"), widget=forms.DateInput(attrs=DATE))
    fee_paid = forms.CharField(label=_("已缴费用（元）"), max_length=20,
                               widget=forms.TextInput(attrs={"inputmode": "decimal"}))

    def __init__(self, *args: Any, user: User, **kwargs: Any):
        super().__init__(*args, **kwargs)
        required = {"staff_name", "position", "course", "year", "hours"}
        if user.role == Role.TOWN_STAFF:
            # Their own town, always: not a choice.
            del self.fields["town"]
        else:
            towns = Region.objects.filter(level=Region.Level.TOWN).order_by("code")
            cast(forms.ChoiceField, self.fields["town"]).choices = _blank(
                (t.code, t.name) for t in towns)
            required.add("town")
        _mark_required(self, required)

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)
