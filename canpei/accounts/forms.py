from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from canpei.accounts.roles import Role
from canpei.institutions.models import Institution
from canpei.regions.models import Region


class LoginForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150,
                               widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}))
    password = forms.CharField(label=_("密码"), max_length=256,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class OtpForm(forms.Form):
    token = forms.CharField(label=_("动态验证码"), max_length=10,
                            help_text=_("身份验证器 App 中显示的 6 位数字"),
                            widget=forms.TextInput(attrs={"autocomplete": "one-time-code",
                                                          "inputmode": "numeric", "autofocus": True}))


def _scope_choices() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    towns = [("", "—")] + [(r.code, r.name) for r in Region.objects.filter(level=Region.Level.TOWN)]
    insts = [("", "—")] + [(str(i.pk), i.name) for i in Institution.objects.order_by("name")]
    return towns, insts


class UserCreateForm(forms.Form):
    """The system officer's form: an account and its initial password, no role (三员分立)."""

    username = forms.CharField(label=_("用户名"), max_length=150)
    full_name = forms.CharField(label=_("姓名"), max_length=150, required=False)
    password = forms.CharField(label=_("初始密码"), max_length=256,
                               help_text=_("用户首次登录时须修改。角色与范围由安全管理员分配。"),
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label=_("原密码"), max_length=256, strip=False,
                                   widget=forms.PasswordInput(attrs={"autocomplete": "current-password",
                                                                     "autofocus": True}))
    new_password1 = forms.CharField(label=_("新密码"), max_length=256, strip=False,
                                    widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    new_password2 = forms.CharField(label=_("再次输入新密码"), max_length=256, strip=False,
                                    widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)
    town = forms.ChoiceField(label=_("所属镇街"), required=False)
    institution = forms.ChoiceField(label=_("所属机构"), required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        towns, institutions = _scope_choices()
        cast(forms.ChoiceField, self.fields["town"]).choices = towns
        cast(forms.ChoiceField, self.fields["institution"]).choices = institutions
