/* A place page (地点画像): `#place/<code>` for a region (district, street, community), a
   grid, a compound or a building. One request asks the four lookups by that code with
   what each kind shows (only the one that exists answers); a second, for that kind, asks
   the place's gaps across every audit and, for a region or grid, what lies inside it
   (compounds, cross-appointed people). People show what
   the caller's role allows: the API leaves out (null) what it may not see, so nothing
   here assumes a phone is there. */
(function () {
  "use strict";
  var o = window.orgcover;
  var view = null;  // {code, kind, place, inside, gaps} of the place shown; {code, missing}

  var WHO = "fragment Who on Person { code name phone } ";
  var CROSS = "fragment Cross on CrossAppointment { compound { code name } person { ...Who } " +
    "partyPosts { role roleLabel current target { code name } } " +
    "governancePosts { role roleLabel current target { code name } } } ";
  var COMMON = "fragment Common on Place { code name " +
    "coveringPartyOrgs { code name kind category secretary { ...Who } } " +
    "posts { role roleLabel holder { ...Who } } pairedUnits { code name kind } } ";
  var BUILDING = "fragment Bld on Building { code name kind households hasPartyGroup " +
    "buildingChiefs { ...Who } memberHouseholds { ...Who } } ";
  var ORG = "fragment Org on Organization { code name kind " +
    "posts { role roleLabel holder { ...Who } } } ";
  var PLACE = "query PlacePage($c: String!) { " +
    "region(code: $c) { ...Common level population parent { code name level } " +
    "children(first: 100) { totalCount nodes { code name level } } " +
    "grids(first: 100) { totalCount nodes { code name kind } } } " +
    "grid(code: $c) { ...Common kind community { code name } street { code name } " +
    "compounds(first: 100) { totalCount nodes { code name households } } " +
    "buildings(first: 100) { totalCount nodes { ...Bld } } } " +
    "compound(code: $c) { ...Common households hasSecurity grid { code name } " +
    "community { code name } street { code name } " +
    "propertyCompanies { ...Org } committees { ...Org } responsibleUnits { code name kind } " +
    "crossAppointments { ...Cross } buildings(first: 100) { totalCount nodes { ...Bld } } } " +
    "building(code: $c) { ...Common kind households hasPartyGroup " +
    "parent { __typename code name } community { code name } street { code name } " +
    "buildingChiefs { ...Who } memberHouseholds { ...Who } } } " +
    COMMON + BUILDING + ORG + CROSS + WHO;
  /* The second request, once the kind is known: every audit's gaps inside the place
     (asked of one lookup only: four would cost more than one request may) and, for a
     region or grid, the compounds and cross-appointed people inside it. */
  var GAPS = "gaps(first: 20) { metric title titleEn total " +
    "gaps { code name reasons { label labelEn } } } ";
  var INSIDE = "compounds(scope: $c, first: 100) { totalCount nodes { code name " +
    "grid { code name } } } " +
    "crossAppointments(scope: $c, first: 100) { totalCount nodes { ...Cross } } ";
  var REGION_INSIDE = "query PlaceInside($c: String!) { place: region(code: $c) { " + GAPS +
    "} " + INSIDE + "} " + CROSS + WHO;
  var GRID_INSIDE = "query PlaceInside($c: String!) { place: grid(code: $c) { " + GAPS +
    "} " + INSIDE + "} " + CROSS + WHO;
  var COMPOUND_GAPS = "query PlaceGaps($c: String!) { place: compound(code: $c) { " + GAPS +
    "} }";
  var BUILDING_GAPS = "query PlaceGaps($c: String!) { place: building(code: $c) { " + GAPS +
    "} }";
  var SECOND = {region: REGION_INSIDE, grid: GRID_INSIDE, compound: COMPOUND_GAPS,
                building: BUILDING_GAPS};

  /* Chinese and English names of the enum values the page shows. */
  var NAMES = {
    DISTRICT: ["区县", "District"], STREET: ["街道", "Street"], COMMUNITY: ["社区", "Community"],
    GRID: ["网格", "Grid"], COMPOUND: ["小区", "Compound"], BUILDING: ["楼栋", "Building"],
    BASIC: ["基础网格", "basic grid"], DEDICATED: ["专属网格", "dedicated grid"],
    RESIDENTIAL: ["住宅", "residential"], COMMERCIAL: ["商务楼宇", "commercial"],
    OTHER: ["其他", "other"],
    COMMITTEE: ["党委", "committee"], WORKING_COMMITTEE: ["党工委", "working committee"],
    GENERAL_BRANCH: ["党总支", "general branch"], BRANCH: ["党支部", "branch"],
    JOINT_BRANCH: ["联合党支部", "joint branch"],
    TEMPORARY_BRANCH: ["临时党支部", "temporary branch"], GROUP: ["党小组", "party group"],
    ENTERPRISE: ["非公企业", "enterprise"], SOCIAL_ORG: ["社会组织", "social organization"],
    PROPERTY_COMPANY: ["物业服务企业", "property company"],
    INSTITUTION: ["机关事业单位", "institution"],
    OWNERS_COMMITTEE: ["业主委员会", "owners' committee"],
    SELF_MGMT_COMMITTEE: ["自管委员会", "self-management committee"],
    MEMBER: ["中共党员", "party member"], PROBATIONARY: ["中共预备党员", "probationary member"],
    LEAGUE: ["共青团员", "league member"], OTHER_PARTY: ["民主党派", "other party"],
    MASSES: ["群众", "masses"], IN_SERVICE: ["在职党员", "in service"],
    RETIRED: ["离退休党员", "retired"], MOBILE: ["流动党员", "mobile"],
    REGION: ["区域", "region"], FUNCTIONAL: ["功能型", "functional"],
    INDUSTRY: ["行业", "industry"]
  };
  /* English names of post roles (the API gives the Chinese label). */
  var ROLES = {
    SECRETARY: "secretary", DEPUTY_SECRETARY: "deputy secretary",
    COMMITTEE_MEMBER: "committee member", GROUP_LEADER: "group leader", CHAIR: "chair",
    VICE_CHAIR: "vice chair", PROJECT_MANAGER: "project manager", GRID_LEADER: "grid leader",
    GRID_WORKER_FULL: "full-time grid worker", GRID_WORKER_PART: "part-time grid worker",
    BUILDING_CHIEF: "building chief", UNIT_CHIEF: "unit chief", RED_STEWARD: "red steward",
    PARTY_INSTRUCTOR: "party-building instructor", MEMBER_HOUSEHOLD: "member household"
  };
  /* Roles of the community's residents' committee (居委会, design/domain.md). */
  var COMMITTEE_ROLES = ["CHAIR", "VICE_CHAIR", "COMMITTEE_MEMBER"];
  /* What each audit lists as gaps: places have a place page, the rest are searched. */
  var GAP_KIND = {
    "compound-party-org": "place", "compound-property": "place",
    "compound-owners-committee": "place", "three-no-compound": "place",
    "grid-party-org": "place", "grid-worker": "place", "building-party-group": "place",
    "building-chief": "place", "cross-appointment": "place", "dual-role": "place",
    "region-party-org": "place", "community-pairing": "place"
  };

  function name(value) {
    var pair = NAMES[value];
    return pair ? o.say(pair[0], pair[1]) : (value || "");
  }

  function role(post) { return o.say(post.roleLabel, ROLES[post.role] || post.roleLabel); }

  function placeHref(code) { return "#place/" + encodeURIComponent(code); }
  function searchHref(code) { return "#search/" + encodeURIComponent(code); }

  /* A person: the name (searchable by code) and the phone when the role may see it. */
  function who(p) {
    var span = o.text("span", "who", "");
    if (!p) { span.textContent = "—"; return span; }
    span.appendChild(o.link(searchHref(p.code), p.name));
    if (p.phone) { span.appendChild(o.text("span", "phone", " " + p.phone)); }
    return span;
  }

  function people(list) {
    var span = o.text("span", "", "");
    if (!list || !list.length) { span.textContent = "—"; return span; }
    list.forEach(function (p, i) {
      if (i) { span.appendChild(document.createTextNode("、")); }
      span.appendChild(who(p));
    });
    return span;
  }

  function yes(value) {
    if (value === null || value === undefined) { return "—"; }
    return value ? o.say("是", "yes") : o.say("否", "no");
  }

  /* A titled table: `rows` are {code, cells: [value or node …], attrs: {…}}. */
  function block(body, id, title, heads, rows, note) {
    var div = o.text("div", "block", "");
    div.id = id;
    var h = o.text("h3", "", title);
    if (note) { h.appendChild(o.text("span", "note", " " + note)); }
    div.appendChild(h);
    if (!rows.length) {
      div.appendChild(o.text("p", "none", o.say("无", "None")));
      body.appendChild(div);
      return div;
    }
    var table = document.createElement("table");
    var head = document.createElement("tr");
    heads.forEach(function (x) { head.appendChild(o.text("th", "", o.say(x[0], x[1]))); });
    table.appendChild(document.createElement("thead")).appendChild(head);
    var tbody = table.appendChild(document.createElement("tbody"));
    rows.forEach(function (r) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-code", r.code || "");
      Object.keys(r.attrs || {}).forEach(function (k) { tr.setAttribute(k, r.attrs[k]); });
      r.cells.forEach(function (v) { o.cell(tr, v === null || v === undefined ? "" : v); });
      tbody.appendChild(tr);
    });
    div.appendChild(table);
    body.appendChild(div);
    return div;
  }

  function shown(conn) {
    return conn && conn.totalCount > conn.nodes.length ?
      o.say("（共 " + conn.totalCount + "，显示前 " + conn.nodes.length + "）",
            "(" + conn.totalCount + ", first " + conn.nodes.length + " shown)") : "";
  }

  /* The places above this one, outermost first: [{code, name, kind}]. */
  function above(v) {
    var p = v.place;
    var out = [];
    function add(x, kind) { if (x) { out.push({code: x.code, name: x.name, kind: kind}); } }
    if (v.kind === "region") {
      add(p.parent, p.parent && p.parent.level);
    } else {
      add(p.street, "STREET");
      add(p.community, "COMMUNITY");
      if (v.kind === "compound") { add(p.grid, "GRID"); }
      if (v.kind === "building" && p.parent) {
        add(p.parent, p.parent.__typename === "Compound" ? "COMPOUND" : "GRID");
      }
    }
    return out;
  }

  /* The audit page's drill path (from the caller's jurisdiction down to the nearest
     region or grid of this place), or null when the place lies outside that path. */
  function auditPath(v) {
    var me = o.state.me.jurisdictionCode;
    var chain = above(v).filter(function (x) { return x.kind !== "COMPOUND"; })
      .map(function (x) { return x.code; });
    if (v.kind === "region" || v.kind === "grid") { chain.push(v.code); }
    var at = chain.indexOf(me);
    if (at >= 0) { return chain.slice(at); }
    return me ? [me].concat(chain.filter(function (c) { return c !== me; })) : chain;
  }

  function show(args) {
    var code = args[0] || o.state.me.jurisdictionCode || "";
    var visit = {code: code, inside: null, gaps: []};  // what this visit shows
    view = visit;
    document.body.removeAttribute("data-place-ready");
    return o.gql(PLACE, {c: code}).then(function (d) {
      var kind = ["region", "grid", "compound", "building"].filter(function (k) {
        return d[k];
      })[0];
      if (!kind) { visit.missing = true; return null; }
      return o.gql(SECOND[kind], {c: code}).then(function (x) {
        visit.kind = kind;
        visit.place = d[kind];
        visit.gaps = x.place ? x.place.gaps : [];
        if (x.compounds) { visit.inside = x; }
      });
    }).catch(function (e) {
      visit.missing = true;
      visit.error = String((e && e.message) || e);
    }).then(function () {
      if (view !== visit) { return; }  // another place was asked for meanwhile
      render(window.orgcoverI18n.lang());
      document.body.setAttribute("data-place-ready", "1");
    });
  }

  function title(v) {
    var p = v.place;
    var level = v.kind === "region" ? p.level : v.kind.toUpperCase();
    return p.name + " · " + name(level);
  }

  function facts(v) {
    var p = v.place;
    var out = [o.say("编码 ", "Code ") + p.code];
    if (p.population !== undefined && p.population !== null) {
      out.push(o.say("常住人口 ", "Population ") + p.population);
    }
    if (p.households !== undefined && p.households !== null) {
      out.push(o.say("户数 ", "Households ") + p.households);
    }
    if (p.kind) { out.push(name(p.kind)); }
    if (v.kind === "compound") { out.push(o.say("物防技防：", "Security: ") + yes(p.hasSecurity)); }
    if (v.kind === "building") {
      out.push(o.say("党小组/党员中心户：", "Party group / member household: ") +
               yes(p.hasPartyGroup));
    }
    return out.join(" · ");
  }

  function render() {
    if (!view || !(view.place || view.missing)) { return; }
    var missing = document.getElementById("place-missing");
    var body = document.getElementById("place-body");
    var where = document.getElementById("place-where");
    body.textContent = "";
    where.textContent = "";
    missing.hidden = !view.missing;
    where.appendChild(o.link("#", o.say("总览", "Overview")));
    if (view.missing) {
      document.getElementById("place-title").textContent = view.code;
      document.getElementById("place-facts").textContent = "";
      missing.textContent = view.error ? o.say("查询有误：", "Bad request: ") + view.error :
        o.say("地点 " + view.code + " 不存在或不在管辖范围内。",
              "Place " + view.code + " does not exist or lies outside your jurisdiction.");
      return;
    }
    var v = view;
    var p = v.place;
    document.getElementById("place-title").textContent = title(v);
    document.getElementById("place-facts").textContent = facts(v);
    above(v).forEach(function (x) {
      where.appendChild(document.createTextNode(" › "));
      var a = o.link(placeHref(x.code), x.name);
      a.setAttribute("data-code", x.code);
      where.appendChild(a);
    });
    where.appendChild(document.createTextNode(" › "));
    where.appendChild(o.text("span", "here", p.name));

    partyOrgs(body, v);
    if (v.kind === "compound") { governance(body, v); }
    posts(body, v);
    cross(body, v);
    inside(body, v);
    units(body, v);
    gaps(body, v);
  }

  function partyOrgs(body, v) {
    block(body, "place-orgs", o.say("覆盖的党组织", "Covering party organizations"),
          [["党组织", "Party organization"], ["类型", "Kind"], ["书记", "Secretary"]],
          v.place.coveringPartyOrgs.map(function (g) {
            return {code: g.code, attrs: {"data-secretary": g.secretary ? g.secretary.code : ""},
                    cells: [o.link(searchHref(g.code), g.name), name(g.kind), who(g.secretary)]};
          }));
  }

  function holders(org, roles) {
    return org.posts.filter(function (x) { return !roles || roles.indexOf(x.role) >= 0; })
      .map(function (x) {
        var span = o.text("span", "post", role(x) + " ");
        span.appendChild(who(x.holder));
        return span;
      });
  }

  function joined(nodes) {
    var span = o.text("span", "", nodes.length ? "" : "—");
    nodes.forEach(function (n, i) {
      if (i) { span.appendChild(document.createTextNode("；")); }
      span.appendChild(n);
    });
    return span;
  }

  /* The compound's property companies (红色物业 when the property-party-org audit lists
     no gap for them) and its owners' or self-management committees. */
  function governance(body, v) {
    var p = v.place;
    var red = v.gaps.filter(function (g) { return g.metric === "property-party-org"; })[0];
    block(body, "place-property", o.say("物业服务企业", "Property companies"),
          [["企业", "Company"], ["红色物业", "Red property"], ["人员", "People"]],
          p.propertyCompanies.map(function (c) {
            var gap = red && red.gaps.filter(function (g) { return g.code === c.code; })[0];
            var known = !red || gap || red.total <= red.gaps.length;
            return {code: c.code, attrs: {"data-red": known ? String(!gap) : ""},
                    cells: [o.link(searchHref(c.code), c.name), known ? yes(!gap) : "—",
                            joined(holders(c))]};
          }));
    block(body, "place-committees", o.say("业委会 / 自管委", "Owners' / self-management committees"),
          [["组织", "Committee"], ["类型", "Kind"], ["人员", "People"]],
          p.committees.map(function (c) {
            return {code: c.code, cells: [o.link(searchHref(c.code), c.name), name(c.kind),
                                          joined(holders(c))]};
          }));
  }

  /* Posts held on the place itself: grid workers, the community's residents' committee
     (居委会), building chiefs …. */
  function posts(body, v) {
    var list = v.place.posts;
    var heading = v.kind === "grid" ? o.say("网格长与网格员", "Grid leader and workers") :
      v.kind === "region" && v.place.level === "COMMUNITY" ?
        o.say("居委会及任职人员", "Residents' committee and posts") :
        o.say("任职人员", "Posts held here");
    if (!list.length && v.kind !== "grid" && v.kind !== "region") { return; }
    block(body, "place-posts", heading, [["职务", "Role"], ["人员", "Person"]],
          list.map(function (x) {
            var committee = COMMITTEE_ROLES.indexOf(x.role) >= 0;
            return {code: x.holder ? x.holder.code : "",
                    attrs: {"data-role": x.role || "", "data-committee": String(committee)},
                    cells: [role(x), who(x.holder)]};
          }));
  }

  function cross(body, v) {
    var list = v.kind === "compound" ? v.place.crossAppointments :
      v.inside ? v.inside.crossAppointments.nodes : null;
    if (!list) { return; }
    var note = v.inside ? shown(v.inside.crossAppointments) : "";
    function postsOf(xs) {
      return joined(xs.map(function (x) {
        return o.text("span", "post", role(x) + "（" + x.target.name + "）");
      }));
    }
    var heads = [["人员", "Person"], ["党组织任职", "Party posts"],
                 ["物业/业委会任职", "Governance posts"]];
    if (v.kind !== "compound") { heads = [["小区", "Compound"]].concat(heads); }
    block(body, "place-cross", o.say("交叉任职人员", "Cross-appointed people"), heads,
          list.map(function (x) {
            var cells = [who(x.person), postsOf(x.partyPosts), postsOf(x.governancePosts)];
            if (v.kind !== "compound") {
              cells.unshift(o.link(placeHref(x.compound.code), x.compound.name));
            }
            return {code: x.person.code, attrs: {"data-compound": x.compound.code},
                    cells: cells};
          }), note);
  }

  function buildings(body, conn) {
    block(body, "place-buildings", o.say("楼栋", "Buildings"),
          [["楼栋", "Building"], ["类型", "Kind"], ["户数", "Households"],
           ["楼长", "Building chiefs"], ["党员中心户", "Member households"],
           ["党小组", "Party group"]],
          conn.nodes.map(function (b) {
            return {code: b.code, cells: [o.link(placeHref(b.code), b.name), name(b.kind),
                                          b.households === null ? "—" : String(b.households),
                                          people(b.buildingChiefs), people(b.memberHouseholds),
                                          yes(b.hasPartyGroup)]};
          }), shown(conn));
  }

  function places(body, id, heading, conn, extra) {
    block(body, id, heading, [["名称", "Name"], ["编码", "Code"]].concat(extra ? [extra[0]] : []),
          conn.nodes.map(function (x) {
            var cells = [o.link(placeHref(x.code), x.name), x.code];
            if (extra) { cells.push(extra[1](x)); }
            return {code: x.code, cells: cells};
          }), shown(conn));
  }

  /* What lies inside: streets or communities, grids, compounds, buildings. */
  function inside(body, v) {
    var p = v.place;
    if (v.kind === "region") {
      if (p.children.totalCount) {
        places(body, "place-children", p.level === "DISTRICT" ? o.say("街道", "Streets") :
               o.say("社区", "Communities"), p.children);
      }
      if (p.grids.totalCount) {
        places(body, "place-grids", o.say("网格", "Grids"), p.grids,
               [["类型", "Kind"], function (g) { return name(g.kind); }]);
      }
    }
    if (v.inside) {
      places(body, "place-compounds", o.say("小区", "Compounds"), v.inside.compounds,
             v.kind === "grid" ? null : [["网格", "Grid"], function (c) {
               return c.grid ? o.link(placeHref(c.grid.code), c.grid.name) : "—";
             }]);
    }
    if (v.kind === "compound" || v.kind === "grid") { buildings(body, p.buildings); }
  }

  function units(body, v) {
    var p = v.place;
    var list = (p.responsibleUnits || []).map(function (u) { return [u, "主管单位", "Responsible"]; })
      .concat(p.pairedUnits.map(function (u) { return [u, "结对共建", "Paired"]; }));
    if (!list.length && v.kind !== "compound") { return; }
    block(body, "place-units", o.say("主管与结对单位", "Responsible and paired units"),
          [["单位", "Unit"], ["关系", "Link"]],
          list.map(function (x) {
            return {code: x[0].code, cells: [o.link(searchHref(x[0].code), x[0].name),
                                             o.say(x[1], x[2])]};
          }));
  }

  /* Every audit's gaps inside the place, each audit linked to its page at the place's
     nearest region or grid, each gap to its place page (or a search for its code). */
  function gaps(body, v) {
    var div = o.text("div", "block", "");
    div.id = "place-gaps";
    var total = v.gaps.reduce(function (n, g) { return n + g.total; }, 0);
    div.appendChild(o.text("h3", "", o.say("覆盖缺口（" + total + "）", "Gaps (" + total + ")")));
    if (!v.gaps.length) {
      div.appendChild(o.text("p", "none", o.say("各项审计均无缺口。", "No audit lists a gap here.")));
    }
    var path = auditPath(v);
    v.gaps.forEach(function (a) {
      var h = o.text("h4", "", "");
      h.setAttribute("data-metric", a.metric);
      h.setAttribute("data-total", String(a.total));
      h.appendChild(o.link("#audit/" + a.metric + "/" + path.join("/"),
                           o.say(a.title, a.titleEn)));
      h.appendChild(o.text("span", "note", " " + a.total +
        (a.total > a.gaps.length ? o.say("，显示前 " + a.gaps.length,
                                         ", first " + a.gaps.length + " shown") : "")));
      div.appendChild(h);
      var table = document.createElement("table");
      table.className = "gaps";
      var tbody = table.appendChild(document.createElement("tbody"));
      a.gaps.forEach(function (g) {
        var tr = document.createElement("tr");
        tr.setAttribute("data-metric", a.metric);
        tr.setAttribute("data-code", g.code);
        var href = GAP_KIND[a.metric] === "place" ? placeHref(g.code) : searchHref(g.code);
        o.cell(tr, g.code === v.code ? o.text("span", "here", g.name) : o.link(href, g.name));
        o.cell(tr, g.code);
        o.cell(tr, g.reasons.map(function (x) { return o.say(x.label, x.labelEn); }).join("；"));
        tbody.appendChild(tr);
      });
      div.appendChild(table);
    });
    body.appendChild(div);
  }

  window.orgcoverPlace = {name: name, placeHref: placeHref, searchHref: searchHref, who: who};
  o.page("place", {section: "place", show: show, render: render});
})();
