/* The load journal (导入记录): `#loads`, the `loads` connection newest first, page by
   page (right `records`: admins). Asked afresh each time the page is shown, so a load
   just made is on top. */
(function () {
  "use strict";
  var o = window.orgcover;
  var PAGE = 20;
  var LOADS = "query Loads($first: Int, $after: String) { loads(first: $first, " +
    "after: $after) { pageInfo { hasNextPage endCursor } nodes { loadId status who " +
    "jurisdiction startedAt finishedAt files counts { template created updated unchanged " +
    "removed } } } }";
  var view = null;  // {result, cursors}

  function show() {
    document.body.removeAttribute("data-loads-ready");
    return page([]).then(function () {
      document.body.setAttribute("data-loads-ready", "1");
    });
  }

  function page(cursors) {
    var after = cursors.length ? cursors[cursors.length - 1] : null;
    return o.gql(LOADS, {first: PAGE, after: after}).then(function (d) {
      view = {result: d.loads, cursors: cursors};
      render();
    });
  }

  function sum(counts, key) {
    return counts.reduce(function (n, c) { return n + c[key]; }, 0);
  }

  function when(iso) {
    if (!iso) { return "—"; }
    return iso.slice(0, 19).replace("T", " ") + (/(\+00:00|Z)$/.test(iso) ? " UTC" : "");
  }

  function render() {
    if (!view) { return; }
    var tbody = document.querySelector("#load-table tbody");
    tbody.textContent = "";
    view.result.nodes.forEach(function (l) {
      var row = document.createElement("tr");
      row.setAttribute("data-load", l.loadId);
      row.title = l.loadId;
      o.cell(row, when(l.startedAt));
      o.cell(row, when(l.finishedAt));
      o.cell(row, l.who || "");
      o.cell(row, l.jurisdiction || o.say("（运维命令行）", "(operator CLI)"));
      o.cell(row, l.files.join("、"));
      o.cell(row, l.status === "committed" ? o.say("已提交", "committed") :
        o.say("未完成", "unfinished"));
      ["created", "updated", "unchanged", "removed"].forEach(function (k) {
        o.cell(row, String(sum(l.counts, k)));
      });
      tbody.appendChild(row);
    });
    var holder = document.getElementById("load-pager");
    holder.textContent = "";
    var cursors = view.cursors;
    if (cursors.length) {
      var back = o.text("button", "prev", o.say("上一页", "Previous"));
      back.type = "button";
      back.addEventListener("click", function () {
        page(cursors.slice(0, -1)).catch(o.showError);
      });
      holder.appendChild(back);
    }
    if (view.result.pageInfo.hasNextPage) {
      var next = o.text("button", "next", o.say("下一页", "Next"));
      next.type = "button";
      next.addEventListener("click", function () {
        page(cursors.concat([view.result.pageInfo.endCursor])).catch(o.showError);
      });
      holder.appendChild(next);
    }
  }

  o.page("loads", {section: "loads", show: show, render: render});
})();
