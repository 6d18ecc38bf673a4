/* Charts from data tables (canpei/web/templates/web/_chart.html).
 *
 * Each <figure class="chart" data-chart="bar|line"> holds a caption, a data table and an empty
 * box (.chart-canvas). The table is the source of truth: its header cells name the series, each
 * body row's <th> is a category, each <td> a value (data-value, else its text) and the <a> in it
 * the list behind that number. This script loads Apache ECharts (the figure's data-echarts, same
 * origin: the CSP allows it) only when a page has a chart, draws one series per column, and
 * sends a click on a bar or point to that cell's link. Without JavaScript the table is all there
 * is, and it is complete. The drawn box is aria-hidden: the caption and the table are what a
 * screen reader reads. prefers-reduced-motion turns the animation off.
 */
(function () {
  "use strict";

  var PALETTE = ["#0b5394", "#b45f06", "#38761d", "#741b47", "#45818e", "#7f6000"];

  function readTable(table) {
    var series = [];
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    for (var i = 1; i < heads.length; i++) {
      series.push({ name: heads[i].textContent.trim(), data: [] });
    }
    var categories = [];
    var body = table.tBodies[0];
    var rows = body ? body.rows : [];
    for (var r = 0; r < rows.length; r++) {
      var cells = rows[r].cells;
      if (cells.length !== series.length + 1 || cells[0].tagName !== "TH") {
        continue;  // "no data" row
      }
      categories.push(cells[0].textContent.trim());
      for (var c = 1; c < cells.length; c++) {
        var cell = cells[c];
        var raw = cell.getAttribute("data-value");
        if (raw === null) {
          raw = cell.textContent.replace(/[,\s%]/g, "");
        }
        var link = cell.querySelector("a[href]");
        series[c - 1].data.push({ value: Number(raw), href: link ? link.href : "" });
      }
    }
    return { categories: categories, series: series };
  }

  function draw(figure) {
    var table = figure.querySelector("table");
    var box = figure.querySelector(".chart-canvas");
    if (!table || !box || !window.echarts) {
      return;
    }
    var data = readTable(table);
    if (!data.categories.length) {
      return;
    }
    box.hidden = false;
    var kind = figure.getAttribute("data-chart") === "line" ? "line" : "bar";
    var stacked = figure.getAttribute("data-stacked") === "true";
    var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    var chart = window.echarts.init(box, null, { renderer: "canvas" });
    chart.setOption({
      animation: !reduced,
      color: PALETTE,
      textStyle: { fontFamily: "inherit" },
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
      // Rich text draws the tooltip on the canvas: no HTML with style attributes (CSP).
      tooltip: { trigger: "item", renderMode: "richText" },
      xAxis: { type: "category", data: data.categories, axisLabel: { interval: 0, rotate: data.categories.length > 6 ? 40 : 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: data.series.map(function (s) {
        return { name: s.name, type: kind, data: s.data, stack: stacked ? "total" : undefined,
                 cursor: "pointer", emphasis: { focus: "series" } };
      })
    });
    chart.on("click", function (params) {
      if (params.data && params.data.href) {
        window.location.assign(params.data.href);
      }
    });
    figure.chart = chart;
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function drawAll() {
    var figures = document.querySelectorAll("figure.chart[data-chart]");
    if (!figures.length) {
      return;
    }
    var each = function () { for (var i = 0; i < figures.length; i++) { draw(figures[i]); } };
    if (window.echarts) {
      each();
      return;
    }
    var script = document.createElement("script");
    script.src = figures[0].getAttribute("data-echarts");
    script.onload = each;
    document.head.appendChild(script);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
}());
