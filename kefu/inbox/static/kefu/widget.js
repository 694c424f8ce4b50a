/*
 * Kefu live-chat widget: the customer side of the chat protocol v1
 * (docs/subsystems/realtime.md). One self-contained file, no framework, no build step.
 *
 * Embedding (one tag; the Kefu base URL is taken from this script's own src):
 *
 *   <script src="https://kefu.example.com/static/kefu/widget.js" data-site="SITE_KEY"
 *           data-lang="zh-hans" async></script>
 *
 * Optional attributes:
 *   data-identity-token  a JWT signed by the exchange's backend (identified visitor)
 *   data-transport       "poll" forces the HTTP long-poll fallback
 *   data-lang            "en" or "zh-hans"; otherwise the page's <html lang> is used
 *   data-base            the Kefu base URL, when static files are served from elsewhere (a CDN)
 *
 * Public API, the only global: window.KefuChat.open(), .close(), .toggle(), .identify(token),
 * .setLanguage(code). Calls made before the script has loaded can be queued in an array:
 *   window.KefuChat = window.KefuChat || []; window.KefuChat.push(["identify", token]);
 * Any host-page element with a data-kefu-open attribute opens the chat when clicked, so pages
 * under a strict CSP need no script of their own for a "Contact support" link.
 *
 * Isolation: everything renders inside an open shadow root on a <kefu-chat> element, styled by
 * a constructed stylesheet (allowed by CSP style-src 'self'); host-page CSS cannot reach in and
 * ours cannot leak out. No eval, no inline event handlers, no style attributes in markup.
 */
