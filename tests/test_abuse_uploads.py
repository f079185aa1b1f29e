"""One upload must never stall the service: loads run off the event loop, one at a time per
store; uploads, rosters and workbooks are bounded; answers stay small; a sender's mistakes
are row errors, never INTERNAL (issue "Security II", the upload findings)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import struct
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from app.main import create_app
from graph.backends.embedded import EmbeddedFalkorServer
from graph.errors import LoadInProgress
from graph.store import GraphStore
from loaders.limits import LoadLimits
from loaders.lock import LoadLock
from loaders.pii import IdProtector
from loaders.pipeline import load_rosters
from loaders.synthetic import SCALES, generate, write_csv
from tests.auth import bearer, settings
from tests.rosters import write_rosters

UPLOAD_SECRET = "upload-pii-secret-0123456789-abcdefghij"

MUTATION = """mutation($files: [Upload!]!, $dry: Boolean!, $lang: ReportLanguage!,
                       $scope: String) {
  loadRosters(files: $files, dryRun: $dry, lang: $lang, replaceScope: $scope) {
    __typename
    ... on LoadResult { loadId counts { template rows created } warningsTotal removed
                        removedTotal }
    ... on ValidationFailed { message errorsTotal warningsTotal problemsTotal
                              errors { file sheet row column value code message }
                              problemCounts { severity code column count } }
  } }"""
PREFLIGHT = {"apollo-require-preflight": "true"}


def multipart(files: list[tuple[bytes, bytes]], *, dry: bool = False, lang: str = "EN",
              scope: str | None = None) -> tuple[bytes, str]:
    """A GraphQL multipart request built by hand (file names exactly as given, bytes)."""
    boundary = "orgcover-test-boundary-7c1f"
    operations = {"query": MUTATION, "variables": {
        "files": [None] * len(files), "dry": dry, "lang": lang, "scope": scope}}
    mapping = {str(i): [f"variables.files.{i}"] for i in range(len(files))}
    parts = [(b'name="operations"', json.dumps(operations).encode()),
             (b'name="map"', json.dumps(mapping).encode())]
    parts += [(b'name="%d"; filename="%s"' % (i, name), data)
              for i, (name, data) in enumerate(files)]
    body = b"".join(b"--%s\r\nContent-Disposition: form-data; %s\r\n\r\n%s\r\n" % (
        boundary.encode(), disposition, data) for disposition, data in parts)
    return body + b"--%s--\r\n" % boundary.encode(), f"multipart/form-data; boundary={boundary}"


async def upload(client: httpx.AsyncClient, files: list[tuple[bytes, bytes]],
                 **kwargs: Any) -> dict[str, Any]:
    body, kind = multipart(files, **kwargs)
    response = await client.post("/graphql", content=body,
                                 headers={**PREFLIGHT, "content-type": kind})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def csv_bytes(header: str, rows: list[str]) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


GRIDS = "网格编码,网格名称,所属社区编码"
COMPOUNDS = "小区编码,小区名称,所属网格编码,户数"


async def _seeded(store: GraphStore, folder: Path) -> None:
    """The district (a token's jurisdiction must be a place), one community, one grid."""
    await load_rosters(store, [write_rosters(folder, {
        "regions": [["371327", "莒南县", "区县", "", ""],
                    ["371327001", "十字路街道", "街道", "371327", ""],
                    ["371327001001", "东关社区", "社区", "371327001", ""]],
        "grids": [["G1", "一网格", "371327001001", ""]]})], protector=IdProtector(None))


@pytest.fixture
async def app_client(store: GraphStore, tmp_path: Path,
                     request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient]:
    """An admin of the district on a seeded graph; settings overridden by the test's
    indirect parameter, if any."""
    await _seeded(store, tmp_path / "seed")
    overrides: dict[str, Any] = getattr(request, "param", {})
    app = create_app(settings(tmp_path, pii_secret=UPLOAD_SECRET, **overrides), store=store)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1",
            headers=bearer()) as client:
        yield client


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the service keeps answering while a load runs ---------------------------------------------

