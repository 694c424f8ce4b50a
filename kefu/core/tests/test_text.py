"""render_markdown: Markdown in, safe HTML out."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.core import text as text_module
from kefu.core.text import render_markdown


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def assert_safe(html: str) -> None:
    for tag, attrs in tags_of(html):
        assert tag not in {"script", "img", "iframe", "style", "svg", "object", "form", "input"}
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name != "style"
            if name == "href":
                assert (value or "").lower().startswith(("http://", "https://", "mailto:"))


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("**bold** and *em*", "<p><strong>bold</strong> and <em>em</em></p>\n"),
        ("line one\nline two", "<p>line one<br>\nline two</p>\n"),
        ("- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n"),
        ("`0xabc`", "<p><code>0xabc</code></p>\n"),
        ("~~old~~", "<p><s>old</s></p>\n"),  # strikethrough
        ("> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>\n"),
        ("您好，**提现**已到账", "<p>您好，<strong>提现</strong>已到账</p>\n"),
        ("", ""),
    ],
)
def test_markdown_is_rendered(text, html):
    assert render_markdown(text) == html


def test_none_renders_as_empty():
    assert render_markdown(None) == ""  # type: ignore[arg-type]


def test_links_get_safe_rel():
    html = render_markdown("[explorer](https://tronscan.org/#/transaction/abc)")
    assert tags_of(html) == [
        ("p", {}),
        (
            "a",
            {
                "href": "https://tronscan.org/#/transaction/abc",
                "rel": "noopener noreferrer nofollow",
            },
        ),
    ]


def test_tables_render():
    html = render_markdown("| asset | amount |\n|---|---|\n| USDT | 10 |")
    assert [t for t, _ in tags_of(html)] == [
        "table",
        "thead",
        "tr",
        "th",
        "th",
        "tbody",
        "tr",
        "td",
        "td",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "hello <script src='https://evil.example/x.js'></script>",
        '<img src=x onerror="alert(1)">',
        '<a href="#" onclick="steal()">click</a>',
        "[click me](javascript:alert(1))",
        "[click me](JaVaScRiPt:alert(1))",
        "[click me](jav&#x61;script:alert(1))",
        "[click me](  javascript:alert(document.cookie) )",
        "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[vb](vbscript:msgbox(1))",
        "![pixel](https://evil.example/track.png)",
        '<iframe src="https://evil.example"></iframe>',
        '<p style="background:url(javascript:alert(1))">x</p>',
        "<svg onload=alert(1)>",
        "<a href='javascript:alert(1)'>x</a>",
        "<<script>script>alert(1)<</script>/script>",
    ],
)
def test_dangerous_input_is_neutralised(text):
    html = render_markdown(text)
    assert_safe(html)
    assert "<script" not in html.lower()
    assert 'href="javascript:' not in html.lower()


def test_raw_html_is_shown_as_text_not_markup():
    html = render_markdown("<b>hi</b> <script>x</script>")
    assert html == "<p>&lt;b&gt;hi&lt;/b&gt; &lt;script&gt;x&lt;/script&gt;</p>\n"


# --- the plain-text fast path (kefu.core.text._PLAIN) -----------------------------------------


def _outcome(render, text):
    """What ``render`` gives, or the error it raises (a lone surrogate cannot be encoded)."""
    try:
        return render(text)
    except UnicodeEncodeError as exc:
        return type(exc)


_MARKDOWNISH = " \n\t\r*_`~|#[]<>&\\!-+=.)(:;'\"，。？！0123456789\u00a0\u3000"


@settings(max_examples=3000, deadline=None)
@given(
    st.text(
        alphabet=st.one_of(
            st.sampled_from("aZé字提现ǅ²٣ ,.?!'\":;/()%$@=+-，。？！：；、（）“”‘’19"),
            st.sampled_from(_MARKDOWNISH),
            st.characters(whitelist_categories=("L", "N")),  # any letter or digit
        ),
        max_size=40,
    )
)
def test_the_fast_path_renders_exactly_as_the_full_renderer(text):
    assert _outcome(render_markdown, text) == _outcome(text_module._render, text)


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=st.characters(), max_size=20))
def test_any_text_renders_exactly_as_the_full_renderer(text):
    assert _outcome(render_markdown, text) == _outcome(text_module._render, text)


@pytest.mark.parametrize(
    "text",
    [
        "hello I cannot withdraw my USDT, order 12345",
        "m1765034000000000000x12 Hi, my deposit has not arrived yet, can you check please?",
        "提现还没到账，请查一下！",
        'he said "wait" (it\'s 50% done) @ 3:15 = ok?',
    ],
)
def test_ordinary_messages_take_the_fast_path(text):
    assert text_module._PLAIN.fullmatch(text)
    assert render_markdown(text) == text_module._render(text) == f"<p>{text}</p>\n"


@pytest.mark.parametrize(
    "text", ["1. first", "2) second", "a *b*", "x_y", "a\nb", "a ", "#tag", "a < b", "a & b"]
)
def test_markdown_or_html_takes_the_full_renderer(text):
    assert not text_module._PLAIN.fullmatch(text)
