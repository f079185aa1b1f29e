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
        {_nav_link("overview", "总览", "Overview")}
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


def dashboard_page() -> str:
    sections = "\n".join((
        overview_section(),
        audit_section(),
    ))
    return page("orgcover 覆盖率总览", f"""{_header()}
    <main>
      {t("p", "加载中…", "Loading…", ' id="status"')}
{sections}
    </main>""", ("i18n.js", "echarts.min.js", "core.js", *PAGE_SCRIPTS))
