// "These articles may answer your question" on the new-request form: help-center articles
// matching the subject (and the description's first line) while the customer types. Progressive
// enhancement under the strict CSP: no inline script, server text only ever as textContent.
//
// Every search that shows suggestions is recorded by the server and answers with a token; the
// tokens go into the hidden suggestion_token field (space-separated, newest last), so that if
// the request is submitted anyway the view can mark those suggestions as not having deflected it.
(function () {
  "use strict";

  var DEBOUNCE_MS = 250;
  var MIN_CHARS = 2;
  var LIMIT = 5;
  var DESCRIPTION_CHARS = 100; // only the start of the description says what it is about
  var MAX_TOKENS = 20;

  var panel = document.getElementById("request-suggestions");
  if (!panel || !window.fetch || !window.URLSearchParams) return;
  var form = panel.closest("form");
  var subject = form && form.elements.namedItem("subject");
  var description = form && form.elements.namedItem("description");
  var tokenField = form && form.elements.namedItem("suggestion_token");
  var status = document.getElementById("request-suggestions-status");
  var list = panel.querySelector("ul");
  if (!subject || !tokenField || !list) return;

  var timer = null;
  var seq = 0;
  var shownQuery = "";
  var announced = "";
  // A form sent back with errors keeps the tokens it already carried.
  var tokens = tokenField.value.split(/\s+/).filter(Boolean);

  function query() {
    var parts = [subject.value.trim()];
    if (description) {
      parts.push(description.value.split("\n")[0].trim().slice(0, DESCRIPTION_CHARS));
    }
    return parts.filter(Boolean).join(" ").slice(0, 300);
  }

  function remember(token) {
    tokens = tokens.filter(function (t) { return t !== token; });
    tokens.push(token);
    tokens = tokens.slice(-MAX_TOKENS);
    tokenField.value = tokens.join(" ");
  }

  function webLink(url) {
    try {
      var parsed = new URL(url, window.location.href);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }

  function announce(text) {
    if (!status) return;
    status.textContent = "";
    setTimeout(function () { status.textContent = text; }, 50);
  }

  function show(results, q) {
    results = results.filter(function (r) {
      return r && typeof r.title === "string" && r.title && webLink(r.url);
    });
    list.textContent = "";
    results.forEach(function (r) {
      var a = document.createElement("a");
      a.href = webLink(r.url);
      a.target = "_blank";
      a.rel = "noopener";
      if (r.language) a.lang = r.language;
      var title = document.createElement("span");
      title.className = "suggestion-title";
      title.textContent = r.title;
      a.appendChild(title);
      if (r.summary) {
        var summary = document.createElement("span");
        summary.className = "suggestion-summary";
        summary.textContent = String(r.summary);
        a.appendChild(summary);
      }
      var hint = document.createElement("span");
      hint.className = "visually-hidden";
      hint.textContent = " " + (panel.dataset.newTabText || "");
      a.appendChild(hint);
      var li = document.createElement("li");
      li.appendChild(a);
      list.appendChild(li);
    });
    panel.hidden = results.length === 0;
    shownQuery = results.length ? q : "";
    var ids = results.map(function (r) { return String(r.article_id); }).join(",");
    if (ids && ids !== announced) {
      announce((panel.dataset.countText || "{count}").replace("{count}", String(results.length)));
    }
    announced = ids;
  }

  function search(q) {
    var mine = ++seq;
    var params = new URLSearchParams({
      q: q,
      lang: panel.dataset.lang || "",
      limit: String(LIMIT),
      prefix: "1",
      source: "request_form",
    });
    // One typing session is one record: the server updates the row of the last token.
    if (tokens.length) params.set("token", tokens[tokens.length - 1]);
    fetch(panel.dataset.searchUrl + "?" + params.toString(), { credentials: "omit" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;
        // Recorded even when a newer search has started: the server counted it as shown.
        if (typeof data.token === "string" && data.token) remember(data.token);
        if (mine === seq) show(Array.isArray(data.results) ? data.results.slice(0, LIMIT) : [], q);
      })
      .catch(function () { /* suggestions are optional: the form works without them */ });
  }

  function changed(event) {
    if (event && event.isComposing) return; // an IME candidate: wait for compositionend
    clearTimeout(timer);
    var q = query();
    if (Array.from(q).length < MIN_CHARS) {
      seq += 1;
      show([], "");
      return;
    }
    if (q === shownQuery) {
      seq += 1; // back to what is on screen: a search still in flight is stale
      return;
    }
    timer = setTimeout(function () { search(q); }, DEBOUNCE_MS);
  }

  [subject, description].forEach(function (field) {
    if (!field) return;
    field.addEventListener("input", changed);
    field.addEventListener("compositionend", function () { changed(); });
  });
  if (query()) changed(); // a form sent back with errors: suggest for what is already there
})();
