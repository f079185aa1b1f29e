"""The dashboard's HTML shell: a header with the page links and one `<section>` per page.

Each page's section is its own function, so a page is its section here plus its script
in app/static/ (registered with app/static/core.js's router). Texts are given in both
languages (`data-zh` / `data-en`, switched by app/static/i18n.js); everything else comes
from `/graphql` at run time. No inline script: the Content-Security-Policy allows
scripts from this host only.
"""

from __future__ import annotations

from app.web import DASHBOARD_PREFIX

#: The dashboard's scripts after i18n.js, ECharts and core.js, one per page, in load order.
PAGE_SCRIPTS: tuple[str, ...] = (
    "overview.js",
    "audit.js",
    "notices.js",
    "upload.js",
    "journal.js",
    "place.js",
    "search.js",
)


def page(title: str, body: str, scripts: tuple[str, ...]) -> str:
    tags = "\n".join(f'    <script src="{DASHBOARD_PREFIX}{s}"></script>' for s in scripts)
    return f"""<!doctype html>
<html lang="zh-CN">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{title}</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="{DASHBOARD_PREFIX}dashboard.css">
  </head>
  <body>
{body}
{tags}
  </body>
</html>
"""


def t(tag: str, zh: str, en: str, attrs: str = "") -> str:
    """An element in both languages: Chinese shown, app/static/i18n.js switches."""
    return f'<{tag}{attrs} data-zh="{zh}" data-en="{en}">{zh}</{tag}>'


LANG_BUTTON = t("button", "English", "中文", ' type="button" id="lang" class="link"')


def _nav_link(name: str, zh: str, en: str, roles: str = "") -> str:
    """A page link; with `roles`, shown only to callers with one of them (core.js)."""
    only = f' data-roles="{roles}" hidden' if roles else ""
    return t("a", zh, en, f' href="#{name}" data-page="{name}"{only}')


def _header() -> str:
    return f"""    <header>
      {t("h1", "党建引领基层治理覆盖率总览", "Coverage overview")}
      <div class="who">
        <span id="jurisdiction"></span> · <span id="user"></span> ·
        {t("span", "数据截至", "Data as of")} <span id="as-of">—</span>
        {t("span", "（有未完成的导入）", "(a load is unfinished)", ' id="unfinished" hidden')}
      </div>
      <nav>
        {_nav_link("overview", "总览", "Overview", roles="viewer auditor officer admin")}
        {_nav_link("search", "搜索", "Search", roles="viewer auditor officer admin")}
        {_nav_link("notices", "整改", "Rectification", roles="auditor officer admin")}
        {_nav_link("upload", "导入", "Upload", roles="loader admin")}
        {_nav_link("loads", "导入记录", "Load journal", roles="admin")}
        {LANG_BUTTON}
        <a href="/graphql">GraphiQL</a>
        {t("button", "退出", "Sign out", ' type="button" id="logout" class="link"')}
      </nav>
    </header>"""


def overview_section() -> str:
    return '      <section id="cards" aria-live="polite" hidden></section>'


def audit_section() -> str:
    return f"""      <section id="audit" hidden>
        <nav id="crumbs" aria-label="breadcrumb"></nav>
        <div id="audit-error" class="error" role="alert" hidden>
          {t("strong", "未找到该地点", "Place not found")}
          {t("span", "（不存在，或不在您的管辖范围内）",
             " (it does not exist, or lies outside your jurisdiction)")}
          <span id="audit-error-text"></span>
        </div>
        <div id="audit-body">
        <h2 id="audit-title"></h2>
        <p id="audit-figures"></p>
        <div id="bars"></div>
        <table id="groups"><thead><tr>
          {t("th", "下级", "Place")}{t("th", "覆盖率", "Rate")}
          {t("th", "已覆盖", "Covered")}{t("th", "应覆盖", "Eligible")}
        </tr></thead><tbody></tbody></table>
        <div id="trend-box">
          <h3>{t("span", "趋势", "Trend")}</h3>
          {t("p", "尚无快照", "No snapshot yet", ' id="trend-empty" hidden')}
          <div id="trend"></div>
        </div>
        <div id="ranking-box" hidden>
          <h3>{t("span", "排名", "Ranking")} <small id="ranking-when"></small></h3>
          <table id="ranking"><thead><tr>
            {t("th", "名次", "Rank")}{t("th", "下级", "Place")}{t("th", "覆盖率", "Rate")}
            {t("th", "位次变化", "Rank change")}
          </tr></thead><tbody></tbody></table>
        </div>
        <h3>{t("span", "缺口", "Gaps")} (<span id="gap-total"></span>)
          {t("button", "导出 Excel", "Export xlsx",
             ' type="button" id="audit-export" data-roles="auditor officer admin" hidden')}
        </h3>
        <form id="gap-filter" class="filters">
          <label>{t("span", "原因", "Reason")}
            <select id="gap-reason"><option value="">—</option></select></label>
          <label>{t("span", "编码或名称含", "Code or name contains")}
            <input id="gap-text" type="search" maxlength="64"></label>
          {t("button", "筛选", "Filter", ' type="submit"')}
          {t("button", "清除", "Clear", ' type="button" id="gap-clear"')}
        </form>
        <table id="gaps"><thead><tr>
          {t("th", "编码", "Code")}{t("th", "名称", "Name")}{t("th", "社区", "Community")}
          {t("th", "街道", "Street")}{t("th", "原因", "Reasons")}
        </tr></thead><tbody></tbody></table>
        <nav id="gap-pager">
          {t("button", "上一页", "Previous", ' type="button" id="gap-prev"')}
          <span id="gap-page"></span>
          {t("button", "下一页", "Next", ' type="button" id="gap-next"')}
        </nav>
        </div>
      </section>"""


