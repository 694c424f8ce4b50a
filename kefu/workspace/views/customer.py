"""The customer panel's personal data: masked on the page, revealed one field at a time on a
POST (audited as ``contact.revealed``). JavaScript swaps the value in place; without it the
form round trip shows a small page with the value."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from kefu.contacts.masking import REVEALABLE_FIELDS
from kefu.contacts.services import contact_reveal
from kefu.conversations.selectors import conversation_get_for_agent
from kefu.workspace.access import agent_required, current_actor, current_agent, page_context


def _wants_json(request: HttpRequest) -> bool:
    return (
        "application/json" in request.headers.get("Accept", "")
        or request.headers.get("X-Requested-With") == "XMLHttpRequest"
    )


@never_cache
@require_POST
@agent_required
def customer_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Reveal the customer's ``field`` (email or phone) of a conversation the agent may see."""
    conversation = conversation_get_for_agent(user=current_agent(request), pk=pk)
    field = request.POST.get("field", "")
    if field not in REVEALABLE_FIELDS:
        message = _("This detail cannot be revealed.")
        if _wants_json(request):
            return JsonResponse({"ok": False, "error": message}, status=400)
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    value = contact_reveal(
        contact=conversation.contact,
        field=field,
        actor=current_actor(request),
        conversation_id=conversation.pk,
    )
    if _wants_json(request):
        return JsonResponse({"ok": True, "field": field, "value": value})
    labels = {"email": _("Email"), "phone": _("Phone")}
    return TemplateResponse(
        request,
        "workspace/customer_reveal.html",
        {
            **page_context(request, "inbox"),
            "conversation": conversation,
            "label": labels[field],
            "value": value,
        },
    )
