"""The rectification, upload and load-journal pages in a real browser, compared with what
the API answers for the same caller (no hard-coded figures).

The `server` fixture's store is shared with the other browser modules: a notice issued
here adds a notice (no snapshot: the demo's latest snapshot reflects its last load, and
coverage figures do not change), and every upload is a dry run or fails validation, so
nothing is written.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from app.main import create_app
from app.serving import uvicorn_options
from graph.store import GraphStore
from loaders.lock import LoadLock
from loaders.pii import IdProtector
from loaders.pipeline import load_rosters
from tests.auth import DISTRICT, bearer, settings
from tests.browser import (
    OUT,
    STREET,
    Watched,
    gql,
    only_own_host,
    signed_in,
    skip_without_chromium,
)

skip_without_chromium()

TALLY = "total fixed open overdue removed closureRate"
NOTICES = "{ notices(first: 20) { totalCount nodes { id scope summary { total } } } }"
NOTICE = ("query($id: String!, $after: String) { notice(id: $id) { id metric scope "
          "deadline summary { " + TALLY + " } streets { code name " + TALLY + " } "
          "items(first: 50, after: $after) { totalCount pageInfo { hasNextPage endCursor } "
          "nodes { state gap { code streetCode } } } } }")
LOADS = "{ loads(first: 20) { nodes { loadId } } }"
LOAD = """mutation($files: [Upload!]!, $dry: Boolean!) {
  loadRosters(files: $files, dryRun: $dry) { __typename
    ... on LoadResult { counts { template rows created updated unchanged errors removed } }
    ... on ValidationFailed { errors { file row column value message } } } }"""


async def _ready(w: Watched, hash_: str, flag: str) -> None:
    """Go to `#hash_` (unless there already) and wait until its page says it is drawn."""
    await w.page.evaluate("""([h, flag]) => { if (window.location.hash !== '#' + h) {
        document.body.removeAttribute(flag); window.location.hash = h; } }""", [hash_, flag])
    await w.page.wait_for_selector(f"body[{flag}]")


async def _table(w: Watched, selector: str, attr: str) -> list[list[str]]:
    """The rows of a table as [data-attr, cell texts…], read in one step."""
    rows: list[list[str]] = await w.page.eval_on_selector_all(
        f"{selector} tbody tr", """(rows, attr) => rows.map(r => [r.getAttribute(attr) || '',
            ...[...r.querySelectorAll('td')].map(td => td.innerText)])""", attr)
    return rows


async def _notice(base: str, nid: str, headers: dict[str, str] | None = None,
                  after: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = (await gql(base, NOTICE, {"id": nid, "after": after},
                                       headers=headers))["notice"]
    return found


async def _same_notice(w: Watched, base: str, nid: str,
                       headers: dict[str, str] | None = None) -> dict[str, Any]:
    """The page shows notice `nid` as the API does: per street counts, the ledger's first
    page in the API's order (overdue first), and the next page after a click."""
    api = await _notice(base, nid, headers)
    await _ready(w, f"notices/{nid}", "data-notices-ready")
    streets = await _table(w, "#notice-streets", "data-code")
    assert [s[:7] for s in streets] == [
        [t["code"] or "", t["name"] or t["code"] or "—", str(t["total"]), str(t["fixed"]),
         str(t["open"]), str(t["overdue"]), str(t["removed"])] for t in api["streets"]]
    assert await w.page.locator("#notice-bars svg").count() == 1
    figures = await w.page.locator("#notice-figures").inner_text()
    assert f"已整改 {api['summary']['fixed']}" in figures
    assert f"逾期 {api['summary']['overdue']}" in figures
    items = api["items"]
    assert await w.page.locator("#ledger-total").inner_text() == str(items["totalCount"])
    ledger = await _table(w, "#ledger", "data-state")
    assert [(r[0], r[2]) for r in ledger] == [(i["state"], i["gap"]["code"])
                                              for i in items["nodes"]]
    states = [r[0] for r in ledger]
    assert states == sorted(states, key=["OVERDUE", "OPEN", "FIXED", "REMOVED"].index)
    links = await w.page.eval_on_selector_all("#ledger tbody tr td:nth-child(2) a",
                                              "as => as.map(a => a.getAttribute('href'))")
    assert links == [f"#place/{i['gap']['code']}" for i in items["nodes"]]
    if items["pageInfo"]["hasNextPage"]:
        page2 = (await _notice(base, nid, headers, items["pageInfo"]["endCursor"]))["items"]
        await w.page.click("#ledger-pager button.next")
        first = page2["nodes"][0]["gap"]["code"]
        await w.page.wait_for_selector(f'#ledger tbody tr[data-code="{first}"]')
        ledger = await _table(w, "#ledger", "data-state")
        assert [(r[0], r[2]) for r in ledger] == [(i["state"], i["gap"]["code"])
                                                  for i in page2["nodes"]]
        await w.page.click("#ledger-pager button.prev")
        first = items["nodes"][0]["gap"]["code"]
        await w.page.wait_for_selector(f'#ledger tbody tr[data-code="{first}"]')
    return api


