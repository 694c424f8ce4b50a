"""The agent's own workspace preferences: language and time zone."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kefu.accounts.services import user_set_preferences
from kefu.core.errors import KefuError
from kefu.core.forms import add_service_error
from kefu.workspace.access import agent_required, current_actor, current_agent, page_context
from kefu.workspace.forms import PreferencesForm


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
