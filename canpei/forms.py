"""What every app's pages share about forms (below web/, so accounts/ and web/ both use it)."""

from __future__ import annotations

from django import forms

from canpei.errors import ServiceError


def add_service_errors(form: forms.Form, exc: ServiceError) -> None:
    """Show a service's refusal on the form: each error at its field, the rest at the top."""
    for field, message in exc.errors:
        form.add_error(field if field in form.fields else None, message)
    if not exc.errors:
        form.add_error(None, exc.message)
