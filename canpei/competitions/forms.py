"""The forms of the competition and typical case pages. They only shape the pages: every rule
is checked by the services (canpei.competitions.services), which name the field of each refusal."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from canpei.codes import AwardGrade, CompetitionLevel
from canpei.competitions.models import CaseChannel, Competition, ConsentMethod, Entry, TypicalCase
from canpei.forms import ServiceDataForm

DATE = {"type": "date"}


def _blank(choices: Any) -> list[tuple[str, str]]:
    return [("", "—")] + list(choices)


class CompetitionForm(ServiceDataForm):
    required_names = {"name", "level", "start_date", "end_date", "events"}

    name = forms.CharField(label=_("竞赛名称"), max_length=100)
    level = forms.ChoiceField(label=_("竞赛级别"), choices=_blank(CompetitionLevel.choices))
    start_date = forms.CharField(label=_("开始日期"), widget=forms.DateInput(attrs=DATE))
    end_date = forms.CharField(label=_("结束日期"), widget=forms.DateInput(attrs=DATE))
    organizer = forms.CharField(label=_("主办单位"), max_length=100)
    events = forms.CharField(label=_("竞赛项目"), widget=forms.Textarea(attrs={"rows": 4}),
                             help_text=_("每行一个项目；已有报名的项目不能删除"))
    note = forms.CharField(label=_("备注"), max_length=200)


def competition_initial(c: Competition) -> dict[str, Any]:
    return {"name": c.name, "level": c.level, "start_date": c.start_date.isoformat(),
            "end_date": c.end_date.isoformat(), "organizer": c.organizer, "note": c.note,
            "events": "\n".join(e.name for e in c.events.all())}


class ResultForm(ServiceDataForm):
    result = forms.CharField(label=_("比赛成绩"), max_length=50,
                             help_text=_("分数或名次，如「92.5 分」「第 3 名」"))
    award = forms.ChoiceField(label=_("获奖等次"), choices=[("", _("未获奖"))]
                              + list(AwardGrade.choices))


def result_initial(entry: Entry) -> dict[str, Any]:
    return {"result": entry.result, "award": entry.award}


class CaseForm(ServiceDataForm):
    required_names = {"title", "text"}

    title = forms.CharField(label=_("标题"), max_length=100)
    text = forms.CharField(label=_("正文"), widget=forms.Textarea(attrs={"rows": 8}))
    person = forms.CharField(label=_("案例人物（人员编号）"), max_length=12,
                             help_text=_("可不填；填写后发布前须登记本人同意"),
                             widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    channel = forms.ChoiceField(label=_("宣传渠道"), choices=_blank(CaseChannel.choices))


def case_initial(case: TypicalCase) -> dict[str, Any]:
    return {"title": case.title, "text": case.text,
            "person": str(case.person_id) if case.person_id else "", "channel": case.channel}


class ConsentForm(ServiceDataForm):
    required_names = {"date", "method", "scope"}
    prefix = "consent"

    date = forms.CharField(label=_("同意日期"), widget=forms.DateInput(attrs=DATE))
    method = forms.ChoiceField(label=_("同意方式"), choices=_blank(ConsentMethod.choices))
    scope = forms.CharField(label=_("同意范围"), max_length=200,
                            help_text=_("同意在哪些渠道、以何种方式使用本人事迹"))


class WithdrawForm(ServiceDataForm):
    required_names = {"date"}
    prefix = "withdraw"

    date = forms.CharField(label=_("撤回日期"), widget=forms.DateInput(attrs=DATE))


class PublishForm(ServiceDataForm):
    required_names = {"date"}
    prefix = "publish"

    date = forms.CharField(label=_("发布日期"), widget=forms.DateInput(attrs=DATE))
    channel = forms.ChoiceField(label=_("宣传渠道"), choices=_blank(CaseChannel.choices),
                                help_text=_("不选则用案例已填的渠道"))
