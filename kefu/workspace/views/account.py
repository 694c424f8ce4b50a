"""The agent's own settings: language and time zone (preferences), and live chat status."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kefu.accounts.services import presence_set, user_set_preferences
from kefu.core.errors import KefuError
from kefu.core.forms import add_service_error
from kefu.workspace.access import agent_required, current_actor, current_agent, page_context
from kefu.workspace.forms import PRESENCE_LABELS, PreferencesForm, PresenceForm


@require_http_methods(["GET", "POST"])
@agent_required
def preferences(request: HttpRequest) -> HttpResponse:
    user = current_agent(request)
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            try:
                user_set_preferences(
                    user=user,
                    language=form.cleaned_data["language"],
                    timezone_name=form.cleaned_data["timezone"],
                    actor=current_actor(request),
                )
            except KefuError as exc:
                add_service_error(form, exc)
            else:
                # Confirm in the language just chosen: it applies from the next page on.
                language = user.language or translation.get_language()
                with translation.override(language):
                    messages.success(request, _("Your preferences are saved."))
                return redirect("workspace:preferences")
        status = 400
    else:
        form = PreferencesForm(initial={"language": user.language, "timezone": user.timezone})
        status = 200
    return TemplateResponse(
        request,
        "workspace/preferences.html",
        {**page_context(request, "preferences"), "form": form},
        status=status,
    )


@require_POST
@agent_required
def presence(request: HttpRequest) -> HttpResponse:
    """Set the agent's live chat status from the header form, then go back to the page."""
    form = PresenceForm(request.POST)
    if form.is_valid():
        status = form.cleaned_data["status"]
        try:
            presence_set(user=current_agent(request), status=status, actor=current_actor(request))
        except KefuError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, _("Your status is now %(status)s.") % {"status": PRESENCE_LABELS[status]}
            )
    else:
        messages.error(request, _("Choose Online, Away or Offline."))
    target = request.POST.get("next", "")  # the page the form was on
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return redirect(target if target and safe else "workspace:inbox")