async def test_healthz_answers_promptly_while_the_demo_district_loads(
        store: GraphStore, tmp_path: Path) -> None:
    """A real uvicorn on a loopback port; the `demo` rosters (≈23k rows) uploaded through
    loadRosters while /healthz is probed: p99 under 200 ms (a load used to hold the
    event loop for its whole first pass)."""
    await _seeded(store, tmp_path / "seed")
    rosters = tmp_path / "demo"
    write_csv(generate(SCALES["demo"]), rosters)
    files = [(path.name.encode(), path.read_bytes()) for path in sorted(rosters.iterdir())]
    body, kind = multipart(files, lang="EN")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(
        create_app(settings(tmp_path, pii_secret=UPLOAD_SECRET), store=store),
        host="127.0.0.1", port=port, log_config=None, lifespan="on"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=120) as loader, \
                httpx.AsyncClient(base_url=base, timeout=5) as prober:
            await prober.get("/healthz")  # a connection of its own, kept alive
            # a first small upload: what a process does once (the multipart parser's
            # thread pool imports anyio's backend on the loop) is not what is measured
            warm, warm_kind = multipart(files[-1:], dry=True)
            await loader.post("/graphql", content=warm, headers={
                **bearer(), **PREFLIGHT, "content-type": warm_kind})
            loading = asyncio.create_task(loader.post(
                "/graphql", content=body, headers={**bearer(), **PREFLIGHT,
                                                   "content-type": kind}))
            latencies: list[float] = []
            upload_started = time.perf_counter()
            while not loading.done():
                started = time.perf_counter()
                answer = await prober.get("/healthz")
                latencies.append(time.perf_counter() - started)
                assert answer.status_code == 200
                await asyncio.sleep(0.01)
            response = await loading
            seconds = time.perf_counter() - upload_started
    finally:
        server.should_exit = True
        await serving
    result = response.json()["data"]["loadRosters"]
    assert result["__typename"] == "LoadResult", result
    assert sum(c["created"] for c in result["counts"]) > 20_000
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"healthz during a demo upload ({seconds:.1f} s): {len(latencies)} probes, median "
          f"{statistics.median(latencies) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
          f"max {latencies[-1] * 1000:.1f} ms")
    assert len(latencies) >= 20  # the load took long enough to be probed
    assert p99 < 0.2


async def test_a_cancelled_load_stops_its_thread_and_frees_the_store(
        store: GraphStore, tmp_path: Path) -> None:
    """A load cancelled mid-way (a client gone, a shutdown) stops its worker thread, writes
    nothing more and gives the load lock back."""
    rosters = tmp_path / "demo"
    write_csv(generate(SCALES["demo"]), rosters)
    loading = asyncio.create_task(load_rosters(store, [rosters],
                                               protector=IdProtector("k"), dry_run=True))
    await asyncio.sleep(0.3)  # pass 1 is under way in a worker thread
    loading.cancel()
    with pytest.raises(asyncio.CancelledError):
        await loading
    report = await load_rosters(store, [write_rosters(tmp_path / "one", {"regions": [
        ["371327", "莒南县", "区县", "", ""]]})], protector=IdProtector(None))
    assert report.counts["regions"].created == 1


# -- one load at a time per store ----------------------------------------------------------------

async def test_a_load_while_another_runs_is_load_in_progress(
        app_client: httpx.AsyncClient, store: GraphStore) -> None:
    grids = [(b"\xe7\xbd\x91\xe6\xa0\xbc.csv", csv_bytes(GRIDS, ["G2,二网格,371327001001"]))]
    async with LoadLock(store, who="someone else"):  # another worker's or the CLI's load
        busy = await upload(app_client, grids)
        assert busy["data"] == {"loadRosters": None} or busy["data"] is None
        [error] = busy["errors"]
        assert error["extensions"]["code"] == "LOAD_IN_PROGRESS"
        assert "another roster load is running" in error["message"]
        with pytest.raises(LoadInProgress):  # the CLI's load too
            await load_rosters(store, [tmp_rosters(grids)], protector=IdProtector(None))
    done = await upload(app_client, grids)  # given back: the next load runs
    assert done["data"]["loadRosters"]["__typename"] == "LoadResult"


