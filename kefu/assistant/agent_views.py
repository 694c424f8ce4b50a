"""The "Assistant" section of the conversation page's side panel: suggested replies and, for a
long conversation, a summary.

The side panel holds a placeholder (``assistant/_agent_panel.html``, included by
``workspace/_conversation_aside.html``); ``static/assistant/agent_panel.js`` fetches the section
and its "Insert" buttons put a draft into the reply box, where the agent reviews it and sends it
on whatever channel the conversation uses (chat, email, portal, ...). Without JavaScript the
placeholder's link opens the same section on a page of its own, with each draft in a text box
to copy and, for a macro, the workspace's own no-JavaScript way to load it into the reply box.

Reading suggestions changes nothing and reads no exchange data: nothing is audited.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from kefu.assistant.agent_assist import suggest_replies, summarise
from kefu.conversations.selectors import conversation_get_for_agent
from kefu.workspace.access import agent_required, current_agent, page_context


def _is_fragment(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


def _context(request: HttpRequest, pk: int) -> dict[str, Any]:
    agent = current_agent(request)
    conversation = conversation_get_for_agent(user=agent, pk=pk)
    return {
        "conversation": conversation,
        "summary": summarise(conversation=conversation, viewer=agent),
        "suggestions": suggest_replies(conversation=conversation, viewer=agent),
    }


@never_cache
@require_GET
@agent_required
def assistant_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """Suggested replies and the summary of a conversation the agent may open (its own page
    without JavaScript)."""
    context = _context(request, pk)
    if _is_fragment(request):
        return TemplateResponse(request, "assistant/_agent_assist.html", context)
    return TemplateResponse(
        request,
        "assistant/agent_assist_page.html",
        {**page_context(request, "inbox"), **context, "standalone": True},
    )
