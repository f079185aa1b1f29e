/* Language switch shared by the dashboard's pages: Chinese by default, English on request
   (remembered in localStorage). Texts live in data-zh / data-en attributes. */
(function () {
  "use strict";
  var KEY = "orgcover-lang";
  var listeners = [];
  function current() {
    try { return localStorage.getItem(KEY) === "en" ? "en" : "zh"; } catch (e) { return "zh"; }
  }
  function apply(lang) {
    document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
    var nodes = document.querySelectorAll("[data-zh]");
    for (var i = 0; i < nodes.length; i++) {
      nodes[i].textContent = nodes[i].getAttribute("data-" + lang);
    }
    listeners.forEach(function (f) { f(lang); });
  }
  window.orgcoverI18n = {
    lang: current,
    onChange: function (f) { listeners.push(f); },
    apply: function () { apply(current()); }
  };
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("lang");
    if (button) {
      button.addEventListener("click", function () {
        var next = current() === "zh" ? "en" : "zh";
        try { localStorage.setItem(KEY, next); } catch (e) { /* private mode: this page only */ }
        document.documentElement.setAttribute("data-lang", next);
        apply(next);
      });
    }
    apply(current());
  });
})();
