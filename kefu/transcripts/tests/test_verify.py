"""Signing and verification: round trips, tampering of any kind, key rotation."""

from __future__ import annotations

import base64
import io
import json
import shutil
import subprocess

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pypdf import PdfReader

from kefu.transcripts import keys, signed_json, signed_pdf
from kefu.transcripts.services import transcript_export
from kefu.transcripts.verify import Reason, VerifyResult, verify_bytes

from .conftest import CUSTOMER_TEXT, pem_private, pem_public


@pytest.fixture
def export(full_conversation, customer_1, actor_of):
    def make(fmt: str) -> bytes:
        return transcript_export(
            conversation=full_conversation,
            audience="customer",
            fmt=fmt,
            actor=actor_of(customer_1),
        ).content

    return make


def _summary(result: VerifyResult) -> tuple[object, ...]:
    return (result.valid, result.format, result.reason, result.reference, result.audience)


@pytest.mark.parametrize("fmt", ["pdf", "json"])
def test_a_fresh_export_verifies_with_its_summary(export, full_conversation, fmt):
    data = export(fmt)
    result = verify_bytes(data)
    assert _summary(result) == (True, fmt, Reason.OK, full_conversation.reference, "customer")
    assert result.key_id == keys.signing_key().key_id
    assert result.issuer == "Example Exchange"
    assert result.generated_at is not None
    assert result.generated_at.endswith("Z")


@pytest.mark.parametrize("fmt", ["pdf", "json"])
def test_flipping_any_single_byte_makes_the_file_invalid(export, fmt):
    data = export(fmt)
    still_valid = []
    for index in range(len(data)):
        altered = bytearray(data)
        altered[index] ^= 0x01
        if verify_bytes(bytes(altered)).valid:
            still_valid.append(index)
    assert still_valid == []


def test_changing_a_message_body_in_the_json_breaks_the_signature(export):
    document = json.loads(export("json"))
    document["transcript"]["messages"][0]["body"] = "My withdrawal arrived, all good."
    result = verify_bytes(signed_json.layout(document))
    assert (result.valid, result.reason) == (False, Reason.BAD_SIGNATURE)


def test_relabelling_a_customer_copy_as_internal_breaks_the_signature(export):
    document = json.loads(export("json"))
    document["transcript"]["audience"] = "internal"
    result = verify_bytes(signed_json.layout(document))
    assert (result.valid, result.reason) == (False, Reason.BAD_SIGNATURE)


def test_reformatting_or_extending_the_json_file_is_detected(export):
    data = export("json")
    document = json.loads(data)
    compact = json.dumps(document, ensure_ascii=False).encode()
    escaped = json.dumps(document, indent=2).encode() + b"\n"
    document["comment"] = "added later"
    extended = signed_json.layout(document)
    for altered in (compact, escaped, extended, data + b"\n", data + b"{}", b" " + data):
        result = verify_bytes(altered)
        assert (result.valid, result.reason) == (False, Reason.MALFORMED)


def test_stripping_the_signature_leaves_an_unsigned_file(export):
    pdf = export("pdf")
    unsigned_pdf = pdf[: pdf.rindex(signed_pdf.SIGNATURE_PREFIX)]
    assert unsigned_pdf.endswith(b"%%EOF\n")
    result = verify_bytes(unsigned_pdf)
    assert (result.valid, result.format, result.reason) == (False, "pdf", Reason.NOT_A_TRANSCRIPT)

    document = json.loads(export("json"))
    del document["signature"]
    result = verify_bytes(signed_json.layout(document))
    assert (result.valid, result.format, result.reason) == (False, "json", Reason.MALFORMED)


def test_a_signature_taken_from_another_transcript_does_not_verify(
    export, conversation_b, customer_2, actor_of
):
    other = transcript_export(
        conversation=conversation_b, audience="customer", fmt="pdf", actor=actor_of(customer_2)
    ).content
    pdf = export("pdf")
    at = pdf.rindex(signed_pdf.SIGNATURE_PREFIX)
    swapped = pdf[:at] + other[other.rindex(signed_pdf.SIGNATURE_PREFIX) :]
    result = verify_bytes(swapped)
    assert (result.valid, result.reason) == (False, Reason.BAD_SIGNATURE)

    other_json = json.loads(
        transcript_export(
            conversation=conversation_b,
            audience="customer",
            fmt="json",
            actor=actor_of(customer_2),
        ).content
    )
    document = json.loads(export("json"))
    document["signature"] = other_json["signature"]
    result = verify_bytes(signed_json.layout(document))
    assert (result.valid, result.reason) == (False, Reason.BAD_SIGNATURE)


def test_bytes_appended_after_the_pdf_signature_make_it_invalid(export):
    pdf = export("pdf")
    for tail in (b"x", b"\n", b"%%EOF\n", b"%KEFU-SIGNATURE v1 0000000000000000 AAAA\n"):
        result = verify_bytes(pdf + tail)
        assert result.valid is False, tail
    assert verify_bytes(pdf + b"\n").reason == Reason.MALFORMED


def test_bytes_inserted_before_the_pdf_signature_break_it(export):
    pdf = export("pdf")
    at = pdf.rindex(signed_pdf.SIGNATURE_PREFIX)
    result = verify_bytes(pdf[:at] + b"%%EOF\n" + pdf[at:])
    assert (result.valid, result.reason) == (False, Reason.BAD_SIGNATURE)


