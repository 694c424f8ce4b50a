"""The chat widget's user-facing strings, translated by Django like every other string.

The widget (``static/kefu/widget.js``) has no translations of its own: the public site
configuration endpoint returns ``widget_strings()`` in the visitor's language, and the widget
only keeps a small English copy for when that request fails. Keys are stable identifiers shared
with the JavaScript; values may contain ``{name}``-style placeholders that the widget fills in.
"""

from __future__ import annotations

from typing import Final

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

WIDGET_STRINGS: Final[dict[str, Promise]] = {
    # Launcher and header
    "launcher_open": _("Chat with support"),
    "launcher_close": _("Close the chat"),
    "launcher_unread": _("Chat with support ({count} new)"),
    "title": _("Support"),
    "close": _("Close"),
    "language": _("Language"),
    "chatting_with": _("You are chatting with {name}"),
    # Before the first message
    "greeting": _("Hi! How can we help you today?"),
    "online": _("We're online"),
    "agents_online": _("Agents online: {count}"),
    "wait_minutes": _("Typical reply in about {minutes} min"),
    "wait_under_minute": _("Typical reply in under a minute"),
    "offline": _("We're offline — leave a message and we'll reply by email."),
    "offline_next": _("We'll answer from {time}."),
    "no_agents": _("All agents are busy — leave a message and we'll reply here or by email."),
    "hours": _("Service hours: {hours}"),
    "contacts_title": _("Official contact options"),
    "contacts_warning": _(
        "Our staff will never ask for your password, 2FA codes or private keys, "
        "and never ask you to transfer funds."
    ),
    # Email for anonymous visitors
    "email_prompt": _(
        "Leave your email address: if you leave the page, the conversation continues by email."
    ),
    "email_label": _("Your email address (optional)"),
    "email_placeholder": _("you@example.com"),
    "email_save": _("Save email"),
    "email_skip": _("Not now"),
    "email_saved": _("We'll continue by email at {email} if you leave."),
    "email_invalid": _("Please enter a valid email address."),
    # Conversation
    "messages_label": _("Conversation"),
    "you": _("You"),
    "support": _("Support"),
    "input_label": _("Your message"),
    "input_placeholder": _("Type your message…"),
    "send": _("Send"),
    "sending": _("Sending…"),
    "not_sent": _("Not sent"),
    "retry": _("Retry"),
    "read": pgettext_lazy("chat message receipt", "Read"),
    "typing": _("{name} is typing…"),
    "new_message": _("{name}: {text}"),
    "attachment": _("Attachment"),
    # Attachments
    "attach": _("Attach an image or PDF"),
    "attach_invalid": _("Only images and PDF files can be attached."),
    "uploading": _("Uploading {filename}…"),
    "upload_failed": _("The file could not be uploaded. Please try again."),
    # Conversation closed
    "closed": _("This conversation was closed."),
    "new_conversation": _("Start a new conversation"),
    # Connection state
    "connecting": _("Connecting…"),
    "reconnecting": _("Connection lost. Reconnecting… Your messages will be sent automatically."),
    "unavailable": _("Chat is unavailable right now. Please reload the page or try again later."),
    "sign_in_required": _("Please sign in to your account to chat with us."),
    # Help-center suggestions while the first message is typed
    "suggestions_title": _("These articles may answer your question"),
    "suggestions_count": _("Suggested articles: {count}"),
    "opens_new_tab": _("(opens in a new tab)"),
    # Open incidents and maintenance (the status page's banner, same wording)
    "status_title": _("Service status"),
    "status_incident": pgettext_lazy("status kind", "Incident"),
    "status_maintenance": _("Maintenance in progress"),
    "status_upcoming": _("Upcoming maintenance"),
    # The assistant's answers (buttons, sources, a page to open)
    "assistant_choices": _("Suggested replies"),
    "assistant_sources": _("Sources"),
    "assistant_open_link": _("Open the page"),
    # Asking to escalate (kefu.routing)
    "escalate_open": _("Not solved? Ask to escalate"),
    "escalate_label": _("Why does this need a senior colleague?"),
    "escalate_send": _("Ask to escalate"),
    "escalate_state": _("Your escalation request: {state}"),
    # The satisfaction survey after a conversation is solved (kefu.csat)
    "survey_title": _("How did we do?"),
    "survey_rating": _("Your rating (1 = very unsatisfied, 5 = very satisfied)"),
    "survey_resolved": _("Was your problem resolved?"),
    "survey_yes": _("Yes"),
    "survey_no": _("No"),
    "survey_comment": _("Comment (optional)"),
    "survey_send": _("Send my rating"),
    "survey_change": _("Change my answer"),
    "survey_thanks": _("Thank you for your feedback."),
    "survey_escalate": _("Ask a senior colleague to review it"),
    "survey_escalated": _("Thank you. A senior colleague will review your conversation."),
}


def widget_strings() -> dict[str, str]:
    """Every widget string in the active language, ready for JSON."""
    return {key: str(value) for key, value in WIDGET_STRINGS.items()}
