"""``kefu transcript``: verify files from the command line, print and generate keys."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command

from kefu.transcripts import keys
from kefu.transcripts.services import transcript_export

pytestmark = pytest.mark.django_db


@pytest.fixture
def exported_file(full_conversation, customer_1, actor_of, tmp_path):
    def make(fmt: str):
        content = transcript_export(
            conversation=full_conversation, audience="customer", fmt=fmt, actor=actor_of(customer_1)
        ).content
        path = tmp_path / f"transcript.{fmt}"
        path.write_bytes(content)
        return path

    return make


@pytest.mark.parametrize("fmt", ["pdf", "json"])
def test_verify_prints_json_and_succeeds_for_a_genuine_file(exported_file, capsys, fmt):
    path = exported_file(fmt)
    call_command("transcript", "verify", str(path))
    out = json.loads(capsys.readouterr().out)
    assert out["file"] == str(path)
    assert out["valid"] is True
    assert out["key_id"] == keys.signing_key().key_id


def test_verify_exits_1_for_an_altered_file(exported_file, capsys):
    path = exported_file("pdf")
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(CommandError) as caught:
        call_command("transcript", "verify", str(path))
    assert caught.value.returncode == 1
    assert json.loads(capsys.readouterr().out)["valid"] is False


def test_verify_exits_2_for_a_missing_file(tmp_path):
    with pytest.raises(CommandError) as caught:
        call_command("transcript", "verify", str(tmp_path / "nope.pdf"))
    assert caught.value.returncode == 2
    assert "cannot read" in str(caught.value)


def test_public_key_prints_the_current_pem(capsys):
    call_command("transcript", "public-key")
    assert capsys.readouterr().out == keys.signing_key().public.pem


def test_generate_key_prints_a_usable_new_key_and_saves_nothing(capsys, settings):
    call_command("transcript", "generate-key")
    pem = capsys.readouterr().out
    assert pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert not settings.KEFU_TRANSCRIPT_GENERATED_KEY_PATH.exists()
    private = serialization.load_pem_private_key(pem.encode(), password=None)
    assert isinstance(private, Ed25519PrivateKey)
    settings.KEFU_TRANSCRIPT_SIGNING_KEY = pem
    keys.clear_caches()
    assert keys.signing_key().public.pem == keys.SigningKey(private).public.pem
