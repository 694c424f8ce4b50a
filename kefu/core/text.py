"""Untrusted text in, safe HTML out: Markdown is rendered, then sanitised with nh3 (Ammonia)."""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable(
    ["table", "strikethrough"]
)
_ALLOWED_TAGS = {
    "p", "br", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li",
    "a", "h1", "h2", "h3", "h4", "table", "thead", "tbody", "tr", "th", "td", "hr",
}  # fmt: skip

# One line of words that Markdown leaves alone (most chat messages): it starts with a letter or
# digit, but not a list number ("1." or "2)"), holds only letters, digits, single characters
# that mean nothing in Markdown or HTML (no * _ ` ~ | # [ ] < > & \, no tab, no line break)
# and ends without a space. Its HTML is one paragraph of the text as it is.
_PLAIN = re.compile(
    r"(?!\d+[.)])[^\W_](?:[^\W_]|[ ,.?!'\":;/()%$@=+\-，。？！：；、（）“”‘’])*(?<! )"
)


def render_markdown(text: str) -> str:
    """Render Markdown to HTML that is safe to show anywhere (no scripts, styles or raw HTML)."""
    if text and _PLAIN.fullmatch(text):
        return f"<p>{text}</p>\n"  # what _render gives for it (kefu/core/tests/test_text.py)
    return _render(text)


def _render(text: str) -> str:
    html = _md.render(text or "")
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
