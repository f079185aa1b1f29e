/* One audit: bars of the scope's children (click one to go down, the breadcrumb goes
   up), their table, and the gaps. `#audit/<metric>/<jurisdiction>/<street>/…`: the path
   is the places drilled through, the last one the scope. */
(function () {
  "use strict";
  var o = window.orgcover;
  var NEXT = {DISTRICT: "STREET", STREET: "COMMUNITY", COMMUNITY: "GRID"};
  var names = {};  // place code → name, learnt from the jurisdiction and the bars
  var bars = null;
  var view = null;  // the audit shown: {metric, path, result}

  var AUDIT = "query Audit($m: AuditMetric!, $s: String, $g: GroupLevel) { " +
    "audit(metric: $m, scope: $s, groupBy: $g) { metric title eligible covered rate " +
    "groups { code name eligible covered rate } " +
    "gaps(first: 20) { totalCount nodes { code name communityName streetName " +
    "reasons { label labelEn } } } } }";

  function show(args) {
    document.body.removeAttribute("data-audit-ready");
    var metric = args[0];
    var path = args.slice(1);
    var scope = path.length ? path[path.length - 1] : null;
    return o.gql("query Place($c: String!) { region(code: $c) { name level } }",
                 {c: scope || o.state.me.jurisdictionCode || ""})
      .then(function (d) {
        var level = d.region ? d.region.level : null;  // null: a grid (nothing below)
        if (d.region && scope) { names[scope] = d.region.name; }
        return o.gql(AUDIT, {m: o.metricEnum(metric), s: scope,
                             g: level ? NEXT[level] || null : null});
      }).then(function (d) {
        view = {metric: metric, path: path, result: d.audit};
        d.audit.groups.forEach(function (g) { if (g.code) { names[g.code] = g.name; } });
        render(window.orgcoverI18n.lang());
        document.body.setAttribute("data-audit-ready", "1");
      });
  }

  function drillHref(code) {
    return "#audit/" + view.metric + "/" + view.path.concat([code]).join("/");
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
    var gaps = document.querySelector("#gaps tbody");
    gaps.textContent = "";
    document.getElementById("gap-total").textContent = String(r.gaps.totalCount) +
      (r.gaps.totalCount > r.gaps.nodes.length ? (en ? ", first " : "，显示前 ") +
       r.gaps.nodes.length + (en ? " shown" : " 条") : "");
    r.gaps.nodes.forEach(function (g) {
      var row = document.createElement("tr");
      [g.code, g.name, g.communityName || "", g.streetName || "",
       g.reasons.map(function (x) { return en ? x.labelEn : x.label; }).join("；")]
        .forEach(function (v) { o.cell(row, v); });
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

  o.page("audit", {
    section: "audit", show: show, render: render,
    resize: function () { if (bars) { bars.resize(); } }
  });
})();
