// The live workspace: the agent socket (/ws/agent/v1, docs/subsystems/realtime.md, "Agent
// protocol") and what the pages do with it. Plain JavaScript; no inline scripts (the CSP is
// script-src 'self'): the templates pass URLs, ids and translated texts in data-* attributes.
//
// The socket only says *that* something changed. The page then refetches the affected region
// (the inbox list, the timeline, the conversation's state) as HTML through the same permission
// checks as the page, and swaps it in. Every page still works without JavaScript.
(() => {
  "use strict";

  const PING_MS = 25000;
  const BACKOFF_FIRST_MS = 1000;
  const BACKOFF_MAX_MS = 30000;
  const REFETCH_DEBOUNCE_MS = 300;
  const TYPING_THROTTLE_MS = 3000; // send "typing: true" at most this often while typing
  const TYPING_IDLE_MS = 5000; // then "typing: false" after this long without a key
  const TYPING_SHOWN_MS = 10000; // forget someone else's typing when no update comes
  const VIEWING_EVERY_MS = 30000;
  const VIEWING_SHOWN_MS = 75000; // two missed heartbeats and a bit
  const HIGHLIGHT_MS = 2500;
  const ACK_TIMEOUT_MS = 10000; // a message.send unanswered this long goes by the form instead
  // The agent socket takes frames up to 128 KiB (kefu/realtime/protocol.py); a longer one is
  // posted with the form, which gives the same "too long" error.
  const MAX_FRAME_CHARS = 120 * 1024;

  // --- the socket ---------------------------------------------------------------------------

  // Opens the socket, reconnects with exponential backoff and jitter, pings every 25 s. The
  // connection counts as up at the server's "hello", sent once this agent's groups are joined
  // (a socket the server accepts and then closes, e.g. signed out, keeps backing off).
  function connect(url, handlers) {
    let ws = null;
    let attempt = 0;
    let retryTimer = null;
    let pingTimer = null;
    const pending = new Map(); // frame id -> resolve, for request()

    // The socket went away: nobody waits for an answer that cannot come now.
    const settleAll = () => {
      pending.forEach((resolve) => resolve(null));
      pending.clear();
    };

    const open = () => {
      retryTimer = null;
      handlers.state(attempt === 0 ? "connecting" : "reconnecting");
      try {
        ws = new WebSocket(url);
      } catch (_error) {
        ws = null;
        retry();
        return;
      }
      ws.addEventListener("open", () => {
        pingTimer = window.setInterval(() => send({ type: "ping" }), PING_MS);
      });
      ws.addEventListener("message", (event) => {
        let frame;
        try {
          frame = JSON.parse(event.data);
        } catch (_error) {
          return;
        }
        if (!frame || typeof frame.type !== "string") return;
        if ((frame.type === "message.ack" || frame.type === "error") && pending.has(frame.ref)) {
          const resolve = pending.get(frame.ref);
          pending.delete(frame.ref);
          resolve(frame);
          return;
        }
        if (frame.type === "hello") {
          attempt = 0;
          handlers.state("live");
          handlers.frame(frame);
          handlers.open();
        } else {
          handlers.frame(frame);
        }
      });
      ws.addEventListener("close", () => {
        window.clearInterval(pingTimer);
        ws = null;
        settleAll();
        handlers.state("reconnecting");
        retry();
      }); // an "error" event is always followed by "close"
    };

    const retry = () => {
      if (retryTimer !== null) return;
      const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** attempt);
      attempt += 1;
      // Half fixed, half random: many agents dropped at once do not come back all together.
      retryTimer = window.setTimeout(open, ceiling / 2 + Math.random() * (ceiling / 2));
    };

    const send = (frame) => {
      if (!ws || ws.readyState !== WebSocket.OPEN) return false;
      ws.send(JSON.stringify(frame));
      return true;
    };

    // Back online, or back to the tab: try now rather than at the end of a long backoff.
    const now = () => {
      if (ws || retryTimer === null) return;
      window.clearTimeout(retryTimer);
      open();
    };
    window.addEventListener("online", now);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") now();
    });

    // Send a frame with an ``id`` and wait for the server's "message.ack" or "error" naming it
    // (``ref``). Resolves to that frame, or null when the socket is not open, closes first or
    // stays silent for ``timeoutMs``: the caller then takes another way.
    const request = (frame, timeoutMs) =>
      new Promise((resolve) => {
        if (!send(frame)) {
          resolve(null);
          return;
        }
        const timer = window.setTimeout(() => {
          pending.delete(frame.id);
          resolve(null);
        }, timeoutMs);
        pending.set(frame.id, (answer) => {
          window.clearTimeout(timer);
          resolve(answer);
        });
      });

    open();
    return { send, request, isOpen: () => ws !== null && ws.readyState === WebSocket.OPEN };
  }

  // An idempotency key: 32 hex digits (crypto.randomUUID needs a secure context).
  function newKey() {
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // --- regions ------------------------------------------------------------------------------

  // A form control the agent has changed and not yet submitted.
  function isDirty(control) {
    if (control.type === "checkbox" || control.type === "radio") {
      return control.checked !== control.defaultChecked;
    }
    if (control.type === "file") return control.value !== "";
    if (control.tagName === "SELECT") {
      return Array.from(control.options).some((o) => o.selected !== o.defaultSelected);
    }
    if ("defaultValue" in control && control.type !== "hidden") {
      return control.value !== control.defaultValue;
    }
    return false;
  }

  // Something in here must not be replaced now: the agent is typing or choosing in one of its
  // forms, has unsaved changes, or is looking at a form's errors.
  function isBusy(element) {
    const active = document.activeElement;
    if (active && element.contains(active) && active.matches("input, select, textarea")) return true;
    if (element.querySelector(":scope form .errorlist")) return true;
    return Array.from(element.querySelectorAll("input, select, textarea")).some(isDirty);
  }

  // Where the focus is, as a selector that finds the same element in the fresh markup.
  function focusSelector(region) {
    const active = document.activeElement;
    if (!active || active === document.body || !region.contains(active)) return null;
    if (active.id) return `#${CSS.escape(active.id)}`;
    const row = active.closest("[data-key]");
    const href = active.getAttribute("href");
    if (row && href) {
      return `[data-key="${CSS.escape(row.dataset.key)}"] [href="${CSS.escape(href)}"]`;
    }
    return null;
  }

  function highlightNew(before, fresh) {
    fresh.querySelectorAll("[data-key]").forEach((el) => {
      const key = el.dataset.key;
      if (before.has(key) && before.get(key) === (el.dataset.version || "")) return;
      el.classList.add("ws-new");
      window.setTimeout(() => el.classList.remove("ws-new"), HIGHLIGHT_MS);
    });
  }

  // Replace ``current`` with ``fresh`` keeping focus, horizontal scroll and anything busy.
  // Returns false when a busy part was left alone (the caller tries again later).
  function swap(current, fresh) {
    const before = new Map();
    current.querySelectorAll("[data-key]").forEach((el) => {
      before.set(el.dataset.key, el.dataset.version || "");
    });
    if (isBusy(current)) {
      // Swap the parts that are not busy and keep the rest as the agent left it; the whole
      // region (parts may have come or gone) is swapped on a later try.
      fresh.querySelectorAll("[data-part]").forEach((part) => {
        const old = current.querySelector(`[data-part="${CSS.escape(part.dataset.part)}"]`);
        if (old && !isBusy(old)) old.replaceWith(part);
      });
      return false;
    }
    const focus = focusSelector(current);
    const scrollers = Array.from(current.querySelectorAll(".ws-table-wrap")).map((el) => el.scrollLeft);
    const x = window.scrollX;
    const y = window.scrollY;
    current.replaceWith(fresh);
    fresh.querySelectorAll(".ws-table-wrap").forEach((el, i) => {
      if (scrollers[i]) el.scrollLeft = scrollers[i];
    });
    window.scrollTo(x, y);
    if (focus) {
      const target = fresh.querySelector(focus);
      if (target) target.focus({ preventScroll: true });
    }
    if (before.size) highlightNew(before, fresh);
    return true;
  }

  // Fetch ``url`` and swap every [data-region] it contains into the page. Resolves to "ok",
  // "busy" (something was left for later), "gone" (404: no longer visible) or "failed".
  async function refresh(url) {
    let response;
    try {
      response = await fetch(url, {
        credentials: "same-origin",
        headers: { "X-Requested-With": "XMLHttpRequest" },
        redirect: "manual", // a sign-in redirect is not a region
      });
    } catch (_error) {
      return "failed";
    }
    if (response.status === 404) return "gone";
    if (!(response.ok || response.status === 400)) return "failed";
    const html = await response.text();
    const doc = new DOMParser().parseFromString(html, "text/html");
    let result = "ok";
    doc.querySelectorAll("[data-region]").forEach((fresh) => {
      const name = fresh.dataset.region;
      const current = document.querySelector(`[data-region="${CSS.escape(name)}"]`);
      if (current && !swap(current, document.importNode(fresh, true))) result = "busy";
    });
    return result;
  }

  // Debounced and one at a time: a burst of events makes one request, and an event during a
  // request makes one more after it.
  function refresher(run) {
    let timer = null;
    let running = false;
    let again = false;
    const go = async () => {
      timer = null;
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        await run();
      } finally {
        running = false;
        if (again) {
          again = false;
          trigger();
        }
      }
    };
    const trigger = () => {
      if (timer !== null) window.clearTimeout(timer);
      timer = window.setTimeout(go, REFETCH_DEBOUNCE_MS);
    };
    return trigger;
  }

  function fill(template, name) {
    return template.replace("%(name)s", name);
  }

  // --- the header: connection indicator and status ------------------------------------------

  function header(indicator) {
    indicator.hidden = false;
    const setState = (state) => {
      indicator.dataset.state = state;
      indicator.textContent =
        indicator.dataset[`text${state[0].toUpperCase()}${state.slice(1)}`] || "";
    };
    return setState;
  }

  function presenceControl(form, send) {
    const select = form && form.querySelector("select[name=status]");
    if (!select) return () => {};
    const button = form.querySelector("[data-presence-submit]");
    if (button) button.hidden = true;
    select.addEventListener("change", () => {
      // Over the socket when it is up; otherwise the form's ordinary POST.
      if (send({ type: "presence.set", status: select.value })) showStatus(select.value);
      else form.submit();
    });
    const showStatus = (status) => {
      Array.from(select.options).forEach((o) => {
        o.defaultSelected = o.value === status;
        o.selected = o.value === status;
      });
    };
    return showStatus;
  }

  // --- the inbox ----------------------------------------------------------------------------

  function inboxPage() {
    const url = () => {
      const target = new URL(window.location.href);
      target.searchParams.set("partial", "1");
      return target.toString();
    };
    const trigger = refresher(() => refresh(url()));
    return {
      open: trigger, // events may have been missed while the socket was down
      frame(frame) {
        if (frame.type === "inbox.changed") trigger();
        // The supervisors' queue board also shows who is online.
        else if (frame.type === "presence.changed" && document.querySelector("[data-live-presence]")) trigger();
      },
    };
  }

  // --- the conversation page ----------------------------------------------------------------

  function conversationPage(live, socket, selfId) {
    // selfId() is the signed-in agent's id: their own "viewing" frames are not shown.
    const id = Number(live.dataset.conversationId);
    const texts = live.dataset;
    const customerTyping = live.querySelector("[data-customer-typing]");
    const notice = live.querySelector("[data-live-notice]");
    const agentsList = live.querySelector("[data-agents-active]");
    const viewers = new Map(); // agent id -> {name, until}
    const typers = new Map(); // "name mode" -> {name, mode, until}: a reply and a note apart
    let customerUntil = 0;
    let readSent = 0;
    let gone = false;
    let statePending = false;
    const visible = () => document.visibilityState === "visible";

    // Moved out of this agent's view (another team, a higher tier): say so, stop refreshing.
    const showGone = () => {
      gone = true;
      notice.textContent = texts.textGone;
      notice.hidden = false;
    };

    const refreshTimeline = refresher(async () => {
      if (gone) return;
      const result = await refresh(texts.timelineUrl);
      if (result === "gone") showGone();
      if (result === "ok") sendRead();
    });
    const refreshState = refresher(async () => {
      if (gone) return;
      const result = await refresh(texts.stateUrl);
      if (result === "gone") showGone();
      statePending = result === "busy";
    });
    // A busy part of the side panel was left alone: try again once the agent moves on.
    document.addEventListener("focusout", () => {
      if (statePending) refreshState();
    });

    // "read" (public seq) tells the customer the agents have seen their messages.
    const sendRead = () => {
      const timeline = document.querySelector('[data-region="timeline"]');
      const seq = timeline ? Number(timeline.dataset.lastPublicSeq || 0) : 0;
      if (!visible() || seq <= readSent) return;
      if (socket.send({ type: "read", conversation_id: id, seq })) readSent = seq;
    };

    const sendViewing = (state) => {
      socket.send({ type: "viewing", conversation_id: id, state });
    };

    const render = () => {
      const now = Date.now();
      customerTyping.hidden = customerUntil < now;
      const lines = [];
      const typing = new Set();
      typers.forEach((t, key) => {
        if (t.until < now) {
          typers.delete(key);
          return;
        }
        lines.push(fill(t.mode === "note" ? texts.textNoting : texts.textReplying, t.name));
        typing.add(t.name);
      });
      viewers.forEach((v, agentId) => {
        if (v.until < now) viewers.delete(agentId);
        else if (!typing.has(v.name)) lines.push(fill(texts.textViewing, v.name));
      });
      const current = Array.from(agentsList.children).map((li) => li.textContent);
      if (current.join("\n") === lines.join("\n")) return; // no churn for screen readers
      agentsList.replaceChildren(
        ...lines.map((line) => {
          const li = document.createElement("li");
          li.textContent = line;
          return li;
        }),
      );
    };
    customerTyping.textContent = texts.textCustomerTyping;
    window.setInterval(render, 1000);

    // Our own typing, per box: "typing: true" at most every 3 s, "false" after 5 s idle.
    const typing = {};
    const stopTyping = (mode) => {
      const t = typing[mode];
      if (!t || !t.on) return;
      window.clearTimeout(t.idle);
      t.on = false;
      socket.send({ type: "typing", conversation_id: id, state: false, mode });
    };
    const onInput = (mode) => {
      const t = (typing[mode] ||= { on: false, sentAt: 0, idle: null });
      const now = Date.now();
      if (!t.on || now - t.sentAt >= TYPING_THROTTLE_MS) {
        if (socket.send({ type: "typing", conversation_id: id, state: true, mode })) {
          t.on = true;
          t.sentAt = now;
        }
      }
      window.clearTimeout(t.idle);
      t.idle = window.setTimeout(() => stopTyping(mode), TYPING_IDLE_MS);
    };

    document.querySelectorAll("form[data-live-form]").forEach((form) => {
      const mode = form.dataset.liveForm; // "reply" or "note"
      const body = form.querySelector("textarea[name=body]");
      if (body) body.addEventListener("input", () => onInput(mode));
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        stopTyping(mode);
        submit(form);
      });
    });

    // Errors of a "message.send" the page shows next to the form, as the form's own would be;
    // any other error (rate limited, unavailable, ...) sends the form instead.
    const INLINE_ERRORS = new Set(["validation", "guard_blocked", "conversation_closed", "forbidden"]);
    const keys = new WeakMap(); // form -> {key, body} of a send not yet known to have worked

    // The key for sending ``body`` from ``form``: the same one again while the agent retries the
    // same text (the first try may have been stored), a new one for new text.
    const keyFor = (form, body) => {
      const last = keys.get(form);
      if (last && last.body === body) return last.key;
      const fresh = { key: newKey(), body };
      keys.set(form, fresh);
      return fresh.key;
    };

    // A reply or note as a "message.send" frame when the socket is up and the form holds only
    // text; attachments, a status to set and the secret guard's override reason go by the form.
    const bySocket = (form, mode) => {
      if (!socket.isOpen()) return false;
      const files = form.querySelector("input[type=file]");
      if (files && files.files && files.files.length) return false;
      const setStatus = form.querySelector("[name=set_status]");
      if (setStatus && setStatus.value) return false;
      const reason = form.querySelector("[name=guard_override_reason]");
      if (reason && reason.value.trim()) return false;
      return mode === "reply" || mode === "note";
    };

    function succeeded(form, message) {
      const status = form.querySelector("[data-form-status]");
      keys.delete(form);
      form.reset();
      const override = form.querySelector("[data-guard-override]");
      if (override) override.hidden = true;
      const body = form.querySelector("textarea[name=body]");
      if (body) {
        body.value = ""; // reset() would bring back a macro the page was opened with
        body.defaultValue = "";
      }
      if (status) status.textContent = message;
      refreshTimeline();
      refreshState();
    }

    function showErrors(form, messages, code) {
      const list = document.createElement("ul");
      list.className = "errorlist";
      list.dataset.liveErrors = "";
      list.setAttribute("role", "alert");
      messages.forEach((message) => {
        const li = document.createElement("li");
        li.textContent = message;
        list.append(li);
      });
      form.prepend(list);
      // The secret guard refused the reply: a supervisor may now give a reason to send it (the
      // form then goes by HTTP, where the override is checked and audited).
      const override = form.querySelector("[data-guard-override]");
      if (override && code === "guard_blocked") override.hidden = false;
    }

    // Send a reply or note without leaving the page: over the socket when it can (then the
    // server answers "message.ack" or an error naming the frame), else, or when the socket
    // does not answer, with the form (JSON, actions.py) and the same key, so a message the
    // socket did store is not stored twice.
    async function submit(form) {
      const mode = form.dataset.liveForm;
      const button = form.querySelector("button[type=submit]");
      const status = form.querySelector("[data-form-status]");
      const oldErrors = form.querySelector("[data-live-errors]");
      if (oldErrors) oldErrors.remove();
      if (status) status.textContent = "";
      const textarea = form.querySelector("textarea[name=body]");
      const body = textarea ? textarea.value : "";
      const key = keyFor(form, body);
      if (button) button.disabled = true;
      try {
        if (bySocket(form, mode)) {
          const frame = { type: "message.send", id: key, conversation_id: id, body, kind: mode };
          if (JSON.stringify(frame).length <= MAX_FRAME_CHARS) {
            const answer = await socket.request(frame, ACK_TIMEOUT_MS);
            if (answer && answer.type === "message.ack") {
              succeeded(form, mode === "note" ? texts.textNoteAdded : texts.textReplySent);
              return;
            }
            if (answer && answer.code === "not_found") {
              showGone();
              return;
            }
            if (answer && INLINE_ERRORS.has(answer.code)) {
              showErrors(form, [answer.message], answer.code);
              return;
            }
            // No answer, or one the page cannot show: the form, with the same key.
          }
        }
        await post(form, key);
      } finally {
        if (button) button.disabled = false;
      }
    }

    async function post(form, key) {
      const status = form.querySelector("[data-form-status]");
      const payload = new FormData(form); // carries the CSRF token and the attachments
      payload.set("client_key", key);
      let data = null;
      let failed = false;
      try {
        const response = await fetch(form.action, {
          method: "POST",
          body: payload,
          credentials: "same-origin",
          headers: { Accept: "application/json", "X-Requested-With": "XMLHttpRequest" },
          redirect: "manual",
        });
        if (response.status === 404) showGone();
        else data = await response.json();
      } catch (_error) {
        failed = true;
      }
      if (data && data.ok) {
        if (data.redirect) {
          window.location.assign(data.redirect);
          return;
        }
        succeeded(form, data.message);
      } else if (data && data.errors) {
        showErrors(form, Object.values(data.errors).flat(), data.code);
      } else if (status && (failed || !gone)) {
        status.textContent = texts.textFailed;
      }
    }

    document.addEventListener("visibilitychange", () => {
      sendViewing(visible());
      if (visible()) sendRead();
    });
    window.addEventListener("pagehide", () => {
      Object.keys(typing).forEach(stopTyping);
      sendViewing(false);
    });
    window.setInterval(() => {
      if (visible()) sendViewing(true);
    }, VIEWING_EVERY_MS);

    return {
      open() {
        // After every (re)connect: subscribe again and catch up by refetching, no "sync".
        socket.send({ type: "subscribe", conversation_id: id });
        if (visible()) sendViewing(true);
        refreshTimeline();
        refreshState();
      },
      frame(frame) {
        if (frame.conversation_id !== id) return;
        const now = Date.now();
        switch (frame.type) {
          case "message.created":
          case "message.delivery": // a reply's "Sending…/Sent/Failed" label changed
            refreshTimeline();
            break;
          case "read":
            if (frame.who === "customer") refreshTimeline(); // "Seen by customer" moves
            break;
          case "conversation.updated":
            refreshTimeline();
            refreshState();
            break;
          case "typing":
            if (frame.who === "customer") {
              customerUntil = frame.state ? now + TYPING_SHOWN_MS : 0;
            } else {
              if (frame.agent && frame.agent.id === selfId()) break; // our own other tab
              const key = `${frame.agent ? frame.agent.id : frame.name} ${frame.mode}`;
              if (frame.state) {
                typers.set(key, { name: frame.name, mode: frame.mode, until: now + TYPING_SHOWN_MS });
              } else {
                typers.delete(key);
              }
            }
            render();
            break;
          case "viewing": {
            const agent = frame.agent || {};
            if (agent.id === selfId()) break;
            const known = viewers.has(agent.id);
            if (frame.state) {
              viewers.set(agent.id, { name: agent.name, until: now + VIEWING_SHOWN_MS });
              // Someone just arrived: tell them we are here too rather than in 30 s. (They
              // know us already, or answer once: this does not bounce back and forth.)
              if (!known && visible()) sendViewing(true);
            } else {
              viewers.delete(agent.id);
            }
            render();
            break;
          }
          default:
            break;
        }
      },
    };
  }

  // --- wiring -------------------------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", () => {
    const indicator = document.getElementById("ws-conn");
    if (!indicator || !("WebSocket" in window)) return;
    let selfId = Number(indicator.dataset.agentId);
    const pages = [];
    const setState = header(indicator);
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    const socket = connect(`${scheme}//${window.location.host}${indicator.dataset.wsPath}`, {
      state: setState,
      open: () => pages.forEach((p) => p.open()),
      frame: (frame) => {
        if (frame.type === "hello") {
          if (frame.agent && frame.agent.id) selfId = frame.agent.id;
          const presence = frame.presence && (frame.presence.status || frame.presence);
          if (typeof presence === "string") showPresence(presence);
        } else if (frame.type === "presence.changed" && frame.agent_id === selfId) {
          showPresence(frame.status);
        } else if (frame.type === "sla.alerts") {
          // New SLA alerts for this staff member: the navigation badge shows the unread count.
          const badge = document.querySelector("[data-sla-alerts-badge]");
          if (badge && Number.isInteger(frame.unread)) {
            badge.textContent = String(frame.unread);
            badge.hidden = frame.unread === 0;
          }
        } else if (frame.type === "trends.alerts") {
          // Spike alerts (supervisors and admins): the badge shows the open (unacknowledged) count.
          const badge = document.querySelector("[data-trend-alerts-badge]");
          if (badge && Number.isInteger(frame.open)) {
            badge.textContent = String(frame.open);
            badge.hidden = frame.open === 0;
          }
        }
        pages.forEach((p) => p.frame(frame));
      },
    });
    const showPresence = presenceControl(document.getElementById("ws-presence"), socket.send);

    if (document.querySelector("[data-live-inbox]")) pages.push(inboxPage());
    const live = document.getElementById("conversation-live");
    if (live) pages.push(conversationPage(live, socket, () => selfId));
  });
})();
