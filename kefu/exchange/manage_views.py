"""The diagnosis policy in the backoffice (admins only): the service levels a diagnosis quotes
to customers and checks records against.

The page lives with the policy it edits but follows the backoffice's house style and helpers
(its layout, section nav and flash messages), like kefu/trust/manage_views.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from kefu.backoffice.access import api_key_manager_or_404
from kefu.backoffice.views.common import policy_page
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
    return policy_page(
        request,
        me=me,
        section=SECTION,
        policy=selectors.diagnosis_policy_row(),
        form_class=DiagnosisPolicyForm,
        fields=service_levels.FIELDS,
        save=services.diagnosis_policy_save,
        saved_message=_("Diagnosis policy saved."),
        url_name="backoffice:diagnosis_policy:edit",
        template="exchange/manage_policy.html",
    )
