"""The trend policy in the backoffice (supervisors and admins): spike thresholds and the
public wait figure. Writes go through ``services.trend_policy_save``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kefu.backoffice.access import manager_or_404
from kefu.backoffice.views.common import policy_page
from kefu.trends import services
from kefu.trends.forms import TrendPolicyForm
from kefu.trends.models import TrendPolicy

SECTION = "trend_policy"


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request: HttpRequest) -> HttpResponse:
    me = manager_or_404(request)
    return policy_page(
        request,
        me=me,
        section=SECTION,
        policy=TrendPolicy.current(),
        form_class=TrendPolicyForm,
        fields=TrendPolicyForm.FIELDS,
        save=services.trend_policy_save,
        saved_message=_("Trend policy saved."),
        url_name="backoffice:trend_policy:edit",
        template="trends/manage_policy.html",
    )
