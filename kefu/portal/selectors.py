"""Portal reads that compose the conversation selectors. A denied read raises NotFound."""

from __future__ import annotations

from kefu.contacts.models import Contact
from kefu.conversations.models import Attachment, MessageKind
from kefu.conversations.selectors import conversation_get_for_customer
from kefu.core.errors import NotFound


def attachment_get_for_customer(*, contact: Contact, conversation_pk: int, pk: int) -> Attachment:
    """An attachment of a public reply in one of ``contact``'s conversations.

    Attachments of internal notes and of other customers' conversations are NotFound.
    """
    conversation = conversation_get_for_customer(contact=contact, pk=conversation_pk)
    attachment = Attachment.objects.filter(
        pk=pk, message__conversation=conversation, message__kind=MessageKind.REPLY
    ).first()
    if attachment is None:
        raise NotFound()
    return attachment