async def test_admin_issues_a_notice_and_reads_its_ledger(
        server: tuple[Any, str], browser: Any) -> None:
    app, base = server
    w = await signed_in(browser, app, base)
    assert await w.page.locator('header a[data-page="notices"]').is_visible()
    assert await w.page.locator('header a[data-page="loads"]').is_visible()
    before = (await gql(base, NOTICES))["notices"]
    await _ready(w, "notices", "data-notices-ready")
    shown = await _table(w, "#notice-table", "data-id")
    assert [r[0] for r in shown] == [n["id"] for n in before["nodes"]]
    assert await w.page.locator("#notice-total").inner_text() == str(before["totalCount"])

    overview = (await gql(base, "{ overview { metric gaps } }"))["overview"]
    metric = next(a["metric"] for a in overview if a["gaps"])
    await w.page.select_option("#notice-metric", metric)
    await w.page.select_option("#notice-scope", STREET)
    today = dt.date.today()
    await w.page.fill("#notice-deadline", (today - dt.timedelta(days=1)).isoformat())
    await w.page.click("#notice-form button[type=submit]")
    await w.page.wait_for_selector("#notice-error:not([hidden])")
    assert "already passed" in await w.page.locator("#notice-error").inner_text()
    assert (await gql(base, NOTICES))["notices"]["totalCount"] == before["totalCount"]
    await w.page.screenshot(path=OUT / "notices-list.png", full_page=True)

    await w.page.fill("#notice-deadline", today.isoformat())
    await w.page.fill("#notice-note", "请于期限内整改")
    await w.page.click("#notice-form button[type=submit]")
    await w.page.wait_for_function("() => /^#notices\\/N\\d+$/.test(window.location.hash)")
    nid = (await w.page.evaluate("window.location.hash")).split("/")[1]
    await w.page.wait_for_selector("body[data-notices-ready] #ledger tbody tr")
    after = (await gql(base, NOTICES))["notices"]
    assert after["totalCount"] == before["totalCount"] + 1
    assert after["nodes"][0]["id"] == nid
    issued = await _same_notice(w, base, nid)
    assert (issued["metric"], issued["scope"], issued["deadline"]) == (
        metric, STREET, today.isoformat())
    assert issued["summary"]["overdue"] == 0  # due today: nothing is late yet
    assert await w.page.locator("#notice-note-shown").inner_text() == "请于期限内整改"
    await w.page.screenshot(path=OUT / "notice-issued.png", full_page=True)

    # a notice with late items (the demo's history has one): overdue first, page by page
    late = next(n["id"] for n in after["nodes"] if n["id"] != nid)
    api = await _same_notice(w, base, late)
    assert api["summary"]["overdue"] > 0
    await w.page.screenshot(path=OUT / "notice-overdue.png", full_page=True)
    await w.page.click("#lang")
    await w.page.wait_for_selector("html[lang=en]")
    assert await w.page.locator("#ledger tbody tr .state").first.inner_text() == "Overdue"
    assert f"Overdue {api['summary']['overdue']}" in \
        await w.page.locator("#notice-figures").inner_text()
    await w.page.screenshot(path=OUT / "notice-en.png", full_page=True)
    await w.page.click("#lang")
    await w.page.wait_for_selector("html[lang=zh-CN]")

    await _ready(w, "notices", "data-notices-ready")
    assert [r[0] for r in await _table(w, "#notice-table", "data-id")] == [
        n["id"] for n in after["nodes"]]
    only_own_host(w, base)


