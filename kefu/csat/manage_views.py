"""The survey policy in the backoffice (supervisors and admins): whether solved conversations
ask for a rating, how long the answer stays open, which ratings create a follow-up task.

The page lives with the policy it edits but follows the backoffice's house style and helpers,
like kefu/exchange/manage_views.py. Writes go through ``services.survey_policy_save``."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from kefu.accounts import permissions
from kefu.accounts.models import User
from kefu.backoffice.views.common import policy_page
from kefu.csat import services
from kefu.csat.models import SurveyPolicy

SECTION = "survey_policy"
FIELDS = ("enabled", "answer_days", "low_rating_at_most")


class SurveyPolicyForm(forms.Form):
    enabled = forms.BooleanField(
        label=gettext_lazy("Ask customers to rate solved conversations"), required=False
    )
    answer_days = forms.IntegerField(
        label=gettext_lazy("Answer window (days)"),
        help_text=gettext_lazy("How long the customer may answer or change the answer."),
        min_value=1,
        max_value=services.ANSWER_DAYS_MAX,
    )
    low_rating_at_most = forms.IntegerField(
        label=gettext_lazy("Follow-up at or below this rating"),
        help_text=gettext_lazy(
            "Ratings at or below this create a follow-up task for supervisors (0: never)."
        ),
        min_value=0,
        max_value=5,
    )


def _manager_or_404(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not permissions.can_manage_workspace(user):
        raise Http404
    return user


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request: HttpRequest) -> HttpResponse:
    me = _manager_or_404(request)
    return policy_page(
        request,
        me=me,
        section=SECTION,
        policy=SurveyPolicy.current(),
        form_class=SurveyPolicyForm,
        fields=FIELDS,
        save=services.survey_policy_save,
        saved_message=_("Survey policy saved."),
        url_name="backoffice:survey_policy:edit",
        template="csat/manage_policy.html",
    )
