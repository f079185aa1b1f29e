/* The overview: every audit of the caller's jurisdiction as a card (rate, covered /
   eligible, change since the previous snapshot, a trend line). */
(function () {
  "use strict";
  var o = window.orgcover;
  var TREND_POINTS = 12;
  var trends = null;
  var charts = [];

  /* One request for every card's trend: aliases t0…tN, metrics as variables. */
  function trendQuery(metrics) {
    var vars = metrics.map(function (_, i) { return "$m" + i + ": AuditMetric!"; });
    var fields = metrics.map(function (_, i) {
      return "t" + i + ": trend(metric: $m" + i + ", last: " + TREND_POINTS +
        ") { points { asOf rate } }";
    });
    var variables = {};
    metrics.forEach(function (m, i) { variables["m" + i] = o.metricEnum(m); });
    return {query: "query Trends(" + vars.join(", ") + ") { " + fields.join(" ") + " }",
            variables: variables};
  }

  function change(points) {
    if (!points || points.length < 2) { return null; }
    var a = points[points.length - 2].rate, b = points[points.length - 1].rate;
    if (a === null || b === null) { return null; }
    return (b - a) * 100;
  }

  function render(lang) {
    if (!trends) { return; }
    var en = lang === "en";
    charts.forEach(function (c) { c.dispose(); });
    charts = [];
    var cards = document.getElementById("cards");
    cards.textContent = "";
    o.state.overview.forEach(function (a, i) {
      var points = trends["t" + i].points;
      var delta = change(points);
      var card = document.createElement("article");
      card.className = "card";
      card.setAttribute("data-metric", a.metric);
      card.setAttribute("data-rate", a.rate === null ? "" : String(a.rate));
      card.setAttribute("data-covered", String(a.covered));
      card.setAttribute("data-eligible", String(a.eligible));
      var heading = document.createElement("h2");
      heading.className = "title";
      heading.appendChild(o.link("#audit/" + a.metric + "/" + (o.state.me.jurisdictionCode || ""),
                                 en ? a.titleEn : a.title));
      card.appendChild(heading);
      card.appendChild(o.text("div", "rate", o.percent(a.rate)));
      card.appendChild(o.text("div", "counts", (en ? "covered " : "已覆盖 ") + a.covered +
        " / " + a.eligible + (en ? " · gaps " : " · 缺口 ") + a.gaps));
      var arrow = delta === null ? "" : delta > 0.05 ? "▲ " : delta < -0.05 ? "▼ " : "■ ";
      var since = en ? " pp since the previous snapshot" : " 个百分点（较上期快照）";
      card.appendChild(o.text("div", "change " + (delta === null ? "none" : delta > 0.05 ?
        "up" : delta < -0.05 ? "down" : "flat"), delta === null ? (en ?
        "no earlier snapshot" : "无上期快照") : arrow + Math.abs(delta).toFixed(1) + since));
      var spark = document.createElement("div");
      spark.className = "spark";
      card.appendChild(spark);
      cards.appendChild(card);
      if (window.echarts && points.length) {
        var chart = window.echarts.init(spark, null, {renderer: "svg"});
        chart.setOption({
          animation: false,
          grid: {left: 2, right: 2, top: 4, bottom: 2},
          tooltip: {trigger: "axis", valueFormatter: o.percent},
          xAxis: {type: "category", show: false,
                  data: points.map(function (p) { return p.asOf; })},
          yAxis: {type: "value", show: false,
                  min: function (v) { return Math.max(0, v.min - 0.05); },
                  max: function (v) { return Math.min(1, v.max + 0.05); }},
          series: [{type: "line", smooth: true, symbol: "none",
                    lineStyle: {width: 2, color: "#c0392b"},
                    areaStyle: {color: "rgba(192, 57, 43, 0.12)"},
                    data: points.map(function (p) { return p.rate; })}]
        });
        charts.push(chart);
      }
    });
  }

  function show() {
    if (trends) { render(window.orgcoverI18n.lang()); return null; }
    var t = trendQuery(o.state.overview.map(function (a) { return a.metric; }));
    return o.gql(t.query, t.variables).then(function (d) {
      trends = d;
      render(window.orgcoverI18n.lang());
    });
  }

  o.page("overview", {
    section: "cards", show: show, render: render,
    resize: function () { charts.forEach(function (c) { c.resize(); }); }
  });
})();