@pytest.mark.parametrize("fmt", ["pdf", "json"])
def test_a_file_signed_with_a_retired_key_is_valid_and_says_so(export, settings, fmt):
    old = Ed25519PrivateKey.generate()
    settings.KEFU_TRANSCRIPT_SIGNING_KEY = pem_private(old)
    data = export(fmt)
    settings.KEFU_TRANSCRIPT_SIGNING_KEY = pem_private(Ed25519PrivateKey.generate())
    settings.KEFU_TRANSCRIPT_RETIRED_PUBLIC_KEYS = pem_public(old)
    result = verify_bytes(data)
    assert (result.valid, result.reason, result.key_id) == (
        True,
        Reason.RETIRED_KEY,
        keys.key_id_for(old.public_key()),
    )


@pytest.mark.parametrize("fmt", ["pdf", "json"])
def test_a_file_signed_with_an_unknown_key_is_not_valid(export, settings, fmt):
    stranger = Ed25519PrivateKey.generate()
    settings.KEFU_TRANSCRIPT_SIGNING_KEY = pem_private(stranger)
    data = export(fmt)
    settings.KEFU_TRANSCRIPT_SIGNING_KEY = pem_private(Ed25519PrivateKey.generate())
    result = verify_bytes(data)
    assert (result.valid, result.reason, result.key_id) == (
        False,
        Reason.UNKNOWN_KEY,
        keys.key_id_for(stranger.public_key()),
    )


def test_a_forged_signature_line_with_our_key_id_is_refused(export):
    pdf = export("pdf")
    at = pdf.rindex(signed_pdf.SIGNATURE_PREFIX)
    forged = Ed25519PrivateKey.generate().sign(pdf[:at])
    line = b"%KEFU-SIGNATURE v1 " + keys.signing_key().key_id.encode() + b" "
    result = verify_bytes(pdf[:at] + line + base64.b64encode(forged) + b"\n")
    assert (result.valid, result.reason) == (False, Reason.BAD_SIGNATURE)


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        (b"hello", None),
        (b"", None),
        (b'{"format": "something-else"}', None),
        (b"[1, 2, 3]", None),
        (b"{not json", None),
        (b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n", "pdf"),
    ],
)
def test_other_files_are_not_transcripts(data, fmt):
    result = verify_bytes(data)
    assert (result.valid, result.format, result.reason, result.key_id) == (
        False,
        fmt,
        Reason.NOT_A_TRANSCRIPT,
        None,
    )


def test_files_over_the_size_limit_are_refused_unread(export, settings):
    data = export("json")
    settings.KEFU_TRANSCRIPT_VERIFY_MAX_BYTES = len(data) - 1
    result = verify_bytes(data)
    assert (result.valid, result.reason) == (False, Reason.TOO_LARGE)
    settings.KEFU_TRANSCRIPT_VERIFY_MAX_BYTES = len(data)
    assert verify_bytes(data).valid is True


def test_the_signed_pdf_opens_and_its_chinese_text_extracts(export, full_conversation):
    reader = PdfReader(io.BytesIO(export("pdf")))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert CUSTOMER_TEXT in text
    assert full_conversation.subject in text
    assert "谢谢" in text
    assert reader.metadata is not None
    assert reader.metadata["/Subject"] == "kefu-transcript/1"


def test_the_same_transcript_renders_to_the_same_bytes(full_conversation, customer_1, actor_of):
    from kefu.transcripts.build import Audience, Requester, build_transcript
    from kefu.transcripts.selectors import source_for_audience

    from .conftest import FIXED_NOW

    def render() -> bytes:
        transcript = build_transcript(
            source=source_for_audience(full_conversation, Audience.CUSTOMER),
            requester=Requester(kind="customer", id=customer_1.contact.pk),
            issuer="Example Exchange",
            key_id=keys.signing_key().key_id,
            generated_at=FIXED_NOW,
        )
        return signed_pdf.encode(transcript, keys.signing_key(), verify_url="https://x.test/v/")

    first = render()
    assert render() == first
    assert b"/CreationDate (D:20260302093015+00'00')" in first


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
@pytest.mark.parametrize("fmt", ["pdf", "json"])
def test_a_third_party_verifies_with_openssl_and_the_public_key(export, tmp_path, fmt):
    """The procedure in docs/subsystems/transcripts.md, with nothing from Kefu but the PEM."""
    data = export(fmt)
    if fmt == "json":
        document = json.loads(data)
        message = signed_json.canonical(document["transcript"])
        signature = base64.b64decode(document["signature"]["value"])
    else:
        body, line = data[: data.rindex(b"\n%KEFU-SIG") + 1], data.splitlines()[-1]
        message, signature = body, base64.b64decode(line.split()[-1])
    (tmp_path / "public.pem").write_text(keys.signing_key().public.pem, encoding="ascii")
    (tmp_path / "message.bin").write_bytes(message)
    (tmp_path / "signature.bin").write_bytes(signature)
    command = [
        "openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "public.pem", "-rawin",
        "-in", "message.bin", "-sigfile", "signature.bin",
    ]  # fmt: skip
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    (tmp_path / "message.bin").write_bytes(message + b" ")
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, check=False)
    assert result.returncode != 0
