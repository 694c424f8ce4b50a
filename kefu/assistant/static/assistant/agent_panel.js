// The Assistant section of the conversation side panel
// (kefu/assistant/templates/assistant/_agent_panel.html). Plain JavaScript, no inline scripts
// (the CSP is script-src 'self').
//
// The side panel holds a placeholder; this fetches the suggestions and summary into it. live.js
// swaps the side panel in again after every change to the conversation, bringing the placeholder
// back: the section is then refilled at once from the last answer and fetched again, so the
// suggestions follow the customer's latest message. "Insert" puts a draft into the reply box the
// same way the Funds panel's "Insert explanation" does (kefu/exchange/static/exchange/panel.js):
// appended after what is there, with an input event so live.js sees an unsent reply. Without
// JavaScript the placeholder is a link to a page where each draft sits in a text box to copy.
(() => {
  "use strict";
  if (window.kefuAssistantPanel) return; // the script tag comes back with every live swap
  window.kefuAssistantPanel = true;

  const loaded = new Map(); // url -> the section's HTML as last fetched
  const pending = new Set();

  const showInsertButtons = (root) => {
    root.querySelectorAll("button[data-insert-reply]").forEach((button) => {
      button.hidden = false;
    });
  };

  const shown = new WeakMap(); // holder -> the HTML it shows
  const show = (url, html) => {
    document.querySelectorAll("[data-assistant-panel]").forEach((holder) => {
      if (holder.dataset.assistantPanel !== url || shown.get(holder) === html) return;
      holder.innerHTML = html;
      shown.set(holder, html);
      showInsertButtons(holder);
    });
  };

  const fetchSection = async (url) => {
    if (pending.has(url)) return;
    pending.add(url);
    try {
      const response = await fetch(url, {
        credentials: "same-origin",
        redirect: "manual",
        headers: { "X-Requested-With": "XMLHttpRequest" },
      });
      if (!response.ok) return; // keep the link: the no-JavaScript way still works
      const html = await response.text();
      loaded.set(url, html);
      show(url, html);
    } catch (_error) {
      // network trouble: the link (or the last answer) stays
    } finally {
      pending.delete(url);
    }
  };

  const fill = (holder) => {
    const url = holder.dataset.assistantPanel;
    holder.dataset.assistantLoaded = "1";
    if (loaded.has(url)) show(url, loaded.get(url));
    fetchSection(url);
  };

  function fillAll() {
    document.querySelectorAll("[data-assistant-panel]:not([data-assistant-loaded])").forEach(fill);
  }


  const start = () => {
    fillAll();
    // live.js replaces the side panel with fresh markup (the placeholder again): refill it.
    new MutationObserver(fillAll).observe(document.body, { childList: true, subtree: true });
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
