"""Post Markdown in, sanitised HTML out: the same markdown-it + nh3 pipeline as the core's
renderer (``kefu.core.text``) and the help center's (``kefu.helpcenter.render``), plus images,
which may only come from the forum's own media URLs (a post can never make a reader's browser
fetch a third-party URL)."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

# markdown-it stops nesting at ``maxNesting`` levels (the rest renders as text), so a post of
# ten thousand ">" or "-" cannot build a deep tree; we keep it lower than the default 20.
MAX_NESTING = 12
_md = MarkdownIt(
    "commonmark", {"html": False, "linkify": False, "breaks": True, "maxNesting": MAX_NESTING}
).enable(["table", "strikethrough"])
_TAGS = {
    "p", "br", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li",
    "a", "h3", "h4", "table", "thead", "tbody", "tr", "th", "td", "hr", "img",
}  # fmt: skip
IMAGE_PREFIX = "/help/community/media/"


def _filter_attribute(element: str, attribute: str, value: str) -> str | None:
    if element == "img" and attribute == "src":
        segments = value.split("?", 1)[0].split("/")
        return value if value.startswith(IMAGE_PREFIX) and ".." not in segments else None
    return value


def render_post(markdown: str) -> str:
    """Safe HTML for a post. Headings are demoted (the thread title is the page's heading),
    raw HTML is text, scripts and styles never survive, links get ``nofollow ugc``."""
    html = _md.render(markdown or "")
    for level in ("1", "2"):
        html = html.replace(f"<h{level}>", "<h3>").replace(f"</h{level}>", "</h3>")
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes={"a": {"href", "title"}, "img": {"src", "alt", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow ugc",
        attribute_filter=_filter_attribute,
    )
