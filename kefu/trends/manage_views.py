"""The trend policy in the backoffice (supervisors and admins): spike thresholds and the
public wait figure. Writes go through ``services.trend_policy_save``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kefu.backoffice.access import actor_for, manager_or_404
from kefu.backoffice.views.common import bind_form, page_context
from kefu.core.errors import KefuError
from kefu.core.forms import add_service_error
from kefu.trends import services
from kefu.trends.forms import TrendPolicyForm
from kefu.trends.models import TrendPolicy

SECTION = "trend_policy"


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request: HttpRequest) -> HttpResponse:
    me = manager_or_404(request)
    policy = TrendPolicy.current()
    initial = {name: getattr(policy, name) for name in TrendPolicyForm.FIELDS}
    form = bind_form(request, TrendPolicyForm, initial)
    if form.is_bound and form.is_valid():
        try:
            services.trend_policy_save(
                **{name: form.cleaned_data[name] for name in TrendPolicyForm.FIELDS},
                actor=actor_for(request, me),
            )
        except KefuError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Trend policy saved."))
            return redirect("backoffice:trend_policy:edit")
    return render(
        request, "trends/manage_policy.html", page_context(me, SECTION, form=form, policy=policy)
    )
