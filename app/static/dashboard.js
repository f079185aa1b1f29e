/* Dashboard overview: every audit of the caller's jurisdiction as a card (rate,
   covered/eligible, change since the previous snapshot, a trend line), asked from
   /graphql like any frontend. The session cookie authenticates; the x-orgcover-csrf
   header shows the request comes from this page's script (design/security.md). */
(function () {
  "use strict";
  var TREND_POINTS = 12;
  var i18n = window.orgcoverI18n;
  var data = null;
  var charts = [];

  function gql(query, variables) {
    return fetch("/graphql", {
      method: "POST", credentials: "same-origin",
      headers: {"content-type": "application/json", "x-orgcover-csrf": "1"},
      body: JSON.stringify({query: query, variables: variables || {}})
    }).then(function (response) {
      if (response.status === 401) {
        window.location.assign("/login");
        throw new Error("signed out");
      }
      return response.json();
    }).then(function (body) {
      if (body.errors && body.errors.length) { throw new Error(body.errors[0].message); }
      return body.data;
    });
  }

  var OVERVIEW = "query Overview { me { name roles jurisdictionCode jurisdictionName } " +
    "dataStatus { asOf loadUnfinished snapshot } " +
    "overview { metric title titleEn eligible covered gaps rate dataAsOf loadUnfinished } }";

  /* One request for every card's trend: aliases t0…tN, metrics as variables. */
  function trendQuery(metrics) {
    var vars = metrics.map(function (_, i) { return "$m" + i + ": AuditMetric!"; });
    var fields = metrics.map(function (_, i) {
      return "t" + i + ": trend(metric: $m" + i + ", last: " + TREND_POINTS +
        ") { points { asOf rate } }";
    });
    var variables = {};
    metrics.forEach(function (m, i) { variables["m" + i] = m.toUpperCase().replace(/-/g, "_"); });
    return {query: "query Trends(" + vars.join(", ") + ") { " + fields.join(" ") + " }",
            variables: variables};
  }

  function percent(rate) {
    return rate === null || rate === undefined ? "—" : (rate * 100).toFixed(1) + "%";
  }

  function change(points) {
    if (!points || points.length < 2) { return null; }
    var a = points[points.length - 2].rate, b = points[points.length - 1].rate;
    if (a === null || b === null) { return null; }
    return (b - a) * 100;
  }

  function text(tag, cls, value) {
    var el = document.createElement(tag);
    if (cls) { el.className = cls; }
    el.textContent = value;
    return el;
  }

  function render(lang) {
    if (!data) { return; }
    var en = lang === "en";
    document.getElementById("jurisdiction").textContent = data.me.jurisdictionName || "";
    document.getElementById("user").textContent = data.me.name;
    var asOf = data.dataStatus.asOf;
    document.getElementById("as-of").textContent = asOf ?
      asOf.slice(0, 16).replace("T", " ") + (/(\+00:00|Z)$/.test(asOf) ? " UTC" : "") : "—";
    document.getElementById("unfinished").hidden = !data.dataStatus.loadUnfinished;
    charts.forEach(function (c) { c.dispose(); });
    charts = [];
    var cards = document.getElementById("cards");
    cards.textContent = "";
    data.overview.forEach(function (a, i) {
      var points = data.trends["t" + i].points;
      var delta = change(points);
      var card = document.createElement("article");
      card.className = "card";
      card.setAttribute("data-metric", a.metric);
      card.setAttribute("data-rate", a.rate === null ? "" : String(a.rate));
      card.setAttribute("data-covered", String(a.covered));
      card.setAttribute("data-eligible", String(a.eligible));
      card.appendChild(text("h2", "title", en ? a.titleEn : a.title));
      card.appendChild(text("div", "rate", percent(a.rate)));
      card.appendChild(text("div", "counts", (en ? "covered " : "已覆盖 ") + a.covered +
        " / " + a.eligible + (en ? " · gaps " : " · 缺口 ") + a.gaps));
      var arrow = delta === null ? "" : delta > 0.05 ? "▲ " : delta < -0.05 ? "▼ " : "■ ";
      var since = en ? " pp since the previous snapshot" : " 个百分点（较上期快照）";
      var change_ = text("div", "change " + (delta === null ? "none" : delta > 0.05 ? "up" :
        delta < -0.05 ? "down" : "flat"), delta === null ? (en ? "no earlier snapshot" :
        "无上期快照") : arrow + Math.abs(delta).toFixed(1) + since);
      card.appendChild(change_);
      var spark = document.createElement("div");
      spark.className = "spark";
      card.appendChild(spark);
      cards.appendChild(card);
      if (window.echarts && points.length) {
        var chart = window.echarts.init(spark, null, {renderer: "svg"});
        chart.setOption({
          animation: false,
          grid: {left: 2, right: 2, top: 4, bottom: 2},
          tooltip: {trigger: "axis", valueFormatter: percent},
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
    document.getElementById("status").hidden = true;
  }

  function load() {
    var first;
    return gql(OVERVIEW).then(function (d) {
      first = d;
      var t = trendQuery(d.overview.map(function (a) { return a.metric; }));
      return gql(t.query, t.variables);
    }).then(function (trends) {
      data = {me: first.me, dataStatus: first.dataStatus, overview: first.overview,
              trends: trends};
      render(i18n.lang());
      document.body.setAttribute("data-ready", "1");
    }).catch(function (e) {
      var status = document.getElementById("status");
      status.removeAttribute("data-zh");
      status.textContent = String(e.message || e);
      status.className = "error";
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    i18n.onChange(render);
    document.getElementById("logout").addEventListener("click", function () {
      fetch("/logout", {method: "POST", credentials: "same-origin",
                        headers: {"x-orgcover-csrf": "1"}})
        .then(function () { window.location.assign("/login"); });
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (c) { c.resize(); });
    });
    load();
  });
})();
