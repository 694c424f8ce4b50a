// Help-center search box: article suggestions while typing (progressive enhancement; the
// form still submits to the results page without JavaScript). Keyboard: ↓/↑ move, Esc closes.
(function () {
  "use strict";
  var form = document.querySelector("form.hc-search[data-suggest]");
  if (!form) return;
  var input = form.querySelector("input[name=q]");
  var list = form.querySelector(".hc-suggestions");
  var timer = null;
  var seq = 0;
  var active = -1;

  function close() {
    list.hidden = true;
    list.textContent = "";
    input.setAttribute("aria-expanded", "false");
    active = -1;
  }

  function show(results) {
    list.textContent = "";
    results.forEach(function (r, i) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      li.id = "hc-sugg-" + i;
      var a = document.createElement("a");
      a.href = r.url;
      a.textContent = r.title;
      a.lang = r.language;
      li.appendChild(a);
      list.appendChild(li);
    });
    list.hidden = results.length === 0;
    input.setAttribute("aria-expanded", results.length ? "true" : "false");
  }

  function fetchSuggestions() {
    var q = input.value.trim();
    if (q.length < 2) { close(); return; }
    var mine = ++seq;
    var url = form.dataset.suggest + "?prefix=1&limit=6&lang=" + encodeURIComponent(form.dataset.lang) +
      "&q=" + encodeURIComponent(q);
    fetch(url, { credentials: "omit" }).then(function (r) { return r.ok ? r.json() : { results: [] }; })
      .then(function (data) { if (mine === seq) show(data.results || []); })
      .catch(function () { /* suggestions are optional */ });
  }

  function move(delta) {
    var items = list.querySelectorAll("li");
    if (!items.length) return;
    if (active >= 0) items[active].removeAttribute("aria-selected");
    active = (active + delta + items.length) % items.length;
    items[active].setAttribute("aria-selected", "true");
    input.setAttribute("aria-activedescendant", items[active].id);
    items[active].querySelector("a").focus();
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(fetchSuggestions, 150);
  });
  form.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown") { e.preventDefault(); move(1); }
    else if (e.key === "ArrowUp") { e.preventDefault(); move(-1); }
    else if (e.key === "Escape") { close(); input.focus(); }
  });
  document.addEventListener("click", function (e) { if (!form.contains(e.target)) close(); });
})();