def notices_section() -> str:
    """Rectification notices (整改): the list with a form to issue one, or one notice."""
    return f"""      <section id="notices" hidden>
        <div id="notice-list">
          <h2>{t("span", "整改通知", "Rectification notices")}
            (<span id="notice-total"></span>)</h2>
          <table id="notice-table"><thead><tr>
            {t("th", "编号", "No.")}{t("th", "指标", "Metric")}{t("th", "范围", "Scope")}
            {t("th", "下发", "Issued")}{t("th", "期限", "Deadline")}{t("th", "总数", "Listed")}
            {t("th", "已整改", "Fixed")}{t("th", "整改中", "Open")}{t("th", "逾期", "Overdue")}
            {t("th", "整改率", "Closure")}
          </tr></thead><tbody></tbody></table>
          <p class="pager" id="notice-pager"></p>
          <form id="notice-form" class="inline-form" novalidate>
            <h3>{t("span", "下发整改通知", "Issue a notice")}</h3>
            <label>{t("span", "指标", "Metric")}
              <select id="notice-metric" required></select></label>
            <label>{t("span", "范围", "Scope")} <select id="notice-scope"></select></label>
            <label>{t("span", "整改期限", "Deadline")}
              <input type="date" id="notice-deadline" required></label>
            <label>{t("span", "要求", "Note")}
              <input type="text" id="notice-note" maxlength="500"></label>
            {t("button", "下发", "Issue", ' type="submit"')}
            <p id="notice-error" class="error" role="alert" hidden></p>
          </form>
        </div>
        <div id="notice-one" hidden>
          <nav class="crumbs">{t("a", "整改通知", "Notices", ' href="#notices"')}
            › <span id="notice-id"></span></nav>
          <h2 id="notice-title"></h2>
          <p id="notice-figures"></p>
          <p id="notice-note-shown"></p>
          <div id="notice-bars" class="chart"></div>
          <table id="notice-streets"><thead><tr>
            {t("th", "街道", "Street")}{t("th", "总数", "Listed")}{t("th", "已整改", "Fixed")}
            {t("th", "整改中", "Open")}{t("th", "逾期", "Overdue")}{t("th", "已撤销", "Removed")}
            {t("th", "整改率", "Closure")}
          </tr></thead><tbody></tbody></table>
          <h3>{t("span", "整改台账", "Ledger")} (<span id="ledger-total"></span>)</h3>
          <table id="ledger"><thead><tr>
            {t("th", "状态", "State")}{t("th", "编码", "Code")}{t("th", "名称", "Name")}
            {t("th", "社区", "Community")}{t("th", "街道", "Street")}{t("th", "原因", "Reasons")}
            {t("th", "发现", "Opened")}{t("th", "天数", "Days")}
          </tr></thead><tbody></tbody></table>
          <p class="pager" id="ledger-pager"></p>
        </div>
      </section>"""


