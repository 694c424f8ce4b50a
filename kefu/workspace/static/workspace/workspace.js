// Agent workspace enhancements. No inline scripts or styles anywhere: the CSP forbids them.
//
// Macros: each <option> carries the macro already rendered for this conversation (customer
// name, reference and agent name filled in, in the conversation's language) in data-text.
// Choosing one puts it into the reply box. Without JavaScript the same form reloads the page
// with ?macro=<id>, and the server pre-fills the reply box instead.
document.addEventListener("DOMContentLoaded", () => {
  // The inbox filters start folded on phones (they would push the list far down) and open on
  // wider screens.
  if (window.matchMedia("(min-width: 801px)").matches) {
    document.querySelectorAll("details[data-open-wide]").forEach((el) => { el.open = true; });
  }

  document.querySelectorAll("form[data-macro-form]").forEach((form) => {
    const select = form.querySelector("select[name=macro]");
    const target = select && document.getElementById(select.dataset.macroTarget || "");
    if (!select || !target) return;

    let caret = null; // where the agent last left the cursor in the reply box
    const remember = () => { caret = target.selectionStart; };
    ["keyup", "click", "select", "blur"].forEach((name) => target.addEventListener(name, remember));

    let inserted = null; // the macro text put in last, replaced if the agent picks another one
    const insert = () => {
      const option = select.selectedOptions[0];
      const text = option ? option.dataset.text || "" : "";
      if (!text) return;
      if (inserted !== null && target.value.includes(inserted)) {
        target.value = target.value.replace(inserted, text);
      } else {
        const at = caret === null ? target.value.length : Math.min(caret, target.value.length);
        const before = target.value.slice(0, at);
        const after = target.value.slice(at);
        const gap = before && !before.endsWith("\n") ? "\n" : "";
        target.value = before + gap + text + after;
        caret = (before + gap + text).length;
      }
      inserted = text;
      target.dispatchEvent(new Event("input", { bubbles: true }));
    };

    select.addEventListener("change", insert);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      insert();
      target.focus();
    });
  });
});

// Masked customer details (email, phone): "Show" posts to the reveal endpoint, which records
// the read in the audit log, and the answer replaces the masked text in place. Delegated from
// the document, because live.js swaps the side panel. Without JavaScript (or if the request
// fails) the form submits normally and the server shows the value on a page of its own.
document.addEventListener("submit", async (event) => {
  const form = event.target instanceof HTMLFormElement ? event.target : null;
  if (!form || !form.matches("form[data-reveal-form]")) return;
  event.preventDefault();
  const holder = form.parentElement;
  const shown = holder && holder.querySelector("[data-reveal-value]");
  const body = new FormData(form); // carries the CSRF token
  // One request per field: a second click while this one is under way does nothing.
  delete form.dataset.revealForm;
  const button = form.querySelector("button");
  if (button) button.disabled = true;
  let data = null;
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-Requested-With": "XMLHttpRequest" },
      redirect: "manual",
    });
    if (response.ok) data = await response.json();
  } catch (_error) {
    data = null;
  }
  if (!data || !data.ok || !shown) {
    form.submit(); // the no-JavaScript round trip
    return;
  }
  shown.textContent = data.value;
  shown.classList.remove("ws-masked");
  shown.classList.add("ws-revealed");
  form.remove();
});

// "Insert" buttons of side-panel cards (the Funds diagnosis, assistant suggestions): append the
// card's text (its [data-insert-text]) to the reply box. The cards' scripts un-hide the buttons.
document.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("[data-insert-reply]") : null;
  if (!button) return;
  const box = button.closest("[data-insert-source]");
  const source = box && box.querySelector("[data-insert-text]");
  const reply = document.querySelector('form[data-live-form="reply"] textarea[name="body"]');
  if (!source || !reply) return;
  const text = source.value.trim();
  if (!text) return;
  const before = reply.value.replace(/\s+$/, "");
  reply.value = before ? `${before}\n\n${text}` : text;
  reply.dispatchEvent(new Event("input", { bubbles: true }));
  reply.focus();
  reply.setSelectionRange(reply.value.length, reply.value.length);
});
