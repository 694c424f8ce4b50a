"""The PDF transcript: rendered with reportlab, signed over its bytes.

Chinese and Latin text use reportlab's built-in CID font STSong-Light (Adobe-GB1): PDF readers
supply its glyphs, so no font file is shipped or downloaded. The document is built in
reportlab's invariant mode with the transcript's own generation time as its creation date, so
one transcript always renders to the same bytes.

Signature: the Ed25519 signature of every byte up to and including ``%%EOF\\n`` is appended as
one trailing PDF comment line, which PDF readers ignore::

    %KEFU-SIGNATURE v1 <key id> <base64 signature>\\n
"""

from __future__ import annotations

import base64
import functools
import io
import re
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table
from reportlab.platypus.flowables import Flowable

from kefu.conversations.models import AuthorKind, Category, Channel, Status
from kefu.transcripts.build import Audience, EventRecord, MessageRecord, Transcript, iso_utc
from kefu.transcripts.keys import SigningKey

FONT = "STSong-Light"
EOF_LINE = b"%%EOF\n"
SIGNATURE_PREFIX = b"%KEFU-SIGNATURE v1 "
SIGNATURE_LINE = re.compile(rb"%KEFU-SIGNATURE v1 ([0-9a-f]{16}) ([A-Za-z0-9+/]{86}==)\n\Z")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MARGIN = 18 * mm


@functools.cache
def _register_font() -> None:
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _style(name: str, **kwargs: Any) -> ParagraphStyle:
    base: dict[str, Any] = {"fontName": FONT, "fontSize": 10, "leading": 14, "wordWrap": "CJK"}
    base.update(kwargs)
    return ParagraphStyle(name, **base)


STYLES = {
    "title": _style("title", fontSize=18, leading=24, spaceAfter=4),
    "subtitle": _style("subtitle", fontSize=12, leading=16, spaceAfter=8),
    "fact": _style("fact", fontSize=9, leading=12),
    "fact_label": _style(
        "fact_label", fontSize=9, leading=12, textColor=colors.HexColor("#555555")
    ),
    "warning": _style(
        "warning",
        fontSize=10,
        leading=14,
        textColor=colors.HexColor("#7a4b00"),
        backColor=colors.HexColor("#fff4d6"),
        borderPadding=4,
        spaceBefore=6,
        spaceAfter=6,
    ),
    "heading": _style("heading", fontSize=13, leading=18, spaceBefore=10, spaceAfter=4),
    "message_head": _style("message_head", fontSize=10, leading=14, spaceBefore=8),
    "note_head": _style(
        "note_head", fontSize=10, leading=14, spaceBefore=8, textColor=colors.HexColor("#7a4b00")
    ),
    "body": _style("body", leftIndent=8),
    "note_body": _style(
        "note_body", leftIndent=8, backColor=colors.HexColor("#fff4d6"), borderPadding=3
    ),
    "attachment": _style("attachment", fontSize=8, leading=11, leftIndent=8),
    "event": _style("event", fontSize=9, leading=12, textColor=colors.HexColor("#555555")),
    "page": _style("page", fontSize=7, leading=9, textColor=colors.HexColor("#555555")),
}


def _text(value: str) -> str:
    """Plain text as Paragraph markup: escaped, control characters gone, line breaks kept."""
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return escape(_CONTROL.sub("", value)).replace("\n", "<br/>")


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _when(transcript: Transcript, moment: datetime) -> str:
    return transcript.local(moment).strftime("%Y-%m-%d %H:%M:%S")


def _zone_text(transcript: Transcript) -> str:
    offset = transcript.local(transcript.generated_at).strftime("%z")
    return f"{transcript.time_zone} (UTC{offset[:3]}:{offset[3:]})"