async def test_street_auditor_sees_only_the_street(server: tuple[Any, str],
                                                   browser: Any) -> None:
    app, base = server
    street = bearer("auditor", STREET)
    w = await signed_in(browser, app, base, roles=("auditor",), jurisdiction=STREET,
                        name="十字路街道审计")
    assert not await w.page.locator('header a[data-page="loads"]').is_visible()
    assert not await w.page.locator('header a[data-page="upload"]').is_visible()
    api = (await gql(base, NOTICES, headers=street))["notices"]
    await _ready(w, "notices", "data-notices-ready")
    assert [r[0] for r in await _table(w, "#notice-table", "data-id")] == [
        n["id"] for n in api["nodes"]]
    assert api["nodes"]
    # its notices lie at the street or above it; what their ledgers list, inside it
    chain = {STREET, DISTRICT, None}
    for n in api["nodes"]:
        assert n["scope"] in chain or n["scope"].startswith(STREET)
    one = await _same_notice(w, base, api["nodes"][-1]["id"], street)
    assert {t["code"] for t in one["streets"]} <= {STREET}
    assert all(i["gap"]["streetCode"] == STREET for i in one["items"]["nodes"])
    await w.page.screenshot(path=OUT / "notice-street.png", full_page=True)
    only_own_host(w, base)


def _csv(folder: Path, name: str, rows: list[list[str]]) -> Path:
    path = folder / name
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    return path


async def _api_load(base: str, path: Path, headers: dict[str, str]) -> dict[str, Any]:
    """The same upload through the API (a dry run)."""
    data = path.read_bytes()  # noqa: ASYNC240 - a tiny file the test just wrote
    operations = {"query": LOAD, "variables": {"files": [None], "dry": True}}
    async with httpx.AsyncClient(base_url=base) as c:
        response = await c.post("/graphql", data={
            "operations": json.dumps(operations), "map": json.dumps({"0": ["variables.files.0"]})},
            files={"0": (path.name, data, "text/csv")},
            headers={**headers, "x-orgcover-csrf": "1"})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["data"]["loadRosters"]
    return result


async def _upload(w: Watched, path: Path) -> str:
    """Upload through the page; the phases it showed (bytes sent, then checking) are kept
    in `window.phases`."""
    await w.page.evaluate("""() => { document.body.removeAttribute('data-upload-done');
        window.phases = [];
        new MutationObserver(() => window.phases.push(
            document.getElementById('upload-phase').textContent)).observe(
            document.getElementById('upload-phase'), {childList: true}); }""")
    await w.page.set_input_files("#upload-files", str(path))
    await w.page.click("#upload-go")
    await w.page.wait_for_selector("body[data-upload-done]")
    phases = await w.page.evaluate("window.phases")
    assert "上传中 100%" in phases
    assert phases[-1].startswith("已上传")
    done: str = await w.page.get_attribute("body", "data-upload-done") or ""
    return done


async def test_loader_uploads_a_dry_run_and_a_bad_file_then_the_admin_reads_the_journal(
        server: tuple[Any, str], browser: Any, tmp_path: Path) -> None:
    app, base = server
    loader = bearer("loader")
    journal = (await gql(base, LOADS))["loads"]["nodes"]
    grid = (await gql(base, "{ grids(first: 1) { nodes { code } } }"))["grids"]["nodes"][0]
    w = await signed_in(browser, app, base, roles=("loader",), name="莒南县录入员")
    # a loader (no right `read`) lands on the upload page, the only one it may use
    assert await w.page.get_attribute("body", "data-page") == "upload"
    assert await w.page.locator('header a[data-page="upload"]').is_visible()
    for hidden in ("overview", "notices", "loads"):
        assert not await w.page.locator(f'header a[data-page="{hidden}"]').is_visible()
    assert await w.page.is_checked("#upload-dry")

    good = _csv(tmp_path, "小区.csv", [["小区编码", "小区名称", "所属网格编码", "户数"],
                                      [grid["code"] + "C98", "浏览器测试小区", grid["code"], "12"]])
    assert await _upload(w, good) == "LoadResult"
    api = await _api_load(base, good, loader)
    assert api["__typename"] == "LoadResult"
    counts = await _table(w, "#upload-counts", "data-template")
    assert counts == [[c["template"], {"compounds": "小区"}.get(c["template"], c["template"]),
                       *(str(c[k]) for k in ("rows", "created", "updated", "unchanged",
                                             "errors", "removed"))]
                      for c in api["counts"]]
    assert "仅校验" in await w.page.locator("#upload-summary").inner_text()
    await w.page.screenshot(path=OUT / "upload-dry-run.png", full_page=True)

    (tmp_path / "bad").mkdir()
    bad = _csv(tmp_path / "bad", "网格.csv", [["网格编码", "网格名称", "所属社区编码"],
                                             ["371327001001G98", "测试网格", "C404"]])
    assert await _upload(w, bad) == "ValidationFailed"
    api = await _api_load(base, bad, loader)
    problems = await _table(w, "#upload-problems", "data-code")
    assert [(p[2], p[4], p[5], p[6], p[7]) for p in problems] == [
        (e["file"], str(e["row"]), e["column"], e["value"], e["message"])
        for e in api["errors"]]
    assert problems[0][2:6] == ["网格.csv", "", "2", "所属社区编码"]
    assert "未写入任何数据" in await w.page.locator("#upload-summary").inner_text()
    await w.page.screenshot(path=OUT / "upload-errors.png", full_page=True)
    unchanged = await gql(base, '{ grid(code: "371327001001G98") { code } '
                                '  compound(code: "' + grid["code"] + 'C98") { code } }')
    assert unchanged == {"grid": None, "compound": None}
    only_own_host(w, base)

    # the journal: loads that wrote, newest first (dry runs and failed loads write nothing)
    admin = await signed_in(browser, app, base)
    await _ready(admin, "loads", "data-loads-ready")
    rows = await _table(admin, "#load-table", "data-load")
    api_journal = (await gql(base, LOADS))["loads"]["nodes"]
    assert [r[0] for r in rows] == [n["loadId"] for n in api_journal] == \
        [n["loadId"] for n in journal]
    await admin.page.screenshot(path=OUT / "load-journal.png", full_page=True)
    only_own_host(admin, base)


