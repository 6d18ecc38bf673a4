from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from canpei.codes import ACCESSIBILITY_NEEDS, TrainingMode, TrainingType
from canpei.people import rules
from canpei.people.models import Skill


class SurveyForm(forms.Form):
    """Only shapes the page; the survey services check every rule."""

    year = forms.IntegerField(label=_("调查年度"), required=False)
    surveyed_on = forms.CharField(label=_("调查日期"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    employment_form = forms.ChoiceField(label=_("就业形式"), required=False,
                                        choices=[("", _("未就业"))] + list(rules.EmploymentForm.choices))
    not_working_reason = forms.ChoiceField(label=_("未就业原因"), required=False,
                                           choices=[("", "—")] + list(rules.NotWorkingReason.choices))
    employer = forms.CharField(label=_("就业单位"), max_length=100, required=False)
    wants_work = forms.BooleanField(label=_("有就业意愿"), required=False)
    new_entrant = forms.BooleanField(label=_("新成长劳动力"), required=False)
    registered_unemployed = forms.BooleanField(label=_("城镇登记失业"), required=False)
    entrepreneurship_intention = forms.BooleanField(label=_("有创业意愿"), required=False)
    training_need = forms.BooleanField(label=_("有培训需求"), required=False)
    wanted_types = forms.MultipleChoiceField(label=_("需求培训类型"), required=False,
                                             choices=TrainingType.choices,
                                             widget=forms.CheckboxSelectMultiple)
    wanted_skills = forms.MultipleChoiceField(label=_("需求技能"), required=False,
                                              widget=forms.CheckboxSelectMultiple)
    preferred_mode = forms.ChoiceField(label=_("期望培训方式"), required=False,
                                       choices=[("", "—")] + list(TrainingMode.choices))
    accessibility_needs = forms.MultipleChoiceField(label=_("无障碍需求"), required=False,
                                                    choices=[(code, _(label)) for code, label
                                                             in ACCESSIBILITY_NEEDS.items()],
                                                    widget=forms.CheckboxSelectMultiple)
    surveyor = forms.CharField(label=_("调查人"), max_length=30, required=False)

    required_names = {"surveyed_on"}

    def __init__(self, *args: Any, kept_skills: Iterable[Skill] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["wanted_skills"]
        assert isinstance(field, forms.MultipleChoiceField)
        choices = [(s.code, s.name) for s in Skill.objects.filter(active=True)]
        # Skills the survey already holds stay choosable after they were retired.
        offered = {code for code, _name in choices}
        choices += [(s.code, _("%(name)s（已停用）") % {"name": s.name}) for s in kept_skills
                    if s.code not in offered]
        field.choices = choices


class SkillForm(forms.Form):
    code = forms.CharField(label=_("代码"), max_length=40, required=False,
                           help_text=_("新增时可不填，按名称的拼音生成；修改已有技能时填写其代码"))
    name = forms.CharField(label=_("名称"), max_length=50)
    active = forms.BooleanField(label=_("启用"), required=False, initial=True)


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("导入内容"), choices=[("persons", _("人员名册")),
                                                                   ("surveys", _("需求调查"))])
    file = forms.FileField(label=_("文件（.xlsx 或 .csv）"))
    dry_run = forms.BooleanField(label=_("只校验，不写入（试导入）"), required=False)
