// Knowledge-base editor: live preview, image upload and insertion without leaving the page.
// No inline scripts or styles anywhere: the CSP forbids them. Every feature here also works
// without JavaScript: the form's Preview button renders the preview on the server, and the
// image form posts and comes back with the Markdown to paste in a message.
(() => {
  const DEBOUNCE_MS = 300;

  const csrfToken = (form) => {
    const input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  };

  // Put `text` into the textarea on a line of its own where the cursor was, or at the end if
  // the author has not been in the textarea yet (its caret then sits at the start).
  const insertAtCaret = (textarea, text) => {
    const value = textarea.value;
    const used = textarea.dataset.kbTouched === "1";
    const at = used ? Math.min(textarea.selectionStart ?? value.length, value.length) : value.length;
    const before = value.slice(0, at);
    const after = value.slice(at);
    const lead = before && !before.endsWith("\n") ? "\n" : "";
    const tail = after.startsWith("\n") ? "" : "\n";
    textarea.value = before + lead + text + tail + after;
    const caret = (before + lead + text + tail).length;
    textarea.setSelectionRange(caret, caret);
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  };

  const setupEditor = (form) => {
    const textarea = form.querySelector("textarea[name=body]");
    const pane = document.getElementById("kb-preview");
    if (textarea) {
      const touch = () => { textarea.dataset.kbTouched = "1"; };
      ["focus", "input", "click", "keyup"].forEach((name) => textarea.addEventListener(name, touch));
    }
    const status = document.getElementById("kb-preview-status");
    const url = form.dataset.previewUrl;
    if (!textarea || !pane || !url) return;

    // The preview follows the typing, so the server-side Preview button is not needed.
    form.querySelectorAll("[data-kb-preview-button]").forEach((button) => { button.hidden = true; });

    let timer = null;
    let controller = null;
    let sent = 0;
    const fail = (message) => {
      if (status) status.textContent = message || form.dataset.textFailed || "";
      pane.classList.remove("kb-updating");
    };
    const refresh = async () => {
      if (controller) controller.abort();
      controller = new AbortController();
      const mine = ++sent;
      const data = new FormData();
      data.append("body", textarea.value);
      pane.classList.add("kb-updating");
      try {
        const response = await fetch(url, {
          method: "POST",
          body: data,
          credentials: "same-origin",
          headers: { "X-CSRFToken": csrfToken(form), Accept: "application/json" },
          signal: controller.signal,
        });
        const payload = await response.json().catch(() => ({}));
        if (mine !== sent) return; // a newer request is on its way
        if (!response.ok || typeof payload.html !== "string") {
          fail(payload.error);
          return;
        }
        // Sanitised on the server by the same renderer that publishes articles.
        pane.innerHTML = payload.html;
        pane.classList.remove("kb-updating");
        if (status) status.textContent = "";
      } catch (error) {
        if (error.name !== "AbortError" && mine === sent) fail();
      }
    };
    textarea.addEventListener("input", () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, DEBOUNCE_MS);
    });

    // Warn before leaving with unsaved changes (not when the form itself is submitted).
    const leave = form.dataset.textLeave;
    if (leave) {
      let dirty = false;
      form.addEventListener("input", () => { dirty = true; });
      form.addEventListener("submit", () => { dirty = false; });
      window.addEventListener("beforeunload", (event) => {
        if (!dirty) return;
        event.preventDefault();
        event.returnValue = leave;
      });
    }
  };

  const setupImageForm = (form) => {
    const target = document.getElementById(form.dataset.insertTarget || "");
    const status = form.querySelector("[data-image-status]");
    if (!target) return; // the article page: an ordinary upload that reloads the page
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      try {
        const response = await fetch(form.action, {
          method: "POST",
          body: new FormData(form),
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        });
        const payload = await response.json().catch(() => ({}));
        if (response.ok && payload.ok) {
          insertAtCaret(target, payload.markdown);
          form.reset();
          if (status) status.textContent = payload.message || "";
        } else if (status) {
          status.textContent = payload.error || "";
        }
      } catch (error) {
        const editor = document.querySelector("[data-kb-editor]");
        if (status && editor) status.textContent = editor.dataset.textFailed || "";
      } finally {
        if (button) button.disabled = false;
      }
    });
  };

  const setupInsertButtons = (button) => {
    const target = document.getElementById(button.dataset.insertTarget || "");
    if (!target) return;
    button.hidden = false;
    button.addEventListener("click", () => {
      insertAtCaret(target, button.dataset.kbInsert || "");
      target.focus();
    });
  };

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("form[data-kb-editor]").forEach(setupEditor);
    document.querySelectorAll("form[data-kb-image-form]").forEach(setupImageForm);
    document.querySelectorAll("button[data-kb-insert]").forEach(setupInsertButtons);
  });
})();
