"""The signing key: generated once and kept private, configured, rotated; never revealed."""

from __future__ import annotations

import hashlib
import logging
import stat
import threading

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from django.core.exceptions import ImproperlyConfigured

from kefu.transcripts import keys
from kefu.transcripts.checks import transcript_keys_check

from .conftest import pem_private, pem_public


def test_a_key_is_generated_once_with_mode_0600_and_reused(settings):
    path = settings.KEFU_TRANSCRIPT_GENERATED_KEY_PATH
    assert not path.exists()
    first = keys.signing_key()
    assert path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left
    keys.clear_caches()
    assert keys.signing_key().key_id == first.key_id


def test_two_processes_creating_the_key_at_once_end_with_the_same_key(tmp_path):
    path = tmp_path / "race" / "transcript.pem"
    start = threading.Barrier(6)
    found: list[str] = []

    def create() -> None:
        start.wait()
        found.append(keys.key_id_for(keys.create_once(path).public_key()))

    threads = [threading.Thread(target=create) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    on_disk = keys.key_id_for(keys.load_or_create(path).public_key())
    assert found == [on_disk] * 6
    assert sorted(p.name for p in path.parent.iterdir()) == ["transcript.pem"]


def test_a_process_that_loses_the_race_uses_the_key_already_on_disk(tmp_path):
    path = tmp_path / "transcript.pem"
    winner = Ed25519PrivateKey.generate()
    path.write_text(pem_private(winner), encoding="ascii")
    loser = keys.create_once(path)  # as if it had looked just before the winner wrote
    assert keys.key_id_for(loser.public_key()) == keys.key_id_for(winner.public_key())
    assert path.read_text(encoding="ascii") == pem_private(winner)


def test_a_configured_key_signs_and_no_key_file_is_written(settings):
    configured = Ed25519PrivateKey.generate()
    settings.KEFU_TRANSCRIPT_SIGNING_KEY = pem_private(configured)
    key = keys.signing_key()
    assert key.key_id == keys.key_id_for(configured.public_key())
    configured.public_key().verify(key.sign(b"data"), b"data")
    assert not settings.KEFU_TRANSCRIPT_GENERATED_KEY_PATH.exists()


def test_key_id_is_the_first_16_hex_characters_of_sha256_of_the_raw_public_key():
    private = Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    assert keys.key_id_for(private.public_key()) == hashlib.sha256(raw).hexdigest()[:16]


def test_a_bad_configured_key_is_refused_without_revealing_it(settings):
    wrong_kind = (
        X25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode("ascii")
    )
    settings.KEFU_TRANSCRIPT_SIGNING_KEY = wrong_kind
    with pytest.raises(ImproperlyConfigured) as excinfo:
        keys.signing_key()
    body = wrong_kind.splitlines()[1]
    assert body not in str(excinfo.value)
    assert excinfo.value.__cause__ is None
    assert excinfo.value.__suppress_context__ is True
    errors = transcript_keys_check()
    assert [e.id for e in errors] == ["transcripts.E001"]
    assert body not in errors[0].msg


def test_the_private_key_is_never_in_repr_or_logs(settings, caplog):
    caplog.set_level(logging.DEBUG, logger="kefu.transcripts")
    key = keys.signing_key()
    pem = settings.KEFU_TRANSCRIPT_GENERATED_KEY_PATH.read_text(encoding="ascii")
    secret_line = pem.splitlines()[1]
    assert repr(key) == f"<SigningKey {key.key_id}>"
    assert secret_line not in caplog.text
    assert caplog.messages == [
        f"Generated a transcript signing key at {settings.KEFU_TRANSCRIPT_GENERATED_KEY_PATH}"
    ]


def test_retired_keys_verify_and_the_current_key_is_never_retired(settings):
    old_1, old_2 = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    current = keys.signing_key()
    settings.KEFU_TRANSCRIPT_RETIRED_PUBLIC_KEYS = (
        pem_public(old_1) + "\n" + pem_public(old_2) + current.public.pem
    )
    found = keys.verification_keys()
    assert sorted(found) == sorted(
        [keys.key_id_for(old_1.public_key()), keys.key_id_for(old_2.public_key()), current.key_id]
    )
    assert found[current.key_id].retired is False
    assert found[keys.key_id_for(old_1.public_key())].retired is True
    assert [k.key_id for k in keys.retired_keys()] == [
        keys.key_id_for(old_1.public_key()),
        keys.key_id_for(old_2.public_key()),
    ]


@pytest.mark.parametrize(
    "value",
    [
        "not a key",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
    ],
)
def test_a_bad_retired_key_setting_fails_the_system_check(settings, value):
    settings.KEFU_TRANSCRIPT_RETIRED_PUBLIC_KEYS = value
    assert [e.id for e in transcript_keys_check()] == ["transcripts.E001"]
    with pytest.raises(ImproperlyConfigured):
        keys.verification_keys()


def test_the_system_check_passes_with_good_keys_and_generates_nothing(settings):
    settings.KEFU_TRANSCRIPT_SIGNING_KEY = pem_private(Ed25519PrivateKey.generate())
    settings.KEFU_TRANSCRIPT_RETIRED_PUBLIC_KEYS = pem_public(Ed25519PrivateKey.generate())
    assert transcript_keys_check() == []
    settings.KEFU_TRANSCRIPT_SIGNING_KEY = ""
    settings.KEFU_TRANSCRIPT_RETIRED_PUBLIC_KEYS = ""
    assert transcript_keys_check() == []
    assert not settings.KEFU_TRANSCRIPT_GENERATED_KEY_PATH.exists()
