"""Identity documents: content checks, metadata stripped, encryption at rest."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from kefu.cases import documents
from kefu.core.errors import ValidationFailed

from .conftest import photo


def test_clean_image_strips_metadata_and_applies_orientation():
    raw = photo()
    assert b"SpyCam" in raw
    assert b"secret comment" in raw
    clean = documents.clean_image(raw, field="id_document")
    assert b"SpyCam" not in clean.content
    assert b"GPS-TRACKER" not in clean.content
    assert b"secret comment" not in clean.content
    with Image.open(io.BytesIO(clean.content)) as image:
        assert image.format == "JPEG"
        assert not image.getexif()
        assert "icc_profile" not in image.info
        # Orientation 6 means "rotate to show": the stored pixels are upright, 480 x 640.
        assert image.size == (480, 640)
    assert (clean.width, clean.height) == (480, 640)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_are_accepted_and_stored_as_jpeg(fmt):
    clean = documents.clean_image(photo(fmt), field="selfie")
    assert clean.content_type == "image/jpeg"
    assert clean.content[:3] == b"\xff\xd8\xff"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"%PDF-1.7\n" + b"0" * 5000, "JPEG, PNG or WebP"),
        (b"GIF89a" + b"\x00" * 5000, "JPEG, PNG or WebP"),
        (b"MZ\x90\x00" + b"\x00" * 5000, "JPEG, PNG or WebP"),
        (b"plain text pretending.jpg", "JPEG, PNG or WebP"),
    ],
)
def test_wrong_types_are_refused(content, message):
    with pytest.raises(ValidationFailed) as exc:
        documents.clean_image(content, field="id_document")
    assert message in exc.value.message
    assert exc.value.fields == {"id_document": [exc.value.message]}


def test_truncated_image_is_refused():
    raw = photo(exif=False)
    with pytest.raises(ValidationFailed, match="damaged or incomplete"):
        documents.clean_image(raw[: len(raw) // 2], field="selfie")


def test_tiny_image_is_refused():
    with pytest.raises(ValidationFailed, match="too small"):
        documents.clean_image(photo(size=(100, 80), exif=False), field="selfie")


def test_oversized_upload_is_refused(settings):
    settings.KEFU_CASE_UPLOAD_MAX_BYTES = 1024
    with pytest.raises(ValidationFailed, match="larger than 1 MB"):
        documents.clean_image(photo(), field="selfie")


def test_decompression_bomb_is_refused(monkeypatch):
    monkeypatch.setattr(documents, "MAX_PIXELS", 1000)
    with pytest.raises(ValidationFailed, match="too many pixels"):
        documents.clean_image(photo(exif=False), field="selfie")


def test_sealed_with_the_configured_key_and_rotation(settings):
    settings.KEFU_CASE_DOCUMENT_KEYS = ["old-key-0123456789"]
    token = documents.seal(b"passport pixels")
    assert b"passport" not in token
    settings.KEFU_CASE_DOCUMENT_KEYS = ["new-key-abcdef0123", "old-key-0123456789"]
    assert documents.unseal(token) == b"passport pixels"
    settings.KEFU_CASE_DOCUMENT_KEYS = ["new-key-abcdef0123"]
    with pytest.raises(documents.DocumentUnreadable):
        documents.unseal(token)


def test_without_configured_keys_a_derived_key_is_used(settings):
    settings.KEFU_CASE_DOCUMENT_KEYS = []
    assert documents.uses_derived_key()
    assert documents.unseal(documents.seal(b"x" * 10)) == b"x" * 10


def test_deploy_check_warns_without_a_document_key(settings):
    from kefu.cases.checks import document_key_check

    settings.KEFU_CASE_DOCUMENT_KEYS = []
    assert [w.id for w in document_key_check()] == ["cases.W001"]
    settings.KEFU_CASE_DOCUMENT_KEYS = ["a-long-random-secret"]
    assert document_key_check() == []
