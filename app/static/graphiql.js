// orgcover's GraphiQL start-up (served from this host; the page has no inline script).
// Queries go to this host's /graphql with the headers typed into the Headers pane,
// e.g. {"Authorization": "Bearer <token>"}; they are kept in this browser's storage.
(function () {
  "use strict";
  var EXAMPLE_QUERY = [
    "# orgcover GraphiQL. Signed in at / (the dashboard),",
    "# queries use that session. Else they need a token:",
    "# open Headers (below) and paste",
    '#   {"Authorization": "Bearer <token>"}',
    "# (`make run` prints demo tokens), then re-fetch the",
    "# schema (the circular arrows, bottom left).",
    "# Ctrl-Enter runs the query.",
    "{",
    "  overview { metric title rate covered eligible }",
    "}",
    "",
  ].join("\n");

  var parameters = {};
  window.location.search.slice(1).split("&").forEach(function (entry) {
    var eq = entry.indexOf("=");
    if (eq >= 0) {
      parameters[decodeURIComponent(entry.slice(0, eq))] = decodeURIComponent(entry.slice(eq + 1));
    }
  });

  function updateURL(data) {
    Object.assign(parameters, data);
    var search = Object.keys(parameters)
      .filter(function (key) { return Boolean(parameters[key]); })
      .map(function (key) {
        return encodeURIComponent(key) + "=" + encodeURIComponent(parameters[key]);
      })
      .join("&");
    history.replaceState(null, "", search ? "?" + search : window.location.pathname);
  }

  // Signed in to the dashboard, the session cookie goes along; a cookie request needs
  // this CSRF header (design/security.md). A pasted Authorization header wins.
  var fetcher = GraphiQL.createFetcher({
    url: window.location.origin + "/graphql",
    headers: { "x-orgcover-csrf": "1" },
  });

  function OrgcoverGraphiQL() {
    var explorer = React.useMemo(function () {
      return GraphiQLPluginExplorer.explorerPlugin();
    }, []);
    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      plugins: [explorer],
      query: parameters.q || EXAMPLE_QUERY,
      variables: parameters.variables,
      onEditQuery: function (q) { updateURL({ q: q }); },
      onEditVariables: function (v) { updateURL({ variables: v }); },
      inputValueDeprecation: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
    });
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(OrgcoverGraphiQL));
})();
