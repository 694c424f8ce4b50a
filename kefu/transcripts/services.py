"""Export a conversation as a signed transcript (PDF or JSON), audited as a sensitive read."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from kefu.accounts.models import Language, User
from kefu.audit.services import audit_record
from kefu.conversations.models import Conversation
from kefu.conversations.selectors import conversations_visible_to_agent
from kefu.core import clock
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import NotFound, PermissionDenied, ValidationFailed
from kefu.transcripts import signed_json, signed_pdf
from kefu.transcripts.build import Audience, Requester, build_transcript
from kefu.transcripts.keys import signing_key
from kefu.transcripts.selectors import source_for_audience


class ExportFormat(StrEnum):
    PDF = "pdf"
    JSON = "json"


FORMATS = frozenset(f.value for f in ExportFormat)
AUDIENCES = frozenset(a.value for a in Audience)
CONTENT_TYPES = {ExportFormat.PDF: "application/pdf", ExportFormat.JSON: "application/json"}


@dataclass(frozen=True, slots=True)
class ExportedTranscript:
    content: bytes
    filename: str
    content_type: str
    key_id: str
    sha256: str


def verify_url() -> str:
    """The absolute address of the public verify page, printed on every PDF."""
    return settings.KEFU_PUBLIC_URL.rstrip("/") + reverse("transcripts:verify")


def _requester(conversation: Conversation, audience: Audience, actor: Actor) -> Requester:
    """Who the copy is for, after checking that they may have it (NotFound if not)."""
    user = User.objects.filter(pk=actor.user_id).first() if actor.user_id else None
    if actor.kind == ActorKind.CUSTOMER:
        if actor.contact_id is None or actor.contact_id != conversation.contact_id:
            raise NotFound()
        if audience != Audience.CUSTOMER:
            raise PermissionDenied(_("Only staff can export the internal copy."))
        ident = actor.contact_id
    elif actor.kind == ActorKind.AGENT:
        if (
            user is None
            or not conversations_visible_to_agent(user).filter(pk=conversation.pk).exists()
        ):
            raise NotFound()
        ident = user.pk
    else:
        raise PermissionDenied(_("You do not have permission to do that."))
    language = translation.get_language() or settings.LANGUAGE_CODE
    if user is not None and user.language:
        language = user.language
    if language not in Language.values:
        language = "zh-hans" if language.lower().startswith("zh") else "en"
    return Requester(
        kind=str(actor.kind),
        id=ident,
        time_zone=user.timezone if user is not None else "UTC",
        language=language,
    )


def transcript_export(
    *, conversation: Conversation, audience: str, fmt: str, actor: Actor
) -> ExportedTranscript:
    """Build, sign and return ``conversation``'s transcript for ``audience`` as ``fmt``.

    ``conversation`` comes from a permission-scoped selector; the actor is checked again here:
    a customer gets only their own conversation and only the customer copy, an agent only a
    conversation their role lets them open. The export is audited (``transcript.export``)
    with the format, the audience and the SHA-256 of the file handed out.
    """
    if fmt not in FORMATS:
        raise ValidationFailed(_("Unknown transcript format."), fields={"format": [fmt]})
    if audience not in AUDIENCES:
        raise ValidationFailed(_("Unknown transcript copy."), fields={"audience": [audience]})
    copy = Audience(audience)
    requester = _requester(conversation, copy, actor)
    key = signing_key()
    with translation.override(requester.language):
        transcript = build_transcript(
            source=source_for_audience(conversation, copy),
            requester=requester,
            issuer=settings.KEFU_TRANSCRIPT_ISSUER,
            key_id=key.key_id,
            generated_at=clock.now(),
        )
    if fmt == ExportFormat.PDF:
        content = signed_pdf.encode(transcript, key, verify_url=verify_url())
    else:
        content = signed_json.encode(transcript, key)
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="transcript.export",
            object_type="conversation",
            object_id=conversation.pk,
            data={
                "format": fmt,
                "audience": copy.value,
                "key_id": key.key_id,
                "sha256": digest,
                "messages": len(transcript.messages),
            },
        )
    stamp = transcript.generated_at.strftime("%Y%m%dT%H%M%SZ")
    suffix = "-internal" if copy == Audience.INTERNAL else ""
    return ExportedTranscript(
        content=content,
        filename=f"{transcript.reference}-transcript{suffix}-{stamp}.{fmt}",
        content_type=CONTENT_TYPES[ExportFormat(fmt)],
        key_id=key.key_id,
        sha256=digest,
    )
