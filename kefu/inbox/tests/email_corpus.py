"""Realistic raw mail for the email channel's tests and benchmark, built byte by byte so that
broken mail (wrong charsets, missing headers, bad MIME) can be made too."""

from __future__ import annotations

import base64
import quopri

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def encoded_word(text: str, charset: str, encoding: str = "B") -> str:
    data = text.encode(charset)
    if encoding == "B":
        return f"=?{charset}?B?{base64.b64encode(data).decode()}?="
    q = quopri.encodestring(data, header=True).decode()
    return f"=?{charset}?Q?{q}?="


def mail(
    *,
    sender: str = "Ann Lee <ann@example.com>",
    to: str = "support@localhost",
    subject: str = "Deposit missing",
    body: str = "Hello, my deposit of 0.5 BTC has not arrived.",
    charset: str = "utf-8",
    cte: str = "8bit",
    message_id: str | None = "<m1@mail.example.com>",
    date: str | None = "Sun, 06 Dec 2026 06:00:00 +0000",
    headers: dict[str, str] | None = None,
    html: str | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None,
    inline_image: bool = False,
    subject_raw: bool = False,
) -> bytes:
    """One message. ``subject`` is RFC 2047-encoded in ``charset`` when it is not ASCII
    (unless ``subject_raw``); the text body is in ``charset`` with ``cte``."""
    head: list[bytes] = []

    def h(name: str, value: str) -> None:
        head.append(f"{name}: {value}".encode())

    if sender:
        h("From", sender)
    h("To", to)
    if subject.isascii() or subject_raw:
        head.append(b"Subject: " + subject.encode(charset if subject_raw else "ascii"))
    else:
        h("Subject", encoded_word(subject, charset))
    if date:
        h("Date", date)
    if message_id:
        h("Message-ID", message_id)
    h("MIME-Version", "1.0")
    for name, value in (headers or {}).items():
        h(name, value)

    def text_part(content: str, subtype: str) -> bytes:
        data = content.encode(charset, "replace") if charset else content.encode()
        if cte == "base64":
            payload = base64.encodebytes(data)
        elif cte == "quoted-printable":
            payload = quopri.encodestring(data)
        else:
            payload = data
        return (
            f'Content-Type: text/{subtype}; charset="{charset}"\r\n'
            f"Content-Transfer-Encoding: {cte}\r\n\r\n"
        ).encode() + payload

    parts: list[bytes] = []
    if html is not None and body:
        alt = b"==alt=="
        parts.append(
            b'Content-Type: multipart/alternative; boundary="'
            + alt
            + b'"\r\n\r\n'
            + b"--"
            + alt
            + b"\r\n"
            + text_part(body, "plain")
            + b"\r\n"
            + b"--"
            + alt
            + b"\r\n"
            + text_part(html, "html")
            + b"\r\n"
            + b"--"
            + alt
            + b"--\r\n"
        )
    elif html is not None:
        parts.append(text_part(html, "html"))
    else:
        parts.append(text_part(body, "plain"))
    for name, ctype, content in attachments or []:
        parts.append(
            (
                f'Content-Type: {ctype}; name="{name}"\r\n'
                f'Content-Disposition: attachment; filename="{name}"\r\n'
                "Content-Transfer-Encoding: base64\r\n\r\n"
            ).encode()
            + base64.encodebytes(content)
        )
    if inline_image:
        parts.append(
            b'Content-Type: image/png; name="logo.png"\r\nContent-ID: <logo@x>\r\n'
            b"Content-Disposition: inline\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + base64.encodebytes(PNG)
        )
    if len(parts) == 1:
        return b"\r\n".join(head) + b"\r\n" + parts[0]
    boundary = b"==mixed=="
    out = b"\r\n".join(head) + b'\r\nContent-Type: multipart/mixed; boundary="' + boundary
    out += b'"\r\n\r\nThis is a multi-part message in MIME format.\r\n'
    for part in parts:
        out += b"--" + boundary + b"\r\n" + part + b"\r\n"
    return out + b"--" + boundary + b"--\r\n"


def dsn(*, original_message_id: str, reporter: str = "MAILER-DAEMON@mx.example.net") -> bytes:
    """A delivery status notification (RFC 3464) for a message Kefu sent."""
    return (
        f"From: Mail Delivery System <{reporter}>\r\n"
        "To: support@localhost\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Date: Sun, 06 Dec 2026 06:10:00 +0000\r\n"
        "Message-ID: <dsn-1@mx.example.net>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="dsn"\r\n\r\n'
        "--dsn\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--dsn\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.net\r\n\r\n"
        "Final-Recipient: rfc822; gone@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <gone@example.com>: Recipient address rejected\r\n"
        "\r\n--dsn\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        "From: support@localhost\r\nTo: gone@example.com\r\n"
        f"Message-ID: <{original_message_id}>\r\nSubject: Re: help\r\n"
        "\r\n--dsn--\r\n"
    ).encode()