def _facts(transcript: Transcript) -> Table:
    copy = (
        pgettext("transcript", "Internal copy (includes internal notes)")
        if transcript.audience == Audience.INTERNAL
        else pgettext("transcript", "Customer copy")
    )
    rows = [
        (pgettext("transcript", "Reference"), transcript.reference),
        (pgettext("transcript", "Subject"), transcript.subject),
        (pgettext("transcript", "Customer"), transcript.customer_name),
        (pgettext("transcript", "Channel"), _label(Channel, transcript.channel)),
        (pgettext("transcript", "Category"), _label(Category, transcript.category)),
        (pgettext("transcript", "Status"), _label(Status, transcript.status)),
        (pgettext("transcript", "Opened"), _when(transcript, transcript.created_at)),
        (
            pgettext("transcript", "Closed"),
            _when(transcript, transcript.closed_at) if transcript.closed_at else "—",
        ),
        (pgettext("transcript", "Copy"), copy),
        (pgettext("transcript", "Generated"), _when(transcript, transcript.generated_at)),
        (pgettext("transcript", "Time zone"), _zone_text(transcript)),
        (pgettext("transcript", "Signing key id"), transcript.key_id),
    ]
    data = [
        [Paragraph(_text(label), STYLES["fact_label"]), Paragraph(_text(value), STYLES["fact"])]
        for label, value in rows
    ]
    table = Table(data, colWidths=[38 * mm, None], hAlign="LEFT")
    table.setStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)])
    return table


def _message(transcript: Transcript, message: MessageRecord) -> list[Flowable]:
    role = _label(AuthorKind, message.author_role)
    head = _("%(number)s. %(name)s (%(role)s) · %(time)s") % {
        "number": message.number,
        "name": message.author_name,
        "role": role,
        "time": _when(transcript, message.time),
    }
    parts: list[Flowable] = []
    if message.internal:
        head = pgettext("transcript", "Internal note") + " · " + head
        parts.append(Paragraph(_text(head), STYLES["note_head"]))
        parts.append(Paragraph(_text(message.body), STYLES["note_body"]))
    else:
        parts.append(Paragraph(_text(head), STYLES["message_head"]))
        parts.append(Paragraph(_text(message.body), STYLES["body"]))
    for attachment in message.attachments:
        line = _("Attachment: %(name)s (%(type)s, %(size)s, SHA-256 %(sha256)s)") % {
            "name": attachment.filename,
            "type": attachment.content_type,
            "size": filesizeformat(attachment.size),
            "sha256": attachment.sha256,
        }
        parts.append(Paragraph(_text(line), STYLES["attachment"]))
    return parts


def _event(transcript: Transcript, event: EventRecord) -> Paragraph:
    text = _("%(time)s · Status changed from %(old)s to %(new)s") % {
        "time": _when(transcript, event.time),
        "old": _label(Status, event.old),
        "new": _label(Status, event.new),
    }
    return Paragraph(_text(text), STYLES["event"])


def _story(transcript: Transcript) -> list[Flowable]:
    story: list[Flowable] = [
        Paragraph(_text(pgettext("transcript", "Conversation transcript")), STYLES["title"]),
        Paragraph(_text(f"{transcript.reference} · {transcript.subject}"), STYLES["subtitle"]),
        _facts(transcript),
    ]
    if transcript.audience == Audience.INTERNAL:
        story.append(
            Paragraph(
                _text(
                    _(
                        "Internal copy: it contains internal notes that the customer never sees. "
                        "Do not send it to the customer."
                    )
                ),
                STYLES["warning"],
            )
        )
    story.append(Paragraph(_text(pgettext("transcript", "Messages")), STYLES["heading"]))
    # Messages and status changes in time order; at the same second the message comes first.
    items: list[tuple[datetime, int, MessageRecord | EventRecord]] = [
        (m.time, 0, m) for m in transcript.messages
    ]
    items += [(e.time, 1, e) for e in transcript.events]
    items.sort(key=lambda item: (item[0], item[1]))
    if not items:
        story.append(Paragraph(_text(pgettext("transcript", "No messages.")), STYLES["body"]))
    for _at, _order, item in items:
        if isinstance(item, MessageRecord):
            parts = _message(transcript, item)
            # The heading stays with the first lines of its text; long texts still split.
            story.append(KeepTogether(parts[:2]))
            story.extend(parts[2:])
        else:
            story.append(_event(transcript, item))
    story.append(Spacer(1, 6 * mm))
    return story


