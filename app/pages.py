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
        {_nav_link("overview", "总览", "Overview")}
        {_nav_link("search", "搜索", "Search")}
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
        <h2 id="audit-title"></h2>
        <p id="audit-figures"></p>
        <div id="bars"></div>
        <table id="groups"><thead><tr>
          {t("th", "下级", "Place")}{t("th", "覆盖率", "Rate")}
          {t("th", "已覆盖", "Covered")}{t("th", "应覆盖", "Eligible")}
        </tr></thead><tbody></tbody></table>
        <h3>{t("span", "缺口", "Gaps")} (<span id="gap-total"></span>)</h3>
        <table id="gaps"><thead><tr>
          {t("th", "编码", "Code")}{t("th", "名称", "Name")}{t("th", "社区", "Community")}
          {t("th", "街道", "Street")}{t("th", "原因", "Reasons")}
        </tr></thead><tbody></tbody></table>
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
        place_section(),
        search_section(),
    ))
    return page("orgcover 覆盖率总览", f"""{_header()}
    <main>
      {t("p", "加载中…", "Loading…", ' id="status"')}
{sections}
    </main>""", ("i18n.js", "echarts.min.js", "core.js", *PAGE_SCRIPTS))
