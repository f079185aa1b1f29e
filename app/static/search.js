/* Search (搜索): `#search/<text>` or `#search/<text>/<TYPE>`. Names (Chinese substrings)
   and codes (prefixes) of places, party orgs, organizations and people inside the caller's
   jurisdiction, one page of 20 per request; places link to their place page, the others
   to the place they belong to when the API knows it. */
(function () {
  "use strict";
  var o = window.orgcover;
  var SIZE = 20;
  var TYPES = ["PLACE", "PARTY_ORG", "ORGANIZATION", "PERSON"];
  var SEARCH = "query SearchPage($t: String!, $type: SearchType, $after: String) { " +
    "search(text: $t, type: $type, first: " + SIZE + ", after: $after) { totalCount " +
    "pageInfo { hasNextPage endCursor } nodes { __typename code name " +
    "... on Region { level parent { code name } } " +
    "... on Grid { gridKind: kind community { code name } } " +
    "... on Compound { households community { code name } street { code name } } " +
    "... on Building { buildingKind: kind parent { __typename code name } community { code name } } " +
    "... on PartyOrg { partyKind: kind category secretary { code name phone } " +
    "coveredPlaces { __typename code name } } " +
    "... on Organization { orgKind: kind location { __typename code name } " +
    "managedCompounds { code name } servedCompound { code name } } " +
    "... on Person { politicalStatus memberStatus phone partyOrg { code name } " +
    "residence { __typename code name } residenceCommunity { code name } } } } }";
  var KINDS = {
    Region: null, Grid: ["网格", "Grid"], Compound: ["小区", "Compound"],
    Building: ["楼栋", "Building"], PartyOrg: ["党组织", "Party org"],
    Organization: ["单位", "Organization"], Person: ["人员", "Person"]
  };
  var PLACES = ["Region", "Grid", "Compound", "Building"];
  /* {text, type, cursors: [after of each page shown so far], result, error, hint} */
  var view = null;
  var wired = false;

  function place() { return window.orgcoverPlace; }

  /* Why the text is not searched yet, or null: nothing typed, or one letter or digit
     (a code prefix that short matches nearly everything; one Chinese character is fine). */
  function tooShort(text) {
    if (!text) {
      return ["请输入名称或编码（如 小区名称的一部分，或以编码开头）。",
              "Type a name or a code (part of a name, or the start of a code)."];
    }
    if (/^[0-9A-Za-z]$/.test(text)) {
      return ["请至少输入两个字母或数字（一个汉字即可）。",
              "Type at least two letters or digits (one Chinese character is enough)."];
    }
    return null;
  }

  function wire() {
    if (wired) { return; }
    wired = true;
    document.getElementById("search-form").addEventListener("submit", function (e) {
      e.preventDefault();
      var text = document.getElementById("search-text").value.trim();
      var type = document.getElementById("search-type").value;
      // the router drops empty parts, so no text means no type either
      var hash = text ? "search/" + encodeURIComponent(text) + (type ? "/" + type : "") :
        "search";
      if (window.location.hash.slice(1) === hash) {
        show([text, type]);  // the same search again: no hashchange
      } else {
        window.location.hash = hash;
      }
    });
    document.getElementById("search-type").addEventListener("change", function () {
      document.getElementById("search-form").requestSubmit();
    });
    document.getElementById("search-next").addEventListener("click", function () {
      if (view && view.result && view.result.pageInfo.hasNextPage) {
        run(view.cursors.concat([view.result.pageInfo.endCursor]));
      }
    });
    document.getElementById("search-prev").addEventListener("click", function () {
      if (view && view.cursors.length > 1) { run(view.cursors.slice(0, -1)); }
    });
  }

  function show(args) {
    wire();
    var text = (args[0] || "").trim();
    var type = TYPES.indexOf(args[1]) >= 0 ? args[1] : "";
    document.getElementById("search-text").value = text;
    document.getElementById("search-type").value = type;
    view = {text: text, type: type, cursors: [null], result: null, error: null,
            hint: tooShort(text)};
    if (view.hint) {
      render();
      document.body.setAttribute("data-search-ready", "1");
      return Promise.resolve();
    }
    return run([null]);
  }

  /* The page after the last of `cursors` (null: the first page). */
  function run(cursors) {
    var asked = view;
    document.body.removeAttribute("data-search-ready");
    return o.gql(SEARCH, {t: asked.text, type: asked.type || null,
                          after: cursors[cursors.length - 1]})
      .then(function (d) {
        asked.result = d.search;
        asked.error = null;
        asked.cursors = cursors;
      }, function (e) {
        asked.result = null;
        asked.error = String((e && e.message) || e);
      }).then(function () {
        if (asked !== view) { return; }
        render();
        document.body.setAttribute("data-search-ready", "1");
      });
  }

  function kindOf(n) {
    if (n.__typename === "Region") { return place().name(n.level); }
    var pair = KINDS[n.__typename];
    return pair ? o.say(pair[0], pair[1]) : n.__typename;
  }

  function placeLink(p) {
    return p ? o.link(place().placeHref(p.code), p.name) : null;
  }

  function names(values) {
    return values.filter(Boolean).join(" · ");
  }

  /* Key facts of a result, and the place it lies in or belongs to (links). */
  function details(n) {
    var nm = place().name;
    switch (n.__typename) {
    case "Region": return [o.say("上级 ", "In ") + (n.parent ? n.parent.name : "—"), [n.parent]];
    case "Grid": return [nm(n.gridKind), [n.community]];
    case "Compound":
      return [n.households === null ? "" : o.say("户数 ", "Households ") + n.households,
              [n.street, n.community]];
    case "Building": return [nm(n.buildingKind), [n.community, n.parent]];
    case "PartyOrg": {
      var facts = o.text("span", "", names([nm(n.partyKind), nm(n.category)]));
      if (n.secretary) {
        facts.appendChild(document.createTextNode(" · " + o.say("书记 ", "Secretary ")));
        facts.appendChild(place().who(n.secretary));
      }
      return [facts, n.coveredPlaces];
    }
    case "Organization":
      return [nm(n.orgKind), [n.location].concat(n.managedCompounds, [n.servedCompound])];
    case "Person": {
      var about = o.text("span", "", names([nm(n.politicalStatus), nm(n.memberStatus),
                                            n.partyOrg ? n.partyOrg.name : ""]));
      if (n.phone) { about.appendChild(o.text("span", "phone", " " + n.phone)); }
      return [about, [n.residenceCommunity, n.residence]];
    }
    default: return ["", []];
    }
  }

  function render() {
    if (!view) { return; }
    document.getElementById("search-text").placeholder =
      o.say("名称或编码，如 阳光 或 371327", "A name or code, e.g. 阳光 or 371327");
    var hint = document.getElementById("search-hint");
    var error = document.getElementById("search-error");
    var total = document.getElementById("search-total");
    var table = document.getElementById("search-results");
    var pages = document.getElementById("search-pages");
    hint.hidden = !view.hint;
    hint.textContent = view.hint ? o.say(view.hint[0], view.hint[1]) : "";
    error.hidden = !view.error;
    error.textContent = view.error ? o.say("查询有误：", "Bad query: ") + view.error : "";
    var r = view.result;
    total.hidden = table.hidden = pages.hidden = !r;
    if (!r) { return; }
    var first = (view.cursors.length - 1) * SIZE;
    total.textContent = r.totalCount ?
      o.say("共 " + r.totalCount + " 项，第 " + (first + 1) + "–" + (first + r.nodes.length) + " 项",
            r.totalCount + " found, " + (first + 1) + "–" + (first + r.nodes.length) + " shown") :
      o.say("没有找到“" + view.text + "”（仅在管辖范围内搜索）。",
            "Nothing found for “" + view.text + "” (only inside your jurisdiction).");
    total.setAttribute("data-total", String(r.totalCount));
    table.hidden = !r.nodes.length;
    pages.hidden = !(r.pageInfo.hasNextPage || view.cursors.length > 1);
    document.getElementById("search-prev").disabled = view.cursors.length <= 1;
    document.getElementById("search-next").disabled = !r.pageInfo.hasNextPage;
    var tbody = table.querySelector("tbody");
    tbody.textContent = "";
    r.nodes.forEach(function (n) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-code", n.code);
      tr.setAttribute("data-type", n.__typename);
      var isPlace = PLACES.indexOf(n.__typename) >= 0;
      var d = details(n);
      o.cell(tr, kindOf(n));
      o.cell(tr, isPlace ? o.link(place().placeHref(n.code), n.name) : n.name);
      o.cell(tr, n.code);
      o.cell(tr, d[0] || "");
      var where = o.text("span", "where", "");
      d[1].filter(Boolean).forEach(function (p, i) {
        if (i) { where.appendChild(document.createTextNode(" · ")); }
        where.appendChild(placeLink(p));
      });
      o.cell(tr, where);
      tbody.appendChild(tr);
    });
  }

  o.page("search", {section: "search", show: show, render: render});
})();
