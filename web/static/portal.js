// 数域: charts for the portal and the dashboards. Every chart is drawn from
// the accessible table that follows it (table.chart-table: the first column
// names the rows, the others are series named by their headers), so the
// figures are readable without JavaScript. Apache ECharts is vendored under
// /static/vendor/echarts (CSP allows only same-origin scripts).
(function () {
  "use strict";
  var palette = ["#1f6feb", "#2da44e", "#bf8700", "#cf222e", "#8250df", "#0a7d8c", "#6e7781"];
  function readTable(t) {
    var heads = Array.prototype.map.call(t.querySelectorAll("thead th"), function (th) { return th.textContent.trim(); });
    var labels = [], series = [];
    for (var i = 1; i < heads.length; i++) { series.push({ name: heads[i], data: [] }); }
    t.querySelectorAll("tbody tr").forEach(function (tr) {
      var cells = tr.querySelectorAll("th, td");
      labels.push(cells[0].textContent.trim());
      for (var i = 1; i < cells.length && i <= series.length; i++) {
        series[i - 1].data.push(Number(cells[i].textContent.replace(/[^0-9.\-]/g, "")) || 0);
      }
    });
    return { labels: labels, series: series };
  }
  function option(kind, d) {
    var base = { color: palette, tooltip: { trigger: kind === "pie" ? "item" : "axis" }, grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true } };
    if (kind === "pie") {
      base.legend = { type: "scroll", bottom: 0 };
      // Labels beside the slices only when they fit; the legend and the
      // tooltip name every slice, and the table below holds the numbers.
      base.series = [{ type: "pie", name: d.series[0].name, radius: ["35%", "65%"], center: ["50%", "45%"],
        label: { show: d.labels.length <= 4, formatter: "{b}\n{c}" },
        data: d.labels.map(function (l, i) { return { name: l, value: d.series[0].data[i] }; }) }];
      return base;
    }
    base.legend = { top: 0 };
    var cat = { type: "category", data: d.labels, axisLabel: { interval: 0, hideOverlap: true } };
    var val = { type: "value", minInterval: 1 };
    var horizontal = kind === "hbar";
    base.xAxis = horizontal ? val : cat;
    base.yAxis = horizontal ? Object.assign({}, cat, { inverse: true }) : val;
    base.series = d.series.map(function (s) { return { type: kind === "line" ? "line" : "bar", name: s.name, data: s.data, barMaxWidth: 28 }; });
    return base;
  }
  function draw() {
    if (!window.echarts) { return; }
    var charts = [];
    document.querySelectorAll("table.chart-table").forEach(function (t) {
      var d = readTable(t);
      if (!d.labels.length) { return; }
      var holder = t.closest("details") || t;
      var div = document.createElement("div");
      div.className = "chart";
      div.setAttribute("role", "img");
      div.setAttribute("aria-label", (t.querySelector("caption") || {}).textContent || "");
      if (t.getAttribute("data-chart") === "hbar") { div.style.height = Math.max(220, 28 * d.labels.length + 60) + "px"; }
      holder.parentNode.insertBefore(div, holder);
      var c = window.echarts.init(div, null, { renderer: "canvas" });
      c.setOption(option(t.getAttribute("data-chart") || "bar", d));
      charts.push(c);
      if (holder.tagName === "DETAILS") { holder.open = false; }
    });
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
