// Analytics charts: data from the page's JSON script tag (no inline script, CSP-safe),
// drawn with Plotly (served from the plotly Python package as a static file).
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("analytics-data");
    if (!source || typeof Plotly === "undefined") { return; }
    var d = JSON.parse(source.textContent);
    var L = d.labels || {};
    var layout = function (title, extra) {
      var base = { title: { text: title }, margin: { t: 40, r: 10, b: 60, l: 50 }, height: 320,
        legend: { orientation: "h" } };
      return Object.assign(base, extra || {});
    };
    var config = { responsive: true, displaylogo: false, displayModeBar: false };
    var charts = {
      "daily": function () {
        return [[
          { type: "bar", name: L.conversations, x: d.days, y: d.conversations },
          { type: "scatter", mode: "lines", name: L.resolved, x: d.days, y: d.resolved }
        ], layout(L.daily)];
      },
      "times": function () {
        return [[
          { type: "scatter", mode: "lines+markers", name: L.frt, x: d.days, y: d.frt, connectgaps: true },
          { type: "scatter", mode: "lines+markers", name: L.res, x: d.days, y: d.res, connectgaps: true }
        ], layout(L.times)];
      },
      "hours": function () {
        return [[{ type: "bar", name: L.conversations, x: d.hour_labels, y: d.hours }], layout(L.hour)];
      },
      "weekdays": function () {
        return [[{ type: "bar", name: L.conversations, x: d.weekday_labels, y: d.weekdays }], layout(L.weekday)];
      },
      "backlog": function () {
        return [[{ type: "bar", name: L.backlog, x: d.backlog_labels, y: d.backlog }], layout(L.backlog)];
      },
      "breakdown": function () {
        return [[{ type: "bar", name: L.conversations, x: d.values, y: d.conversations }], layout(L.conversations)];
      },
      "breakdown-times": function () {
        return [[
          { type: "bar", name: L.frt, x: d.values, y: d.frt },
          { type: "bar", name: L.res, x: d.values, y: d.res }
        ], layout(L.frt + " / " + L.res, { barmode: "group" })];
      }
    };
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var make = charts[el.getAttribute("data-chart")];
      if (!make) { return; }
      var spec = make();
      Plotly.newPlot(el, spec[0], spec[1], config);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
