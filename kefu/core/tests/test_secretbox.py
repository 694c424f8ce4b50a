"""kefu.core.secretbox: sealing with per-purpose keys and SECRET_KEY rotation."""

from __future__ import annotations

import pytest

from kefu.core import secretbox

A = b"kefu.test.purpose-a"
B = b"kefu.test.purpose-b"


def test_a_sealed_value_opens_and_is_not_the_plaintext(settings):
    token = secretbox.seal("JBSWY3DPEHPK3PXP", purpose=A)
    assert "JBSWY3DPEHPK3PXP" not in token
    assert secretbox.unseal(token, purpose=A) == secretbox.Opened("JBSWY3DPEHPK3PXP", False)


def test_each_purpose_has_its_own_key():
    token = secretbox.seal("secret", purpose=A)
    with pytest.raises(secretbox.SecretUnreadable):
        secretbox.unseal(token, purpose=B)


def test_a_value_sealed_before_a_rotation_opens_with_the_fallback_and_is_stale(settings):
    settings.SECRET_KEY = "old-key-" + "x" * 50
    settings.SECRET_KEY_FALLBACKS = []
    token = secretbox.seal("secret", purpose=A)
    settings.SECRET_KEY = "new-key-" + "y" * 50
    settings.SECRET_KEY_FALLBACKS = ["old-key-" + "x" * 50]
    assert secretbox.unseal(token, purpose=A) == secretbox.Opened("secret", True)
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(secretbox.SecretUnreadable):
        secretbox.unseal(token, purpose=A)


@pytest.mark.parametrize("token", ["", "not a token", "gAAAAA" + "A" * 80, "令牌"])
def test_damaged_values_are_unreadable_not_a_crash(token):
    with pytest.raises(secretbox.SecretUnreadable):
        secretbox.unseal(token, purpose=A)


def test_digests_match_under_current_and_fallback_keys(settings):
    settings.SECRET_KEY = "old-key-" + "x" * 50
    settings.SECRET_KEY_FALLBACKS = []
    stored = secretbox.digests("abcd-efgh", purpose=A)[0]
    settings.SECRET_KEY = "new-key-" + "y" * 50
    settings.SECRET_KEY_FALLBACKS = ["old-key-" + "x" * 50]
    current, fallback = secretbox.digests("abcd-efgh", purpose=A)
    assert fallback == stored
    assert current != stored
    assert secretbox.digests("abcd-efgh", purpose=B)[1] != stored
