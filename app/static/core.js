/* The dashboard's frame: one request helper to /graphql, small DOM helpers, and a hash
   router the pages register with (overview.js, audit.js, …). Pages are sections of one
   HTML shell; `#name/arg/…` shows the page `name` (the overview when none matches).
   The session cookie authenticates; the x-orgcover-csrf header shows the request comes
   from this page's script (design/security.md). */
(function () {
  "use strict";
  var i18n = window.orgcoverI18n;
  var pages = {};
  var order = [];
  var current = null;
  var started = false;
  /* What every page may read: the caller, the data's status and the audit headlines. */
  var state = {me: null, dataStatus: null, overview: null};

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

  function text(tag, cls, value) {
    var el = document.createElement(tag);
    if (cls) { el.className = cls; }
    el.textContent = value === null || value === undefined ? "" : String(value);
    return el;
  }

  function cell(row, value) {
    var td = document.createElement("td");
    if (value instanceof Node) { td.appendChild(value); } else { td.textContent = value; }
    row.appendChild(td);
    return td;
  }

  function link(href, value, cls) {
    var a = text("a", cls || "", value);
    a.href = href;
    return a;
  }

  function percent(rate) {
    return rate === null || rate === undefined ? "—" : (rate * 100).toFixed(1) + "%";
  }

  /* The text in the language shown. */
  function say(zh, en) { return i18n.lang() === "en" ? en : zh; }

  /* GraphQL enum name of a metric id: compound-party-org → COMPOUND_PARTY_ORG. */
  function metricEnum(metric) { return metric.toUpperCase().replace(/-/g, "_"); }

  /* The headline of a metric from the overview every page has (titles in both languages). */
  function headline(metric) {
    return (state.overview || []).filter(function (a) { return a.metric === metric; })[0] || null;
  }

  function hasRole() {
    var roles = (state.me && state.me.roles) || [];
    for (var i = 0; i < arguments.length; i++) {
      if (roles.indexOf(arguments[i]) >= 0) { return true; }
    }
    return false;
  }

  function showError(e) {
    var status = document.getElementById("status");
    status.removeAttribute("data-zh");
    status.textContent = String((e && e.message) || e);
    status.className = "error";
    status.hidden = false;
  }

  /* A page: {section: element id, show(args) → Promise, render(lang)}. `args` are the
     hash's parts after the page's name, decoded. */
  function page(name, def) {
    pages[name] = def;
    order.push(name);
  }

  function route() {
    if (!started) { return Promise.resolve(); }
    var parts = window.location.hash.slice(1).split("/");
    var name = pages[parts[0]] ? parts[0] : home();
    var args = parts.slice(1).filter(Boolean).map(decodeURIComponent);
    order.forEach(function (n) {
      document.getElementById(pages[n].section).hidden = n !== name;
    });
    var navs = document.querySelectorAll("header nav a[data-page]");
    for (var i = 0; i < navs.length; i++) {
      navs[i].classList.toggle("here", navs[i].getAttribute("data-page") === name);
    }
    current = name;
    document.body.setAttribute("data-page", name);
    document.body.removeAttribute("data-page-ready");
    document.getElementById("status").hidden = true;
    return Promise.resolve(pages[name].show(args)).then(function () {
      if (current === name) { document.body.setAttribute("data-page-ready", name); }
    }, showError);
  }

  /* Roles with the right `read`: a loader has only `load` (and `self`), so its frame is
     `me` alone and its first page the upload page. */
  var READERS = ["viewer", "auditor", "officer", "admin"];

  function home() {
    return hasRole.apply(null, READERS) || !pages.upload ? "overview" : "upload";
  }

  var ME = "query Me { me { name roles jurisdictionCode jurisdictionName } }";
  var FRAME = "query Frame { dataStatus { asOf loadUnfinished snapshot } " +
    "overview { metric title titleEn eligible covered gaps rate dataAsOf loadUnfinished } }";

  function frame() {
    document.getElementById("jurisdiction").textContent = state.me.jurisdictionName || "";
    document.getElementById("user").textContent = state.me.name;
    var asOf = state.dataStatus.asOf;
    document.getElementById("as-of").textContent = asOf ?
      asOf.slice(0, 16).replace("T", " ") + (/(\+00:00|Z)$/.test(asOf) ? " UTC" : "") : "—";
    document.getElementById("unfinished").hidden = !state.dataStatus.loadUnfinished;
    var restricted = document.querySelectorAll("[data-roles]");
    for (var i = 0; i < restricted.length; i++) {
      restricted[i].hidden = !hasRole.apply(null,
        restricted[i].getAttribute("data-roles").split(" "));
    }
  }

  function start() {
    return gql(ME).then(function (d) {
      state.me = d.me;
      return hasRole.apply(null, READERS) ? gql(FRAME) :
        {dataStatus: {asOf: null, loadUnfinished: false}, overview: []};
    }).then(function (d) {
      state.dataStatus = d.dataStatus;
      state.overview = d.overview;
      started = true;
      frame();
      return route();
    }).then(function () {
      document.body.setAttribute("data-ready", "1");
    }).catch(showError);
  }

  window.orgcover = {
    gql: gql, text: text, cell: cell, link: link, percent: percent, say: say,
    metricEnum: metricEnum, headline: headline, hasRole: hasRole, page: page,
    state: state, showError: showError
  };

  document.addEventListener("DOMContentLoaded", function () {
    i18n.onChange(function (lang) {
      if (current && pages[current].render) { pages[current].render(lang); }
    });
    window.addEventListener("hashchange", route);
    window.addEventListener("resize", function () {
      if (current && pages[current].resize) { pages[current].resize(); }
    });
    document.getElementById("logout").addEventListener("click", function () {
      fetch("/logout", {method: "POST", credentials: "same-origin",
                        headers: {"x-orgcover-csrf": "1"}})
        .then(function () { window.location.assign("/login"); });
    });
    start();
  });
})();
