"""The diagnosis policy in the backoffice (admins only): the service levels a diagnosis quotes
to customers and checks records against.

The page lives with the policy it edits but follows the backoffice's house style and helpers
(its layout, section nav and flash messages), like kefu/trust/manage_views.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from kefu.backoffice.access import actor_for, api_key_manager_or_404
from kefu.backoffice.views.common import bind_form, page_context
from kefu.core.errors import KefuError
from kefu.core.forms import add_service_error
from kefu.exchange import selectors, service_levels, services

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise

SECTION = "diagnosis_policy"


def _field(name: str, label: _StrOrPromise, help_text: _StrOrPromise) -> forms.IntegerField:
    low, high = service_levels.BOUNDS[name]
    return forms.IntegerField(label=label, help_text=help_text, min_value=low, max_value=high)


class DiagnosisPolicyForm(forms.Form):
    review_hours = _field(
        "review_hours",
        gettext_lazy("Review time (hours)"),
        gettext_lazy(
            "Customers are told a withdrawal or deposit review usually takes at most this long; "
            "a withdrawal under review for longer is flagged to the agent."
        ),
    )
    processing_minutes = _field(
        "processing_minutes",
        gettext_lazy("Sending time (minutes)"),
        gettext_lazy("How soon an approved withdrawal is usually sent to the network."),
    )
    whitelist_lock_hours = _field(
        "whitelist_lock_hours",
        gettext_lazy("New whitelist address lock (hours)"),
        gettext_lazy(
            "How long a newly whitelisted withdrawal address waits before it can be used."
        ),
    )
    recovery_days = _field(
        "recovery_days",
        gettext_lazy("Deposit recovery time (working days)"),
        gettext_lazy("How long a wrong-network deposit recovery usually takes."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request: HttpRequest) -> HttpResponse:
    me = api_key_manager_or_404(request)
    policy = selectors.diagnosis_policy_row()
    initial: dict[str, Any] = {name: getattr(policy, name) for name in service_levels.FIELDS}
    form = bind_form(request, DiagnosisPolicyForm, initial)
    if form.is_bound and form.is_valid():
        try:
            services.diagnosis_policy_save(
                **{name: form.cleaned_data[name] for name in service_levels.FIELDS},
                actor=actor_for(request, me),
            )
        except KefuError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Diagnosis policy saved."))
            return redirect("backoffice:diagnosis_policy:edit")
    return render(
        request,
        "exchange/manage_policy.html",
        page_context(me, SECTION, form=form, policy=policy),
    )
