"""The alert desk's step forms: confirm (a note) or dismiss (the reason, required)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext, gettext_lazy as _

from canpei.forms import step_form_setup
from canpei.supervision.workflow import ALERT_WORKFLOW


class AlertStepForm(forms.Form):
    """One desk step, prefixed by its action so each button's form has its own ids."""

    comment = forms.CharField(label=_("说明"), max_length=500, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, action: str, **kwargs: Any):
        kwargs["prefix"] = action
        super().__init__(*args, **kwargs)
        self.action = action
        self.label = gettext(ALERT_WORKFLOW.label(action))
        step = ALERT_WORKFLOW.steps[action]
        self.required_names: set[str] = {"comment"} if step.comment_required else set()
        step_form_setup(self, label=self.label, comment_required=step.comment_required,
                        confirm=step.confirm,
                        comment_message=ALERT_WORKFLOW.comment_required_message.format(
                            action=self.label))
        for name in self.required_names:
            self.fields[name].widget.attrs["aria-required"] = "true"
