from __future__ import annotations

import random

import base58
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kefu.guard.detect import scan
from kefu.guard.tests.helpers import kinds

RNG = random.Random("keys")
HEX = RNG.randbytes(32).hex()


@pytest.mark.parametrize(
    "text",
    [
        f"my withdrawal txid is 0x{HEX}",
        f"交易哈希 {HEX}",
        f"提币记录的哈希值：0x{HEX}，链上显示成功",
        f"https://etherscan.io/tx/0x{HEX}",
        f"{HEX} is the transaction id of my deposit",
        f"deposit not credited, tx {HEX}",
        f"SHA256 of the file: {HEX}",
    ],
)
def test_hex_given_as_public_data_passes_untouched(text):
    result = scan(text)
    assert result.findings == ()
    assert result.redacted == text


@pytest.mark.parametrize(
    "text",
    [
        f"my private key is 0x{HEX}",
        f"私钥是{HEX}",
        f"{HEX} is my private key",
        f"exported from metamask: {HEX}",
        f"{HEX}",
    ],
)
def test_the_same_hex_given_as_a_key_is_caught(text):
    assert [k for k, _ in kinds(text)] == ["private_key"]
    assert HEX not in scan(text).redacted


def test_txid_and_key_in_one_message_are_told_apart():
    key = RNG.randbytes(32).hex()
    text = f"提币哈希 {HEX}，私钥是 {key}"
    assert kinds(text) == [("private_key", key)]


def test_wif_and_xprv_are_keys_without_context():
    wif = base58.b58encode_check(b"\x80" + RNG.randbytes(32) + b"\x01").decode()
    xprv = base58.b58encode_check(
        b"\x04\x88\xad\xe4" + bytes(9) + RNG.randbytes(32) + b"\x00" + RNG.randbytes(32)
    ).decode()
    assert kinds(f"can you check {wif}") == [("private_key", wif)]
    assert kinds(f"{xprv} thanks") == [("private_key", xprv)]


def test_solana_keypair_is_recognised_by_its_public_half():
    secret = RNG.randbytes(32)
    public = Ed25519PrivateKey.from_private_bytes(secret).public_key().public_bytes_raw()
    key = base58.b58encode(secret + public).decode()
    assert kinds(f"phantom export {key}") == [("private_key", key)]
    # A 64-byte base58 string that is not a keypair (a Solana signature) is public.
    signature = base58.b58encode(RNG.randbytes(64)).decode()
    assert scan(f"signature {signature} on solscan").findings == ()


@pytest.mark.parametrize(
    "text",
    [
        "my deposit address is 0x742d35Cc6634C0532925a3b844Bc454e4438f44e",
        "withdraw to bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq failed",
        "TRON address TN3W4H6rK2ce4vX9YnFQHwKENnHjoxb3m9 please whitelist",
        "my private key? no, this is my address 0x742d35Cc6634C0532925a3b844Bc454e4438f44e",
    ],
)
def test_addresses_are_never_secrets(text):
    assert scan(text).findings == ()
