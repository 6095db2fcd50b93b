/* KPI charts: each .kpi-chart[data-chart] is drawn with ECharts from the JSON the page carries
   (#kpi-charts); a click on a bar opens the orders behind it. The same numbers are in the
   table view under each chart, so the page works without this script. */
(function () {
  "use strict";
  var source = document.getElementById("kpi-charts");
  if (!source || !window.echarts) return;
  var specs = JSON.parse(source.textContent);
  var links = document.getElementById("kpi-links");
  var ordersUrl = links ? links.getAttribute("data-orders") : "";
  var query = links ? links.getAttribute("data-query") : "";
  var charts = [];

  function drillUrl(spec, index) {
    if (!spec.drill_kpi || !ordersUrl) return null;
    var key = spec.keys[index];
    if (key === null || key === undefined) return null;
    if (spec.drill_kpi === "*") {
      return ordersUrl.replace("KPI", encodeURIComponent(key)) + "?" + query + "&part=denominator";
    }
    var url = ordersUrl.replace("KPI", encodeURIComponent(spec.drill_kpi)) + "?" + query;
    if (spec.drill_by) url += "&" + spec.drill_by + "=" + encodeURIComponent(key);
    return url + "&part=denominator";
  }

  function option(spec) {
    var narrow = window.innerWidth < 576;
    var rotate = narrow || spec.categories.length > 6 ? 35 : 0;
    var base = {
      tooltip: { trigger: "axis", renderMode: "richText" },  // not HTML: no inline style (CSP)
      legend: { type: "scroll", top: 0 },
      // a slanted first label reaches left of the axis: room for it
      grid: { left: rotate ? 48 : 8, right: 8, top: 32, bottom: 8, containLabel: true },
      xAxis: {
        type: "category",
        data: spec.categories,
        axisLabel: { interval: 0, rotate: rotate, width: 90, overflow: "truncate" }
      },
      yAxis: [{ type: "value" }]
    };
    if (spec.kind === "line") {
      base.series = spec.series.map(function (s) {
        return { name: s.name, type: "line", data: s.data, connectNulls: true };
      });
    } else if (spec.kind === "pareto") {
      base.yAxis.push({ type: "value", max: 100, axisLabel: { formatter: "{value}%" } });
      base.series = [
        { name: spec.series[0].name, type: "bar", data: spec.series[0].data },
        { name: spec.series[1].name, type: "line", yAxisIndex: 1, data: spec.series[1].data }
      ];
    } else {
      base.series = spec.series.map(function (s) {
        var one = { name: s.name, type: "bar", data: s.data };
        if (spec.kind === "stacked") one.stack = "total";
        return one;
      });
    }
    return base;
  }

  specs.forEach(function (spec) {
    var el = document.querySelector('.kpi-chart[data-chart="' + spec.id + '"]');
    if (!el) return;
    var chart = window.echarts.init(el);
    chart.setOption(option(spec));
    chart.on("click", function (params) {
      var url = drillUrl(spec, params.dataIndex);
      if (url) window.location.href = url;
    });
    charts.push(chart);
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });
})();