(() => {
  "use strict";

  const queued = window.KefuChat;
  if (queued && queued.version) return; // a second copy of the tag: the first one wins

  const script =
    document.currentScript ||
    document.querySelector("script[data-site][src*='/kefu/widget']");
  const SITE = script ? (script.dataset.site || "").trim() : "";
  if (!SITE) {
    console.warn("Kefu chat: the script tag needs a data-site attribute.");
    return;
  }

  const VERSION = "1";
  const BASE = (() => {
    if (script.dataset.base) return script.dataset.base.replace(/\/+$/, "");
    const src = new URL(script.src, document.baseURI);
    const at = src.pathname.lastIndexOf("/static/");
    return src.origin + (at > 0 ? src.pathname.slice(0, at) : "");
  })();
  const WS_URL = BASE.replace(/^http/, "ws") + "/ws/chat/v1";
  const FORCE_POLL = script.dataset.transport === "poll";

  const PING_EVERY_MS = 25000;
  const PONG_TIMEOUT_MS = 10000;
  const BACKOFF_CAP_MS = 10000;
  const TYPING_THROTTLE_MS = 3000;
  const TYPING_IDLE_MS = 5000;
  const AGENT_TYPING_TTL_MS = 8000;
  const POLL_TIMEOUT_MS = 40000; // the server holds a poll for up to 25 s
  const MAX_BODY = 5000;
  const CONFIG_MAX_AGE_MS = 5 * 60 * 1000; // reloaded on open after this: open incidents change

  // ---------------------------------------------------------------------------------------
  // Strings. The real ones (English and Chinese) come from the site configuration endpoint;
  // this English copy is only used when that request fails, so the widget still works.
  const FALLBACK = {
    launcher_open: "Chat with support",
    launcher_close: "Close the chat",
    launcher_unread: "Chat with support ({count} new)",
    title: "Support",
    close: "Close",
    language: "Language",
    chatting_with: "You are chatting with {name}",
    greeting: "Hi! How can we help you today?",
    online: "We're online",
    agents_online: "Agents online: {count}",
    wait_minutes: "Typical reply in about {minutes} min",
    wait_under_minute: "Typical reply in under a minute",
    offline: "We're offline — leave a message and we'll reply by email.",
    offline_next: "We'll answer from {time}.",
    no_agents: "All agents are busy — leave a message and we'll reply here or by email.",
    hours: "Service hours: {hours}",
    contacts_title: "Official contact options",
    contacts_warning:
      "Our staff will never ask for your password, 2FA codes or private keys, " +
      "and never ask you to transfer funds.",
    email_prompt:
      "Leave your email address: if you leave the page, the conversation continues by email.",
    email_label: "Your email address (optional)",
    email_placeholder: "you@example.com",
    email_save: "Save email",
    email_skip: "Not now",
    email_saved: "We'll continue by email at {email} if you leave.",
    email_invalid: "Please enter a valid email address.",
    messages_label: "Conversation",
    you: "You",
    support: "Support",
    input_label: "Your message",
    input_placeholder: "Type your message…",
    send: "Send",
    sending: "Sending…",
    not_sent: "Not sent",
    retry: "Retry",
    read: "Read",
    typing: "{name} is typing…",
    new_message: "{name}: {text}",
    attachment: "Attachment",
    attach: "Attach an image or PDF",
    attach_invalid: "Only images and PDF files can be attached.",
    uploading: "Uploading {filename}…",
    upload_failed: "The file could not be uploaded. Please try again.",
    closed: "This conversation was closed.",
    new_conversation: "Start a new conversation",
    connecting: "Connecting…",
    reconnecting: "Connection lost. Reconnecting… Your messages will be sent automatically.",
    unavailable: "Chat is unavailable right now. Please reload the page or try again later.",
    sign_in_required: "Please sign in to your account to chat with us.",
    suggestions_title: "These articles may answer your question",
    suggestions_count: "Suggested articles: {count}",
    opens_new_tab: "(opens in a new tab)",
    status_title: "Service status",
    status_incident: "Incident",
    status_maintenance: "Maintenance in progress",
    status_upcoming: "Upcoming maintenance",
    assistant_choices: "Suggested replies",
    assistant_sources: "Sources",
    assistant_open_link: "Open the page",
    escalate_open: "Not solved? Ask to escalate",
    escalate_label: "Why does this need a senior colleague?",
    escalate_send: "Ask to escalate",
    escalate_state: "Your escalation request: {state}",
    survey_title: "How did we do?",
    survey_rating: "Your rating (1 = very unsatisfied, 5 = very satisfied)",
    survey_resolved: "Was your problem resolved?",
    survey_yes: "Yes",
    survey_no: "No",
    survey_comment: "Comment (optional)",
    survey_send: "Send my rating",
    survey_change: "Change my answer",
    survey_thanks: "Thank you for your feedback.",
    survey_escalate: "Ask a senior colleague to review it",
    survey_escalated: "Thank you. A senior colleague will review your conversation.",
  };
  let strings = FALLBACK;
  let languages = [
    ["en", "English"],
    ["zh-hans", "简体中文"],
  ];

  function t(key, params) {
    let text = typeof strings[key] === "string" ? strings[key] : FALLBACK[key] || key;
    if (params) {
      text = text.replace(/\{(\w+)\}/g, (whole, name) =>
        name in params ? String(params[name]) : whole,
      );
    }
    return text;
  }

  // ---------------------------------------------------------------------------------------
  // Small helpers

  // Storage can be disabled (privacy modes, sandboxed frames): the widget then keeps
  // everything in memory for the page's lifetime.
  const store = {
    get(area, name) {
      try {
        return window[area].getItem(`kefu.chat.${SITE}.${name}`);
      } catch {
        return null;
      }
    },
    set(area, name, value) {
      try {
        const key = `kefu.chat.${SITE}.${name}`;
        if (value === null || value === undefined) window[area].removeItem(key);
        else window[area].setItem(key, value);
      } catch {
        /* in memory only */
      }
    },
  };

  // Idempotency keys: 8–64 of [A-Za-z0-9_-]. randomUUID needs a secure context, so plain
  // http hosts get 16 random bytes in base64url instead.
  function newId() {
    if (window.crypto && typeof crypto.randomUUID === "function" && window.isSecureContext) {
      return crypto.randomUUID().replace(/-/g, "");
    }
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return btoa(String.fromCharCode(...bytes))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
  }

  function normaliseLang(value) {
    const wanted = String(value || "").toLowerCase().replace(/_/g, "-");
    if (!wanted) return "";
    const exact = languages.find(([code]) => code === wanted);
    if (exact) return exact[0];
    const primary = wanted.split("-")[0];
    const close = languages.find(([code]) => code.split("-")[0] === primary);
    return close ? close[0] : "";
  }

  function intlLocale() {
    return state.lang === "zh-hans" ? "zh-Hans" : state.lang;
  }

  function formatTime(iso, options) {
    if (!iso) return "";
    try {
      return new Intl.DateTimeFormat(intlLocale(), options).format(new Date(iso));
    } catch {
      return "";
    }
  }

  function absoluteUrl(path) {
    try {
      return new URL(path, BASE + "/").href;
    } catch {
      return null;
    }
  }

  // Contact links come from an admin-edited configuration: only schemes that cannot run
  // script are turned into links.
  function safeLink(url) {
    if (!url) return null;
    try {
      const parsed = new URL(url, BASE + "/");
      return ["http:", "https:", "mailto:", "tel:", "tg:"].includes(parsed.protocol)
        ? parsed.href
        : null;
    } catch {
      return null;
    }
  }

  function initialsOf(name) {
    const parts = String(name || "").trim().split(/\s+/).filter(Boolean);
    if (!parts.length) return "?";
    if (parts.length === 1 || !/^[\x00-\x7f]+$/.test(parts[0])) {
      return Array.from(parts[0])[0].toUpperCase();
    }
    return (parts[0][0] + parts[parts.length - 1][0]).toUpperCase();
  }

  function colourClass(name) {
    let hash = 0;
    for (const ch of String(name || "")) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
    return `av-${hash % 6}`;
  }

  function formatSize(bytes) {
    if (!Number.isFinite(bytes)) return "";
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
    return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  }

  // A host page enforcing Trusted Types would reject plain innerHTML. The message HTML is
  // already sanitised by the server, so a pass-through policy is the honest description; when
  // the host does not allow our policy name the text body is shown instead.
  let htmlPolicy = null;
  if (window.trustedTypes && typeof window.trustedTypes.createPolicy === "function") {
    try {
      htmlPolicy = window.trustedTypes.createPolicy("kefu-chat", { createHTML: (s) => s });
    } catch {
      htmlPolicy = null;
    }
  }

  function setHtml(el, html, fallbackText) {
    try {
      el.innerHTML = htmlPolicy ? htmlPolicy.createHTML(html) : html;
    } catch {
      el.textContent = fallbackText || "";
      el.classList.add("text");
    }
  }

  /**
   * Builds an element. attrs: "class", "text", "i18n" (text from a string key, re-applied on a
   * language switch), "i18nAttrs" ({attribute: key}), "on<event>" (listeners; never inline
   * handlers), anything else as an attribute (false/null skipped).
   */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") el.className = value;
      else if (name === "text") el.textContent = value;
      else if (name === "i18n") {
        el.dataset.i18n = value;
        el.textContent = t(value);
      } else if (name === "i18nAttrs") {
        el.dataset.i18nAttrs = Object.entries(value)
          .map(([attr, key]) => `${attr}=${key}`)
          .join(";");
        for (const [attr, key] of Object.entries(value)) el.setAttribute(attr, t(key));
      } else if (name.startsWith("on") && typeof value === "function") {
        el.addEventListener(name.slice(2), value);
      } else el.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child !== null && child !== undefined && child !== false) el.append(child);
    }
    return el;
  }

  const SVG_NS = "http://www.w3.org/2000/svg";
  const ICONS = {
    chat: "M21 12a8 8 0 0 1-11.6 7.1L4 20l1.1-4.6A8 8 0 1 1 21 12z",
    close: "M6 6l12 12M18 6L6 18",
    send: "M21 3L10 14M21 3l-7 18-4-7-7-4z",
    clip: "M20 11.5l-8 8a5 5 0 0 1-7-7l8.5-8.5a3.3 3.3 0 0 1 4.7 4.7l-8.4 8.4a1.7 1.7 0 0 1-2.4-2.4L15 7",
    file: "M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8zM14 3v5h5",
  };

  function icon(name, className) {
    const svg = document.createElementNS(SVG_NS, "svg");
    if (className) svg.setAttribute("class", className);
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", ICONS[name]);
    svg.append(path);
    return svg;
  }

  // ---------------------------------------------------------------------------------------
  // Styles: one constructed stylesheet in the shadow root. :host declarations are !important
  // because host-page rules that match the <kefu-chat> element itself would otherwise win.
  const CSS = `
:host { all: initial !important; display: block !important; position: fixed !important;
  right: 0 !important; bottom: 0 !important; width: 0 !important; height: 0 !important;
  z-index: 2147483000 !important; }
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
.kc { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "PingFang SC", "Hiragino Sans GB",
  "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; font-size: 14px; line-height: 1.45;
  color: #1d2330; text-align: left; -webkit-font-smoothing: antialiased; }
button, input, textarea { font: inherit; color: inherit; margin: 0; letter-spacing: normal;
  text-transform: none; }
button { cursor: pointer; }
:focus-visible { outline: 3px solid #1f6feb; outline-offset: 2px; }
svg { width: 20px; height: 20px; fill: none; stroke: currentColor; stroke-width: 2;
  stroke-linecap: round; stroke-linejoin: round; flex: none; }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap; border: 0; }

.launcher { position: fixed; right: 20px; bottom: calc(20px + env(safe-area-inset-bottom, 0px));
  width: 56px; height: 56px; border-radius: 50%; border: 0; padding: 0; background: #1f6feb;
  color: #fff; box-shadow: 0 6px 20px rgba(15, 27, 45, .28); display: grid; place-items: center; }
.launcher:hover { background: #1a5fd0; }
.launcher:focus-visible { outline: 3px solid #0f1b2d; outline-offset: 3px; }
.launcher svg { width: 26px; height: 26px; }
.launcher .i-close, .kc.open .launcher .i-chat { display: none; }
.kc.open .launcher .i-close { display: block; }
.badge { position: absolute; top: -3px; right: -3px; min-width: 20px; height: 20px; padding: 0 5px;
  border-radius: 10px; background: #c62828; color: #fff; font-size: 12px; font-weight: 700;
  line-height: 20px; text-align: center; box-shadow: 0 0 0 2px #fff; }

.panel { position: fixed; right: 20px; bottom: calc(88px + env(safe-area-inset-bottom, 0px));
  width: 380px; max-width: calc(100vw - 40px); height: 620px; max-height: calc(100vh - 110px);
  background: #fff; border-radius: 14px; box-shadow: 0 12px 40px rgba(15, 27, 45, .3);
  display: flex; flex-direction: column; overflow: hidden; }
@media (prefers-reduced-motion: no-preference) {
  .panel { animation: kc-in .16s ease-out; }
  @keyframes kc-in { from { opacity: 0; transform: translateY(8px); } to { opacity: 1; transform: none; } }
}
.head { display: flex; align-items: center; gap: 10px; padding: 10px 8px 10px 14px;
  background: #0f1b2d; color: #fff; }
.head .who { flex: 1; min-width: 0; }
.head h2 { margin: 0; font-size: 16px; font-weight: 700; line-height: 1.3; overflow: hidden;
  text-overflow: ellipsis; white-space: nowrap; }
.head .sub { margin: 0; font-size: 12px; opacity: .85; overflow: hidden; text-overflow: ellipsis;
  white-space: nowrap; }
.head :focus-visible { outline-color: #fff; }
.langs { display: flex; gap: 2px; padding: 2px; border-radius: 8px; background: rgba(255, 255, 255, .12); }
.langs button { border: 0; background: transparent; color: #fff; font-size: 12px; padding: 4px 7px;
  border-radius: 6px; white-space: nowrap; }
.langs button[aria-pressed="true"] { background: #fff; color: #0f1b2d; font-weight: 600; }
.icon-btn { border: 0; background: transparent; color: inherit; width: 36px; height: 36px; padding: 0;
  border-radius: 8px; display: grid; place-items: center; }
.icon-btn:hover { background: rgba(255, 255, 255, .14); }

.status { margin: 0; padding: 6px 14px; font-size: 12.5px; background: #fff8e1; color: #6d4300;
  border-bottom: 1px solid #f1e0b0; }
.notice { margin: 0; padding: 6px 14px; font-size: 12.5px; background: #fdecea; color: #b71c1c;
  border-bottom: 1px solid #f5c6c3; }

.body { flex: 1; overflow-y: auto; padding: 14px; background: #f6f7fb; overscroll-behavior: contain; }
.card { background: #fff; border: 1px solid #e2e5ee; border-radius: 10px; padding: 12px 14px; }
.intro { margin-bottom: 14px; }
.greeting { margin: 0 0 8px; font-size: 15px; }
.service-line { margin: 0; display: flex; align-items: flex-start; gap: 6px; font-weight: 600; }
.dot { width: 8px; height: 8px; margin-top: .5em; border-radius: 50%; background: #2e7d32; flex: none; }
.dot.off { background: #9aa3b2; }
.muted { margin: 2px 0 0; color: #5b6475; font-size: 12.5px; }
.contacts h3 { margin: 12px 0 4px; font-size: 12px; font-weight: 600; color: #5b6475;
  text-transform: uppercase; letter-spacing: .03em; }
.contacts ul { list-style: none; margin: 0; padding: 0; display: grid; gap: 2px; }
.contacts li { font-size: 13px; overflow-wrap: anywhere; }
.contacts a { color: #1f6feb; text-decoration: none; }
.contacts a:hover { text-decoration: underline; }
.contact-hours { color: #5b6475; font-size: 12px; }
.warning { margin: 8px 0 0; padding: 6px 8px; font-size: 12px; border-radius: 6px;
  background: #fff8e1; color: #6d4300; }

.messages { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 10px; }
.msg { display: flex; gap: 8px; align-items: flex-end; }
.msg.mine { flex-direction: row-reverse; }
.avatar { flex: none; width: 28px; height: 28px; border-radius: 50%; display: grid;
  place-items: center; color: #fff; font-size: 12px; font-weight: 700; background: #5b6475; }
.av-0 { background: #1f6feb; } .av-1 { background: #2e7d32; } .av-2 { background: #8e24aa; }
.av-3 { background: #c2185b; } .av-4 { background: #00838f; } .av-5 { background: #6d4c41; }
.stack { display: flex; flex-direction: column; max-width: 78%; min-width: 0; }
.mine .stack { align-items: flex-end; }
.name { margin: 0 0 2px 2px; font-size: 12px; color: #5b6475; }
.bubble { background: #fff; border: 1px solid #e2e5ee; border-radius: 14px 14px 14px 4px;
  padding: 8px 12px; overflow-wrap: anywhere; }
.mine .bubble { background: #1f6feb; border-color: #1f6feb; color: #fff; border-radius: 14px 14px 4px 14px; }
.bubble.text { white-space: pre-wrap; }
.bubble:empty { display: none; }
.bubble p { margin: 0 0 6px; } .bubble p:last-child { margin-bottom: 0; }
.bubble ul, .bubble ol { margin: 4px 0; padding-left: 20px; }
.bubble a { color: inherit; text-decoration: underline; }
.bubble pre, .bubble code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 12.5px; white-space: pre-wrap; }
.bubble img { max-width: 100%; }
.atts { display: flex; flex-direction: column; gap: 6px; margin-top: 6px; }
.cites { margin: 6px 0 0; padding: 0; list-style: none; font-size: 12.5px; }
.cites-title { margin: 6px 0 0 2px; font-size: 12px; color: #5b6475; }
.cites a, .go-link { color: #1f6feb; text-decoration: underline; }
.go-link { display: inline-block; margin-top: 6px; font-size: 13px; }
.choices { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; }
.choices[hidden] { display: none; }
.choice { border: 1px solid #1f6feb; background: #fff; color: #1f6feb; border-radius: 16px;
  padding: 5px 12px; font: inherit; font-size: 13px; cursor: pointer; }
.choice:hover { background: #eef4ff; }
.choice:focus-visible { outline: 2px solid #0f1b2d; outline-offset: 2px; }
.choice:disabled { opacity: .55; cursor: default; }
.mine .atts { align-items: flex-end; }
.att img { display: block; max-width: 220px; max-height: 180px; border-radius: 8px;
  border: 1px solid #e2e5ee; background: #fff; }
.att-file { display: inline-flex; align-items: center; gap: 6px; padding: 6px 10px; border-radius: 8px;
  background: #fff; border: 1px solid #e2e5ee; color: #1f6feb; text-decoration: none; max-width: 240px; }
.att-file span { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.att-file small { color: #5b6475; }
.meta { display: flex; gap: 6px; margin: 3px 2px 0; font-size: 11px; color: #5b6475; }
.pending .bubble { opacity: .72; }
.failed .bubble { background: #fdecea; border-color: #f5c6c3; color: #b71c1c; }
.failed .meta { color: #b71c1c; }
.link-btn { border: 0; background: none; padding: 0; color: #1f6feb; text-decoration: underline;
  font-size: 11px; }
.typing { margin: 8px 0 0 36px; font-size: 12px; color: #5b6475; font-style: italic; }
.closed { margin-top: 14px; text-align: center; }
.closed p { margin: 0 0 8px; }
.survey { margin-top: 14px; }
.survey p, .survey fieldset { margin: 0 0 8px; border: 0; padding: 0; font-size: 13px; }
.survey legend { font-weight: 600; font-size: 12px; margin-bottom: 4px; }
.survey .stars label { display: inline-flex; align-items: center; gap: 2px; margin-right: 8px; }
.survey textarea { width: 100%; box-sizing: border-box; }
.email-card { margin-top: 14px; }
.email-card p { margin: 0 0 8px; font-size: 13px; }
.email-card label { display: block; margin-bottom: 4px; font-size: 12px; font-weight: 600; }
.row { display: flex; gap: 6px; flex-wrap: wrap; }
.row input { flex: 1 1 160px; min-width: 0; }
input[type="email"] { border: 1px solid #c3cad8; border-radius: 8px; padding: 7px 10px; background: #fff; }
.field-error { margin: 4px 0 0; font-size: 12px; color: #b71c1c; }
.email-saved { margin: 14px 0 0; text-align: center; }
.btn { border: 0; border-radius: 8px; padding: 7px 12px; background: #1f6feb; color: #fff; font-weight: 600; }
.btn:hover { background: #1a5fd0; }
.btn.secondary { background: #e9edf5; color: #1d2330; }
.btn.secondary:hover { background: #dde3ee; }

.composer { display: flex; align-items: flex-end; gap: 6px; padding: 10px;
  padding-bottom: calc(10px + env(safe-area-inset-bottom, 0px)); border-top: 1px solid #e2e5ee;
  background: #fff; }
.composer textarea { flex: 1; min-width: 0; resize: none; border: 1px solid #c3cad8; border-radius: 10px;
  padding: 9px 10px; min-height: 40px; max-height: 140px; line-height: 1.4; background: #fff; }
.send, .attach { width: 40px; height: 40px; border-radius: 10px; border: 0; padding: 0; display: grid;
  place-items: center; flex: none; }
.send { background: #1f6feb; color: #fff; }
.send:hover { background: #1a5fd0; }
.attach { background: transparent; color: #5b6475; }
.attach:hover { background: #eef1f7; }

/* Before the first message: suggested articles above the composer; open incidents on top. */
.suggest { padding: 8px 12px 6px; border-top: 1px solid #e2e5ee; background: #fff;
  max-height: 40%; overflow-y: auto; }
.suggest h3 { margin: 0 0 4px; font-size: 12px; font-weight: 600; color: #5b6475; }
.suggest ul, .incidents ul { list-style: none; margin: 0; padding: 0; }
.suggest li + li { border-top: 1px solid #eef1f7; }
.suggest a { display: block; padding: 5px 4px; border-radius: 6px; color: #1f6feb;
  text-decoration: none; }
.suggest a:hover { background: #f6f7fb; }
.suggest a:hover .s-title { text-decoration: underline; }
.s-title { display: block; font-weight: 600; overflow-wrap: anywhere; }
.s-summary { display: block; font-size: 12px; color: #5b6475; overflow: hidden;
  text-overflow: ellipsis; white-space: nowrap; }
.incidents { padding: 6px 14px; font-size: 12.5px; background: #fdecea; color: #7f1d1d;
  border-bottom: 1px solid #f5c6c3; }
.incidents.impact-none, .incidents.impact-minor { background: #fff8e1; color: #6d4300;
  border-bottom-color: #f1e0b0; }
.incidents li { display: flex; gap: 6px; align-items: baseline; min-width: 0; }
.incidents .kind { flex: none; font-weight: 700; }
.incidents a { color: inherit; text-decoration: underline; overflow-wrap: anywhere; min-width: 0; }

@media (max-width: 480px) {
  .panel { inset: 0; width: 100%; max-width: none; height: 100%; max-height: none; border-radius: 0; }
  .kc.open .launcher { display: none; }
}
`;

  function adoptStyles(shadow) {
    if ("adoptedStyleSheets" in shadow && typeof CSSStyleSheet === "function") {
      try {
        const sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
        shadow.adoptedStyleSheets = [sheet];
        return;
      } catch {
        /* older engines: fall through to a <style> element */
      }
    }
    shadow.append(h("style", { text: CSS }));
  }

  // ---------------------------------------------------------------------------------------
  // State

  function loadOutbox() {
    try {
      const items = JSON.parse(store.get("sessionStorage", "outbox") || "[]");
      return Array.isArray(items)
        ? items.filter((i) => i && typeof i.id === "string" && typeof i.body === "string")
        : [];
    } catch {
      return [];
    }
  }

  const state = {
    lang: "en",
    config: null, // the last site configuration received
    configAt: 0, // when it was received (the incidents in it go stale)
    service: null, // service hours / wait, from the config or a fresher welcome
    contacts: [],
    identityToken: (script.dataset.identityToken || "").trim() || null,
    visitorToken: store.get("localStorage", "visitor"), // anonymous visitors only
    visitor: null, // from welcome / visitor.updated
    conversation: null, // customer-shaped conversation currently shown
    fresh: false, // "Start a new conversation" clicked: the next send omits conversation_id
    messages: new Map(), // seq -> message of the current conversation; the Map is the dedupe set
    lastSeq: 0, // highest seq with nothing missing below it (what hello / sync / poll send)
    maxSeq: 0, // highest seq received, to notice gaps
    syncAfter: null, // after_seq of the sync in flight, so only one runs at a time
    outbox: loadOutbox(), // unacknowledged sends, resent with the same ids after a reconnect
    inflight: new Set(), // outbox ids already sent on the current connection
    uploads: new Map(), // idempotency id -> pending bubble of an upload in progress
    readSent: 0,
    emailPending: null, // an email typed before the connection was ready
    emailDismissed: store.get("sessionStorage", "email-dismissed") === "1",
    agentTyping: null,
    choosing: null, // id of an assistant.choose frame waiting for its ack
    unread: 0,
    open: false,
    started: false, // a connection is wanted (panel opened, or an active conversation)
    fatal: null, // message shown when the server refused us for good
  };

  const conn = {
    mode: FORCE_POLL ? "poll" : "ws",
    status: "idle", // idle | connecting | ready | down | fatal
    ws: null,
    ready: false, // welcome received on the current connection
    everReady: false,
    generation: 0, // bumped on every (re)connect; stale callbacks compare and bail out
    attempt: 0, // reconnects since the last welcome, for the backoff
    failedOpens: 0, // sockets in a row that never opened
    timer: null,
    held: false, // test hook: stay disconnected until _debugReconnect()
    helloUsedVisitorToken: false,
    anonymousRetried: false,
    refusal: null, // the server's explanation from an unauthorized/forbidden error frame
    pingTimer: null,
    pongTimer: null,
    pollAbort: null,
    pollRestart: false,
    pollConversation: null,
    pollState: "", // the server's fingerprint of what this client has seen; echoed back
    wake: null,
    readyWaiters: [],
  };

  const ui = {}; // elements, filled by mount()
  let connectingTimer = null;
  let noticeTimer = null;
  let agentTypingTimer = null;
  let readTimer = null;
  const typing = { on: false, sentAt: 0, idle: null };

  // ---------------------------------------------------------------------------------------
  // Site configuration

  async function loadConfig() {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 8000);
    try {
      const url =
        `${BASE}/chat/v1/sites/${encodeURIComponent(SITE)}/config` +
        `?lang=${encodeURIComponent(state.lang)}`;
      const response = await fetch(url, { credentials: "omit", signal: controller.signal });
      if (!response.ok) {
        if (response.status === 404) console.warn(`Kefu chat: unknown site key "${SITE}".`);
        return false;
      }
      const data = await response.json();
      state.config = data;
      state.configAt = Date.now();
      strings = Object.assign({}, FALLBACK, data.strings || {});
      if (Array.isArray(data.languages) && data.languages.length) {
        languages = data.languages.filter((pair) => Array.isArray(pair) && pair.length === 2);
      }
      if (data.service) state.service = data.service;
      if (Array.isArray(data.contacts)) state.contacts = data.contacts;
      return true;
    } catch {
      return false; // keep what we have; retried when the panel opens
    } finally {
      clearTimeout(timer);
    }
  }

  function identityRequired() {
    return Boolean(state.config && state.config.site && state.config.site.identity_required);
  }

  function needsSignIn() {
    return identityRequired() && !state.identityToken;
  }

  // ---------------------------------------------------------------------------------------
  // Connection: WebSocket first, HTTP long-poll when sockets cannot open.

  function helloFrame() {
    // echo: false: the ack carries our own messages, so the socket need not send them back.
    const frame = { type: "hello", v: 1, site: SITE, language: state.lang, echo: false };
    if (state.identityToken) frame.identity_token = state.identityToken;
    else if (state.visitorToken) frame.visitor_token = state.visitorToken;
    conn.helloUsedVisitorToken = !state.identityToken && Boolean(state.visitorToken);
    if (state.conversation && !state.fresh) {
      frame.conversation_id = state.conversation.id;
      frame.last_seq = state.lastSeq;
    }
    return frame;
  }

  function authHeaders() {
    const token = state.visitor && state.visitor.token;
    return token ? { Authorization: `Visitor ${token}` } : {};
  }

  function start() {
    if (state.started) return;
    state.started = true;
    connect();
  }

  /** Drops the current connection without triggering a reconnect. */
  function teardown() {
    conn.generation += 1;
    stopHeartbeat();
    if (conn.ws) {
      const ws = conn.ws;
      conn.ws = null;
      // Closing a socket that is still connecting makes Chromium log an error; let it open
      // first and close it then.
      if (ws.readyState === WebSocket.CONNECTING) ws.addEventListener("open", () => ws.close(1000));
      else if (ws.readyState === WebSocket.OPEN) ws.close(1000);
    }
    if (conn.pollAbort) {
      conn.pollAbort.abort();
      conn.pollAbort = null;
    }
    if (conn.wake) {
      const wake = conn.wake;
      conn.wake = null;
      wake();
    }
    conn.ready = false;
    state.inflight.clear();
    state.syncAfter = null;
  }

  function connect() {
    clearTimeout(conn.timer);
    teardown();
    if (conn.held || state.fatal || needsSignIn() || !state.started) {
      renderStatus();
      return;
    }
    const gen = conn.generation;
    setConnStatus(conn.status === "down" ? "down" : "connecting");
    if (conn.mode === "poll") {
      pollHello(gen);
      return;
    }
    let ws;
    try {
      ws = new WebSocket(WS_URL);
    } catch {
      socketClosed({ code: 1006 }, false);
      return;
    }
    conn.ws = ws;
    let opened = false;
    ws.addEventListener("open", () => {
      if (gen !== conn.generation) return;
      opened = true;
      conn.failedOpens = 0;
      ws.send(JSON.stringify(helloFrame()));
    });
    ws.addEventListener("message", (event) => {
      if (gen !== conn.generation) return;
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame && typeof frame === "object") handleFrame(frame);
    });
    // "error" is always followed by "close", which is where we act.
    ws.addEventListener("close", (event) => {
      if (gen !== conn.generation) return;
      socketClosed(event, opened);
    });
  }

  function socketClosed(event, opened) {
    conn.ws = null;
    conn.ready = false;
    stopHeartbeat();
    if (!opened) {
      conn.failedOpens += 1;
      if (conn.mode === "ws" && conn.failedOpens >= 2) {
        // A proxy or firewall is most likely eating WebSocket upgrades: same frames over HTTP.
        conn.mode = "poll";
        conn.attempt = 0;
        connect();
        return;
      }
    } else if (event.code === 4401) {
      unauthorized();
      return;
    } else if (event.code === 4403) {
      fail(null);
      return;
    }
    scheduleReconnect();
  }

  /** The connection died under us (no pong, failed poll): start over with backoff. */
  function lost(gen) {
    if (gen !== conn.generation) return;
    teardown();
    scheduleReconnect();
  }

  function scheduleReconnect() {
    clearTimeout(conn.timer);
    setConnStatus(conn.everReady ? "down" : "connecting");
    if (conn.held || state.fatal) return;
    // Exponential backoff with jitter: a server restart must not be met by every visitor
    // reconnecting in the same instant.
    const ceiling = Math.min(BACKOFF_CAP_MS, 500 * 2 ** conn.attempt);
    conn.attempt += 1;
    conn.timer = setTimeout(connect, ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  function unauthorized() {
    // A stale anonymous token (expired, or a reset server) is not the visitor's fault: forget
    // it and start as a new anonymous visitor, once. A refused identity token is final until
    // the host page calls identify() with a fresh one.
    if (conn.helloUsedVisitorToken && !state.identityToken && !conn.anonymousRetried) {
      conn.anonymousRetried = true;
      state.visitorToken = null;
      store.set("localStorage", "visitor", null);
      resetConversation();
      conn.attempt = 0;
      connect();
      return;
    }
    fail(null);
  }

  function fail(message) {
    teardown();
    clearTimeout(conn.timer);
    state.fatal = message || conn.refusal || t("unavailable");
    setConnStatus("fatal");
  }

  function sendFrame(frame) {
    if (!conn.ready) return false;
    if (conn.mode === "ws") {
      if (!conn.ws || conn.ws.readyState !== WebSocket.OPEN) return false;
      conn.ws.send(JSON.stringify(frame));
      return true;
    }
    postFrame(frame, conn.generation);
    return true;
  }

  function startHeartbeat(gen) {
    stopHeartbeat();
    if (conn.mode !== "ws") return;
    conn.pingTimer = setInterval(() => {
      if (gen !== conn.generation) return;
      sendFrame({ type: "ping" });
      clearTimeout(conn.pongTimer);
      // A half-open socket (laptop lid closed, NAT timeout) never reports a close: no pong
      // in time means we treat it as gone instead of waiting for TCP to notice.
      conn.pongTimer = setTimeout(() => lost(gen), PONG_TIMEOUT_MS);
    }, PING_EVERY_MS);
  }

  function stopHeartbeat() {
    clearInterval(conn.pingTimer);
    clearTimeout(conn.pongTimer);
    conn.pingTimer = null;
    conn.pongTimer = null;
  }

  // HTTP fallback ---------------------------------------------------------------------------

  async function readJson(response) {
    try {
      return await response.json();
    } catch {
      return null;
    }
  }

  async function pollHello(gen) {
    let response;
    let data;
    try {
      response = await fetch(`${BASE}/chat/v1/hello`, {
        method: "POST",
        credentials: "omit",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(helloFrame()),
      });
      data = await readJson(response);
    } catch {
      if (gen === conn.generation) scheduleReconnect();
      return;
    }
    if (gen !== conn.generation) return;
    if (response.ok && data && data.type === "welcome") {
      handleFrame(data);
      pollLoop(gen);
      return;
    }
    if (response.status === 401 || (data && data.code === "unauthorized")) {
      if (data && data.type === "error") handleFrame(data);
      unauthorized();
    } else if (response.status === 403 || (data && data.code === "forbidden")) {
      fail(data && data.message);
    } else {
      scheduleReconnect();
    }
  }

  async function pollLoop(gen) {
    while (gen === conn.generation && conn.ready) {
      const conversation = currentConversationId();
      if (!conversation) {
        // Nothing to wait for until the first message creates a conversation.
        await new Promise((resolve) => {
          conn.wake = resolve;
        });
        continue;
      }
      if (conn.pollConversation !== conversation) conn.pollState = "";
      const controller = new AbortController();
      conn.pollAbort = controller;
      conn.pollConversation = conversation;
      const timer = setTimeout(() => controller.abort(), POLL_TIMEOUT_MS);
      const startedAt = Date.now();
      try {
        // The server answers at once when anything differs from "state" (new messages, a
        // status, agent or read change), otherwise it holds the request for up to 25 s.
        const query =
          `conversation_id=${conversation}&after_seq=${state.lastSeq}` +
          `&state=${encodeURIComponent(conn.pollState)}`;
        const response = await fetch(`${BASE}/chat/v1/poll?${query}`, {
          credentials: "omit",
          headers: authHeaders(),
          signal: controller.signal,
        });
        const data = await readJson(response);
        if (gen !== conn.generation) return;
        if (response.status === 401) {
          unauthorized();
          return;
        }
        if (!response.ok) throw new Error(`poll: HTTP ${response.status}`);
        const frames = (data && data.frames) || [];
        if (data && typeof data.state === "string") conn.pollState = data.state;
        frames.forEach(handleFrame);
        // A server that answers at once with nothing would make this a busy loop.
        if (!frames.length && Date.now() - startedAt < 1000) {
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      } catch {
        if (gen !== conn.generation) return;
        if (conn.pollRestart) {
          conn.pollRestart = false;
          continue;
        }
        lost(gen);
        return;
      } finally {
        clearTimeout(timer);
        if (conn.pollAbort === controller) conn.pollAbort = null;
      }
    }
  }

  /** The polled conversation changed (first message, new conversation): poll the new one. */
  function wakePoll() {
    if (conn.mode !== "poll") return;
    if (conn.wake) {
      const wake = conn.wake;
      conn.wake = null;
      wake();
    } else if (conn.pollAbort && conn.pollConversation !== currentConversationId()) {
      conn.pollRestart = true;
      conn.pollAbort.abort();
    }
  }

  async function postFrame(frame, gen) {
    let response;
    let data;
    try {
      response = await fetch(`${BASE}/chat/v1/frames`, {
        method: "POST",
        credentials: "omit",
        headers: Object.assign({ "Content-Type": "application/json" }, authHeaders()),
        body: JSON.stringify(frame),
      });
      data = await readJson(response);
    } catch {
      // The outbox still holds an unacknowledged message: the reconnect resends it.
      lost(gen);
      return;
    }
    // Replies are processed even from an older connection: acks are idempotent and
    // messages are deduplicated by seq.
    if (data && Array.isArray(data.frames)) data.frames.forEach(handleFrame);
    else if (data && data.type) handleFrame(data);
    if (response.status === 401 && gen === conn.generation) unauthorized();
  }

  function whenReady(timeoutMs) {
    if (conn.ready) return Promise.resolve(true);
    start();
    return new Promise((resolve) => {
      const waiter = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        conn.readyWaiters = conn.readyWaiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      conn.readyWaiters.push(waiter);
    });
  }

  // ---------------------------------------------------------------------------------------
  // Protocol: server frames

  function handleFrame(frame) {
    switch (frame.type) {
      case "welcome":
        onWelcome(frame);
        break;
      case "message.ack":
        onAck(frame);
        break;
      case "message.created":
        if (state.conversation && frame.conversation_id === state.conversation.id) {
          addMessage(frame.message, true);
        }
        break;
      case "conversation.updated":
        onConversationUpdated(frame.conversation);
        break;
      case "typing":
        onTyping(frame);
        break;
      case "read":
        if (
          frame.who === "agent" &&
          state.conversation &&
          frame.conversation_id === state.conversation.id
        ) {
          state.conversation.agent_read_seq = Math.max(
            state.conversation.agent_read_seq || 0,
            frame.seq || 0,
          );
          renderReceipt();
        }
        break;
      case "sync.done":
        onSyncDone(frame);
        break;
      case "survey.recorded":
        state.surveyBusy = false;
        if (state.conversation && frame.conversation_id === state.conversation.id) {
          state.conversation.survey = frame.survey;
          state.surveyThanks = true;
          renderSurvey();
        }
        break;
      case "survey.escalated":
        state.surveyBusy = false;
        if (state.conversation && frame.conversation_id === state.conversation.id) {
          state.conversation.survey = frame.survey;
          state.surveyEscalated = true;
          renderSurvey();
        }
        break;
      case "visitor.updated":
        onVisitor(frame.visitor);
        renderEmail();
        break;
      case "error":
        onError(frame);
        break;
      case "pong":
        clearTimeout(conn.pongTimer);
        break;
      default:
        break; // newer servers may send frames this version does not know: ignore them
    }
  }

  function onVisitor(visitor) {
    if (!visitor) return;
    state.visitor = Object.assign({}, state.visitor, visitor);
    if (!visitor.identified && visitor.token && !state.identityToken) {
      state.visitorToken = visitor.token;
      store.set("localStorage", "visitor", visitor.token);
    }
  }

  function onWelcome(frame) {
    conn.ready = true;
    conn.everReady = true;
    conn.attempt = 0;
    conn.anonymousRetried = false;
    conn.refusal = null;
    onVisitor(frame.visitor);
    if (frame.service) state.service = frame.service;
    if (Array.isArray(frame.contacts)) state.contacts = frame.contacts;

    const conversation = frame.conversation;
    const messages = Array.isArray(frame.messages) ? frame.messages : [];
    if (state.fresh && conversation && conversation.status === "closed") {
      // The visitor asked for a new conversation; the closed one stays out of view.
    } else if (!conversation) {
      if (state.conversation && !state.fresh) resetConversation();
    } else if (!state.conversation || state.conversation.id !== conversation.id) {
      adoptConversation(conversation, messages);
    } else {
      Object.assign(state.conversation, conversation);
      messages.forEach((m) => addMessage(m, false));
    }
    if (state.conversation) checkGap(state.conversation.last_seq);

    setConnStatus("ready");
    renderAll();
    scrollToBottom();
    startHeartbeat(conn.generation);
    flushOutbox();
    sendEmailUpdate();
    scheduleRead();
    const waiters = conn.readyWaiters;
    conn.readyWaiters = [];
    waiters.forEach((w) => w());
  }

  function adoptConversation(conversation, messages) {
    resetConversation();
    state.fresh = false;
    state.conversation = Object.assign({}, conversation);
    state.readSent = conversation.customer_read_seq || 0;
    const seqs = messages.map((m) => m && m.seq).filter(Number.isInteger);
    // The welcome carries the latest messages, not necessarily from seq 1: count from just
    // below the oldest one we were given.
    state.lastSeq = seqs.length ? Math.min(...seqs) - 1 : 0;
    messages.forEach((m) => addMessage(m, false));
    rememberActive();
    wakePoll();
  }

  function resetConversation() {
    state.conversation = null;
    state.messages.clear();
    state.lastSeq = 0;
    state.maxSeq = 0;
    state.syncAfter = null;
    state.readSent = 0;
    state.agentTyping = null;
    if (ui.list) {
      for (const li of Array.from(ui.list.children)) {
        if (li.dataset.seq !== undefined) li.remove();
      }
    }
  }

  function currentConversationId() {
    return state.conversation && !state.fresh ? state.conversation.id : null;
  }

  /** Connect on the next page load only while there is a conversation to follow. */
  function rememberActive() {
    const active = state.conversation && state.conversation.status !== "closed";
    store.set("localStorage", "active", active ? "1" : null);
  }

  function onAck(frame) {
    const id = frame.id;
    if (id && id === state.choosing) state.choosing = null;
    const conversation = frame.conversation;
    dropFromOutbox(id);
    removePending(id);
    if (conversation) {
      if (!state.conversation || state.conversation.id !== conversation.id) {
        adoptConversation(conversation, []);
      } else {
        Object.assign(state.conversation, conversation);
      }
      // Messages typed while the conversation was being created belong to it.
      for (const item of state.outbox) {
        if (!item.conversation_id) item.conversation_id = conversation.id;
      }
      saveOutbox();
    }
    if (frame.message) addMessage(frame.message, false);
    renderAll();
    scrollToBottom();
    flushOutbox();
  }

  function onConversationUpdated(conversation) {
    if (!conversation || !state.conversation || conversation.id !== state.conversation.id) return;
    const wasClosed = state.conversation.status === "closed";
    Object.assign(state.conversation, conversation);
    const closedNow = conversation.status === "closed" && !wasClosed;
    if (closedNow) {
      state.agentTyping = null;
      stopTyping();
    }
    const hadFocus = ui.composer && ui.composer.contains(ui.root.getRootNode().activeElement);
    rememberActive();
    renderAll();
    if (closedNow && hadFocus) focusPanel(); // the composer just disappeared
  }

  function onTyping(frame) {
    if (frame.who !== "agent" || !state.conversation) return;
    if (frame.conversation_id !== state.conversation.id) return;
    clearTimeout(agentTypingTimer);
    state.agentTyping = frame.state ? frame.name || t("support") : null;
    if (frame.state) {
      // A lost "stopped typing" must not leave the indicator up forever.
      agentTypingTimer = setTimeout(() => {
        state.agentTyping = null;
        renderTyping();
      }, AGENT_TYPING_TTL_MS);
    }
    renderTyping();
  }

  function onError(frame) {
    const item = frame.ref && state.outbox.find((i) => i.id === frame.ref);
    if (item) {
      state.inflight.delete(item.id);
      if (frame.code === "rate_limited") {
        setTimeout(flushOutbox, 2000); // still queued: try again shortly, same id
        return;
      }
      dropFromOutbox(item.id);
      if (frame.code === "conversation_closed") {
        removePending(item.id);
        if (state.conversation) state.conversation.status = "closed";
        if (ui.input && !ui.input.value) ui.input.value = item.body; // nothing typed is lost
        rememberActive();
        renderAll();
        return;
      }
      markFailed(item, frame.message);
      return;
    }
    if (frame.ref && state.uploads.has(frame.ref)) removePending(frame.ref);
    if (frame.ref && frame.ref === state.choosing) {
      state.choosing = null;
      refreshChoices(); // the buttons work again
    }
    if (state.surveyBusy && !frame.ref && frame.code !== "unauthorized") {
      // The survey's frames carry no id: a refusal while one is in flight is its answer
      // (window over, a request already pending), shown in the card itself.
      state.surveyBusy = false;
      ui.surveyError.textContent = frame.message || t("unavailable");
      ui.surveyError.hidden = false;
      return;
    }
    if (frame.code === "unauthorized" || frame.code === "forbidden") {
      // The server closes the socket next; the close decides between a silent retry as a new
      // anonymous visitor and giving up with this (localised) explanation.
      conn.refusal = frame.message || null;
      return;
    }
    showNotice(frame.message || t("unavailable"));
  }

  // Messages, gaps and sync -------------------------------------------------------------------

  function addMessage(message, live) {
    if (!message || !Number.isInteger(message.seq) || !state.conversation) return;
    if (message.conversation_id && message.conversation_id !== state.conversation.id) return;
    if (state.messages.has(message.seq)) return; // duplicate: already shown
    state.messages.set(message.seq, message);
    state.maxSeq = Math.max(state.maxSeq, message.seq);
    while (state.messages.has(state.lastSeq + 1)) state.lastSeq += 1;
    if (ui.list) {
      const nearBottom = isNearBottom();
      insertMessage(renderMessage(message), message.seq);
      refreshChoices();
      if (nearBottom || message.author === "customer") scrollToBottom();
    }
    const fromUs = message.author === "customer";
    if (!fromUs && state.agentTyping) {
      state.agentTyping = null;
      renderTyping();
    }
    if (live && !fromUs) {
      announce(
        t("new_message", {
          name: message.name || t("support"),
          text: message.body || t("attachment"),
        }),
      );
      if (!state.open) {
        state.unread += 1;
        renderLauncher();
      }
    }
    checkGap(0);
    renderReceipt();
    scheduleRead();
  }

  function checkGap(serverLastSeq) {
    const highest = Math.max(state.maxSeq, serverLastSeq || 0);
    if (highest <= state.lastSeq || state.syncAfter !== null || !conn.ready) return;
    if (!currentConversationId()) return;
    state.syncAfter = state.lastSeq;
    sendFrame({ type: "sync", conversation_id: state.conversation.id, after_seq: state.lastSeq });
  }

  function onSyncDone(frame) {
    const progressed = state.syncAfter !== null && state.lastSeq > state.syncAfter;
    state.syncAfter = null;
    // The server answers a sync in pages; ask again only while it keeps filling the gap, so
    // a hole the server cannot fill does not loop.
    if (progressed) checkGap(frame.last_seq);
  }

  // Outbox ----------------------------------------------------------------------------------

  function saveOutbox() {
    const items = state.outbox.map(({ id, body, conversation_id }) => ({
      id,
      body,
      conversation_id,
    }));
    store.set("sessionStorage", "outbox", items.length ? JSON.stringify(items) : null);
  }

  function dropFromOutbox(id) {
    const before = state.outbox.length;
    state.outbox = state.outbox.filter((i) => i.id !== id);
    state.inflight.delete(id);
    if (state.outbox.length !== before) saveOutbox();
  }

  function flushOutbox() {
    if (!conn.ready) return;
    for (const item of state.outbox) {
      if (state.inflight.has(item.id)) {
        if (!item.conversation_id) break; // creating the conversation: wait for its ack
        continue;
      }
      const frame = { type: "message.send", id: item.id, body: item.body };
      if (item.conversation_id) frame.conversation_id = item.conversation_id;
      if (!sendFrame(frame)) break;
      state.inflight.add(item.id);
      // Sends without a conversation would each start one: only one at a time.
      if (!item.conversation_id) break;
    }
  }

  function submit() {
    const body = ui.input.value.trim();
    if (!body || isClosed() || needsSignIn()) return;
    const item = {
      id: newId(),
      body: body.slice(0, MAX_BODY),
      conversation_id: currentConversationId(),
    };
    kb.sent();
    state.outbox.push(item);
    saveOutbox();
    ui.list.append(renderPending(item.id, item.body, t("sending")));
    ui.input.value = "";
    autosize();
    stopTyping();
    scrollToBottom();
    start();
    flushOutbox();
  }

  // Typing and read state ---------------------------------------------------------------------

  function onComposerInput(event) {
    autosize();
    kb.input(event);
    const conversation = currentConversationId();
    if (!conversation || !conn.ready) return;
    if (!ui.input.value.trim()) {
      stopTyping();
      return;
    }
    const now = Date.now();
    if (!typing.on || now - typing.sentAt >= TYPING_THROTTLE_MS) {
      sendFrame({ type: "typing", conversation_id: conversation, state: true });
      typing.on = true;
      typing.sentAt = now;
    }
    clearTimeout(typing.idle);
    typing.idle = setTimeout(stopTyping, TYPING_IDLE_MS);
  }

  function stopTyping() {
    clearTimeout(typing.idle);
    if (!typing.on) return;
    typing.on = false;
    const conversation = currentConversationId();
    if (conversation) sendFrame({ type: "typing", conversation_id: conversation, state: false });
  }

  function scheduleRead() {
    clearTimeout(readTimer);
    readTimer = setTimeout(sendRead, 300);
  }

  function sendRead() {
    const conversation = currentConversationId();
    if (!conversation || !state.open || document.visibilityState !== "visible") return;
    if (state.lastSeq > state.readSent && sendFrame({
      type: "read",
      conversation_id: conversation,
      seq: state.lastSeq,
    })) {
      state.readSent = state.lastSeq;
    }
  }

  // Email (anonymous visitors) ----------------------------------------------------------------

  function isAnonymous() {
    return !state.identityToken && !(state.visitor && state.visitor.identified);
  }

  function submitEmail() {
    const email = ui.email.value.trim();
    if (!email || !ui.email.checkValidity()) {
      ui.emailError.textContent = t("email_invalid");
      ui.emailError.hidden = false;
      ui.email.setAttribute("aria-invalid", "true");
      ui.email.focus();
      return;
    }
    ui.emailError.hidden = true;
    ui.email.removeAttribute("aria-invalid");
    state.emailPending = email;
    start();
    sendEmailUpdate();
  }

  function sendEmailUpdate() {
    // visitor.updated confirms (and renders the saved note); a refusal arrives as an error.
    if (state.emailPending && sendFrame({ type: "visitor.update", email: state.emailPending })) {
      state.emailPending = null;
    }
  }

  // Attachments -------------------------------------------------------------------------------

  async function upload(file) {
    ui.file.value = "";
    if (!file) return;
    if (!/^image\//.test(file.type) && file.type !== "application/pdf") {
      showNotice(t("attach_invalid"));
      return;
    }
    kb.sent();
    const id = newId();
    const bubble = renderPending(id, t("uploading", { filename: file.name }), t("sending"));
    state.uploads.set(id, bubble);
    ui.list.append(bubble);
    scrollToBottom();
    if (!(await whenReady(15000))) {
      removePending(id);
      showNotice(t("upload_failed"));
      return;
    }
    const form = new FormData();
    form.append("file", file);
    form.append("id", id);
    const conversation = currentConversationId();
    if (conversation) form.append("conversation_id", String(conversation));
    try {
      const response = await fetch(`${BASE}/chat/v1/upload`, {
        method: "POST",
        credentials: "omit",
        headers: authHeaders(),
        body: form,
      });
      const data = await readJson(response);
      if (data && data.type === "message.ack") {
        handleFrame(data);
        return;
      }
      removePending(id);
      showNotice((data && data.type === "error" && data.message) || t("upload_failed"));
    } catch {
      removePending(id);
      showNotice(t("upload_failed"));
    }
  }

  // ---------------------------------------------------------------------------------------
  // Before the first message: help-center articles that may answer the question being typed
  // (the public search API of the same Kefu), and open incidents from the status page (in the
  // site configuration). Self-contained: the rest of the widget only calls kb.input(),
  // kb.sent(), kb.render(), kb.refresh() and incidents.render(). Server text is only ever
  // set as textContent; links are http(s) only.

  const SUGGEST_DEBOUNCE_MS = 250;
  const SUGGEST_MIN_CHARS = 2;
  const SUGGEST_LIMIT = 3;
  const SUGGEST_TIMEOUT_MS = 8000;
  const SUGGEST_MAX_TOKENS = 20;

  function webLink(url) {
    const href = absoluteUrl(url);
    return href && /^https?:/.test(href) ? href : null;
  }

  const kb = {
    timer: null,
    seq: 0, // bumped per search: an older answer arriving late is not shown
    sentSeq: 0, // the last search started before the visitor sent their first message
    shownKey: "", // language + query of the results on screen
    results: [],
    announced: "",
    // Every token the server issued while this first message was being typed. Each search
    // records one "shown" row; all of them were followed by a contact if the visitor sends,
    // so all are reported, not only the last, or deflection would be overcounted.
    tokens: [],

    /** Suggestions belong to the first message of a conversation only. */
    active() {
      return !currentConversationId() && !state.outbox.length && !isClosed() && !needsSignIn();
    },

    input(event) {
      if (event && event.isComposing) return; // an IME candidate: wait for compositionend
      clearTimeout(this.timer);
      const query = ui.input.value.trim();
      if (!this.active() || Array.from(query).length < SUGGEST_MIN_CHARS) {
        this.seq += 1;
        this.show([], "");
        return;
      }
      const key = `${state.lang}\n${query}`;
      if (key === this.shownKey) {
        this.seq += 1; // back to what is on screen: a search still in flight is stale
        return;
      }
      this.timer = setTimeout(() => this.search(query, key), SUGGEST_DEBOUNCE_MS);
    },

    /** The language changed: search again in the new one. */
    refresh() {
      this.shownKey = "";
      if (ui.input) this.input();
    },

    async search(query, key) {
      const seq = ++this.seq;
      const params = new URLSearchParams({
        q: query,
        lang: state.lang,
        limit: String(SUGGEST_LIMIT),
        prefix: "1",
        source: "widget",
      });
      // One typing session is one record: the server updates the row of the last token.
      if (this.tokens.length) params.set("token", this.tokens[this.tokens.length - 1]);
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), SUGGEST_TIMEOUT_MS);
      try {
        const response = await fetch(`${BASE}/help/api/search?${params}`, {
          credentials: "omit",
          signal: controller.signal,
        });
        const data = response.ok ? await readJson(response) : null;
        if (!data) return;
        if (typeof data.token === "string" && data.token) {
          // An answer to a search made before the send still counts as seen before it.
          if (seq <= this.sentSeq) this.report([data.token]);
          else if (this.active()) {
            this.tokens = this.tokens.filter((tok) => tok !== data.token);
            this.tokens.push(data.token);
            this.tokens = this.tokens.slice(-SUGGEST_MAX_TOKENS);
          }
        }
        if (seq !== this.seq || !this.active()) return;
        const results = Array.isArray(data.results) ? data.results : [];
        this.show(results.slice(0, SUGGEST_LIMIT), key);
      } catch {
        /* suggestions are a nicety: a failed search shows nothing and changes nothing */
      } finally {
        clearTimeout(timer);
      }
    },

    show(results, key) {
      this.results = results.filter(
        (r) => r && typeof r.title === "string" && r.title && webLink(r.url),
      );
      this.shownKey = this.results.length ? key : "";
      this.render();
      const ids = this.results.map((r) => String(r.article_id)).join(",");
      if (ids && ids !== this.announced) {
        announce(t("suggestions_count", { count: this.results.length }));
      }
      this.announced = ids;
    },

    render() {
      if (!ui.suggest) return;
      const visible = this.results.length > 0 && this.active();
      ui.suggest.hidden = !visible;
      if (!visible) {
        ui.suggestList.replaceChildren();
        return;
      }
      ui.suggestList.replaceChildren(
        ...this.results.map((r) =>
          h(
            "li",
            {},
            h(
              "a",
              {
                href: webLink(r.url),
                target: "_blank",
                rel: "noopener noreferrer",
                "data-testid": "kefu-suggestion",
                "data-article": r.article_id == null ? null : String(r.article_id),
                lang: r.language === "zh-hans" ? "zh-Hans" : r.language || null,
              },
              h("span", { class: "s-title", text: r.title }),
              r.summary ? h("span", { class: "s-summary", text: String(r.summary) }) : null,
              h("span", { class: "sr-only", i18n: "opens_new_tab" }),
            ),
          ),
        ),
      );
    },

    /**
     * The visitor is contacting support (first message or attachment) after seeing
     * suggestions: report it, fire and forget. text/plain keeps it a "simple" cross-origin
     * request (no preflight) and keepalive lets it finish if the page goes away; the body is
     * still JSON. Nothing here may delay or break the send.
     */
    sent() {
      clearTimeout(this.timer);
      this.sentSeq = this.seq;
      this.seq += 1;
      const tokens = this.tokens;
      this.tokens = [];
      this.show([], "");
      this.report(tokens);
    },

    report(tokens) {
      for (const token of tokens) {
        try {
          fetch(`${BASE}/help/api/suggestions/submitted`, {
            method: "POST",
            credentials: "omit",
            keepalive: true,
            headers: { "Content-Type": "text/plain;charset=UTF-8" },
            body: JSON.stringify({ token }),
          }).catch(() => {});
        } catch {
          /* ignored: see above */
        }
      }
    },
  };

  const incidents = {
    render() {
      if (!ui.incidents) return;
      const items = (state.config && Array.isArray(state.config.incidents)
        ? state.config.incidents
        : []
      ).filter((i) => i && typeof i.title === "string" && webLink(i.url));
      ui.incidents.hidden = !items.length;
      // The banner takes the colour of the worst entry (the server sends the worst first).
      const impact = items.length && /^[a-z]+$/.test(items[0].impact) ? items[0].impact : "none";
      ui.incidents.className = `incidents impact-${impact}`;
      ui.incidentList.replaceChildren(
        ...items.map((i) => {
          let kind = "status_incident";
          if (i.kind === "maintenance") {
            kind = i.state === "in_progress" ? "status_maintenance" : "status_upcoming";
          }
          return h(
            "li",
            { "data-testid": "kefu-incident" },
            h("span", { class: "kind", text: t(kind) }),
            h(
              "a",
              { href: webLink(i.url), target: "_blank", rel: "noopener noreferrer" },
              i.title,
              h("span", { class: "sr-only", text: ` ${t("opens_new_tab")}` }),
            ),
          );
        }),
      );
    },
  };

  // ---------------------------------------------------------------------------------------
  // View

  function mount() {
    const host = document.createElement("kefu-chat");
    const shadow = host.attachShadow({ mode: "open" });
    adoptStyles(shadow);

    ui.badge = h("span", { class: "badge", "aria-hidden": "true", hidden: true });
    ui.launcher = h(
      "button",
      {
        type: "button",
        class: "launcher",
        "data-testid": "kefu-launcher",
        "aria-controls": "kc-panel",
        "aria-expanded": "false",
        onclick: toggle,
      },
      icon("chat", "i-chat"),
      icon("close", "i-close"),
      ui.badge,
    );

    ui.avatar = h("span", { class: "avatar", "aria-hidden": "true", hidden: true });
    ui.title = h("h2", { id: "kc-title" });
    ui.sub = h("p", { class: "sub", "data-testid": "kefu-agent" });
    ui.langs = h("div", { class: "langs", role: "group", i18nAttrs: { "aria-label": "language" } });
    const head = h(
      "header",
      { class: "head" },
      ui.avatar,
      h("div", { class: "who" }, ui.title, ui.sub),
      ui.langs,
      h(
        "button",
        {
          type: "button",
          class: "icon-btn",
          "data-testid": "kefu-close",
          i18nAttrs: { "aria-label": "close", title: "close" },
          onclick: () => close(true),
        },
        icon("close"),
      ),
    );

    ui.status = h("p", { class: "status", role: "status", "data-testid": "kefu-connection", hidden: true });
    ui.notice = h("p", { class: "notice", role: "alert", "data-testid": "kefu-error", hidden: true });

    ui.greeting = h("p", { class: "greeting", "data-testid": "kefu-greeting" });
    ui.serviceLine = h("p", { class: "service-line" });
    ui.wait = h("p", { class: "muted", "data-testid": "kefu-wait" });
    ui.hours = h("p", { class: "muted", "data-testid": "kefu-hours" });
    ui.service = h("div", { "data-testid": "kefu-service" }, ui.serviceLine, ui.wait, ui.hours);
    ui.contactList = h("ul");
    ui.contacts = h(
      "div",
      { class: "contacts", "data-testid": "kefu-contacts" },
      h("h3", { i18n: "contacts_title" }),
      ui.contactList,
      h("p", { class: "warning", i18n: "contacts_warning" }),
    );
    const intro = h(
      "section",
      { class: "card intro", "data-testid": "kefu-intro" },
      ui.greeting,
      ui.service,
      ui.contacts,
    );

    ui.list = h("ol", {
      class: "messages",
      "data-testid": "kefu-messages",
      i18nAttrs: { "aria-label": "messages_label" },
    });
    ui.typing = h("p", { class: "typing", "data-testid": "kefu-typing", hidden: true });

    ui.closed = h(
      "div",
      { class: "card closed", "data-testid": "kefu-closed", hidden: true },
      h("p", { i18n: "closed" }),
      h("button", {
        type: "button",
        class: "btn",
        "data-testid": "kefu-new-conversation",
        i18n: "new_conversation",
        onclick: startNewConversation,
      }),
    );

    ui.survey = buildSurvey();

    ui.email = h("input", {
      type: "email",
      id: "kc-email",
      name: "email",
      autocomplete: "email",
      maxlength: "254",
      "data-testid": "kefu-email",
      "aria-describedby": "kc-email-prompt kc-email-error",
      i18nAttrs: { placeholder: "email_placeholder" },
    });
    ui.emailError = h("p", { class: "field-error", id: "kc-email-error", hidden: true });
    ui.emailForm = h(
      "form",
      {
        class: "card email-card",
        "data-testid": "kefu-email-form",
        novalidate: true,
        hidden: true,
        onsubmit: (event) => {
          event.preventDefault();
          submitEmail();
        },
      },
      h("p", { id: "kc-email-prompt", i18n: "email_prompt" }),
      h("label", { for: "kc-email", i18n: "email_label" }),
      h(
        "div",
        { class: "row" },
        ui.email,
        h("button", { type: "submit", class: "btn", "data-testid": "kefu-email-save", i18n: "email_save" }),
        h("button", {
          type: "button",
          class: "btn secondary",
          "data-testid": "kefu-email-skip",
          i18n: "email_skip",
          onclick: () => {
            state.emailDismissed = true;
            store.set("sessionStorage", "email-dismissed", "1");
            renderEmail();
            ui.input.focus();
          },
        }),
      ),
      ui.emailError,
    );
    ui.emailSaved = h("p", { class: "muted email-saved", "data-testid": "kefu-email-saved", hidden: true });

    // Asking to escalate (kefu.routing): a link under the conversation; the server says
    // whether the visitor may ask now (policy wait, one pending request) and the state.
    ui.escalateInfo = h("p", { class: "muted", "data-testid": "kefu-escalate-info", hidden: true });
    ui.escalateReason = h("textarea", {
      id: "kc-escalate",
      rows: "2",
      maxlength: "2000",
      "data-testid": "kefu-escalate-reason",
    });
    ui.escalateForm = h(
      "form",
      {
        class: "card escalate",
        "data-testid": "kefu-escalate-form",
        novalidate: true,
        hidden: true,
        onsubmit: (event) => {
          event.preventDefault();
          escalation("POST");
        },
      },
      h("label", { for: "kc-escalate", i18n: "escalate_label" }),
      ui.escalateReason,
      h("button", { type: "submit", class: "btn", i18n: "escalate_send" }),
    );
    ui.escalate = h(
      "div",
      { class: "escalation", hidden: true },
      h("button", {
        type: "button",
        class: "link-btn",
        "data-testid": "kefu-escalate",
        i18n: "escalate_open",
        onclick: () => escalation("GET"),
      }),
      ui.escalateInfo,
      ui.escalateForm,
    );

    ui.body = h(
      "div",
      { class: "body" },
      intro,
      ui.list,
      ui.typing,
      ui.closed,
      ui.survey,
      ui.emailForm,
      ui.emailSaved,
      ui.escalate,
    );

    ui.file = h("input", {
      type: "file",
      accept: "image/*,application/pdf",
      hidden: true,
      tabindex: "-1",
      "data-testid": "kefu-file",
      onchange: () => upload(ui.file.files && ui.file.files[0]),
    });
    ui.input = h("textarea", {
      id: "kc-input",
      rows: "1",
      maxlength: String(MAX_BODY),
      "data-testid": "kefu-input",
      i18nAttrs: { placeholder: "input_placeholder" },
      oninput: onComposerInput,
      oncompositionend: () => kb.input(),
      onkeydown: (event) => {
        // Enter sends, Shift+Enter is a newline; Enter that confirms an IME candidate
        // (Chinese input) must do neither.
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
          event.preventDefault();
          submit();
        }
      },
      onblur: stopTyping,
    });
    ui.composer = h(
      "form",
      {
        class: "composer",
        "data-testid": "kefu-composer",
        onsubmit: (event) => {
          event.preventDefault();
          submit();
          ui.input.focus();
        },
      },
      h(
        "button",
        {
          type: "button",
          class: "attach",
          "data-testid": "kefu-attach",
          i18nAttrs: { "aria-label": "attach", title: "attach" },
          onclick: () => ui.file.click(),
        },
        icon("clip"),
      ),
      ui.file,
      h("label", { for: "kc-input", class: "sr-only", i18n: "input_label" }),
      ui.input,
      h(
        "button",
        {
          type: "submit",
          class: "send",
          "data-testid": "kefu-send",
          i18nAttrs: { "aria-label": "send", title: "send" },
        },
        icon("send"),
      ),
    );

    ui.suggestList = h("ul", { "aria-labelledby": "kc-suggest-title" });
    ui.suggest = h(
      "section",
      {
        class: "suggest",
        "data-testid": "kefu-suggestions",
        "aria-labelledby": "kc-suggest-title",
        hidden: true,
      },
      h("h3", { id: "kc-suggest-title", i18n: "suggestions_title" }),
      ui.suggestList,
    );
    ui.incidentList = h("ul");
    ui.incidents = h(
      "aside",
      {
        class: "incidents",
        "data-testid": "kefu-incidents",
        "aria-labelledby": "kc-incidents-title",
        hidden: true,
      },
      h("h3", { id: "kc-incidents-title", class: "sr-only", i18n: "status_title" }),
      ui.incidentList,
    );

    ui.live = h("div", { class: "sr-only", "aria-live": "polite", "data-testid": "kefu-live" });

    ui.panel = h(
      "section",
      {
        id: "kc-panel",
        class: "panel",
        role: "dialog",
        "aria-labelledby": "kc-title",
        "data-testid": "kefu-panel",
        hidden: true,
        onkeydown: (event) => {
          if (event.key === "Escape") {
            event.stopPropagation();
            close(true);
          }
        },
      },
      head,
      ui.incidents,
      ui.status,
      ui.notice,
      ui.body,
      ui.suggest,
      ui.composer,
      ui.live,
    );

    ui.root = h("div", { class: "kc", "data-testid": "kefu-root" }, ui.panel, ui.launcher);
    shadow.append(ui.root);
    document.body.append(host);

    // Pending messages restored from an earlier page of the same tab.
    for (const item of state.outbox) ui.list.append(renderPending(item.id, item.body, t("sending")));
    renderAll();
  }

  function applyStrings() {
    if (!ui.root) return;
    ui.root.lang = state.lang === "zh-hans" ? "zh-Hans" : state.lang;
    for (const el of ui.root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    for (const el of ui.root.querySelectorAll("[data-i18n-attrs]")) {
      for (const pair of el.dataset.i18nAttrs.split(";")) {
        const [attr, key] = pair.split("=");
        el.setAttribute(attr, t(key));
      }
    }
  }

  function renderAll() {
    if (!ui.root) return;
    applyStrings();
    renderLauncher();
    renderHeader();
    renderIntro();
    renderEmail();
    renderClosed();
    renderSurvey();
    refreshChoices();
    renderTyping();
    renderReceipt();
    renderStatus();
    kb.render();
    incidents.render();
  }

  function renderLauncher() {
    if (!ui.launcher) return;
    let label = t("launcher_open");
    if (state.open) label = t("launcher_close");
    else if (state.unread) label = t("launcher_unread", { count: state.unread });
    ui.launcher.setAttribute("aria-label", label);
    ui.launcher.setAttribute("aria-expanded", String(state.open));
    ui.badge.hidden = !state.unread || state.open;
    ui.badge.textContent = state.unread > 9 ? "9+" : String(state.unread);
  }

  function renderHeader() {
    const site = (state.config && state.config.site) || {};
    ui.title.textContent = site.name || t("title");
    const agent = state.conversation && !state.fresh && state.conversation.agent;
    ui.avatar.hidden = !agent;
    if (agent) {
      ui.avatar.textContent = agent.initials || initialsOf(agent.name);
      ui.avatar.className = `avatar ${colourClass(agent.name)}`;
    }
    // Before the first message the header says whether anyone can answer; afterwards, who is
    // answering and the reference to quote by email.
    const current = state.conversation && !state.fresh ? state.conversation : null;
    const parts = [];
    if (agent) parts.push(t("chatting_with", { name: agent.name }));
    else if (!current && state.service) parts.push(serviceText(state.service));
    if (current && current.reference) parts.push(current.reference);
    ui.sub.textContent = parts.join(" · ");
    ui.sub.title = ui.sub.textContent;

    // Rebuilt only when the list changes, so the button just pressed keeps the focus.
    const codes = languages.map(([code]) => code).join(",");
    if (ui.langs.dataset.codes !== codes) {
      ui.langs.dataset.codes = codes;
      ui.langs.replaceChildren(
        ...languages.map(([code, label]) =>
          h("button", {
            type: "button",
            lang: code === "zh-hans" ? "zh-Hans" : code,
            "data-code": code,
            "data-testid": `kefu-lang-${code}`,
            text: label,
            onclick: () => setLanguage(code),
          }),
        ),
      );
    }
    for (const button of ui.langs.children) {
      button.setAttribute("aria-pressed", String(button.dataset.code === state.lang));
    }
  }

  function renderIntro() {
    const site = (state.config && state.config.site) || {};
    ui.greeting.textContent = site.greeting || t("greeting");

    const service = state.service;
    ui.service.hidden = !service;
    if (service) {
      const live = serviceLive(service);
      ui.serviceLine.replaceChildren(
        h("span", { class: live ? "dot" : "dot off", "aria-hidden": "true" }),
        h("span", { text: serviceText(service) }),
      );
      const wait = [];
      if (live) {
        const seconds = service.expected_wait_seconds;
        if (Number.isFinite(seconds)) {
          wait.push(
            seconds < 60
              ? t("wait_under_minute")
              : t("wait_minutes", { minutes: Math.round(seconds / 60) }),
          );
        }
        if (service.agents_online) wait.push(t("agents_online", { count: service.agents_online }));
      } else if (service.next_open_at) {
        const when = formatTime(service.next_open_at, {
          weekday: "short",
          month: "short",
          day: "numeric",
          hour: "2-digit",
          minute: "2-digit",
        });
        if (when) wait.push(t("offline_next", { time: when }));
      }
      ui.wait.textContent = wait.join(" · ");
      ui.wait.hidden = !wait.length;
      ui.hours.textContent = service.hours ? t("hours", { hours: service.hours }) : "";
      ui.hours.hidden = !service.hours;
    }

    const contacts = Array.isArray(state.contacts) ? state.contacts : [];
    ui.contacts.hidden = !contacts.length;
    ui.contactList.replaceChildren(
      ...contacts.map((c) => {
        const href = safeLink(c.url);
        const value = c.value || c.url || "";
        const target = /^https?:/.test(href || "") ? "_blank" : null;
        return h(
          "li",
          { "data-kind": c.kind || "" },
          c.label ? `${c.label}: ` : "",
          href
            ? h("a", { href, target, rel: target ? "noopener noreferrer" : null, text: value })
            : value,
          c.hours ? h("span", { class: "contact-hours", text: ` (${c.hours})` }) : null,
        );
      }),
    );
  }

  /** Someone can answer now (open hours and an agent online). */
  function serviceLive(service) {
    return Boolean(service && service.open_now && !service.email_followup);
  }

  function serviceText(service) {
    if (serviceLive(service)) return t("online");
    return t(service.open_now ? "no_agents" : "offline");
  }

  function renderEmail() {
    if (!ui.emailForm) return;
    const anonymous = isAnonymous();
    const email = state.visitor && state.visitor.email;
    ui.emailForm.hidden = !anonymous || Boolean(email) || state.emailDismissed || isClosed();
    ui.emailSaved.hidden = !anonymous || !email;
    ui.emailSaved.textContent = email ? t("email_saved", { email }) : "";
  }

  function isClosed() {
    return Boolean(state.conversation && !state.fresh && state.conversation.status === "closed");
  }

  async function escalation(method) {
    const id = currentConversationId();
    if (!id) return;
    const url = `${BASE}/chat/v1/escalate` + (method === "GET" ? `?conversation_id=${id}` : "");
    const init = { method, credentials: "omit", headers: authHeaders() };
    if (method === "POST") {
      init.headers = { ...init.headers, "Content-Type": "application/json" };
      init.body = JSON.stringify({ conversation_id: id, reason: ui.escalateReason.value });
    }
    try {
      const data = await readJson(await fetch(url, init));
      if (!data || data.type !== "escalation") {
        showNotice((data && data.message) || t("unavailable"));
        return;
      }
      const latest = data.latest;
      const parts = [];
      if (latest) parts.push(t("escalate_state", { state: latest.state_label }) + (latest.note ? ` — ${latest.note}` : ""));
      if (!data.can_request && data.refusal) parts.push(data.refusal);
      ui.escalateInfo.textContent = parts.join(" ");
      ui.escalateInfo.hidden = parts.length === 0;
      ui.escalateForm.hidden = !data.can_request;
      if (data.can_request) ui.escalateReason.focus();
      else ui.escalateReason.value = "";
    } catch {
      showNotice(t("unavailable"));
    }
  }

  function renderClosed() {
    const closed = isClosed();
    if (ui.escalate) ui.escalate.hidden = !currentConversationId();
    ui.closed.hidden = !closed;
    ui.composer.hidden = closed || needsSignIn();
  }

  // The satisfaction survey (chat protocol v1: ``conversation.survey``, ``survey.answer``).
  function buildSurvey() {
    const stars = [1, 2, 3, 4, 5].map((n) =>
      h(
        "label",
        {},
        h("input", { type: "radio", name: "kc-rating", value: String(n), "data-testid": `kefu-survey-${n}` }),
        String(n),
      ),
    );
    const yesNo = [
      ["yes", "survey_yes"],
      ["no", "survey_no"],
    ].map(([value, key]) =>
      h(
        "label",
        {},
        h("input", { type: "radio", name: "kc-resolved", value, "data-testid": `kefu-survey-${value}` }),
        h("span", { i18n: key }),
      ),
    );
    ui.surveyComment = h("textarea", {
      id: "kc-survey-comment",
      rows: "2",
      maxlength: "2000",
      "data-testid": "kefu-survey-comment",
    });
    ui.surveyThanks = h("p", { class: "muted", "data-testid": "kefu-survey-thanks", i18n: "survey_thanks", hidden: true });
    ui.surveySend = h("button", { type: "submit", class: "btn", "data-testid": "kefu-survey-send" });
    // After a negative answer (``survey.can_escalate``): ask a senior colleague at once.
    ui.surveyEscalate = h("button", {
      type: "button",
      class: "btn",
      "data-testid": "kefu-survey-escalate",
      i18n: "survey_escalate",
      hidden: true,
      onclick: () => escalateFromSurvey(),
    });
    ui.surveyEscalated = h("p", {
      class: "muted",
      role: "status",
      "data-testid": "kefu-survey-escalated",
      i18n: "survey_escalated",
      hidden: true,
    });
    ui.surveyError = h("p", { class: "muted", role: "alert", "data-testid": "kefu-survey-error", hidden: true });
    return h(
      "form",
      {
        class: "card survey",
        "data-testid": "kefu-survey",
        novalidate: true,
        hidden: true,
        onsubmit: (event) => {
          event.preventDefault();
          submitSurvey();
        },
      },
      h("p", { i18n: "survey_title" }),
      h("fieldset", { class: "stars" }, h("legend", { i18n: "survey_rating" }), ...stars),
      h("fieldset", {}, h("legend", { i18n: "survey_resolved" }), ...yesNo),
      h("label", { for: "kc-survey-comment", i18n: "survey_comment" }),
      ui.surveyComment,
      ui.surveyThanks,
      ui.surveyError,
      ui.surveySend,
      ui.surveyEscalate,
      ui.surveyEscalated,
    );
  }

  function renderSurvey() {
    if (!ui.survey) return;
    const survey = state.conversation && !state.fresh ? state.conversation.survey : null;
    ui.survey.hidden = !survey;
    if (!survey) return;
    if (ui.survey.dataset.surveyId !== String(survey.id)) {
      ui.survey.dataset.surveyId = String(survey.id);
      state.surveyThanks = false;
      state.surveyEscalated = false;
      for (const input of ui.survey.querySelectorAll("input[type=radio]")) {
        input.checked =
          (input.name === "kc-rating" && Number(input.value) === survey.rating) ||
          (input.name === "kc-resolved" &&
            survey.resolved !== null &&
            input.value === (survey.resolved ? "yes" : "no"));
      }
      ui.surveyComment.value = survey.comment || "";
    }
    ui.surveyThanks.hidden = !state.surveyThanks;
    ui.surveySend.textContent = t(survey.answered ? "survey_change" : "survey_send");
    ui.surveyEscalate.hidden = !survey.can_escalate;
    ui.surveyEscalated.hidden = !state.surveyEscalated;
  }

  function escalateFromSurvey() {
    const survey = state.conversation && state.conversation.survey;
    if (!survey || !survey.can_escalate) return;
    ui.surveyError.hidden = true;
    state.surveyBusy = sendFrame({
      type: "survey.escalate",
      conversation_id: state.conversation.id,
      survey_id: survey.id,
    });
  }

  function submitSurvey() {
    const survey = state.conversation && state.conversation.survey;
    if (!survey) return;
    const rating = ui.survey.querySelector("input[name=kc-rating]:checked");
    if (!rating) return;
    const resolved = ui.survey.querySelector("input[name=kc-resolved]:checked");
    ui.surveyError.hidden = true;
    state.surveyBusy = sendFrame({
      type: "survey.answer",
      conversation_id: state.conversation.id,
      survey_id: survey.id,
      rating: Number(rating.value),
      resolved: resolved ? resolved.value === "yes" : null,
      comment: ui.surveyComment.value.trim().slice(0, 2000),
    });
  }

  function renderTyping() {
    if (!ui.typing) return;
    ui.typing.hidden = !state.agentTyping;
    ui.typing.textContent = state.agentTyping ? t("typing", { name: state.agentTyping }) : "";
  }

  function renderReceipt() {
    if (!ui.list) return;
    for (const old of ui.list.querySelectorAll(".receipt")) old.remove();
    if (!state.conversation) return;
    let last = 0;
    for (const [seq, message] of state.messages) {
      if (message.author === "customer" && seq > last) last = seq;
    }
    if (!last || (state.conversation.agent_read_seq || 0) < last) return;
    const meta = ui.list.querySelector(`[data-seq="${last}"] .meta`);
    if (meta) meta.append(h("span", { class: "receipt", "data-testid": "kefu-read", i18n: "read" }));
  }

  function setConnStatus(status) {
    conn.status = status;
    clearTimeout(connectingTimer);
    if (status === "connecting") {
      // A quick connect should not flash a banner.
      connectingTimer = setTimeout(renderStatus, 1500);
      return;
    }
    renderStatus();
  }

  function renderStatus() {
    if (!ui.status) return;
    let text = "";
    if (state.fatal) text = state.fatal;
    else if (needsSignIn()) text = t("sign_in_required");
    else if (conn.status === "down") text = t("reconnecting");
    else if (conn.status === "connecting" && state.started) text = t("connecting");
    ui.status.hidden = !text;
    ui.status.textContent = text;
    renderClosed();
  }

  function showNotice(text) {
    if (!ui.notice) return;
    clearTimeout(noticeTimer);
    ui.notice.textContent = text;
    ui.notice.hidden = false;
    noticeTimer = setTimeout(() => {
      ui.notice.hidden = true;
    }, 6000);
  }

  function announce(text) {
    // Re-setting the same text would not be announced again: clear first.
    ui.live.textContent = "";
    setTimeout(() => {
      ui.live.textContent = text;
    }, 50);
  }

  function renderMessage(message) {
    const mine = message.author === "customer";
    const name = mine ? t("you") : message.name || t("support");
    const li = h("li", {
      class: `msg ${mine ? "mine" : "theirs"} author-${message.author || "system"}`,
      "data-testid": "kefu-message",
      "data-seq": String(message.seq),
      "data-author": message.author || "",
    });
    if (!mine) {
      li.append(
        h("span", {
          class: `avatar ${colourClass(name)}`,
          "aria-hidden": "true",
          text: message.initials || initialsOf(name),
        }),
      );
    }
    const stack = h("div", { class: "stack" });
    stack.append(
      mine
        ? h("span", { class: "sr-only", i18n: "you" })
        : h("span", { class: "name", "data-testid": "kefu-message-name", text: name }),
    );
    const bubble = h("div", { class: "bubble", "data-testid": "kefu-message-body" });
    if (message.html) setHtml(bubble, message.html, message.body);
    else {
      bubble.classList.add("text");
      bubble.textContent = message.body || "";
    }
    for (const a of bubble.querySelectorAll("a[href]")) {
      a.target = "_blank";
      a.rel = "noopener noreferrer nofollow";
    }
    stack.append(bubble);
    const attachments = Array.isArray(message.attachments) ? message.attachments : [];
    if (attachments.length) stack.append(renderAttachments(attachments));
    if (message.author === "assistant") renderAssistantExtras(stack, message);
    const time = formatTime(message.created_at, { hour: "2-digit", minute: "2-digit" });
    stack.append(
      h("div", { class: "meta" }, time ? h("time", { datetime: message.created_at, text: time }) : null),
    );
    li.append(stack);
    return li;
  }

  // The assistant's citations (links to help articles), its optional link (e.g. the identity
  // verification page) and its buttons. Buttons are shown under the latest message only and
  // send the server's payload back as an assistant.choose frame.
  function renderAssistantExtras(stack, message) {
    const citations = (Array.isArray(message.citations) ? message.citations : [])
      .map((c) => ({ title: String((c && c.title) || ""), href: c && c.url ? webLink(c.url) : null }))
      .filter((c) => c.href && c.title);
    if (citations.length) {
      const titleId = `kc-cites-${message.seq}`;
      stack.append(h("div", { class: "cites-title", id: titleId, i18n: "assistant_sources" }));
      const list = h("ul", { class: "cites", "aria-labelledby": titleId });
      for (const c of citations) {
        list.append(
          h(
            "li",
            {},
            h("a", {
              href: c.href,
              target: "_blank",
              rel: "noopener noreferrer",
              "data-testid": "kefu-citation",
              text: c.title,
            }),
          ),
        );
      }
      stack.append(list);
    }
    // A link that is already one of the sources is not repeated.
    const link = message.link ? webLink(message.link) : null;
    if (link && !citations.some((c) => c.href === link)) {
      stack.append(
        h("a", {
          class: "go-link",
          href: link,
          target: "_blank",
          rel: "noopener noreferrer",
          "data-testid": "kefu-assistant-link",
          i18n: "assistant_open_link",
        }),
      );
    }
    const actions = (Array.isArray(message.actions) ? message.actions : []).filter(
      (a) => a && typeof a.label === "string" && typeof a.payload === "string",
    );
    if (actions.length) {
      const group = h("div", {
        class: "choices",
        role: "group",
        "data-testid": "kefu-assistant-actions",
        i18nAttrs: { "aria-label": "assistant_choices" },
      });
      for (const action of actions) {
        group.append(
          h("button", {
            type: "button",
            class: "choice",
            "data-testid": "kefu-assistant-action",
            "data-payload": action.payload,
            text: action.label,
            onclick: () => choose(group, action.payload),
          }),
        );
      }
      stack.append(group);
    }
  }

  function choose(group, payload) {
    const conversation = currentConversationId();
    if (!conversation) return;
    const id = newId();
    for (const b of group.querySelectorAll("button")) b.disabled = true;
    state.choosing = id;
    const sent = sendFrame({ type: "assistant.choose", id, conversation_id: conversation, payload });
    if (!sent) {
      state.choosing = null;
      for (const b of group.querySelectorAll("button")) b.disabled = false;
      showNotice(t("reconnecting"));
    }
  }

  /** Buttons belong to the latest message: older ones (and a closed chat's) are hidden. */
  function refreshChoices() {
    if (!ui.list) return;
    const items = Array.from(ui.list.querySelectorAll("[data-seq]"));
    const latest = items.reduce(
      (best, li) => (!best || Number(li.dataset.seq) > Number(best.dataset.seq) ? li : best),
      null,
    );
    for (const group of ui.list.querySelectorAll(".choices")) {
      const show = group.closest("[data-seq]") === latest && !isClosed();
      group.hidden = !show;
      if (show && !state.choosing) {
        for (const b of group.querySelectorAll("button")) b.disabled = false;
      }
    }
  }

  function renderAttachments(attachments) {
    const box = h("div", { class: "atts" });
    for (const a of attachments) {
      const href = absoluteUrl(a.url);
      if (!href) continue;
      const type = String(a.content_type || "");
      if (type.startsWith("image/")) {
        box.append(
          h(
            "a",
            { class: "att", href, target: "_blank", rel: "noopener noreferrer", "data-testid": "kefu-attachment" },
            h("img", { src: href, alt: a.filename || t("attachment"), loading: "lazy" }),
          ),
        );
      } else {
        box.append(
          h(
            "a",
            {
              class: "att att-file",
              href,
              target: "_blank",
              rel: "noopener noreferrer",
              "data-testid": "kefu-attachment",
            },
            icon("file"),
            h("span", { text: a.filename || t("attachment") }),
            h("small", { text: formatSize(a.size) }),
          ),
        );
      }
    }
    return box;
  }

  function renderPending(id, text, stateText) {
    return h(
      "li",
      { class: "msg mine pending", "data-testid": "kefu-pending", "data-pending": id },
      h(
        "div",
        { class: "stack" },
        h("span", { class: "sr-only", i18n: "you" }),
        h("div", { class: "bubble text", text }),
        h("div", { class: "meta" }, h("span", { class: "pending-state", text: stateText })),
      ),
    );
  }

  function removePending(id) {
    state.uploads.delete(id);
    if (!ui.list) return;
    for (const li of ui.list.querySelectorAll("[data-pending]")) {
      if (li.dataset.pending === id) li.remove();
    }
  }

  function markFailed(item, message) {
    const li = Array.from(ui.list.querySelectorAll("[data-pending]")).find(
      (el) => el.dataset.pending === item.id,
    );
    if (!li) return;
    li.classList.replace("pending", "failed");
    li.dataset.testid = "kefu-failed";
    const meta = li.querySelector(".meta");
    meta.replaceChildren(
      h("span", { text: message ? `${t("not_sent")}: ${message}` : t("not_sent") }),
      h("button", {
        type: "button",
        class: "link-btn",
        i18n: "retry",
        onclick: () => {
          // Back into the composer: the visitor can fix what the server refused.
          li.remove();
          ui.input.value = item.body;
          autosize();
          ui.input.focus();
        },
      }),
    );
  }

  /** Messages by seq; pending bubbles always stay after the confirmed ones. */
  function insertMessage(li, seq) {
    let before = null;
    for (const child of ui.list.children) {
      if (child.dataset.pending !== undefined || Number(child.dataset.seq) > seq) {
        before = child;
        break;
      }
    }
    ui.list.insertBefore(li, before);
  }

  function isNearBottom() {
    return ui.body.scrollHeight - ui.body.scrollTop - ui.body.clientHeight < 80;
  }

  function scrollToBottom() {
    if (ui.body) ui.body.scrollTop = ui.body.scrollHeight;
  }

  function autosize() {
    // CSSOM writes are allowed under CSP style-src (only style attributes in markup are not).
    ui.input.style.height = "auto";
    ui.input.style.height = `${Math.min(ui.input.scrollHeight + 2, 140)}px`;
  }

  function startNewConversation() {
    resetConversation();
    state.fresh = true;
    rememberActive();
    renderAll();
    ui.input.focus();
  }

  // ---------------------------------------------------------------------------------------
  // Public API

  const early = []; // calls made before mount() ran

  function whenMounted(fn) {
    return (...args) => {
      if (ui.root) return fn(...args);
      early.push(() => fn(...args));
      return undefined;
    };
  }

  function open() {
    if (state.open) return;
    state.open = true;
    state.unread = 0;
    ui.panel.hidden = false;
    ui.root.classList.add("open");
    renderLauncher();
    if (!state.config || Date.now() - state.configAt > CONFIG_MAX_AGE_MS) {
      loadConfig().then(renderAll);
    }
    start();
    scrollToBottom();
    scheduleRead();
    focusPanel();
  }

  /** Focus goes where the visitor will act next: the message box, else the closed banner. */
  function focusPanel() {
    const candidates = [ui.input, ui.closed.querySelector("button"), ui.panel.querySelector(".icon-btn")];
    const target = candidates.find((el) => el && el.getClientRects().length);
    if (target) target.focus();
  }

  function close(returnFocus) {
    if (!state.open) return;
    state.open = false;
    ui.panel.hidden = true;
    ui.root.classList.remove("open");
    stopTyping();
    renderLauncher();
    if (returnFocus) ui.launcher.focus();
  }

  function toggle() {
    if (state.open) close(true);
    else open();
  }

  function identify(token) {
    const next = typeof token === "string" && token.trim() ? token.trim() : null;
    if (next === state.identityToken) return;
    const wasIdentified = Boolean(state.identityToken);
    state.identityToken = next;
    state.fatal = null;
    state.visitor = null;
    conn.anonymousRetried = false;
    resetConversation();
    if (wasIdentified) {
      // Someone else (or nobody) is signed in now: what the previous person had queued is not
      // theirs to send.
      state.outbox = [];
      saveOutbox();
      if (ui.list) for (const li of Array.from(ui.list.children)) li.remove();
    }
    renderAll();
    if (state.started) {
      conn.attempt = 0;
      connect();
    }
  }

  async function setLanguage(code) {
    const lang = normaliseLang(code);
    if (!lang || lang === state.lang) return;
    state.lang = lang;
    store.set("localStorage", "lang", lang);
    await loadConfig();
    renderAll();
    kb.refresh();
    // The server speaks the language given in hello (errors, the email that continues the
    // conversation): reconnect so it hears the change. Resume makes this seamless.
    if (state.started && !state.fatal) {
      conn.attempt = 0;
      connect();
    }
  }

  const api = Object.freeze({
    version: VERSION,
    open: whenMounted(open),
    close: whenMounted(() => close(false)),
    toggle: whenMounted(toggle),
    identify: (token) => (ui.root ? identify(token) : early.push(() => identify(token))),
    setLanguage: whenMounted(setLanguage),
    // Test hooks: drop the connection and stay offline until _debugReconnect().
    _debugDropConnection() {
      conn.held = true;
      teardown();
      clearTimeout(conn.timer);
      setConnStatus("down");
    },
    _debugReconnect() {
      conn.held = false;
      conn.attempt = 0;
      if (state.started) connect();
    },
  });
  window.KefuChat = api;

  // ---------------------------------------------------------------------------------------
  // Boot

  function initialLanguage() {
    return (
      normaliseLang(store.get("localStorage", "lang")) ||
      normaliseLang(script.dataset.lang) ||
      normaliseLang(document.documentElement.lang) ||
      normaliseLang(navigator.language) ||
      "en"
    );
  }

  async function boot() {
    state.lang = initialLanguage();
    await loadConfig();
    // The config may list the languages differently than the built-in list assumed.
    state.lang = normaliseLang(state.lang) || (languages[0] && languages[0][0]) || "en";
    mount();

    document.addEventListener("click", (event) => {
      const trigger = event.target instanceof Element && event.target.closest("[data-kefu-open]");
      if (trigger) {
        event.preventDefault();
        open();
      }
    });
    document.addEventListener("visibilitychange", scheduleRead);
    window.addEventListener("online", () => {
      if (state.started && !conn.ready && !conn.held && !state.fatal) {
        conn.attempt = 0;
        connect();
      }
    });

    early.splice(0).forEach((call) => call());
    if (Array.isArray(queued)) {
      for (const entry of queued) {
        const [name, ...args] = Array.isArray(entry) ? entry : [];
        if (typeof name === "string" && !name.startsWith("_") && typeof api[name] === "function") {
          api[name](...args);
        }
      }
    }
    // Returning visitors with a conversation in progress (or unsent messages) reconnect at
    // once so replies arrive while they browse; everyone else connects on first open, so an
    // exchange's every page view does not hold a socket open.
    if (!state.started && (store.get("localStorage", "active") === "1" || state.outbox.length)) {
      start();
    }
    window.dispatchEvent(new CustomEvent("kefuchat:ready"));
  }

  if (document.body) boot();
  else document.addEventListener("DOMContentLoaded", boot, { once: true });
})();
