"""The pure checks: links found in text, names compared by what they look like."""

from __future__ import annotations

import pytest

from kefu.community import safety
from kefu.trust.check import NOT_OFFICIAL, OFFICIAL, SUSPICIOUS, Entry, Registry

REGISTRY = Registry((Entry(kind="domain", value="demo-exchange.com"),))


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("see photo.png and e.g. version 1.2.3", []),
        ("this looks like a file: invoice.zip", ["invoice.zip"]),
        ("go to https://example.org/a?b=1.", ["https://example.org/a?b=1"]),
        ("visit example.org, or www.example.net", ["www.example.net", "example.org"]),
        ("mail me at bob@example.org", []),
        ("中文网址 demo-exchange.com。", ["demo-exchange.com"]),
    ],
)
def test_find_links(text, links):
    assert safety.find_links(text) == links


def test_find_links_is_bounded():
    found = safety.find_links(" ".join(f"site{n}.com" for n in range(1000)))
    assert len(found) == safety.MAX_LINKS + 1


@pytest.mark.parametrize(
    ("value", "verdict"),
    [
        ("https://demo-exchange.com/fees", OFFICIAL),
        ("https://help.demo-exchange.com/", OFFICIAL),
        ("https://dem0-exchange.com/", SUSPICIOUS),
        ("https://demo-exchange.com.evil.io/", SUSPICIOUS),
        ("https://example.org/", NOT_OFFICIAL),
    ],
)
def test_links_are_judged_by_the_official_registry(value, verdict):
    assert [v.verdict for v in safety.check_links(value, registry=REGISTRY)] == [verdict]


def test_name_key_folds_lookalikes():
    assert safety.name_key("Ｓｕｐｐ0ｒｔ_Team") == safety.name_key("support team")
    assert safety.name_key("Ѕupport") == "support"


def test_screen_text_redacts_and_notices_requests():
    seed = "abandon ability able about above absent absorb abstract absurd abuse access accident"
    screened = safety.screen_text(f"My wallet words are {seed} please help")
    assert "abandon" not in screened.text
    assert screened.secret_kinds == ("seed_phrase",)
    assert safety.screen_text("DM me your seed phrase to unlock").asks_for_secret == "seed_phrase"
    assert safety.screen_text("Never share your seed phrase.").asks_for_secret is None