def upload_section() -> str:
    """Roster upload (导入): files, dry run, progress, counts and the error report."""
    names = "、".join(("行政区划", "网格", "小区", "楼栋", "单位", "党组织", "人员", "任职",
                      "关系"))
    return f"""      <section id="upload" hidden>
        <h2>{t("span", "导入名册", "Upload rosters")}</h2>
        {t("p", f"CSV 文件按模板命名（{names}.csv，或英文 regions.csv …），或含这些工作表的 "
           ".xlsx 工作簿；空白模板：orgcover templates。有任何错误时不写入任何数据。",
           "CSV files named after their templates (行政区划.csv or regions.csv …), or .xlsx "
           "workbooks with sheets of those names; blank templates: orgcover templates. "
           "Nothing is written when any row is wrong.", ' class="hint"')}
        <form id="upload-form" class="inline-form">
          <input type="file" id="upload-files" multiple accept=".csv,.xlsx" required>
          <label><input type="checkbox" id="upload-dry" checked>
            {t("span", "仅校验（不写入）", "Dry run (check only)")}</label>
          {t("button", "上传", "Upload", ' type="submit" id="upload-go"')}
        </form>
        <div id="upload-state" hidden>
          <progress id="upload-progress" max="1"></progress>
          <span id="upload-phase"></span>
        </div>
        <p id="upload-error" class="error" role="alert" hidden></p>
        <div id="upload-result" hidden>
          <p id="upload-summary"></p>
          <table id="upload-counts"><thead><tr>
            {t("th", "名册", "Template")}{t("th", "行数", "Rows")}{t("th", "新建", "Created")}
            {t("th", "更新", "Updated")}{t("th", "未变", "Unchanged")}{t("th", "错误", "Errors")}
            {t("th", "删除", "Removed")}
          </tr></thead><tbody></tbody></table>
          <table id="upload-problems"><thead><tr>
            {t("th", "级别", "Severity")}{t("th", "文件", "File")}{t("th", "工作表", "Sheet")}
            {t("th", "行", "Row")}{t("th", "列", "Column")}{t("th", "值", "Value")}
            {t("th", "问题", "Message")}
          </tr></thead><tbody></tbody></table>
        </div>
      </section>"""


def loads_section() -> str:
    """The load journal (导入记录), newest first."""
    return f"""      <section id="loads" hidden>
        <h2>{t("span", "导入记录", "Load journal")}</h2>
        {t("p", "记录已写入数据的导入；仅校验和有错误的导入不写入，也不记录。",
           "Loads that wrote data; dry runs and loads with errors write nothing and are "
           "not journaled.", ' class="hint"')}
        <table id="load-table"><thead><tr>
          {t("th", "开始", "Started")}{t("th", "完成", "Finished")}{t("th", "导入人", "Who")}
          {t("th", "辖区", "Jurisdiction")}{t("th", "文件", "Files")}{t("th", "状态", "Status")}
          {t("th", "新建", "Created")}{t("th", "更新", "Updated")}{t("th", "未变", "Unchanged")}
          {t("th", "删除", "Removed")}
        </tr></thead><tbody></tbody></table>
        <p class="pager" id="load-pager"></p>
      </section>"""


def place_section() -> str:
    """A place page (app/static/place.js draws everything below the title)."""
    return """      <section id="place" hidden>
        <nav id="place-where" aria-label="breadcrumb"></nav>
        <h2 id="place-title"></h2>
        <p id="place-facts"></p>
        <p id="place-missing" class="error" role="alert" hidden></p>
        <div id="place-body"></div>
      </section>"""


def search_section() -> str:
    """The search page: names and codes of places, party orgs, organizations, people."""
    return f"""      <section id="search" hidden>
        <form id="search-form" role="search">
          <div class="search-row">
            <input id="search-text" type="search" name="text" autocomplete="off"
              placeholder="名称或编码，如 阳光 或 371327" aria-label="搜索 / Search">
            <select id="search-type" name="type" aria-label="类型 / Type">
              {t("option", "全部", "All", ' value=""')}
              {t("option", "地点", "Places", ' value="PLACE"')}
              {t("option", "党组织", "Party organizations", ' value="PARTY_ORG"')}
              {t("option", "单位", "Organizations", ' value="ORGANIZATION"')}
              {t("option", "人员", "People", ' value="PERSON"')}
            </select>
            {t("button", "搜索", "Search", ' type="submit"')}
          </div>
        </form>
        <p id="search-hint" hidden></p>
        <p id="search-error" class="error" role="alert" hidden></p>
        <p id="search-total" hidden></p>
        <table id="search-results" hidden><thead><tr>
          {t("th", "类型", "Type")}{t("th", "名称", "Name")}{t("th", "编码", "Code")}
          {t("th", "信息", "Details")}{t("th", "所在", "Where")}
        </tr></thead><tbody></tbody></table>
        <nav id="search-pages" hidden>
          {t("button", "上一页", "Previous", ' type="button" id="search-prev"')}
          {t("button", "下一页", "Next", ' type="button" id="search-next"')}
        </nav>
      </section>"""


def dashboard_page() -> str:
    sections = "\n".join((
        overview_section(),
        audit_section(),
        notices_section(),
        upload_section(),
        loads_section(),
        place_section(),
        search_section(),
    ))
    return page("orgcover 覆盖率总览", f"""{_header()}
    <main>
      {t("p", "加载中…", "Loading…", ' id="status"')}
{sections}
    </main>""", ("i18n.js", "echarts.min.js", "core.js", *PAGE_SCRIPTS))
