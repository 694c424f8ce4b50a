"""Post Markdown in, sanitised HTML out: the same markdown-it + nh3 pipeline as the core's
renderer (``kefu.core.text``) and the help center's (``kefu.helpcenter.render``), plus images,
which may only come from the forum's own media URLs (a post can never make a reader's browser
fetch a third-party URL)."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

# Quotes and lists may nest MAX_DEPTH deep; a deeper post is refused (``nesting_depth``), not
# cut. markdown-it itself stops at ``maxNesting`` token levels and silently drops everything
# after that point (a list takes two levels per step), so its cap sits above what MAX_DEPTH
# containers and a table inside them need: whatever passes the check renders in full, and a
# post of ten thousand ">" or "-" still cannot build a deep tree (or a deep recursion).
MAX_DEPTH = 10
_PARSER_CAP = 32
_md = MarkdownIt(
    "commonmark", {"html": False, "linkify": False, "breaks": True, "maxNesting": _PARSER_CAP}
).enable(["table", "strikethrough"])
_CONTAINERS = frozenset({"blockquote_open", "bullet_list_open", "ordered_list_open"})
_CLOSERS = frozenset({"blockquote_close", "bullet_list_close", "ordered_list_close"})
_TAGS = {
    "p", "br", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li",
    "a", "h3", "h4", "table", "thead", "tbody", "tr", "th", "td", "hr", "img",
}  # fmt: skip
IMAGE_PREFIX = "/help/community/media/"


def _filter_attribute(element: str, attribute: str, value: str) -> str | None:
    if element == "img" and attribute == "src":
        path = value.split("?", 1)[0]
        # Browsers resolve "%2e%2e" (and "\\") like "..": none of them may climb out.
        segments = path.lower().replace("%2e", ".").replace("\\", "/").replace("%5c", "/")
        ok = path.startswith(IMAGE_PREFIX) and ".." not in segments.split("/")
        return value if ok else None
    return value


def nesting_depth(markdown: str) -> int:
    """How deep the post's quotes and lists nest (at least MAX_DEPTH + 1 when deeper than
    the parser follows)."""
    depth = deepest = 0
    for token in _md.parse(markdown or ""):
        if token.type in _CONTAINERS:
            depth += 1
            deepest = max(deepest, depth)
        elif token.type in _CLOSERS:
            depth -= 1
    return deepest


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
