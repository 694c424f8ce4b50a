"""Bridge typed service errors into Django forms so views re-render with field errors."""

from __future__ import annotations

from django import forms

from kefu.core.errors import KefuError


def add_service_error(form: forms.Form, error: KefuError) -> None:
    """Attach a service error to the matching form fields (or to the form as a whole)."""
    placed = False
    for field, messages in error.fields.items():
        for message in messages:
            if field in form.fields:
                form.add_error(field, message)
                placed = True
    if not placed:
        form.add_error(None, error.message)
