// The Funds section of the conversation side panel (kefu/exchange/templates/exchange/_panel.html).
// Plain JavaScript, no inline scripts (the CSP is script-src 'self').
//
// The side panel holds a placeholder; this fetches the section once (each fetch is an audited
// look at the customer's exchange data) and keeps its HTML, so when live.js swaps the side
// panel in again the section is refilled from memory instead of fetched anew. The diagnosis
// form posts in the background and shows the result in place; "Insert explanation" puts the
// customer-facing text into the reply box. Without JavaScript the placeholder is a link and the
// form posts to a page of its own, where the explanation sits in a text box to copy.
(() => {
  "use strict";
  if (window.kefuExchangePanel) return; // the script tag comes back with every live swap
  window.kefuExchangePanel = true;

  const loaded = new Map(); // url -> the section's HTML as last shown
  const pending = new Set();

  const request = (url, options) =>
    fetch(url, {
      credentials: "same-origin",
      redirect: "manual",
      ...options,
      headers: { "X-Requested-With": "XMLHttpRequest", ...(options && options.headers) },
    });

  const showInsertButtons = (root) => {
    root.querySelectorAll("button[data-insert-reply]").forEach((button) => {
      button.hidden = false;
    });
  };

  const remember = (holder) => {
    loaded.set(holder.dataset.exchangePanel, holder.innerHTML);
  };

  const fill = async (holder) => {
    const url = holder.dataset.exchangePanel;
    holder.dataset.exchangeLoaded = "1";
    if (loaded.has(url)) {
      holder.innerHTML = loaded.get(url);
      showInsertButtons(holder);
      return;
    }
    if (pending.has(url)) {
      delete holder.dataset.exchangeLoaded; // filled when the request under way comes back
      return;
    }
    pending.add(url);
    try {
      const response = await request(url, {});
      if (!response.ok) return; // keep the link: the no-JavaScript way still works
      holder.innerHTML = await response.text();
      remember(holder);
      showInsertButtons(holder);
    } catch (_error) {
      // network trouble: the link stays
    } finally {
      pending.delete(url);
      fillAll();
    }
  };

  function fillAll() {
    document.querySelectorAll("[data-exchange-panel]:not([data-exchange-loaded])").forEach(fill);
  }

  document.addEventListener("submit", async (event) => {
    const form = event.target instanceof HTMLFormElement ? event.target : null;
    if (!form || !form.matches("form[data-exchange-diagnose]")) return;
    const holder = form.closest("[data-exchange-panel]");
    const result = holder && holder.querySelector("[data-exchange-result]");
    if (!result) return; // on its own page: let the form post normally
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    try {
      const response = await request(form.action, { method: "POST", body: new FormData(form) });
      if (response.status >= 500 && response.status !== 503) throw new Error("server");
      result.innerHTML = await response.text();
      showInsertButtons(result);
      // What the agent typed becomes the form's default, so live.js does not see it as unsaved.
      form.querySelectorAll("input").forEach((input) => {
        input.defaultValue = input.value;
      });
      remember(holder);
    } catch (_error) {
      form.submit(); // the no-JavaScript round trip
    } finally {
      if (button) button.disabled = false;
    }
  });


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