async def test_a_cli_load_on_a_shared_store_gets_load_in_progress(
        store: GraphStore, falkor_server: EmbeddedFalkorServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`orgcover load` on the store an API worker is loading into (a falkordb+unix URI, as
    with `orgcover store`) is refused at once, exit status 2."""
    from typer.testing import CliRunner

    from app.cli import cli

    monkeypatch.setenv("ORGCOVER_GRAPH_URI", f"falkordb+unix://:{falkor_server.password}@"
                                             f"{falkor_server.socket_path}")
    monkeypatch.setenv("ORGCOVER_GRAPH_NAME", store.graph_name)
    monkeypatch.setenv("ORGCOVER_DATA_DIR", str(tmp_path / "data"))
    rosters = write_rosters(tmp_path / "r", {"regions": [["371327", "莒南县", "区县", "", ""]]})
    async with LoadLock(store, who="an API worker"):
        result = await asyncio.to_thread(CliRunner().invoke, cli, ["load", str(rosters)])
    assert result.exit_code == 2, result.output
    assert "another roster load is running on this store" in result.output
    loaded = await asyncio.to_thread(CliRunner().invoke, cli, ["load", str(rosters)])
    assert loaded.exit_code == 0, loaded.output


def tmp_rosters(files: list[tuple[bytes, bytes]]) -> Path:
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="orgcover-test-"))
    for name, data in files:
        (folder / name.decode()).write_bytes(data)
    return folder


async def test_two_concurrent_uploads_one_loads_the_other_is_refused(
        app_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from loaders.check import RosterCheck

    entered, release = asyncio.Event(), asyncio.Event()
    real = RosterCheck.validate

    async def held(self: RosterCheck, paths: Any) -> None:
        entered.set()
        await release.wait()
        await real(self, paths)

    monkeypatch.setattr(RosterCheck, "validate", held)
    grids = [(b"\xe7\xbd\x91\xe6\xa0\xbc.csv", csv_bytes(GRIDS, ["G2,二网格,371327001001"]))]
    first = asyncio.create_task(upload(app_client, grids))
    await entered.wait()
    second = await upload(app_client, grids)
    assert second["errors"][0]["extensions"]["code"] == "LOAD_IN_PROGRESS"
    release.set()
    assert (await first)["data"]["loadRosters"]["__typename"] == "LoadResult"


async def test_a_lock_left_by_a_killed_process_is_taken_over(store: GraphStore,
                                                             tmp_path: Path) -> None:
    """A worker killed mid-load leaves the lock behind; on the same machine its process is
    seen to be gone, and the next load takes the lock at once (the journal's started
    entry, if any, is completed as before: tests/test_interrupted_load.py)."""
    import subprocess
    import sys

    from graph.repo import lock as repo
    from loaders.lock import _pid_space

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    await repo.acquire(store, holder="killed", owner=f"{_pid_space()}|{gone.pid}|1",
                       who="worker", ttl_ms=600_000)
    rosters = write_rosters(tmp_path / "r", {"regions": [["371327", "莒南县", "区县", "", ""]]})
    report = await load_rosters(store, [rosters], protector=IdProtector(None))
    assert report.counts["regions"].created == 1


async def test_a_lock_held_by_a_live_process_or_another_machine_is_respected(
        store: GraphStore, tmp_path: Path) -> None:
    from graph.repo import lock as repo
    from loaders.lock import _pid_space, _start_time

    rosters = write_rosters(tmp_path / "r", {"regions": [["371327", "莒南县", "区县", "", ""]]})
    parent = os.getppid()
    for owner in (f"{_pid_space()}|{parent}|{_start_time(parent)}",  # alive here
                  "another-machine/pid:[1]|4242|77"):  # nothing to tell: wait for expiry
        await repo.acquire(store, holder=f"held-{owner}", owner=owner, who="w",
                           ttl_ms=600_000)
        with pytest.raises(LoadInProgress):
            await load_rosters(store, [rosters], protector=IdProtector(None))
        await repo.release(store, holder=f"held-{owner}")
    await repo.acquire(store, holder="expiring", owner="another-machine/pid:[1]|4242|77",
                       who="w", ttl_ms=1)
    await asyncio.sleep(0.05)  # expired: free
    assert (await load_rosters(store, [rosters],
                               protector=IdProtector(None))).counts["regions"].created == 1


# -- uploads ---------------------------------------------------------------------------------

@pytest.mark.parametrize("app_client", [{"max_upload_files": 2}], indirect=True)
async def test_more_files_than_allowed_is_bad_user_input(
        app_client: httpx.AsyncClient) -> None:
    files = [(f"{name}.csv".encode(), b"x\n") for name in ("grids", "compounds", "regions")]
    answer = await upload(app_client, files)
    [error] = answer["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "at most 2 per load" in error["message"]
    assert "ORGCOVER_MAX_UPLOAD_FILES" in error["message"]


@pytest.mark.parametrize("name", [b"\xe7\xbd\x91\xe6\xa0\xbc\x00.csv", b"grids\x01.csv",
                                  b"grids.csv\x00.sh", b"g" * 300 + b".csv"],
                         ids=["nul", "control", "nul-before-suffix", "too-long"])
async def test_a_bad_file_name_is_bad_user_input(app_client: httpx.AsyncClient,
                                                 name: bytes) -> None:
    answer = await upload(app_client, [(name, csv_bytes(GRIDS, ["G2,二网格,371327001001"]))])
    [error] = answer["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert "\x00" not in error["message"]
    assert len(error["message"]) < 300


@pytest.mark.parametrize("app_client", [{"max_upload_bytes": 4096}], indirect=True)
async def test_uploads_over_the_byte_limit_are_refused(app_client: httpx.AsyncClient) -> None:
    body, kind = multipart([(b"grids.csv", b"x" * 5000)])
    response = await app_client.post("/graphql", content=body,
                                     headers={**PREFLIGHT, "content-type": kind})
    assert response.status_code == 413  # the body is counted while it arrives (app/body.py)
    assert "ORGCOVER_MAX_UPLOAD_BYTES" in response.json()["errors"][0]["message"]


async def test_the_resolver_counts_upload_bytes_too(store: GraphStore, tmp_path: Path) -> None:
    """Uploads that do not come through the HTTP body (any other transport) are counted
    while they are read, and refused at the limit before anything is loaded."""
    from types import SimpleNamespace

    from graph.errors import BadInput
    from resolvers.access import OPERATOR
    from resolvers.rosters import load_uploads

    class Part:
        def __init__(self, name: str, size: int) -> None:
            self.filename, self.left, self.closed = name, size, False

        async def read(self, n: int) -> bytes:
            chunk = min(n, self.left)
            self.left -= chunk
            return b"x" * chunk

        async def close(self) -> None:
            self.closed = True

    app_settings = settings(tmp_path, max_upload_bytes=10_000)
    request = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(settings=app_settings)))
    ctx = SimpleNamespace(store=store, protector=IdProtector(None), caller=OPERATOR,
                          bounds=None, request=request)
    parts = [Part("grids.csv", 6000), Part("compounds.csv", 6000)]
    with pytest.raises(BadInput) as refused:
        await load_uploads(ctx, files=parts, dry_run=True,  # type: ignore[arg-type]
                           replace_scope=None)
    assert "ORGCOVER_MAX_UPLOAD_BYTES" in str(refused.value)
    assert all(part.closed for part in parts)


def _deleted_files() -> set[str]:
    """This process's open files that have no name (anonymous temporary files)."""
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.endswith("(deleted)"):
            found.add(f"{fd}:{target}")
    return found


async def test_every_temporary_file_is_gone_when_the_request_ends(
        app_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from resolvers import rosters

    before = _deleted_files()
    during: list[set[str]] = []
    real_load = load_rosters

    async def spying(store: Any, paths: list[Path], **kwargs: Any) -> Any:
        during.append(_deleted_files() - before)
        for entry in paths[0].iterdir():
            assert entry.is_symlink()  # no roster bytes under a name
        return await real_load(store, paths, **kwargs)

    monkeypatch.setattr(rosters, "load_rosters", spying)
    big = csv_bytes(GRIDS, [f"G{i},网格{i},371327001001" for i in range(60_000)])
    assert len(big) > 1 << 20  # spooled to disk by the multipart parser, not memory
    answer = await upload(app_client, [(b"grids.csv", big),
                                       (b"compounds.csv", csv_bytes(COMPOUNDS, []))],
                          dry=True)
    assert answer["data"]["loadRosters"]["__typename"] == "LoadResult"
    assert during
    assert during[0]
    assert _deleted_files() - before == set()  # and gone with the request


# -- rosters: client mistakes are row errors -----------------------------------------------

@pytest.mark.parametrize("app_client", [{"max_rows_per_file": 3}], indirect=True)
async def test_rows_past_the_per_file_limit_are_an_error_naming_file_and_limit(
        app_client: httpx.AsyncClient) -> None:
    rows = [f"G{i},网格{i},371327001001" for i in range(2, 8)]
    answer = (await upload(app_client, [(b"grids.csv", csv_bytes(GRIDS, rows))],
                           dry=True))["data"]["loadRosters"]
    assert answer["__typename"] == "ValidationFailed"
    [error] = answer["errors"]
    assert (error["file"], error["row"], error["code"]) == ("grids.csv", 5, "too_many_rows")
    assert "more than 3 rows (setting ORGCOVER_MAX_ROWS_PER_FILE)" in error["message"]


async def test_a_csv_field_over_the_csv_limit_is_a_row_error(
        app_client: httpx.AsyncClient) -> None:
    rows = ["G2,二网格,371327001001", "G3," + "长" * 131_073 + ",371327001001",
            "G4,四网格,371327001001"]
    answer = (await upload(app_client, [(b"grids.csv", csv_bytes(GRIDS, rows))],
                           dry=True))["data"]["loadRosters"]
    assert answer["__typename"] == "ValidationFailed"
    [error] = answer["errors"]
    assert (error["row"], error["code"]) == (3, "field_too_long")
    assert "longer than 131,072 characters" in error["message"]


@pytest.mark.parametrize(("lang", "words"), [("EN", "must be a whole number from 0 to 100,000"),
                                         ("ZH", "应为 0 到 100,000 之间的整数")])
async def test_counts_out_of_range_are_row_errors(app_client: httpx.AsyncClient, lang: str,
                                                  words: str) -> None:
    rows = ["C1,一小区,G1,2147483648", "C2,二小区,G1,-1", "C3,三小区,G1,100000"]
    answer = (await upload(app_client, [(b"compounds.csv", csv_bytes(COMPOUNDS, rows))],
                           dry=True, lang=lang))["data"]["loadRosters"]
    assert [(e["row"], e["column"], e["code"]) for e in answer["errors"]] == [
        (2, "户数", "int_range"), (3, "户数", "int_range")]
    assert answer["errors"][0]["message"] == words
    regions = "编码,名称,层级,上级编码,常住人口"
    buildings = "楼栋编码,楼栋名称,所属编码,楼栋类型,户数"
    answer = (await upload(app_client, [
        (b"regions.csv", csv_bytes(regions, ["371327001002,西城,社区,371327001,100000001"])),
        (b"buildings.csv", csv_bytes(buildings, ["B1,一号楼,G1,住宅,10001"]))],
        dry=True, lang=lang))["data"]["loadRosters"]
    assert sorted((e["file"], e["code"]) for e in answer["errors"]) == [
        ("buildings.csv", "int_range"), ("regions.csv", "int_range")]


# -- answers stay small ------------------------------------------------------------------------

@pytest.mark.parametrize("app_client", [{"max_problems_listed": 5}], indirect=True)
async def test_answers_list_the_first_problems_and_count_them_all(
        app_client: httpx.AsyncClient) -> None:
    rows = [f"G{i},网格{i},C{i}" for i in range(300)] + ["G-long,长," + "C" * 300]
    body, kind = multipart([(b"grids.csv", csv_bytes(GRIDS, rows))], dry=True)
    response = await app_client.post("/graphql", content=body,
                                     headers={**PREFLIGHT, "content-type": kind})
    assert len(response.content) < 8_000  # 301 errors, answered in a few kilobytes
    answer = response.json()["data"]["loadRosters"]
    assert len(answer["errors"]) == 5
    assert (answer["errorsTotal"], answer["warningsTotal"], answer["problemsTotal"]) == (
        301, 0, 301)
    assert answer["message"] == "301 error(s); nothing was written."
    assert answer["problemCounts"] == [{"severity": "error", "code": "ref_missing",
                                        "column": "所属社区编码", "count": 301}]


@pytest.mark.parametrize("app_client", [{"max_problems_listed": 3}], indirect=True)
async def test_values_are_quoted_at_most_100_characters(app_client: httpx.AsyncClient) -> None:
    code = "C" * 300
    answer = (await upload(app_client, [(b"grids.csv", csv_bytes(GRIDS, [f"G9,九,{code}"]))],
                           dry=True))["data"]["loadRosters"]
    [error] = answer["errors"]
    assert len(error["value"]) == 100
    assert error["value"].endswith("…")
    assert code[:100] not in error["message"]


@pytest.mark.parametrize("app_client", [{"max_problems_listed": 2}], indirect=True)
async def test_replace_scope_lists_the_first_removals_and_counts_them_all(
        app_client: httpx.AsyncClient) -> None:
    grids = [f"G{i},网格{i},371327001001" for i in range(1, 7)]
    assert (await upload(app_client, [(b"grids.csv", csv_bytes(GRIDS, grids))])
            )["data"]["loadRosters"]["__typename"] == "LoadResult"
    answer = (await upload(app_client, [(b"grids.csv", csv_bytes(GRIDS, grids[:1]))],
                           dry=True, scope="371327001"))["data"]["loadRosters"]
    assert answer["removedTotal"] == 5
    assert answer["removed"] == ["grids: G2", "grids: G3"]


def test_the_cli_error_file_still_holds_every_problem(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from app.cli import cli

    monkeypatch.setenv("ORGCOVER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ORGCOVER_MAX_PROBLEMS_LISTED", "5")
    monkeypatch.delenv("ORGCOVER_GRAPH_URI", raising=False)
    rosters = write_rosters(tmp_path / "bad", {"grids": [[f"G{i}", "网格", f"C{i}", ""]
                                                         for i in range(40)]})
    result = CliRunner().invoke(cli, ["load", str(rosters), "--lang", "en",
                                      "--errors-out", str(tmp_path / "errors.csv")])
    assert result.exit_code == 1
    assert "40 error(s); nothing was written." in result.output
    lines = (tmp_path / "errors.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 41  # header and every problem


# -- workbooks: zip bombs refused before openpyxl reads anything --------------------------------

def _deflated_zeros(size: int, chunk: int = 1 << 24) -> bytes:
    """A raw deflate stream of `size` zero bytes, built without producing them: one chunk
    compressed and flushed to a byte boundary (the same bytes for every chunk after it),
    repeated, then the final block. Small on disk, `size` when inflated."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = deflate.compress(b"\0" * chunk) + deflate.flush(zlib.Z_FULL_FLUSH)
    again = deflate.compress(b"\0" * chunk) + deflate.flush(zlib.Z_FULL_FLUSH)
    assert size % chunk == 0
    assert size >= 2 * chunk
    return first + again * (size // chunk - 1) + deflate.flush()


def _zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip written by hand: (name, deflated data, declared size, CRC) per member."""
    out, central = b"", b""
    for name, data, size, crc in members:
        encoded = name.encode()
        central += struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc,
                               len(data), size, len(encoded), 0, 0, 0, 0, 0, len(out))
        central += encoded
        out += struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(data),
                           size, len(encoded), 0) + encoded + data
    return out + central + struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(members),
                                       len(members), len(central), len(out), 0)


def _small(text: str) -> tuple[bytes, int, int]:
    raw = text.encode()
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    return deflate.compress(raw) + deflate.flush(), len(raw), zlib.crc32(raw)


def _workbook_with(part: str, data: bytes, declared: int) -> bytes:
    """A workbook with one sheet, 小区, whose part `part` is the given deflated stream."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    skeleton = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.'
                               'openxmlformats.org/package/2006/content-types"/>',
        "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.'
                       'openxmlformats.org/package/2006/relationships"><Relationship '
                       f'Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
                       '</Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0"?><workbook xmlns="{main}" xmlns:r="{rel}">'
                           '<sheets><sheet name="小区" sheetId="1" r:id="rId1"/></sheets>'
                           '</workbook>',
        "xl/_rels/workbook.xml.rels":
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            f'package/2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>',
    }
    members = [(name, *_small(text)) for name, text in skeleton.items()]
    members.append((part, data, declared, 0))  # the CRC is never reached
    return _zip(members)


GIB = 1 << 30
BOMBS = {
    # name: (part, inflated size, declared size, problem, in the words of the message)
    "sheet": ("xl/worksheets/sheet1.xml", 2 * GIB, 2 * GIB, "xlsx_part_too_large",
              "sheet 小区 (xl/worksheets/sheet1.xml) expands to 2,147,483,648 bytes"),
    "shared-strings": ("xl/sharedStrings.xml", 256 << 20, 256 << 20, "xlsx_part_too_large",
                       "ORGCOVER_MAX_XLSX_SHARED_STRINGS_BYTES"),
    "under-the-size-limit": ("xl/worksheets/sheet1.xml", 512 << 20, 512 << 20, "xlsx_ratio",
                             "a zip bomb?"),
    "lying-about-its-size": ("xl/worksheets/sheet1.xml", GIB, 1000, "xlsx_size_mismatch",
                             "expands beyond the 1,000 bytes it declares"),
}


@pytest.mark.parametrize("bomb", list(BOMBS))
def test_a_workbook_bomb_is_refused_fast_in_bounded_memory(tmp_path: Path, bomb: str) -> None:
    from loaders.readers import discover

    part, inflated, declared, key, words = BOMBS[bomb]
    path = tmp_path / "名册.xlsx"
    path.write_bytes(_workbook_with(part, _deflated_zeros(inflated), declared))
    assert path.stat().st_size < inflated // 500  # small on disk, huge inflated
    tracemalloc.start()
    started = time.perf_counter()
    try:
        sources, problems = discover([path], LoadLimits())
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sources == []
    [problem] = problems
    assert (problem.file, problem.key) == ("名册.xlsx", key)
    assert words in problem.text("en")
    if part.startswith("xl/worksheets/"):
        assert problem.sheet == "小区"
    assert seconds < 1.0
    assert peak < 8 << 20  # a few buffers, never the inflated part


async def test_an_uploaded_workbook_bomb_is_a_validation_failure(
        app_client: httpx.AsyncClient) -> None:
    bomb = _workbook_with("xl/worksheets/sheet1.xml", _deflated_zeros(2 * GIB), 2 * GIB)
    started = time.perf_counter()
    answer = (await upload(app_client, [("名册.xlsx".encode(), bomb)],
                           dry=True))["data"]["loadRosters"]
    assert time.perf_counter() - started < 2.0
    assert answer["__typename"] == "ValidationFailed"
    [error] = answer["errors"]
    assert (error["file"], error["sheet"], error["code"]) == (
        "名册.xlsx", "小区", "xlsx_part_too_large")


def test_a_sheet_claiming_every_column_is_read_to_its_header(tmp_path: Path) -> None:
    """A sheet may claim A1:XFD1048576: rows are read only as wide as the header."""
    from openpyxl import Workbook

    from loaders.readers import discover, read_rows

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "网格"
    sheet.append(["网格编码", "网格名称", "所属社区编码"])
    for i in range(200):
        sheet.append([f"G{i}", f"网格{i}", "371327001001"])
        sheet.cell(row=i + 2, column=16384, value="far")  # every row 16,384 cells wide
    path = tmp_path / "网格.xlsx"
    workbook.save(path)
    [source], problems = discover([path])
    started = time.perf_counter()
    rows = list(read_rows(source, problems))
    assert time.perf_counter() - started < 1.0
    assert not problems
    assert len(rows) == 200
    assert rows[0].cells == {"code": "G0", "name": "网格0",
                                                  "community_code": "371327001001"}


# -- replace scope: walked down, the same nodes as the scope predicates -------------------------

async def test_replace_scope_walk_finds_what_the_scope_owns(
        tiny_store: GraphStore) -> None:
    from graph.domain import Label
    from graph.queries import replace as rq
    from graph.queries.load import NODE_KINDS
    from graph.repo import replace as replace_repo
    from graph.repo.jurisdiction import codes_inside
    from graph.statements import compose

    scopes = [r["code"] for r in await tiny_store.read(compose(
        "test.places", "MATCH (p:Region) RETURN p.code AS code ORDER BY code"))]
    scopes.append((await tiny_store.read(compose(
        "test.a_grid", "MATCH (g:Grid) RETURN g.code AS code ORDER BY code LIMIT 1")))[0]["code"])
    for scope in scopes:
        places = await replace_repo.places_in_scope(tiny_store, scope=scope)
        for kind in NODE_KINDS:
            label = kind.key_label
            every = compose(f"test.every.{label}", f"""MATCH (n:{label.value})
                WHERE n.code <> $scope RETURN n.code AS code""")
            codes = {r["code"] for r in await tiny_store.read(every, {"scope": scope})}
            base = label if label in rq.AT_PLACE else Label.PLACE
            expected = await codes_inside(tiny_store, label=base, codes=codes, scope=scope)
            found = await replace_repo.codes_in_scope(tiny_store, kind=kind, places=places)
            assert found == expected, (scope, kind.name)
            if label in rq.AT_PLACE and scope == scopes[0]:
                assert expected  # the district holds some of every kind
