/* Rectification (整改): `#notices` lists the notices of the jurisdiction with a form to
   issue one; `#notices/<id>` shows one notice: its figures, fixed/open/overdue by street
   as stacked bars, and its ledger, overdue first (the API's order), page by page. */
(function () {
  "use strict";
  var o = window.orgcover;
  var PAGE = 20;
  var LEDGER_PAGE = 50;
  var STATES = {FIXED: ["已整改", "Fixed"], OPEN: ["整改中", "Open"],
                OVERDUE: ["逾期", "Overdue"], REMOVED: ["已撤销", "Removed"]};
  var COLORS = {fixed: "#2e7d32", open: "#f9a825", overdue: "#c62828", removed: "#9e9e9e"};
  var TALLY = "total fixed open overdue removed closureRate";
  var LIST = "query Notices($first: Int, $after: String) { notices(first: $first, " +
    "after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id metric " +
    "title scope deadline issuedAt summary { " + TALLY + " } } } }";
  var ONE = "query Notice($id: String!, $first: Int, $after: String) { notice(id: $id) { " +
    "id metric title scope deadline note issuedAt issuedBy snapshot summary { " + TALLY +
    " } streets { code name " + TALLY + " } items(first: $first, after: $after) { " +
    "totalCount pageInfo { hasNextPage endCursor } nodes { state gap { code name " +
    "communityName streetName openedOn daysOpen reasons { label labelEn } } } } } }";
  var ISSUE = "mutation Issue($m: AuditMetric!, $d: Date!, $s: String, $n: String!) { " +
    "issueNotice(metric: $m, deadline: $d, scope: $s, note: $n) { id } }";
  var PLACES = "query Streets { regions(level: STREET, first: 500) { " +
    "nodes { code name level } } }";

  var places = null;  // street code → {name, level}, asked once (scopes and the form)
  var list = null;    // {result, cursors: the `after` of each page shown so far}
  var one = null;     // {notice, cursors}
  var bars = null;
  var wired = false;

  function say(pair) { return o.say(pair[0], pair[1]); }

  /* A notice's scope: null is everything (a notice above the caller's jurisdiction lists
     only what lies inside it). */
  function placeName(code) {
    if (!code) { return o.say("全部", "Everything"); }
    if (code === o.state.me.jurisdictionCode) { return o.state.me.jurisdictionName || code; }
    return places && places[code] ? places[code].name : code;
  }

  function metricTitle(n) {
    var h = o.headline(n.metric);
    return h ? o.say(h.title, h.titleEn) : n.title;
  }

  function loadPlaces() {
    if (places) { return Promise.resolve(); }
    return o.gql(PLACES).then(function (d) {
      places = {};
      d.regions.nodes.forEach(function (p) { places[p.code] = p; });
    });
  }

  function show(args) {
    document.body.removeAttribute("data-notices-ready");
    var id = args[0];
    document.getElementById("notice-list").hidden = !!id;
    document.getElementById("notice-one").hidden = !id;
    wire();
    return loadPlaces().then(function () {
      return id ? showOne(id, []) : showList([]);
    }).then(function () { document.body.setAttribute("data-notices-ready", "1"); });
  }

  function showList(cursors) {
    var after = cursors.length ? cursors[cursors.length - 1] : null;
    return o.gql(LIST, {first: PAGE, after: after}).then(function (d) {
      list = {result: d.notices, cursors: cursors};
      fillForm();
      render();
    });
  }

  function showOne(id, cursors) {
    var after = cursors.length ? cursors[cursors.length - 1] : null;
    return o.gql(ONE, {id: id, first: LEDGER_PAGE, after: after}).then(function (d) {
      one = {notice: d.notice, cursors: cursors};
      render();
    });
  }

  function pager(holder, page, cursors, go) {
    holder.textContent = "";
    if (cursors.length) {
      var back = o.text("button", "prev", o.say("上一页", "Previous"));
      back.type = "button";
      back.addEventListener("click", function () { go(cursors.slice(0, -1)); });
      holder.appendChild(back);
    }
    if (page.pageInfo.hasNextPage) {
      var next = o.text("button", "next", o.say("下一页", "Next"));
      next.type = "button";
      next.addEventListener("click", function () {
        go(cursors.concat([page.pageInfo.endCursor]));
      });
      holder.appendChild(next);
    }
  }

  function tallyCells(row, t) {
    [t.total, t.fixed, t.open, t.overdue].forEach(function (v) { o.cell(row, String(v)); });
  }

  function renderList() {
    var r = list.result;
    document.getElementById("notice-total").textContent = String(r.totalCount);
    var tbody = document.querySelector("#notice-table tbody");
    tbody.textContent = "";
    r.nodes.forEach(function (n) {
      var row = document.createElement("tr");
      row.setAttribute("data-id", n.id);
      o.cell(row, o.link("#notices/" + encodeURIComponent(n.id), n.id));
      o.cell(row, metricTitle(n));
      o.cell(row, placeName(n.scope));
      o.cell(row, n.issuedAt.slice(0, 10));
      o.cell(row, n.deadline);
      tallyCells(row, n.summary);
      o.cell(row, o.percent(n.summary.closureRate));
      tbody.appendChild(row);
    });
    pager(document.getElementById("notice-pager"), r, list.cursors, function (c) {
      showList(c).catch(o.showError);
    });
  }

  function renderOne(lang) {
    var n = one.notice;
    var s = n.summary;
    document.getElementById("notice-id").textContent = n.id;
    document.getElementById("notice-title").textContent = n.id + " · " + metricTitle(n) +
      " · " + placeName(n.scope);
    document.getElementById("notice-figures").textContent = [
      o.say("期限 ", "Deadline ") + n.deadline,
      o.say("下发 ", "Issued ") + n.issuedAt.slice(0, 10) + " (" + n.snapshot + ")",
      o.say("总数 ", "Listed ") + s.total, say(STATES.FIXED) + " " + s.fixed,
      say(STATES.OPEN) + " " + s.open, say(STATES.OVERDUE) + " " + s.overdue,
      say(STATES.REMOVED) + " " + s.removed,
      o.say("整改率 ", "Closure ") + o.percent(s.closureRate)].join(" · ");
    document.getElementById("notice-note-shown").textContent = n.note;
    var tbody = document.querySelector("#notice-streets tbody");
    tbody.textContent = "";
    n.streets.forEach(function (t) {
      var row = document.createElement("tr");
      row.setAttribute("data-code", t.code || "");
      o.cell(row, t.name || t.code || "—");
      tallyCells(row, t);
      o.cell(row, String(t.removed));
      o.cell(row, o.percent(t.closureRate));
      tbody.appendChild(row);
    });
    var items = n.items;
    document.getElementById("ledger-total").textContent = String(items.totalCount);
    var ledger = document.querySelector("#ledger tbody");
    ledger.textContent = "";
    items.nodes.forEach(function (e) {
      var g = e.gap;
      var row = document.createElement("tr");
      row.setAttribute("data-state", e.state);
      row.setAttribute("data-code", g.code);
      o.cell(row, o.text("span", "state " + e.state.toLowerCase(), say(STATES[e.state])));
      o.cell(row, o.link("#place/" + encodeURIComponent(g.code), g.code));
      o.cell(row, g.name);
      o.cell(row, g.communityName || "");
      o.cell(row, g.streetName || "");
      o.cell(row, g.reasons.map(function (x) { return lang === "en" ? x.labelEn : x.label; })
        .join("；"));
      o.cell(row, g.openedOn);
      o.cell(row, String(g.daysOpen));
      ledger.appendChild(row);
    });
    pager(document.getElementById("ledger-pager"), items, one.cursors, function (c) {
      showOne(n.id, c).catch(o.showError);
    });
    chart(n.streets);
  }

  function chart(streets) {
    var holder = document.getElementById("notice-bars");
    if (bars) { bars.dispose(); bars = null; }
    holder.hidden = !streets.length || !window.echarts;
    if (holder.hidden) { return; }
    bars = window.echarts.init(holder, null, {renderer: "svg"});
    var kinds = ["fixed", "open", "overdue", "removed"];
    bars.setOption({
      animation: false,
      legend: {top: 0},
      grid: {left: 48, right: 16, top: 32, bottom: 48},
      tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
      xAxis: {type: "category", axisLabel: {interval: 0},
              data: streets.map(function (t) { return t.name || t.code; })},
      yAxis: {type: "value", minInterval: 1},
      series: kinds.map(function (k) {
        return {name: say(STATES[k.toUpperCase()]), type: "bar", stack: "all",
                barMaxWidth: 56, itemStyle: {color: COLORS[k]},
                data: streets.map(function (t) { return t[k]; })};
      })
    });
  }

  function render(lang) {
    lang = lang || window.orgcoverI18n.lang();
    if (!document.getElementById("notice-one").hidden) {
      if (one) { renderOne(lang); }
    } else if (list) {
      renderList();
      fillForm();
    }
  }

  /* The form's choices: the metrics of the overview, the jurisdiction or one street. */
  function fillForm() {
    var metric = document.getElementById("notice-metric");
    var chosen = metric.value;
    metric.textContent = "";
    (o.state.overview || []).forEach(function (a) {
      var opt = o.text("option", "", o.say(a.title, a.titleEn) + " (" + a.gaps + ")");
      opt.value = a.metric;
      metric.appendChild(opt);
    });
    if (chosen) { metric.value = chosen; }
    var scope = document.getElementById("notice-scope");
    var where = scope.value;
    scope.textContent = "";
    var me = o.state.me;
    var top = o.text("option", "", me.jurisdictionName || me.jurisdictionCode ||
                     o.say("全辖区", "Everything"));
    top.value = "";
    scope.appendChild(top);
    Object.keys(places || {}).sort().forEach(function (code) {
      var p = places[code];
      if (p.level !== "STREET" || code === me.jurisdictionCode) { return; }
      var opt = o.text("option", "", p.name);
      opt.value = code;
      scope.appendChild(opt);
    });
    scope.value = where;
    var deadline = document.getElementById("notice-deadline");
    var today = isoDay(new Date());
    deadline.min = today;
    if (!deadline.value) {
      deadline.value = isoDay(new Date(Date.now() + 30 * 86400000));
    }
  }

  function isoDay(d) {
    var m = d.getMonth() + 1;
    var day = d.getDate();
    return d.getFullYear() + "-" + (m < 10 ? "0" : "") + m + "-" + (day < 10 ? "0" : "") + day;
  }

  function issue(ev) {
    ev.preventDefault();
    var error = document.getElementById("notice-error");
    error.hidden = true;
    var button = ev.target.querySelector("button[type=submit]");
    button.disabled = true;
    o.gql(ISSUE, {
      m: o.metricEnum(document.getElementById("notice-metric").value),
      d: document.getElementById("notice-deadline").value,
      s: document.getElementById("notice-scope").value || null,
      n: document.getElementById("notice-note").value
    }).then(function (d) {
      document.getElementById("notice-note").value = "";
      window.location.hash = "notices/" + encodeURIComponent(d.issueNotice.id);
    }, function (e) {
      error.textContent = String((e && e.message) || e);
      error.hidden = false;
    }).then(function () { button.disabled = false; });
  }

  function wire() {
    if (wired) { return; }
    wired = true;
    document.getElementById("notice-form").addEventListener("submit", issue);
  }

  o.page("notices", {
    section: "notices", show: show, render: render,
    resize: function () { if (bars) { bars.resize(); } }
  });
})();
