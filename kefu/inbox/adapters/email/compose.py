"""The composer of every email Kefu sends: replies on the email channel (the adapter), "you
have a reply" notifications (``conversations.tasks.notify_customer_of_reply``), chat continued
by email (``inbox.adapters.webchat.tasks``), case decisions (``cases.tasks``), survey requests
(``csat.tasks``), status-page confirmations and updates (``status.tasks``) and new-device
alerts (``accounts.tasks``). No other code builds an ``EmailMessage`` or calls ``send_mail``.

Every message gets the customer's anti-phishing code on top (text and HTML), Kefu's own
Message-ID (``threading.own_message_id``, the same on every retry), the loop header
``X-Kefu-Loop`` (so Kefu never answers its own mail) and ``X-Auto-Response-Suppress: All``
(so Exchange does not send out-of-office replies to it). ``Auto-Submitted`` follows RFC 3834
(docs/adr/0018-email-auto-submitted-and-threading.md): set for mail a program wrote on its own
(notifications, the secret guard's notices, the assistant, every mail a task sends on its own),
absent for an agent's reply. A caller's extra ``headers`` (e.g. the status emails'
``List-Unsubscribe``) are added, but never replace the ones set here: the marking always holds.
Emails about a conversation (``conversation_id``) carry the customer's signed escalation link
while they may ask to escalate. Call with the recipient's language active.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import nh3
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import make_msgid
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _

from kefu.accounts.antiphishing import antiphishing_code_for, antiphishing_header
from kefu.inbox.adapters.base import OutboundAttachment
from kefu.inbox.adapters.email import threading

LOOP_HEADER = "X-Kefu-Loop"


def compose_customer_email(
    *,
    to: str,
    subject: str,
    text: str,
    html: str = "",
    auto_submitted: str = "",
    message_pk: int | None = None,
    in_reply_to: str = "",
    references: Sequence[str] = (),
    reply_to: str = "",
    attachments: Sequence[OutboundAttachment] = (),
    headers: Mapping[str, str] | None = None,
    conversation_id: int | None = None,
) -> EmailMultiAlternatives:
    """A ready-to-send email to one recipient. ``html`` (optional) is sanitised here.

    ``headers`` are extra headers; one that clashes (case-insensitively) with a header set here
    is dropped, so no caller can unmark a message or change its Message-ID. ``conversation_id``
    names the conversation the email is about: when its customer may ask to escalate now, the
    signed one-click escalation link is added at the end (docs/subsystems/routing.md).
    """
    if conversation_id is not None:
        from kefu.routing.email_escalation import escalation_link_for

        link = escalation_link_for(conversation_id)
        if link:
            invite = _("Not solved yet? Ask for a senior colleague to review it:")
            text = f"{text.rstrip()}\n\n{invite} {link}\n"
            if html:
                html = f'{html}<p>{escape(invite)} <a href="{escape(link)}">{escape(link)}</a></p>'
    code = antiphishing_code_for(to)
    if code:
        header = antiphishing_header(code)
        text = header + text
        if html:
            html = linebreaks(escape(header.strip())) + "<hr>" + html
    domain = threading.email_domain()
    mid = (
        f"<{threading.own_message_id(message_pk)}>"
        if message_pk is not None
        else make_msgid(domain=domain)
    )
    own = {
        "Message-ID": mid,
        "X-Auto-Response-Suppress": "All",
        LOOP_HEADER: threading.loop_id(),
    }
    if auto_submitted:
        own["Auto-Submitted"] = auto_submitted
    if in_reply_to:
        own["In-Reply-To"] = f"<{in_reply_to}>"
    refs = [r for r in references if r]
    if refs:
        own["References"] = " ".join(f"<{r}>" for r in refs)
    reserved = {name.lower() for name in own} | {"auto-submitted"}
    extra = {k: v for k, v in (headers or {}).items() if k.lower() not in reserved}
    email = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=text,
        to=[to],
        headers={**extra, **own},
        reply_to=[reply_to] if reply_to else None,
    )
    if html:
        email.attach_alternative(nh3.clean(html), "text/html")
    for item in attachments:
        email.attach(item.name, item.content, item.content_type)
    return email


def message_id_of(email: EmailMultiAlternatives) -> str:
    """The normalised Message-ID (no <>, lower case) the email goes out with."""
    return str(email.extra_headers.get("Message-ID", "")).strip("<>").lower()
