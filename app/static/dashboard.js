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
      var link = document.createElement("a");
      link.href = "#audit/" + a.metric + "/" + (data.me.jurisdictionCode || "");
      link.textContent = en ? a.titleEn : a.title;
      var heading = document.createElement("h2");
      heading.className = "title";
      heading.appendChild(link);
      card.appendChild(heading);
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

  /* ---- one audit: bars of the scope's children, drill down, breadcrumb, gaps ---- */
  var NEXT = {DISTRICT: "STREET", STREET: "COMMUNITY", COMMUNITY: "GRID"};
  var names = {};  // place code → name, learnt from the jurisdiction and the bars
  var bars = null;
  var view = null;  // the audit shown: {metric, path, result, place}

  var AUDIT = "query Audit($m: AuditMetric!, $s: String, $g: GroupLevel) { " +
    "audit(metric: $m, scope: $s, groupBy: $g) { metric title eligible covered rate " +
    "groups { code name eligible covered rate } " +
    "gaps(first: 20) { totalCount nodes { code name communityName streetName " +
    "reasons { label labelEn } } } } }";

  function route() {
    var parts = window.location.hash.slice(1).split("/");
    var audit = document.getElementById("audit");
    var cards = document.getElementById("cards");
    if (parts[0] !== "audit" || !parts[1]) {
      audit.hidden = true;
      cards.hidden = false;
      view = null;
      return Promise.resolve();
    }
    cards.hidden = true;
    audit.hidden = false;
    document.body.removeAttribute("data-audit-ready");
    var metric = parts[1];
    var path = parts.slice(2).filter(Boolean);
    var scope = path.length ? path[path.length - 1] : null;
    return gql("query Place($c: String!) { region(code: $c) { name level } }",
               {c: scope || (data && data.me.jurisdictionCode) || ""})
      .then(function (d) {
        var level = d.region ? d.region.level : null;  // null: a grid (nothing below)
        if (d.region && scope) { names[scope] = d.region.name; }
        return gql(AUDIT, {m: metric.toUpperCase().replace(/-/g, "_"), s: scope,
                           g: level ? NEXT[level] || null : null});
      }).then(function (d) {
        view = {metric: metric, path: path, result: d.audit};
        d.audit.groups.forEach(function (g) { if (g.code) { names[g.code] = g.name; } });
        renderAudit(i18n.lang());
        document.body.setAttribute("data-audit-ready", "1");
      }).catch(function (e) {
        document.getElementById("audit-title").textContent = String(e.message || e);
      });
  }

  function cell(row, value) {
    var td = document.createElement("td");
    if (value instanceof Node) { td.appendChild(value); } else { td.textContent = value; }
    row.appendChild(td);
  }

  function drillHref(code) {
    return "#audit/" + view.metric + "/" + view.path.concat([code]).join("/");
  }

  function renderAudit(lang) {
    if (!view) { return; }
    var en = lang === "en";
    var r = view.result;
    var headline = data && data.overview.filter(function (a) { return a.metric === r.metric; })[0];
    document.getElementById("audit-title").textContent =
      headline ? (en ? headline.titleEn : headline.title) : r.title;
    document.getElementById("audit-figures").textContent = percent(r.rate) + " · " +
      (en ? "covered " : "已覆盖 ") + r.covered + " / " + r.eligible;
    var crumbs = document.getElementById("crumbs");
    crumbs.textContent = "";
    var home = text("a", "", en ? "Overview" : "总览");
    home.href = "#";
    crumbs.appendChild(home);
    var trail = [data.me.jurisdictionCode].concat(view.path.slice(1));
    if (!view.path.length) { trail = [data.me.jurisdictionCode]; }
    trail.forEach(function (code, i) {
      crumbs.appendChild(document.createTextNode(" › "));
      var label = i === 0 ? data.me.jurisdictionName : names[code] || code;
      if (i === trail.length - 1) {
        crumbs.appendChild(text("span", "here", label));
      } else {
        var a = text("a", "", label);
        a.href = "#audit/" + view.metric + "/" + view.path.slice(0, i + 1).join("/");
        crumbs.appendChild(a);
      }
    });
    var tbody = document.querySelector("#groups tbody");
    tbody.textContent = "";
    r.groups.forEach(function (g) {
      var row = document.createElement("tr");
      row.setAttribute("data-code", g.code || "");
      var a = text("a", "", g.name || g.code || "—");
      a.href = drillHref(g.code);
      cell(row, a);
      cell(row, percent(g.rate));
      cell(row, String(g.covered));
      cell(row, String(g.eligible));
      tbody.appendChild(row);
    });
    document.getElementById("groups").hidden = !r.groups.length;
    var gaps = document.querySelector("#gaps tbody");
    gaps.textContent = "";
    document.getElementById("gap-total").textContent = String(r.gaps.totalCount) +
      (r.gaps.totalCount > r.gaps.nodes.length ? (en ? ", first " : "，显示前 ") +
       r.gaps.nodes.length + (en ? " shown" : " 条") : "");
    r.gaps.nodes.forEach(function (g) {
      var row = document.createElement("tr");
      [g.code, g.name, g.communityName || "", g.streetName || "",
       g.reasons.map(function (x) { return en ? x.labelEn : x.label; }).join("；")]
        .forEach(function (v) { cell(row, v); });
      gaps.appendChild(row);
    });
    var holder = document.getElementById("bars");
    if (bars) { bars.dispose(); bars = null; }
    holder.hidden = !r.groups.length || !window.echarts;
    if (holder.hidden) { return; }
    bars = window.echarts.init(holder, null, {renderer: "svg"});
    bars.setOption({
      animation: false,
      grid: {left: 48, right: 16, top: 16, bottom: 64},
      tooltip: {trigger: "axis", valueFormatter: percent},
      xAxis: {type: "category", axisLabel: {rotate: 30, interval: 0},
              data: r.groups.map(function (g) { return g.name || g.code; })},
      yAxis: {type: "value", min: 0, max: 1,
              axisLabel: {formatter: function (v) { return Math.round(v * 100) + "%"; }}},
      series: [{type: "bar", itemStyle: {color: "#c0392b"}, barMaxWidth: 48,
                data: r.groups.map(function (g) { return g.rate; })}]
    });
    bars.on("click", function (p) {
      var g = r.groups[p.dataIndex];
      if (g && g.code) { window.location.hash = drillHref(g.code).slice(1); }
    });
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
      return route();
    }).then(function () {
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
    i18n.onChange(renderAudit);
    window.addEventListener("hashchange", route);
    document.getElementById("logout").addEventListener("click", function () {
      fetch("/logout", {method: "POST", credentials: "same-origin",
                        headers: {"x-orgcover-csrf": "1"}})
        .then(function () { window.location.assign("/login"); });
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (c) { c.resize(); });
      if (bars) { bars.resize(); }
    });
    load();
  });
})();
