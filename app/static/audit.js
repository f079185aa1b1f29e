/* One audit: bars of the scope's children (click one to go down, the breadcrumb goes
   up), their table, the scope's trend, the children's ranking with rank changes, and the
   gaps (pages of 20 by the connection's cursors, filtered by reason and text), with an
   xlsx export of what is shown. `#audit/<metric>/<jurisdiction>/<street>/…`: the path is
   the places drilled through, the last one the scope. */
(function () {
  "use strict";
  var o = window.orgcover;
  var NEXT = {DISTRICT: "STREET", STREET: "COMMUNITY", COMMUNITY: "GRID"};
  var PAGE = 20;
  /* Audits whose items are places a place page shows: a gap links to the item itself;
     other items (buildings, organizations, party orgs, people) link to their community. */
  var PLACE_ITEMS = ["compound-party-org", "compound-property", "compound-owners-committee",
                     "three-no-compound", "grid-party-org", "grid-worker",
                     "cross-appointment", "dual-role", "region-party-org",
                     "community-pairing"];
  var names = {};  // place code → name, learnt from the jurisdiction and the bars
  var bars = null;
  var trendChart = null;
  var view = null;  // the audit shown: {metric, path, scope, groupBy, result, trend, ranking}
  /* The gap list: its filter (kept while drilling within one metric), the cursors of the
     pages seen (cursors[i] starts page i; null the first) and the page shown. */
  var gaps = {metric: null, reason: "", text: "", cursors: [null], page: 0, data: null};

  var GAP_PAGE = "gaps(first: " + PAGE + ", after: $after, reason: $reason, text: $text) { " +
    "totalCount pageInfo { hasNextPage endCursor } nodes { code name communityCode " +
    "communityName streetName reasons { code label labelEn } } }";
  var FILTER = "$after: String, $reason: String, $text: String";
  /* The figures, the groups and the first page of gaps in one request. */
  var AUDIT = "query Audit($m: AuditMetric!, $s: String, $g: GroupLevel, " + FILTER + ") { " +
    "audit(metric: $m, scope: $s, groupBy: $g) { metric title eligible covered rate " +
    "groups { code name eligible covered rate } reasons { code label labelEn } " +
    GAP_PAGE + " } }";
  var GAPS = "query Gaps($m: AuditMetric!, $s: String, " + FILTER + ") { " +
    "audit(metric: $m, scope: $s) { " + GAP_PAGE + " } }";
  var TREND = "query Trend($m: AuditMetric!, $s: String) { trend(metric: $m, scope: $s, " +
    "last: 24) { points { asOf eligible covered rate snapshot { id } } } }";
  var RANKING = "query Ranking($m: AuditMetric!, $s: String) { ranking(metric: $m, " +
    "scope: $s) { at { id asOf } against { id asOf } places { code name rate covered " +
    "eligible rank previousRank rankChange } } }";
  var WORKBOOK = "query Workbook($m: AuditMetric!, $s: String, $g: GroupLevel, " +
    "$reason: String, $text: String) { auditWorkbook(metric: $m, scope: $s, groupBy: $g, " +
    "reason: $reason, text: $text) { filename mediaType contentBase64 rows } }";

  function orNull(promise) {  // trend and ranking are extras: no snapshot yet is no error
    return promise.catch(function () { return null; });
  }

  function show(args) {
    document.body.removeAttribute("data-audit-ready");
    var metric = args[0];
    var path = args.slice(1);
    var scope = path.length ? path[path.length - 1] : null;
    var m = o.metricEnum(metric);
    if (gaps.metric !== metric) { gaps.reason = ""; gaps.text = ""; }
    gaps.metric = metric;
    gaps.cursors = [null];
    gaps.page = 0;
    return o.gql("query Place($c: String!) { region(code: $c) { name level } }",
                 {c: scope || o.state.me.jurisdictionCode || ""})
      .then(function (d) {
        var level = d.region ? d.region.level : null;  // null: a grid (nothing below)
        if (d.region && scope) { names[scope] = d.region.name; }
        var groupBy = level ? NEXT[level] || null : null;
        var asked = gapVariables(m, scope, null);
        asked.g = groupBy;
        return Promise.all([
          o.gql(AUDIT, asked),
          orNull(o.gql(TREND, {m: m, s: scope})),
          groupBy ? orNull(o.gql(RANKING, {m: m, s: scope})) : null
        ]).then(function (all) {
          view = {metric: metric, path: path, scope: scope, groupBy: groupBy,
                  result: all[0].audit, trend: all[1] ? all[1].trend : null,
                  ranking: all[2] ? all[2].ranking : null};
          took(0, all[0].audit.gaps);
        });
      }).then(function () {
        view.result.groups.forEach(function (g) { if (g.code) { names[g.code] = g.name; } });
        document.getElementById("audit-error").hidden = true;
        document.getElementById("audit-body").hidden = false;
        render(window.orgcoverI18n.lang());
        document.body.setAttribute("data-audit-ready", "1");
      }, function (e) {
        if (!/not a known place code/.test(String(e && e.message))) { throw e; }
        notFound(path, e);
        document.body.setAttribute("data-audit-ready", "error");
      });
  }

  /* A scope typed into the address that the API does not give this caller: say so in
     the page (with the API's message), not a blank or stale page. */
  function notFound(path, e) {
    view = null;
    document.getElementById("audit-body").hidden = true;
    var box = document.getElementById("audit-error");
    document.getElementById("audit-error-text").textContent =
      " — " + String((e && e.message) || e);
    box.hidden = false;
    var crumbs = document.getElementById("crumbs");
    crumbs.textContent = "";
    crumbs.appendChild(o.link("#", o.say("总览", "Overview")));
    crumbs.appendChild(document.createTextNode(" › " + (path[path.length - 1] || "")));
  }

  function gapVariables(m, scope, after) {
    return {m: m, s: scope, after: after, reason: gaps.reason || null,
            text: gaps.text || null};
  }

  /* Another page (or the first page of a new filter) of the gap list alone. */
  function loadGaps(page) {
    if (!view) { return Promise.resolve(); }
    document.body.removeAttribute("data-gaps-ready");
    var shown = view;
    return o.gql(GAPS, gapVariables(o.metricEnum(view.metric), view.scope,
                                    gaps.cursors[page]))
      .then(function (d) {
        if (view !== shown) { return; }  // drilled away meanwhile
        took(page, d.audit.gaps);
        renderGaps(window.orgcoverI18n.lang());
        document.body.setAttribute("data-gaps-ready", String(page + 1));
      }, o.showError);
  }

  /* Page `page` of the gap list arrived: its end cursor starts the next one. */
  function took(page, data) {
    gaps.page = page;
    gaps.data = data;
    gaps.cursors.length = page + 1;
    if (data.pageInfo.endCursor) { gaps.cursors[page + 1] = data.pageInfo.endCursor; }
  }

  function drillHref(code) {
    return "#audit/" + view.metric + "/" + view.path.concat([code]).join("/");
  }

  /* Where a gap's place page is: the item itself when it is a place the place page
     shows, else its community; else the scope when that is a community or grid. */
  function placeOf(g) {
    if (PLACE_ITEMS.indexOf(view.metric) >= 0) { return g.code; }
    if (g.communityCode) { return g.communityCode; }
    // no community named: the scope lies at or below one (grouped by grid: a community;
    // not grouped: a grid)
    var small = view.groupBy === "GRID" || view.groupBy === null;
    return view.scope && small ? view.scope : null;
  }

  function render(lang) {
    if (!view) { return; }
    var en = lang === "en";
    var r = view.result;
    var me = o.state.me;
    var headline = o.headline(r.metric);
    document.getElementById("audit-title").textContent =
      headline ? (en ? headline.titleEn : headline.title) : r.title;
    document.getElementById("audit-figures").textContent = o.percent(r.rate) + " · " +
      (en ? "covered " : "已覆盖 ") + r.covered + " / " + r.eligible;
    var crumbs = document.getElementById("crumbs");
    crumbs.textContent = "";
    crumbs.appendChild(o.link("#", en ? "Overview" : "总览"));
    var trail = view.path.length ? [me.jurisdictionCode].concat(view.path.slice(1)) :
      [me.jurisdictionCode];
    trail.forEach(function (code, i) {
      crumbs.appendChild(document.createTextNode(" › "));
      var label = i === 0 ? me.jurisdictionName : names[code] || code;
      if (i === trail.length - 1) {
        crumbs.appendChild(o.text("span", "here", label));
      } else {
        crumbs.appendChild(o.link("#audit/" + view.metric + "/" +
                                  view.path.slice(0, i + 1).join("/"), label));
      }
    });
    var tbody = document.querySelector("#groups tbody");
    tbody.textContent = "";
    r.groups.forEach(function (g) {
      var row = document.createElement("tr");
      row.setAttribute("data-code", g.code || "");
      o.cell(row, o.link(drillHref(g.code), g.name || g.code || "—"));
      o.cell(row, o.percent(g.rate));
      o.cell(row, String(g.covered));
      o.cell(row, String(g.eligible));
      tbody.appendChild(row);
    });
    document.getElementById("groups").hidden = !r.groups.length;
    renderReasons(en);
    renderGaps(lang);
    renderRanking(en);
    drawBars();
    drawTrend(en);
  }

  function renderReasons(en) {
    var select = document.getElementById("gap-reason");
    select.textContent = "";
    var all = o.text("option", "", en ? "Every reason" : "全部原因");
    all.value = "";
    select.appendChild(all);
    view.result.reasons.forEach(function (x) {
      var option = o.text("option", "", en ? x.labelEn : x.label);
      option.value = x.code;
      select.appendChild(option);
    });
    select.value = gaps.reason;
    document.getElementById("gap-text").value = gaps.text;
  }

  function renderGaps(lang) {
    if (!view || !gaps.data) { return; }
    var en = lang === "en";
    var data = gaps.data;
    var body = document.querySelector("#gaps tbody");
    body.textContent = "";
    var first = gaps.page * PAGE + 1;
    var last = gaps.page * PAGE + data.nodes.length;
    document.getElementById("gap-total").textContent = String(data.totalCount) +
      (data.totalCount > data.nodes.length ? (en ? ", showing " : "，显示第 ") + first +
       "–" + last + (en ? "" : " 条") : "");
    data.nodes.forEach(function (g) {
      var row = document.createElement("tr");
      row.setAttribute("data-code", g.code);
      var place = placeOf(g);
      o.cell(row, place ? o.link("#place/" + encodeURIComponent(place), g.code) : g.code);
      o.cell(row, g.name);
      o.cell(row, g.communityCode ?
        o.link("#place/" + encodeURIComponent(g.communityCode), g.communityName || "") :
        g.communityName || "");
      o.cell(row, g.streetName || "");
      o.cell(row, g.reasons.map(function (x) { return en ? x.labelEn : x.label; })
        .join("；"));
      body.appendChild(row);
    });
    var pages = Math.max(1, Math.ceil(data.totalCount / PAGE));
    document.getElementById("gap-page").textContent = en ?
      "page " + (gaps.page + 1) + " of " + pages : "第 " + (gaps.page + 1) + " / " + pages + " 页";
    document.getElementById("gap-prev").disabled = gaps.page === 0;
    document.getElementById("gap-next").disabled = !data.pageInfo.hasNextPage;
    document.getElementById("gap-pager").hidden = pages <= 1;
  }

  function renderRanking(en) {
    var box = document.getElementById("ranking-box");
    var ranking = view.ranking;
    box.hidden = !ranking || !ranking.places.length;
    if (box.hidden) { return; }
    var when = function (s) { return s.id + "（" + s.asOf + "）"; };
    document.getElementById("ranking-when").textContent = (en ? "at " : "") +
      when(ranking.at) + (ranking.against ? (en ? ", change against " : "，位次变化较 ") +
      when(ranking.against) : "");
    var body = document.querySelector("#ranking tbody");
    body.textContent = "";
    ranking.places.forEach(function (p) {
      var row = document.createElement("tr");
      row.setAttribute("data-code", p.code);
      o.cell(row, p.rank === null ? "—" : String(p.rank));
      o.cell(row, o.link(drillHref(p.code), p.name || p.code));
      o.cell(row, o.percent(p.rate));
      var change = p.rankChange;
      var td = o.cell(row, change === null ? (p.rank !== null && ranking.against ?
        (en ? "new" : "新") : "—") :
        change > 0 ? "▲" + change : change < 0 ? "▼" + (-change) : "—");
      td.className = "change " + (change > 0 ? "up" : change < 0 ? "down" : "flat");
      body.appendChild(row);
    });
  }

  function drawBars() {
    var r = view.result;
    var holder = document.getElementById("bars");
    if (bars) { bars.dispose(); bars = null; }
    holder.hidden = !r.groups.length || !window.echarts;
    if (holder.hidden) { return; }
    bars = window.echarts.init(holder, null, {renderer: "svg"});
    bars.setOption({
      animation: false,
      grid: {left: 48, right: 16, top: 16, bottom: 64},
      tooltip: {trigger: "axis", valueFormatter: o.percent},
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

  function drawTrend(en) {
    var holder = document.getElementById("trend");
    if (trendChart) { trendChart.dispose(); trendChart = null; }
    var points = view.trend ? view.trend.points : [];
    document.getElementById("trend-empty").hidden = points.length > 0;
    holder.hidden = !points.length || !window.echarts;
    if (holder.hidden) { return; }
    trendChart = window.echarts.init(holder, null, {renderer: "svg"});
    trendChart.setOption({
      animation: false,
      grid: {left: 48, right: 24, top: 16, bottom: 32},
      tooltip: {trigger: "axis", formatter: function (items) {
        var p = points[items[0].dataIndex];
        return p.asOf + " (" + p.snapshot.id + ")<br>" + o.percent(p.rate) + " · " +
          (en ? "covered " : "已覆盖 ") + p.covered + " / " + p.eligible;
      }},
      xAxis: {type: "category", data: points.map(function (p) { return p.asOf; })},
      yAxis: {type: "value", min: 0, max: 1,
              axisLabel: {formatter: function (v) { return Math.round(v * 100) + "%"; }}},
      series: [{type: "line", itemStyle: {color: "#b71c1c"}, symbolSize: 7,
                data: points.map(function (p) { return p.rate; })}]
    });
  }

  /* The workbook of what is shown (scope, grouping, gap filter), saved as a file: the
     API's bytes as a Blob behind a same-origin object URL. */
  function exportXlsx() {
    if (!view) { return; }
    var button = document.getElementById("audit-export");
    button.disabled = true;
    o.gql(WORKBOOK, {m: o.metricEnum(view.metric), s: view.scope, g: view.groupBy,
                     reason: gaps.reason || null, text: gaps.text || null})
      .then(function (d) {
        var w = d.auditWorkbook;
        var raw = window.atob(w.contentBase64);
        var bytes = new Uint8Array(raw.length);
        for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
        var url = URL.createObjectURL(new Blob([bytes], {type: w.mediaType}));
        var a = document.createElement("a");
        a.href = url;
        a.download = w.filename;
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
      }, o.showError)
      .then(function () { button.disabled = false; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.getElementById("gap-filter").addEventListener("submit", function (e) {
      e.preventDefault();
      gaps.reason = document.getElementById("gap-reason").value;
      gaps.text = document.getElementById("gap-text").value.trim();
      gaps.cursors = [null];
      loadGaps(0);
    });
    document.getElementById("gap-reason").addEventListener("change", function () {
      document.getElementById("gap-filter").requestSubmit();
    });
    document.getElementById("gap-clear").addEventListener("click", function () {
      gaps.reason = "";
      gaps.text = "";
      gaps.cursors = [null];
      if (view) { renderReasons(window.orgcoverI18n.lang() === "en"); }
      loadGaps(0);
    });
    document.getElementById("gap-next").addEventListener("click", function () {
      if (gaps.data && gaps.data.pageInfo.hasNextPage) { loadGaps(gaps.page + 1); }
    });
    document.getElementById("gap-prev").addEventListener("click", function () {
      if (gaps.page > 0) { loadGaps(gaps.page - 1); }
    });
    document.getElementById("audit-export").addEventListener("click", exportXlsx);
  });

  o.page("audit", {
    section: "audit", show: show, render: render,
    resize: function () {
      if (bars) { bars.resize(); }
      if (trendChart) { trendChart.resize(); }
    }
  });
})();
