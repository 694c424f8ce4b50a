"""The cross-site-scripting probe: the payload corpus and a browser context that notices when any
payload gets to run.

Every payload in ``xss_payloads.txt`` tries to call ``window.__xss(<its number>)`` or to set
``document.title`` to ``XSSFIRED-<its number>``. A ``Probe`` is a Chromium context whose pages
all get an init script defining that marker (reporting to Python through an exposed binding,
from every frame), a trap on the ``document.title`` setter and a dialog handler. After each page
load ``Probe.check`` also sweeps the DOM, open shadow roots included, for anything that could run
script later even though nothing ran yet (an ``on*`` attribute, a ``javascript:`` URL, a
``srcdoc``, a foreign frame or object, a ``<base>``, a refresh ``<meta>``, an injected
``<script>`` or ``<style>``), and checks that each input's text is visible where the page shows
it, so an input that was dropped silently instead of escaped fails too.

The context bypasses the site's Content Security Policy on purpose: the CSP (script-src 'self')
would block most of these payloads even if escaping were broken, so with it in force the test
could not tell escaping from luck. Escaping and sanitising must hold on their own; the widget
runs on exchanges' pages, which may have no CSP at all.
"""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

CORPUS = Path(__file__).with_name("xss_payloads.txt")
MARKER_ID = "XID"
_B64 = re.compile(r"\{b64:(.*?)\}")


@dataclass(frozen=True)
class Payload:
    number: int
    text: str  # may contain line breaks

    def token(self, prefix: str) -> str:
        """A word that marks where this payload went in one input, e.g. ``cm007``."""
        return f"{prefix}{self.number:03d}"

    def line(self, prefix: str, *, limit: int | None = None) -> str | None:
        """``<token> <payload>`` on one line, or None if it does not fit in ``limit``."""
        value = f"{self.token(prefix)} {' '.join(self.text.splitlines())}"
        return value if limit is None or len(value) <= limit else None

    def block(self, prefix: str) -> str:
        """The token as its own paragraph, then the payload: for Markdown inputs, so block-level
        payloads (headings, fences, reference definitions) start at the beginning of a line."""
        return f"{self.token(prefix)}\n\n{self.text}"


def load_corpus(path: Path = CORPUS) -> list[Payload]:
    payloads: list[Payload] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        number = len(payloads) + 1
        text = raw
        if text.startswith("esc:"):
            text = text[4:].encode("utf-8").decode("unicode_escape")
            # unicode_escape reads the UTF-8 bytes as Latin-1: undo that for literal non-ASCII.
            text = text.encode("latin-1", "backslashreplace").decode("utf-8", "replace")
        text = text.replace(MARKER_ID, str(number))
        text = _B64.sub(lambda m: base64.b64encode(m.group(1).encode()).decode(), text)
        payloads.append(Payload(number=number, text=text))
    return payloads


