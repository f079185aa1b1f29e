/* Roster upload (导入): `#upload`. The files go to the `loadRosters` mutation as a
   GraphQL multipart request (fields `operations`, `map`, then the files) sent with
   XMLHttpRequest, so the bytes sent drive a progress bar; then the server checks (and
   writes) in one step, shown as an indeterminate "checking" bar until the answer. The
   answer's counts per template and its problems (file, sheet, row, column, value,
   message) are shown as tables; with any error nothing was written. */
(function () {
  "use strict";
  var o = window.orgcover;
  var TEMPLATES = {regions: "行政区划", grids: "网格", compounds: "小区", buildings: "楼栋",
                   organizations: "单位", party_orgs: "党组织", people: "人员",
                   posts: "任职", relations: "关系"};
  var PROBLEM = "severity file sheet row column value code message";
  var COUNTS = "counts { template rows created updated unchanged errors removed }";
  var LOAD = "mutation Load($files: [Upload!]!, $dry: Boolean!, $lang: ReportLanguage!) { " +
    "loadRosters(files: $files, dryRun: $dry, lang: $lang) { __typename " +
    "... on LoadResult { loadId dryRun " + COUNTS + " warnings { " + PROBLEM + " } " +
    "warningsTotal unchangedSince snapshot } " +
    "... on ValidationFailed { message " + COUNTS + " errors { " + PROBLEM + " } " +
    "warnings { " + PROBLEM + " } errorsTotal warningsTotal } } }";
  var shown = null;  // the last answer: {result} or {error: {code, message}}
  var wired = false;

  function el(id) { return document.getElementById(id); }

  function show() {
    if (!wired) {
      wired = true;
      el("upload-form").addEventListener("submit", send);
    }
    render();
    return Promise.resolve();
  }

  function phase(text, fraction) {
    el("upload-state").hidden = false;
    var bar = el("upload-progress");
    if (fraction === null) { bar.removeAttribute("value"); } else { bar.value = fraction; }
    el("upload-phase").textContent = text;
  }

  function send(ev) {
    ev.preventDefault();
    var files = Array.prototype.slice.call(el("upload-files").files);
    if (!files.length) { return; }
    shown = null;
    render();
    document.body.removeAttribute("data-upload-done");
    el("upload-go").disabled = true;
    var operations = {query: LOAD, variables: {
      files: files.map(function () { return null; }), dry: el("upload-dry").checked,
      lang: window.orgcoverI18n.lang() === "en" ? "EN" : "ZH"}};
    var map = {};
    files.forEach(function (f, i) { map[String(i)] = ["variables.files." + i]; });
    var form = new FormData();
    form.append("operations", JSON.stringify(operations));
    form.append("map", JSON.stringify(map));
    files.forEach(function (f, i) { form.append(String(i), f, f.name); });
    var xhr = new XMLHttpRequest();
    xhr.open("POST", "/graphql");
    xhr.setRequestHeader("x-orgcover-csrf", "1");  // multipart is a simple content type
    xhr.responseType = "json";
    phase(o.say("上传中 0%", "Uploading 0%"), 0);
    xhr.upload.onprogress = function (e) {
      if (!e.lengthComputable) { return; }
      var pct = Math.round(100 * e.loaded / e.total);
      phase(o.say("上传中 ", "Uploading ") + pct + "%", e.loaded / e.total);
    };
    xhr.upload.onload = function () {
      phase(o.say("已上传，正在校验、写入…", "Uploaded; checking and writing…"), null);
    };
    xhr.onload = function () { done(xhr); };
    xhr.onerror = function () {
      finish({error: {code: "NETWORK", message: o.say("网络错误", "Network error")}});
    };
    xhr.send(form);
  }

  function done(xhr) {
    if (xhr.status === 401) {
      window.location.assign("/login");
      return;
    }
    var body = xhr.response;
    if (!body || typeof body !== "object") {
      finish({error: {code: "HTTP " + xhr.status, message: String(xhr.statusText)}});
    } else if (body.errors && body.errors.length) {
      var e = body.errors[0];
      finish({error: {code: (e.extensions && e.extensions.code) || "ERROR",
                      message: e.message}});
    } else {
      finish({result: body.data.loadRosters});
    }
  }

  function finish(answer) {
    shown = answer;
    el("upload-go").disabled = false;
    el("upload-state").hidden = true;
    render();
    document.body.setAttribute("data-upload-done", answer.error ? "error" :
                               answer.result.__typename);
  }

  function problemRows(tbody, problems) {
    problems.forEach(function (p) {
      var row = document.createElement("tr");
      row.className = p.severity;
      row.setAttribute("data-code", p.code);
      [p.severity === "error" ? o.say("错误", "error") : o.say("警告", "warning"), p.file,
       p.sheet || "", p.row === null ? "" : String(p.row), p.column || "", p.value || "",
       p.message].forEach(function (v) { o.cell(row, v); });
      tbody.appendChild(row);
    });
  }

  function render() {
    var error = el("upload-error");
    error.hidden = !(shown && shown.error);
    if (shown && shown.error) {
      var e = shown.error;
      error.setAttribute("data-code", e.code);
      error.textContent = (e.code === "LOAD_IN_PROGRESS" ?
        o.say("另一个导入正在进行，请稍后再试：", "Another load is running; try again later: ") :
        e.code + ": ") + e.message;
    }
    var box = el("upload-result");
    box.hidden = !(shown && shown.result);
    if (box.hidden) { return; }
    var r = shown.result;
    var failed = r.__typename === "ValidationFailed";
    var summary = el("upload-summary");
    summary.className = failed ? "error" : "ok";
    if (failed) {
      summary.textContent = r.message + " " + o.say(
        "（名册全部正确才会写入。）", "(A load is all or nothing.)") +
        (r.errorsTotal > r.errors.length ? o.say("（列出前 ", " (first ") + r.errors.length +
         o.say(" 条）", " listed)") : "");
    } else if (r.unchangedSince) {
      summary.textContent = o.say("名册与导入 ", "The rosters equal load ") + r.unchangedSince +
        o.say(" 相同，未再检查。", "; not checked again.");
    } else {
      summary.textContent = r.dryRun ?
        o.say("校验通过（仅校验，未写入）。", "Valid (dry run: nothing written).") :
        o.say("已导入，记录 ", "Loaded, journal id ") + r.loadId +
        (r.snapshot ? o.say("，覆盖快照 ", "; coverage snapshot ") + r.snapshot : "") + ".";
    }
    var counts = el("upload-counts").querySelector("tbody");
    counts.textContent = "";
    r.counts.forEach(function (c) {
      var row = document.createElement("tr");
      row.setAttribute("data-template", c.template);
      o.cell(row, o.say(TEMPLATES[c.template] || c.template, c.template));
      [c.rows, c.created, c.updated, c.unchanged, c.errors, c.removed]
        .forEach(function (v) { o.cell(row, String(v)); });
      counts.appendChild(row);
    });
    el("upload-counts").hidden = !r.counts.length;
    var problems = el("upload-problems").querySelector("tbody");
    problems.textContent = "";
    problemRows(problems, (r.errors || []).concat(r.warnings || []));
    el("upload-problems").hidden = !problems.children.length;
  }

  o.page("upload", {section: "upload", show: show, render: render});
})();
