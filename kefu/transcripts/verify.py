"""Say whether a file is a transcript this server signed, unaltered.

``verify_bytes`` accepts the exact bytes of a downloaded PDF or JSON transcript. Any change —
to the content, to the signature, or bytes added before or after — makes it invalid. The
content of a file is only read (for the summary) after its signature checked out, so a
forged file never reaches the PDF parser.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.conf import settings

from kefu.transcripts import signed_json, signed_pdf
from kefu.transcripts.build import FORMAT
from kefu.transcripts.keys import ALG, PublicKey, verification_keys


class Reason(StrEnum):
    OK = "ok"
    RETIRED_KEY = "retired_key"  # valid, signed with a key that no longer signs
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"
    NOT_A_TRANSCRIPT = "not_a_transcript"
    MALFORMED = "malformed"
    TOO_LARGE = "too_large"


@dataclass(frozen=True, slots=True)
class VerifyResult:
    valid: bool
    format: str | None  # "pdf", "json" or None
    key_id: str | None
    reason: Reason
    reference: str | None = None
    generated_at: str | None = None
    audience: str | None = None
    issuer: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "format": self.format,
            "key_id": self.key_id,
            "reason": self.reason.value,
            "reference": self.reference,
            "generated_at": self.generated_at,
            "audience": self.audience,
            "issuer": self.issuer,
        }


def max_bytes() -> int:
    return int(settings.KEFU_TRANSCRIPT_VERIFY_MAX_BYTES)


def verify_bytes(data: bytes) -> VerifyResult:
    """Check ``data`` (a whole PDF or JSON transcript file) against the published keys."""
    if len(data) > max_bytes():
        return VerifyResult(valid=False, format=None, key_id=None, reason=Reason.TOO_LARGE)
    if data.startswith(b"%PDF-"):
        return _verify_pdf(data)
    if data.lstrip(b" \t\r\n").startswith(b"{"):
        return _verify_json(data)
    return VerifyResult(valid=False, format=None, key_id=None, reason=Reason.NOT_A_TRANSCRIPT)


def _check(
    fmt: str, key_id: str, signature: bytes, signed: bytes
) -> tuple[PublicKey | None, VerifyResult | None]:
    """The key that verified ``signed``, or the failed result."""
    key = verification_keys().get(key_id)
    if key is None:
        return None, VerifyResult(valid=False, format=fmt, key_id=key_id, reason=Reason.UNKNOWN_KEY)
    if not key.verifies(signature, signed):
        return None, VerifyResult(
            valid=False, format=fmt, key_id=key_id, reason=Reason.BAD_SIGNATURE
        )
    return key, None


def _signature_bytes(value: bytes) -> bytes | None:
    """The 64 signature bytes, only from their one canonical base64 spelling (the last
    character's spare bits could otherwise change without changing the signature)."""
    try:
        signature = base64.b64decode(value, validate=True)
    except binascii.Error:
        return None
    if len(signature) != 64 or base64.b64encode(signature) != value:
        return None
    return signature


def _ok_reason(key: PublicKey) -> Reason:
    return Reason.RETIRED_KEY if key.retired else Reason.OK


# --- PDF ------------------------------------------------------------------------------------


def _verify_pdf(data: bytes) -> VerifyResult:
    at = data.rfind(b"\n" + signed_pdf.SIGNATURE_PREFIX)
    if at < 0:
        return VerifyResult(valid=False, format="pdf", key_id=None, reason=Reason.NOT_A_TRANSCRIPT)
    signed, line = data[: at + 1], data[at + 1 :]
    match = signed_pdf.SIGNATURE_LINE.match(line)
    if match is None or not signed.endswith(signed_pdf.EOF_LINE):
        # Bytes after the signature line, or a damaged line: not what was issued.
        return VerifyResult(valid=False, format="pdf", key_id=None, reason=Reason.MALFORMED)
    key_id = match.group(1).decode("ascii")
    signature = _signature_bytes(match.group(2))
    if signature is None:
        return VerifyResult(valid=False, format="pdf", key_id=key_id, reason=Reason.MALFORMED)
    key, failed = _check("pdf", key_id, signature, signed)
    if failed is not None:
        return failed
    assert key is not None
    summary = _pdf_summary(signed)
    if summary.get("format") != FORMAT or summary.get("key_id") != key_id:
        return VerifyResult(valid=False, format="pdf", key_id=key_id, reason=Reason.MALFORMED)
    return VerifyResult(
        valid=True,
        format="pdf",
        key_id=key_id,
        reason=_ok_reason(key),
        reference=summary.get("reference"),
        generated_at=summary.get("generated_at"),
        audience=summary.get("audience"),
        issuer=summary.get("issuer"),
    )


def _pdf_summary(signed: bytes) -> dict[str, str]:
    """The facts the renderer put in the document information of a PDF we signed."""
    from pypdf import PdfReader  # imported late: only signed files get this far

    metadata: Mapping[str, Any] = PdfReader(io.BytesIO(signed)).metadata or {}
    keywords = str(metadata.get("/Keywords", "")).split()
    summary = {"format": keywords[0] if keywords else ""}
    for word in keywords[1:]:
        name, _sep, value = word.partition("=")
        summary[name] = value
    summary["issuer"] = str(metadata.get("/Author", ""))
    return summary


# --- JSON -----------------------------------------------------------------------------------


def _verify_json(data: bytes) -> VerifyResult:
    try:
        # raw_decode: bytes after the object do not stop us recognising (and refusing) it.
        document, _end = json.JSONDecoder().raw_decode(
            data.decode("utf-8", errors="replace").lstrip()
        )
    except (ValueError, RecursionError):
        return VerifyResult(valid=False, format=None, key_id=None, reason=Reason.NOT_A_TRANSCRIPT)
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        return VerifyResult(valid=False, format=None, key_id=None, reason=Reason.NOT_A_TRANSCRIPT)
    transcript = document.get("transcript")
    sig = document.get("signature")
    if (
        set(document) != {"format", "transcript", "signature"}
        or not isinstance(transcript, dict)
        or not isinstance(sig, dict)
        or set(sig) != {"alg", "key_id", "value"}
        or sig.get("alg") != ALG
        or not isinstance(sig.get("key_id"), str)
        or not isinstance(sig.get("value"), str)
    ):
        return VerifyResult(valid=False, format="json", key_id=None, reason=Reason.MALFORMED)
    key_id: str = sig["key_id"]
    try:
        signature = _signature_bytes(sig["value"].encode("ascii"))
    except UnicodeEncodeError:
        signature = None
    if signature is None:
        return VerifyResult(valid=False, format="json", key_id=key_id, reason=Reason.MALFORMED)
    key, failed = _check("json", key_id, signature, signed_json.canonical(transcript))
    if failed is not None:
        return failed
    assert key is not None
    if signed_json.layout(document) != data or transcript.get("key_id") != key_id:
        # The signed content is intact but the file around it was edited (keys added or
        # reordered, spacing changed, bytes appended): it is not the file that was issued.
        return VerifyResult(valid=False, format="json", key_id=key_id, reason=Reason.MALFORMED)
    conversation = transcript.get("conversation")
    return VerifyResult(
        valid=True,
        format="json",
        key_id=key_id,
        reason=_ok_reason(key),
        reference=conversation.get("reference") if isinstance(conversation, dict) else None,
        generated_at=transcript.get("generated_at"),
        audience=transcript.get("audience"),
        issuer=transcript.get("issuer"),
    )
