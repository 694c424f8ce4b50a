"""The Ed25519 key that signs transcripts, and the public keys that verify them.

The private key comes from ``KEFU_TRANSCRIPT_SIGNING_KEY`` (a PKCS8 PEM, or the file named by
``KEFU_TRANSCRIPT_SIGNING_KEY_FILE``). Without it, one is generated on first use and kept at
``KEFU_TRANSCRIPT_GENERATED_KEY_PATH`` (mode 0600); when two processes race to create it, both
end up with the one that reached the disk first. Public keys listed in
``KEFU_TRANSCRIPT_RETIRED_PUBLIC_KEYS`` still verify transcripts signed before a rotation.

Nothing here puts key material in a log line or an error message.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import logging
import os
import re
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

ALG = "Ed25519"
KEY_ID_LENGTH = 16  # hex characters of the SHA-256 of the raw public key
_PEM_BLOCK = re.compile(
    r"-----BEGIN PUBLIC KEY-----[A-Za-z0-9+/=\s]+?-----END PUBLIC KEY-----", re.MULTILINE
)


def key_id_for(public_key: Ed25519PublicKey) -> str:
    """The short public name of a key: the first 16 hex characters of SHA-256(raw key)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:KEY_ID_LENGTH]


@dataclass(frozen=True, slots=True)
class PublicKey:
    """A key that verifies transcripts: the current one or a retired one."""

    key_id: str
    key: Ed25519PublicKey
    retired: bool

    @property
    def pem(self) -> str:
        return self.key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")

    @property
    def raw_b64(self) -> str:
        raw = self.key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return base64.b64encode(raw).decode("ascii")

    def verifies(self, signature: bytes, data: bytes) -> bool:
        try:
            self.key.verify(signature, data)
        except InvalidSignature:
            return False
        return True


class SigningKey:
    """The private key, kept out of repr() so it never lands in a traceback or log."""

    __slots__ = ("_key", "public")

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key
        public = key.public_key()
        self.public = PublicKey(key_id=key_id_for(public), key=public, retired=False)

    @property
    def key_id(self) -> str:
        return self.public.key_id

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data)

    def __repr__(self) -> str:
        return f"<SigningKey {self.key_id}>"


def signing_key() -> SigningKey:
    """The key that signs new transcripts (configured, or generated once and kept on disk)."""
    return _signing_key(
        settings.KEFU_TRANSCRIPT_SIGNING_KEY, str(settings.KEFU_TRANSCRIPT_GENERATED_KEY_PATH)
    )


def verification_keys() -> dict[str, PublicKey]:
    """Every key that verifies transcripts, by key id: the current one and the retired ones."""
    current = signing_key().public
    keys = {k.key_id: k for k in _retired_keys(settings.KEFU_TRANSCRIPT_RETIRED_PUBLIC_KEYS)}
    keys[current.key_id] = current  # the current key is never "retired", even if listed
    return keys


def retired_keys() -> list[PublicKey]:
    current = signing_key().key_id
    return [
        k
        for k in _retired_keys(settings.KEFU_TRANSCRIPT_RETIRED_PUBLIC_KEYS)
        if k.key_id != current
    ]


def configured_keys_valid() -> None:
    """Parse the configured keys (never generating one); ImproperlyConfigured if one is bad."""
    if settings.KEFU_TRANSCRIPT_SIGNING_KEY.strip():
        _signing_key(settings.KEFU_TRANSCRIPT_SIGNING_KEY, "")
    _retired_keys(settings.KEFU_TRANSCRIPT_RETIRED_PUBLIC_KEYS)


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@functools.lru_cache(maxsize=8)
def _signing_key(configured: str, generated_path: str) -> SigningKey:
    if configured.strip():
        return SigningKey(_parse_private(configured.encode("utf-8"), "KEFU_TRANSCRIPT_SIGNING_KEY"))
    return SigningKey(load_or_create(Path(generated_path)))


@functools.lru_cache(maxsize=8)
def _retired_keys(configured: str) -> tuple[PublicKey, ...]:
    keys: list[PublicKey] = []
    blocks = _PEM_BLOCK.findall(configured)
    if configured.strip() and not blocks:
        raise ImproperlyConfigured(
            "KEFU_TRANSCRIPT_RETIRED_PUBLIC_KEYS must hold PEM public keys "
            "(-----BEGIN PUBLIC KEY----- blocks)."
        )
    for index, block in enumerate(blocks, start=1):
        try:
            key = serialization.load_pem_public_key(block.encode("ascii"))
        except ValueError:
            key = None
        if not isinstance(key, Ed25519PublicKey):
            raise ImproperlyConfigured(
                f"KEFU_TRANSCRIPT_RETIRED_PUBLIC_KEYS: key {index} is not an Ed25519 public key."
            )
        keys.append(PublicKey(key_id=key_id_for(key), key=key, retired=True))
    return tuple(keys)


def _parse_private(pem: bytes, source: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, Ed25519PrivateKey):
        # ``from None``: the parser's own exception must not carry the key into a traceback.
        raise ImproperlyConfigured(
            f"{source} is not an unencrypted Ed25519 private key in PKCS8 PEM form."
        ) from None
    return key


def load_or_create(path: Path) -> Ed25519PrivateKey:
    """Read the generated key at ``path``, creating it first if it does not exist yet."""
    try:
        return _read(path)
    except FileNotFoundError:
        return create_once(path)


def create_once(path: Path) -> Ed25519PrivateKey:
    """Create the key file unless another process did first, and return the key on disk.

    The new key is written in full to a private temporary file, then hard-linked into place:
    linking fails when the name exists, so readers never see half a file and the first
    process to link wins.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(private_key_pem(Ed25519PrivateKey.generate()))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
            logger.info("Generated a transcript signing key at %s", path)
        except FileExistsError:
            pass  # another process won the race: use its key
    finally:
        temporary.unlink(missing_ok=True)
    return _read(path)


def _read(path: Path) -> Ed25519PrivateKey:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        logger.warning("The transcript signing key %s is readable by others (mode %o)", path, mode)
    return _parse_private(path.read_bytes(), str(path))


def clear_caches() -> None:
    """Forget the loaded keys (tests, and after a rotation in a long-lived shell)."""
    _signing_key.cache_clear()
    _retired_keys.cache_clear()