def _page_decorations(transcript: Transcript, verify_url: str) -> Any:
    header = _("%(issuer)s · Conversation transcript · %(reference)s") % {
        "issuer": transcript.issuer,
        "reference": transcript.reference,
    }
    if transcript.audience == Audience.INTERNAL:
        header += " · " + pgettext("transcript", "INTERNAL")
    footer = _("Signed by %(issuer)s – key id %(key_id)s – verify at %(url)s") % {
        "issuer": transcript.issuer,
        "key_id": transcript.key_id,
        "url": verify_url,
    }
    created = transcript.generated_at

    def decorate(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        # The PDF's creation date is the transcript's, not the clock's: same input, same bytes.
        canvas.setDateFormatter(
            lambda *_args: created.strftime("D:%Y%m%d%H%M%S+00'00'"),
        )
        width, height = A4
        canvas.saveState()
        canvas.setStrokeColor(colors.HexColor("#cccccc"))
        canvas.line(_MARGIN, height - 12 * mm, width - _MARGIN, height - 12 * mm)
        canvas.line(_MARGIN, 14 * mm, width - _MARGIN, 14 * mm)
        top = Paragraph(_text(header), STYLES["page"])
        _w, h = top.wrapOn(canvas, width - 2 * _MARGIN - 20 * mm, 10 * mm)
        top.drawOn(canvas, _MARGIN, height - 12 * mm + 2)
        canvas.setFont(FONT, 7)
        page = _("Page %(number)s") % {"number": doc.page}
        canvas.drawRightString(width - _MARGIN, height - 12 * mm + 3, page)
        bottom = Paragraph(_text(footer), STYLES["page"])
        _w, h = bottom.wrapOn(canvas, width - 2 * _MARGIN, 12 * mm)
        bottom.drawOn(canvas, _MARGIN, 14 * mm - 2 - h)
        canvas.restoreState()

    return decorate


def render(transcript: Transcript, *, verify_url: str) -> bytes:
    """The unsigned PDF of ``transcript``, labelled in the transcript's language."""
    _register_font()
    with translation.override(transcript.language):
        buffer = io.BytesIO()
        doc = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=_MARGIN,
            rightMargin=_MARGIN,
            topMargin=20 * mm,
            bottomMargin=24 * mm,
            invariant=1,
            title=f"{transcript.reference} {transcript.subject}",
            author=transcript.issuer,
            subject=transcript.format,
            creator="Kefu",
            keywords=(
                f"{transcript.format} reference={transcript.reference} "
                f"generated_at={iso_utc(transcript.generated_at)} "
                f"audience={transcript.audience.value} key_id={transcript.key_id}"
            ),
            lang=transcript.language,
        )
        decorate = _page_decorations(transcript, verify_url)
        doc.build(_story(transcript), onFirstPage=decorate, onLaterPages=decorate)
    data = buffer.getvalue()
    if not data.endswith(EOF_LINE):  # reportlab always ends with it; the signature relies on it
        raise RuntimeError("reportlab produced a PDF that does not end with %%EOF")
    return data


def sign(pdf: bytes, key: SigningKey) -> bytes:
    """``pdf`` with its signature appended as a trailing comment line."""
    signature = base64.b64encode(key.sign(pdf))
    return pdf + SIGNATURE_PREFIX + key.key_id.encode("ascii") + b" " + signature + b"\n"


def encode(transcript: Transcript, key: SigningKey, *, verify_url: str) -> bytes:
    """The signed PDF file of ``transcript``."""
    return sign(render(transcript, verify_url=verify_url), key)
