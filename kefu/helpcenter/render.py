"""Article Markdown in, sanitised HTML out. Like the core's renderer (no raw HTML, no scripts),
plus what articles need: headings with anchors, images uploaded to the knowledge base, and
links to other articles."""

from __future__ import annotations

import re
from html import unescape

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": False}).enable(
    ["table", "strikethrough"]
)
_TAGS = {
    "p", "br", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li",
    "a", "h2", "h3", "h4", "table", "thead", "tbody", "tr", "th", "td", "hr", "img",
}  # fmt: skip
# Images may only come from the knowledge base's own media URLs: an article can never make a
# reader's browser fetch a third-party URL (tracking pixels, mixed content).
IMAGE_PREFIX = "/help/media/"
_HEADING = re.compile(r"<(h[234])>(.*?)</\1>", re.S)
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def _filter_attribute(element: str, attribute: str, value: str) -> str | None:
    if element == "img" and attribute == "src":
        segments = value.split("?", 1)[0].split("/")
        return value if value.startswith(IMAGE_PREFIX) and ".." not in segments else None
    return value


def _anchor(text: str, used: set[str]) -> str:
    base = re.sub(r"[^\w]+", "-", unescape(_TAG.sub("", text)).lower()).strip("-")[:60] or "s"
    anchor, n = base, 2
    while anchor in used:
        anchor, n = f"{base}-{n}", n + 1
    used.add(anchor)
    return anchor


def render_article(markdown: str) -> str:
    """Safe HTML for an article body: level-1 headings become level 2 (the page title is the
    only h1), every heading gets an ``id`` so it can be linked, and images must be ours."""
    text = re.sub(r"^# ", "## ", markdown or "", flags=re.M)
    html = nh3.clean(
        _md.render(text),
        tags=_TAGS,
        attributes={"a": {"href", "title"}, "img": {"src", "alt", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_filter_attribute,
    )
    used: set[str] = set()
    return _HEADING.sub(
        lambda m: f'<{m.group(1)} id="{_anchor(m.group(2), used)}">{m.group(2)}</{m.group(1)}>',
        html,
    )


def plain_text(html: str) -> str:
    """The words of rendered HTML, for search and meta descriptions."""
    return _SPACE.sub(" ", unescape(_TAG.sub(" ", html))).strip()
