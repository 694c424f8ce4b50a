"""Attachment validation: real file types sniffed from the bytes, limits, safe file names."""

from __future__ import annotations

import hashlib

import pytest

from kefu.conversations import services
from kefu.conversations.attachments import UploadedFile, sniff_type, validate_attachments
from kefu.conversations.models import Attachment
from kefu.conversations.tests.conftest import JPEG_BYTES, PDF_BYTES, png_bytes
from kefu.core.errors import ValidationFailed

GIF_BYTES = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


@pytest.mark.parametrize(
    ("filename", "content", "content_type"),
    [
        ("photo.png", png_bytes(), "image/png"),
        ("photo.jpg", JPEG_BYTES, "image/jpeg"),
        ("statement.pdf", PDF_BYTES, "application/pdf"),
        ("anim.gif", GIF_BYTES, "image/gif"),
    ],
)
def test_real_files_are_accepted_with_their_sniffed_type(filename, content, content_type):
    [valid] = validate_attachments([UploadedFile(filename=filename, content=content)])
    assert valid.filename == filename
    assert valid.content_type == content_type
    assert valid.size == len(content)
    assert valid.sha256 == hashlib.sha256(content).hexdigest()
    assert valid.content.read() == content


@pytest.mark.parametrize(
    ("filename", "content", "content_type"),
    [
        ("screenshot.pdf", png_bytes(), "image/png"),
        ("document", PDF_BYTES, "application/pdf"),
        ("image.txt", JPEG_BYTES, "image/jpeg"),
    ],
)
def test_type_comes_from_the_bytes_not_the_name(filename, content, content_type):
    [valid] = validate_attachments([UploadedFile(filename=filename, content=content)])
    assert valid.content_type == content_type


@pytest.mark.parametrize(
    ("filename", "content"),
    [
        ("notes.png", b"just some text pretending to be an image\n"),
        ("page.jpg", b"<html><script>alert(1)</script></html>"),
        (
            "tool.pdf",
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00",
        ),  # a Windows exe
        ("archive.png", b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40),  # a zip
        ("image.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>'),
    ],
)
def test_disallowed_content_is_refused_whatever_the_name(filename, content):
    with pytest.raises(ValidationFailed) as excinfo:
        validate_attachments([UploadedFile(filename=filename, content=content)])
    assert excinfo.value.message == (
        f"{filename} is not an allowed file type (PNG, JPEG, GIF, WebP or PDF)."
    )
    assert list(excinfo.value.fields) == ["attachments"]


def test_sniff_type_of_garbage_is_none():
    assert sniff_type(b"") is None
    assert sniff_type(b"\x00\x01\x02") is None


def test_oversized_file_is_refused(settings):
    settings.KEFU_ATTACHMENT_MAX_BYTES = 2 * 2**20
    content = png_bytes()
    big = content + b"\x00" * (2 * 2**20 - len(content) + 1)
    with pytest.raises(ValidationFailed) as excinfo:
        validate_attachments([UploadedFile(filename="big.png", content=big)])
    assert excinfo.value.message == "big.png is larger than 2 MB."
    # Exactly at the limit is fine.
    [ok] = validate_attachments([UploadedFile(filename="ok.png", content=big[:-1])])
    assert ok.size == 2 * 2**20


def test_too_many_files_are_refused(settings):
    settings.KEFU_ATTACHMENTS_PER_MESSAGE = 5
    files = [UploadedFile(filename=f"{i}.png", content=png_bytes()) for i in range(6)]
    with pytest.raises(ValidationFailed) as excinfo:
        validate_attachments(files)
    assert excinfo.value.message == "Too many attachments (at most 5)."
    assert excinfo.value.fields == {"attachments": ["Too many attachments."]}
    assert len(validate_attachments(files[:5])) == 5


def test_empty_file_is_refused():
    with pytest.raises(ValidationFailed) as excinfo:
        validate_attachments([UploadedFile(filename="empty.pdf", content=b"")])
    assert excinfo.value.message == "empty.pdf is empty."


def test_one_bad_file_refuses_the_whole_batch():
    files = [
        UploadedFile(filename="good.png", content=png_bytes()),
        UploadedFile(filename="bad.png", content=b"text"),
    ]
    with pytest.raises(ValidationFailed) as excinfo:
        validate_attachments(files)
    assert excinfo.value.message.startswith("bad.png ")


@pytest.mark.parametrize(
    ("filename", "safe"),
    [
        ("../../etc/passwd.png", "passwd.png"),
        ("/var/www/shot.png", "shot.png"),
        ("C:\\Users\\alice\\Desktop\\shot.png", "shot.png"),
        ("..\\..\\shot.png", "shot.png"),
        ("  spaced.png  ", "spaced.png"),
        ("evil\x00name\n.png", "evilname.png"),
        ("", "file"),
        ("dir/", "file"),
        ("..", "file"),
        ("uploads/.", "file"),
        ("\x00\x07", "file"),
        ("截图 2024.png", "截图 2024.png"),
        ("x" * 300 + ".png", "x" * 120),
    ],
)
def test_path_and_control_characters_are_stripped_from_names(filename, safe):
    [valid] = validate_attachments([UploadedFile(filename=filename, content=png_bytes())])
    assert valid.filename == safe


@pytest.mark.parametrize(
    ("filename", "stored"), [("../../../../tmp/evil.png", "evil.png"), ("..", "file")]
)
def test_stored_file_stays_inside_the_attachments_folder(
    conversation_a, customer_1, actor_of, filename, stored
):
    services.message_reply(
        conversation=conversation_a,
        body="see file",
        actor=actor_of(customer_1),
        attachments=[UploadedFile(filename=filename, content=png_bytes())],
    )
    attachment = Attachment.objects.get()
    assert attachment.filename == stored
    assert attachment.file.name.startswith("attachments/")
    assert ".." not in attachment.file.name
    assert attachment.file.name.rsplit("/", 1)[-1].startswith(stored.split(".")[0])
