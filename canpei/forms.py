"""What every app's pages share about forms (below web/, so accounts/ and web/ both use it)."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext, gettext_lazy as _

from canpei.errors import ServiceError

CONFIRM_REQUIRED = _("请勾选确认后再%(action)s")


class ServiceDataForm(forms.Form):
    """A page's form whose every field is optional to Django: the service checks the input and
    names each field it refuses. `required_names` are the fields shown (and announced, with
    aria-required) as required; `service_data` is what the form passes to the service."""

    required_names: ClassVar[set[str]] = set()

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.required = False
            if name in self.required_names:
                field.widget.attrs["aria-required"] = "true"

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


def add_service_errors(form: forms.Form, exc: ServiceError) -> None:
    """Show a service's refusal on the form: each error at its field, the rest at the top."""
    for field, message in exc.errors:
        form.add_error(field if field in form.fields else None, message)
    if not exc.errors:
        form.add_error(None, exc.message)


def step_form_setup(form: forms.Form, *, label: Any, comment_required: bool, confirm: bool,
                    comment_message: str = "") -> None:
    """What every lifecycle step's form shows: its comment named for the step (「退回原因」,
    「批准说明」) and, when the step needs one, asked for at once with the workflow's own message
    (`comment_message`); for a step that undoes work or ends the record, a box to tick first.
    So a step posted bare is told everything it lacks in one answer."""
    comment = form.fields.get("comment")
    if comment is not None:
        comment.label = (gettext("%(action)s原因") if comment_required
                         else gettext("%(action)s说明")) % {"action": label}
        if comment_required and comment_message:
            comment.required = True
            comment.error_messages["required"] = comment_message
    form.confirm = confirm  # type: ignore[attr-defined]
    if confirm:
        form.fields["confirm"] = forms.BooleanField(
            label=gettext("确认%(action)s") % {"action": label}, required=True,
            error_messages={"required": CONFIRM_REQUIRED % {"action": label}})