@asynccontextmanager
async def _serving(store: GraphStore, folder: Path) -> AsyncIterator[tuple[Any, str]]:
    """A real uvicorn on a graph of this test's own (as tests/browser.py's `server`)."""
    config = settings(folder, graphiql=True)
    app = create_app(config, store=store)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                           lifespan="on", **uvicorn_options(config)))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield app, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def test_a_load_that_writes_tops_the_journal(store: GraphStore, browser: Any,
                                                   tmp_path: Path) -> None:
    """A real load on a graph of its own (the shared one stays as it is): the upload page
    says what it wrote, the journal shows it on top, and the same file again is
    recognised as unchanged."""
    seed = tmp_path / "seed"
    seed.mkdir()
    _csv(seed, "行政区划.csv", [["编码", "名称", "层级", "上级编码"],
                             [DISTRICT, "莒南县", "区县", ""],
                             [STREET, "十字路街道", "街道", DISTRICT],
                             [STREET + "001", "泰和社区", "社区", STREET]])
    await load_rosters(store, [seed], protector=IdProtector(None))
    async with _serving(store, tmp_path / "data") as (app, base):
        w = await signed_in(browser, app, base)
        await _ready(w, "upload", "data-page-ready")
        await w.page.uncheck("#upload-dry")
        grids = _csv(tmp_path, "网格.csv", [["网格编码", "网格名称", "所属社区编码"],
                                           [STREET + "001G01", "第一网格", STREET + "001"]])
        assert await _upload(w, grids) == "LoadResult"
        assert await _table(w, "#upload-counts", "data-template") == [
            ["grids", "网格", "1", "1", "0", "0", "0", "0"]]
        summary = await w.page.locator("#upload-summary").inner_text()
        journal = (await gql(base, "{ loads(first: 20) { nodes { loadId who files } } }"))
        top = journal["loads"]["nodes"][0]
        assert top["loadId"] in summary
        assert top["files"] == ["网格.csv"]
        await _ready(w, "loads", "data-loads-ready")
        rows = await _table(w, "#load-table", "data-load")
        assert [r[0] for r in rows] == [n["loadId"] for n in journal["loads"]["nodes"]]
        assert rows[0][3:6] == [top["who"], DISTRICT, "网格.csv"]
        await w.page.screenshot(path=OUT / "load-journal-after-upload.png", full_page=True)

        await _ready(w, "upload", "data-page-ready")
        assert await _upload(w, grids) == "LoadResult"
        assert top["loadId"] in await w.page.locator("#upload-summary").inner_text()
        assert (await gql(base, LOADS))["loads"]["nodes"][0]["loadId"] == top["loadId"]

        async with LoadLock(store, who="someone else"):  # another load is running
            assert await _upload(w, grids) == "error"
        error = w.page.locator("#upload-error")
        assert await error.get_attribute("data-code") == "LOAD_IN_PROGRESS"
        assert (await error.inner_text()).startswith("另一个导入正在进行")
        assert await w.page.locator("#upload-result").is_hidden()
        await w.page.screenshot(path=OUT / "upload-busy.png", full_page=True)
        only_own_host(w, base)