def off_loop(fn: Callable[[], T]) -> T:
    """Run ``fn`` (test data set-up through the services) in a thread of its own.

    Services publish real-time events on commit with ``async_to_sync``, which refuses to run in
    the test thread while Playwright's event loop lives there."""
    from django.db import connections

    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["value"] = fn()
        except BaseException as exc:
            result["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]  # type: ignore[no-any-return]


# --- in the browser -----------------------------------------------------------------------------

INIT_SCRIPT = r"""
(() => {
  const fired = (window.__xssFired = []);
  const report = (what) => {
    fired.push(String(what));
    try { window.__xssReport(String(what)); } catch (e) { /* binding not ready: kept above */ }
  };
  Object.defineProperty(window, "__xss", {
    value: (id) => report("marker " + id), writable: false, configurable: false,
  });
  const title = Object.getOwnPropertyDescriptor(Document.prototype, "title");
  Object.defineProperty(Document.prototype, "title", {
    configurable: true,
    get() { return title.get.call(this); },
    set(value) {
      if (String(value).includes("XSSFIRED")) report("title " + value);
      title.set.call(this, value);
    },
  });
})();
"""

# Everything in the document (and open shadow roots) that could run script now or on a click.
SWEEP_SCRIPT = r"""
() => {
  const found = [];
  const URL_ATTRS = new Set(["href", "src", "action", "formaction", "data", "poster",
    "background", "codebase", "srcset", "lowsrc", "dynsrc", "ping", "cite", "longdesc",
    "manifest", "icon", "archive", "xlink:href", "to", "from", "values"]);
  const squeeze = (v) =>
    v.replace(/[\u0000-\u0020\u007f-\u00a0\u200b-\u200f\u2028\u2029\ufeff]+/g, "").toLowerCase();
  const DANGEROUS_URL = new RegExp(
    "^(javascript|vbscript|livescript):|^data:(text/html|text/javascript|" +
      "application/(x-)?javascript|application/xhtml|image/svg|text/xml)"
  );
  const describe = (el) => "<" + el.localName + " " + Array.from(el.attributes).map(
    (a) => a.name + '="' + a.value.slice(0, 60) + '"').join(" ") + ">";
  const visit = (root, where) => {
    for (const el of root.querySelectorAll("*")) {
      const tag = el.localName;
      for (const attr of el.attributes) {
        const name = attr.name.toLowerCase();
        if (name.startsWith("on")) found.push(where + " event handler: " + describe(el));
        else if (name === "srcdoc") found.push(where + " srcdoc: " + describe(el));
        else if ((URL_ATTRS.has(name) || name.endsWith(":href"))
                 && DANGEROUS_URL.test(squeeze(attr.value)))
          found.push(where + " script URL: " + describe(el));
        else if (name === "style"
                 && /expression\s*\(|javascript:|__xss|behavior\s*:/i.test(attr.value))
          found.push(where + " style attribute: " + describe(el));
      }
      const FOREIGN = ["iframe", "frame", "frameset", "object", "embed", "applet", "base"];
      if (FOREIGN.includes(tag) || tag === "portal")
        found.push(where + " element: " + describe(el));
      if (tag === "meta" && (el.getAttribute("http-equiv") || "").toLowerCase() === "refresh")
        found.push(where + " meta refresh: " + describe(el));
      if (tag === "script") {
        const src = el.getAttribute("src");
        if (src && new URL(src, document.baseURI).origin !== location.origin)
          found.push(where + " foreign script: " + describe(el));
        if (/__xss|XSSFIRED/.test(el.textContent))
          found.push(where + " injected script: " + el.textContent.slice(0, 80));
      }
      if (tag === "style" && /__xss|XSSFIRED|javascript:|expression\s*\(/i.test(el.textContent))
        found.push(where + " injected style: " + el.textContent.slice(0, 80));
      if (el.shadowRoot) visit(el.shadowRoot, where + " shadow(" + tag + ")");
    }
  };
  visit(document, "document");
  return found;
}
"""

# The text a person sees: the body's rendered text plus that of open shadow roots (the widget).
VISIBLE_TEXT_SCRIPT = r"""
() => {
  const parts = [document.body ? document.body.innerText : ""];
  const visit = (root) => {
    for (const el of root.querySelectorAll("*")) {
      if (!el.shadowRoot) continue;
      for (const child of el.shadowRoot.children) if (child.innerText) parts.push(child.innerText);
      visit(el.shadowRoot);
    }
  };
  visit(document);
  return parts.join("\n");
}
"""

# The whole markup, shadow roots included: for "must not be on this page at all" checks.
MARKUP_SCRIPT = r"""
() => {
  const parts = [document.documentElement.outerHTML];
  const visit = (root) => {
    for (const el of root.querySelectorAll("*")) {
      if (!el.shadowRoot) continue;
      parts.push(el.shadowRoot.innerHTML);
      visit(el.shadowRoot);
    }
  };
  visit(document);
  return parts.join("\n");
}
"""

# Two rendering frames and a tick: autofocus, <details> toggle and SVG animation events have run.
SETTLE_SCRIPT = (
    "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => "
    "setTimeout(r, 20))))"
)


def normalise(text: str) -> str:
    """Whitespace folded the way rendered text folds it."""
    return " ".join(text.split())


@dataclass
class Probe:
    """A browser context that records every payload that runs (see the module docstring)."""

    browser: Any
    base_url: str
    fired: list[str] = field(default_factory=list)
    pages_checked: int = 0

    def __post_init__(self) -> None:
        self.context = self.browser.new_context(
            bypass_csp=True,
            locale="en-US",
            viewport={"width": 1280, "height": 900},
            base_url=self.base_url,
        )
        self.context.expose_binding("__xssReport", self._report)
        self.context.add_init_script(INIT_SCRIPT)

    def _report(self, source: dict[str, Any], what: str) -> None:
        self.fired.append(f"{what} in {source['frame'].url}")

    def new_page(self) -> Any:
        page = self.context.new_page()

        def dialog(d: Any) -> None:
            if d.type == "beforeunload":  # the editor's "leave with unsaved changes?" prompt
                d.accept()
                return
            self.fired.append(f"dialog {d.type}: {d.message}")
            d.dismiss()

        page.on("dialog", dialog)
        return page

    def sign_in(self, user: Any) -> None:
        """Share a server-side session for ``user`` with this context (what signing in does)."""
        from django.conf import settings
        from django.test import Client

        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        self.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": self.base_url}]
        )

    def visit(self, page: Any, path: str) -> None:
        response = page.goto(path, wait_until="load")
        assert response is not None, path
        assert response.status == 200, (path, response.status)

    def check(
        self,
        page: Any,
        where: str,
        *,
        show: Iterable[str] = (),
        hide: Iterable[str] = (),
    ) -> str:
        """Assert nothing ran or could run on ``page``, every ``show`` text is visible and no
        ``hide`` text is anywhere in its markup. Returns the visible text."""
        page.evaluate(SETTLE_SCRIPT)
        ran = list(self.fired)
        for frame in page.frames:
            try:
                ran += [f"{m} in {frame.url}" for m in frame.evaluate("window.__xssFired || []")]
            except Exception:  # noqa: S112 - a frame that navigated away has nothing to report
                continue
        assert ran == [], f"{where}: script ran: {sorted(set(ran))[:10]}"
        findings = page.evaluate(SWEEP_SCRIPT)
        assert findings == [], f"{where}: script could run: {findings[:10]}"
        text = normalise(page.evaluate(VISIBLE_TEXT_SCRIPT))
        missing = [s for s in show if normalise(s) not in text]
        assert missing == [], f"{where}: not shown as text: {missing[:10]}"
        hidden = list(hide)
        if hidden:
            markup = page.evaluate(MARKUP_SCRIPT)
            leaked = [s for s in hidden if s in markup]
            assert leaked == [], f"{where}: must not be on this page: {leaked[:10]}"
        self.pages_checked += 1
        return text

    def close(self) -> None:
        self.context.close()
