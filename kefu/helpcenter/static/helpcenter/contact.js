// Contact page: show service hours in the browser's own timezone.
// The server renders every time in one timezone (the user's saved one, ?tz=, or the support
// calendar's). When nobody chose one (data-tz-source="default") and the browser's timezone is
// different, re-render the times here; in any case offer a link that asks the server for the
// browser's timezone (?tz=...). No inline script anywhere: the CSP forbids it.
(function () {
  "use strict";

  function browserTimezone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (e) {
      return "";
    }
  }

  function pad(n) {
    return String(n).padStart(2, "0");
  }

  function clock(date) {
    return pad(date.getHours()) + ":" + pad(date.getMinutes());
  }

  function addDays(date, days) {
    return new Date(date.getFullYear(), date.getMonth(), date.getDate() + days);
  }

  function timeElement(date, text) {
    var el = document.createElement("time");
    el.setAttribute("datetime", date.toISOString().replace(".000Z", "Z"));
    el.textContent = text;
    return el;
  }

  function dayLabel(lang, date) {
    return new Intl.DateTimeFormat(lang, { weekday: "short", month: "short", day: "numeric" }).format(date);
  }

  // One <li> per day from today, each opening cut at the browser's midnights.
  function regroup(list, lang) {
    var windows = (list.getAttribute("data-windows") || "").split(" ").filter(Boolean).map(function (pair) {
      var ends = pair.split("/");
      return [new Date(ends[0]), new Date(ends[1])];
    });
    var count = list.children.length || 7;
    var today = addDays(new Date(), 0);
    var items = [];
    for (var i = 0; i < count; i++) {
      var dayStart = addDays(today, i);
      var dayEnd = addDays(today, i + 1);
      var li = document.createElement("li");
      var label = document.createElement("span");
      label.className = "hc-day";
      label.textContent = dayLabel(lang, dayStart);
      var ranges = document.createElement("span");
      ranges.className = "hc-ranges";
      var found = 0;
      windows.forEach(function (w) {
        var low = w[0] > dayStart ? w[0] : dayStart;
        var high = w[1] < dayEnd ? w[1] : dayEnd;
        if (low >= high) return;
        if (found++) ranges.appendChild(document.createTextNode(", "));
        ranges.appendChild(timeElement(low, clock(low)));
        ranges.appendChild(document.createTextNode("–"));
        ranges.appendChild(timeElement(high, high.getTime() === dayEnd.getTime() ? "24:00" : clock(high)));
      });
      if (!found) ranges.textContent = list.getAttribute("data-closed") || "";
      li.appendChild(label);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(ranges);
      items.push(li);
    }
    list.replaceChildren.apply(list, items);
  }

  function rerender(root, zone) {
    var lang = document.documentElement.lang || undefined;
    var dateTime = new Intl.DateTimeFormat(lang, {
      weekday: "short", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    });
    root.querySelectorAll('time[data-format="datetime"]').forEach(function (el) {
      var at = new Date(el.getAttribute("datetime"));
      if (!isNaN(at.getTime())) el.textContent = dateTime.format(at);
    });
    root.querySelectorAll("ul.hc-days[data-windows]").forEach(function (list) {
      regroup(list, lang);
      var box = list.closest(".hc-local-hours");
      if (box) box.hidden = false;
    });
    root.querySelectorAll("[data-tz-label]").forEach(function (el) {
      el.textContent = zone;
    });
  }

  function start() {
    var root = document.querySelector(".hc-contact[data-tz]");
    var zone = browserTimezone();
    if (!root || !zone || zone === root.getAttribute("data-tz")) return;
    var source = root.getAttribute("data-tz-source");
    if (source === "default") rerender(root, zone);
    if (source !== "user") {
      var link = root.querySelector("a[data-tz-link]");
      if (link) {
        var params = new URLSearchParams(window.location.search);
        params.set("tz", zone);
        link.href = "?" + params.toString();
        link.closest(".hc-tz-switch").hidden = false;
      }
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
