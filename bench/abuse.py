"""Benchmark: the worst requests of issue "Security II" replayed at district scale, and how
the service answers everyone else meanwhile.

    python -m bench.abuse [--scale district] [--port 8766] [--only 1,3,9 | --only 2b,4b]

Starts the embedded FalkorDB on bench/out/<scale>-http as bench/http.py does (its helper
loads the district when the store is empty, else reuses it), then `orgcover serve` on it
in a subprocess — uvicorn with the options of app/serving.py, the slow-header guard among
them — with the bench's auth secret. Each attack then runs while a prober (a process of
its own, so that building and sending an attack does not delay it) sends `/healthz` and a
one-field query (`compound(code:) { code name }`, the district admin's token) every 50 ms
each. Per attack: its own answer (status, error code or result, time to answer), the
probes' p50/p99/max, the server's RSS (/proc/<pid>/status: before, peak sampled every
50 ms or the high-water mark, after) and its anonymous temporary files. Attacks answered
at once are repeated for a few seconds so the probes see them. Prints a markdown table;
findings (a probe p99 over 200 ms, an attack answered after more than 10 s, INTERNAL or
HTTP 500, errors in the server's log, a probe that failed) are listed under it, then what
the server logged at WARNING and above (its log is kept in the data directory,
abuse-serve.log). Files built for the attacks live in one /tmp directory removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import multiprocessing
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Awaitable, Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
from graphql import parse

from app.auth.tokens import mint
from app.graphql import build_schema
from app.limits import MAX_COST, estimate
from app.serving import HEADER_TIMEOUT
from bench.http import BASELINE, BENCH_SECRET, GRAPH, HEADERS, OUT, SEARCH, _pct, _prepare
from graph.backends.embedded import EmbeddedFalkorServer
from loaders.synthetic import DISTRICT_CODE, SCALES, generate, write_csv
from tests.test_abuse_uploads import GIB, _deflated_zeros, _workbook_with

#: Seconds between two probes of each kind.
INTERVAL = 0.05
#: Attacks answered at once are repeated this long, so the probes see them.
REPEAT_SECONDS = 3.0
#: The costly-but-allowed queries (2b, 2c) are sent four at a time, round after round, this
#: long: one round (≈1.5 s) gave the probes too few samples for a p99.
COSTLY_SECONDS = 10.0
#: Findings: a probe p99 above this (ms), an attack answered after this (s).
SLOW_PROBE_MS = 200.0
SLOW_ATTACK_S = 10.0
PII_SECRET = "bench-pii-secret-" + "fedcba9876543210" * 2
ADMIN = HEADERS
LOADER = {"authorization": "Bearer " + mint(
    BENCH_SECRET, sub="bench-loader", name="bench loader", roles=["loader"],
    jurisdiction=DISTRICT_CODE, ttl_seconds=4 * 3600)}
PREFLIGHT = {"apollo-require-preflight": "1"}
BOUNDARY = "orgcover-abuse-5e1d7a"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
MUTATION = """mutation($files: [Upload!]!, $dry: Boolean!, $scope: String, $recheck: Boolean!) {
  loadRosters(files: $files, dryRun: $dry, lang: EN, replaceScope: $scope, recheck: $recheck) {
    __typename
    ... on LoadResult { counts { template rows created updated unchanged removed }
                        warningsTotal removedTotal }
    ... on ValidationFailed { message errorsTotal warningsTotal problemsTotal
                              errors { file sheet row column value code message }
                              problemCounts { severity code column count } } } }"""
MB = 1 << 20


# -- the server --------------------------------------------------------------------------------

class Api:
    """`orgcover serve` on the bench's store, in a process of its own (its RSS is its own)."""

    def __init__(self, server: EmbeddedFalkorServer, data: Path, port: int) -> None:
        self.port = port
        self.log_path = data / "abuse-serve.log"
        env = {**os.environ,
               "ORGCOVER_GRAPH_URI": f"falkordb+unix://{server.socket_path}",
               "ORGCOVER_GRAPH_NAME": GRAPH, "ORGCOVER_LOG_LEVEL": "WARNING",
               "ORGCOVER_AUTH_SECRET": BENCH_SECRET, "ORGCOVER_PII_SECRET": PII_SECRET,
               "ORGCOVER_ACCESS_LOG_DIR": str(data / "access-abuse"),
               "ORGCOVER_DATA_DIR": str(data)}
        orgcover = Path(sys.executable).with_name("orgcover")
        command = str(orgcover) if orgcover.exists() else shutil.which("orgcover")
        if command is None:
            raise SystemExit("bench.abuse: the `orgcover` command is not installed")
        self._log = self.log_path.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            [command, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
            stdout=self._log, stderr=subprocess.STDOUT)

    def status_kb(self, name: str) -> int:
        """A `kB` line of /proc/<pid>/status (VmRSS, VmHWM), 0 once the process is gone."""
        try:
            text = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return 0
        for line in text.splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
        return 0

    def temp_files(self) -> tuple[int, int]:
        """Files the server holds open that have no name (spooled uploads, spilled rows):
        how many, and their bytes."""
        count = size = 0
        fds = f"/proc/{self.process.pid}/fd"
        with contextlib.suppress(OSError):
            for fd in os.listdir(fds):
                try:
                    if os.readlink(f"{fds}/{fd}").endswith("(deleted)"):
                        count += 1
                        size += os.stat(f"{fds}/{fd}").st_size
                except OSError:
                    continue
        return count, size

    def logged(self) -> list[str]:
        """What the server logged at WARNING and above: "N× LEVEL logger: message", with
        tracebacks and lines that are not JSON counted as they come."""
        self._log.flush()
        seen: dict[str, int] = {}
        for line in self.log_path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                entry = json.loads(line)
                key = f"{entry['level']} {entry['logger']}: {entry['msg']}"[:300]
            except (ValueError, KeyError, TypeError):
                if line.startswith("orgcover: serving"):
                    continue
                key = f"(not JSON) {line}"[:300]
            seen[key] = seen.get(key, 0) + 1
        return [f"{n}× {key}" for key, n in seen.items()]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


def _tmp_used() -> int:
    stat = os.statvfs(tempfile.gettempdir())
    return (stat.f_blocks - stat.f_bfree) * stat.f_frsize


# -- the prober (a process of its own) ----------------------------------------------------------

def _prober(conn: Connection, base: str, code: str) -> None:
    asyncio.run(_probing(conn, base, code))


async def _probing(conn: Connection, base: str, code: str) -> None:
    """Waits for "start", probes until "stop", sends the latencies back; "quit" ends it."""
    body = {"query": BASELINE, "variables": {"c": code}}
    async with httpx.AsyncClient(base_url=base, timeout=60) as health, \
            httpx.AsyncClient(base_url=base, timeout=60, headers=ADMIN) as graph:
        while conn.recv() != "quit":
            stop = asyncio.Event()
            times: dict[str, list[float]] = {"healthz": [], "query": []}
            failures: list[str] = []

            async def probe(kind: str, send: Callable[[], Awaitable[httpx.Response]],
                            stop: asyncio.Event = stop, times: dict[str, list[float]] = times,
                            failures: list[str] = failures) -> None:
                while not stop.is_set():
                    started = time.perf_counter()
                    try:
                        response = await send()
                        if response.status_code != 200 or (
                                kind == "query" and response.json().get("errors")):
                            failures.append(f"{kind}: HTTP {response.status_code} "
                                            f"{response.text[:160]}")
                    except (httpx.HTTPError, ValueError) as exc:
                        failures.append(f"{kind}: {type(exc).__name__}: {exc}"[:200])
                    elapsed = time.perf_counter() - started
                    times[kind].append(elapsed * 1000)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), max(0.0, INTERVAL - elapsed))

            async def watch(stop: asyncio.Event = stop) -> None:
                await asyncio.to_thread(conn.recv)  # "stop"
                stop.set()

            conn.send("started")
            await asyncio.gather(probe("healthz", lambda: health.get("/healthz")),
                                 probe("query", lambda: graph.post("/graphql", json=body)),
                                 watch())
            conn.send({"times": times, "failures": failures})


@dataclass
class Window:
    """What was seen while one attack ran."""

    probes: dict[str, list[float]]
    failures: list[str]
    rss_before: float
    rss_peak: float
    rss_after: float
    temp_peak: tuple[int, int]
    temp_after: tuple[int, int]
    tmp_before: int
    tmp_after: int

    def stats(self, kind: str) -> str:
        values = self.probes[kind]
        if not values:
            return "—"
        return (f"{_pct(values, 50):.0f} / {_pct(values, 99):.0f} / {max(values):.0f} "
                f"(n={len(values)})")

    def memory(self) -> str:
        return (f"RSS {self.rss_before:.0f} → peak {self.rss_peak:.0f} → "
                f"{self.rss_after:.0f} MB")

    def temp(self) -> str:
        used = _signed_mb(self.tmp_after - self.tmp_before)
        return (f"server's unnamed temp files: peak {self.temp_peak[0]} "
                f"({self.temp_peak[1] / MB:,.0f} MB), after {self.temp_after[0]}; "
                f"/tmp filesystem used {used}")


def _signed_mb(delta: int) -> str:
    return f"{'+' if delta >= 0 else '−'}{abs(delta) / MB:.0f} MB"


class Prober:
    def __init__(self, base: str, code: str) -> None:
        spawn = multiprocessing.get_context("spawn")
        self.conn, child = spawn.Pipe()
        self.process = spawn.Process(target=_prober, args=(child, base, code), daemon=True)
        self.process.start()

    async def window(self, api: Api, attack: Awaitable[Any]) -> tuple[Any, Window]:
        rss_before = api.status_kb("VmRSS") / 1024
        hwm_before = api.status_kb("VmHWM")
        tmp_before = _tmp_used()
        peak = [rss_before, 0.0, 0.0]
        temp_peak = (0, 0)
        done = asyncio.Event()

        async def sample() -> None:
            nonlocal temp_peak
            while not done.is_set():
                peak[0] = max(peak[0], api.status_kb("VmRSS") / 1024)
                files = api.temp_files()
                if files[1] > temp_peak[1] or files[0] > temp_peak[0]:
                    temp_peak = (max(files[0], temp_peak[0]), max(files[1], temp_peak[1]))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), INTERVAL)

        self.conn.send("start")
        await asyncio.to_thread(self.conn.recv)
        sampler = asyncio.create_task(sample())
        try:
            result = await attack
        finally:
            done.set()
            await sampler
            self.conn.send("stop")
            reply = await asyncio.to_thread(self.conn.recv)
        hwm_after = api.status_kb("VmHWM")
        if hwm_after > hwm_before:  # a new high-water mark: the true peak of this window
            peak[0] = max(peak[0], hwm_after / 1024)
        await asyncio.sleep(0.2)  # what the server gives back once the request ends
        return result, Window(reply["times"], reply["failures"], rss_before, peak[0],
                              api.status_kb("VmRSS") / 1024, temp_peak, api.temp_files(),
                              tmp_before, _tmp_used())

    def quit(self) -> None:
        self.conn.send("quit")
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.terminate()


# -- requests and their answers ----------------------------------------------------------------

#: Every answer seen that is INTERNAL or an HTTP 5xx: (attack, answer).
INTERNAL: list[tuple[str, str]] = []


@dataclass
class Reply:
    status: int
    body: bytes
    seconds: float
    sent: int = 0
    problem: str = ""

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def describe(self) -> str:
        if self.status == 0:
            return f"no answer ({self.problem or 'connection closed'})"
        answer = self.json()
        if not isinstance(answer, dict):
            return f"HTTP {self.status} (not JSON: {self.body[:60]!r})"
        codes = sorted({str((e.get("extensions") or {}).get("code"))
                        for e in answer.get("errors") or []})
        data = answer.get("data") or {}
        load = data.get("loadRosters") if isinstance(data, dict) else None
        if isinstance(load, dict):
            if load["__typename"] == "ValidationFailed":
                first = (load.get("errors") or [{}])[0]
                where = first.get("file", "?") + (f", sheet {first['sheet']}"
                                                  if first.get("sheet") else "")
                return (f"{self.status} ValidationFailed: {load['errorsTotal']:,} error(s), "
                        f"{first.get('code')} ({where})")
            rows, new, updated, same = (sum(c[k] for c in load["counts"]) for k in (
                "rows", "created", "updated", "unchanged"))
            return (f"{self.status} LoadResult (dry run): {rows:,} rows ({new:,} new, "
                    f"{updated:,} updated, {same:,} unchanged), "
                    f"{load['removedTotal']:,} removals")
        if codes:
            return f"{self.status} {', '.join(codes)}"
        return f"{self.status} data"


def _flag(attack: str, replies: Iterable[Reply]) -> None:
    for reply in replies:
        text = reply.describe()
        if reply.status >= 500 or "INTERNAL" in text:
            INTERNAL.append((attack, f"{text}: {reply.body[:300]!r}"))


async def _post(client: httpx.AsyncClient, content: bytes, headers: dict[str, str],
                patience: float = 300) -> Reply:
    started = time.perf_counter()
    try:
        response = await client.post("/graphql", content=content, headers=headers,
                                     timeout=patience)
    except httpx.HTTPError as exc:
        return Reply(0, b"", time.perf_counter() - started,
                     problem=f"{type(exc).__name__}: {exc}"[:120])
    return Reply(response.status_code, response.content, time.perf_counter() - started)


def _json_body(query: str, variables: dict[str, Any] | None = None) -> bytes:
    return json.dumps({"query": query, "variables": variables or {}},
                      ensure_ascii=False).encode()


async def _graphql(client: httpx.AsyncClient, query: str,
                   variables: dict[str, Any] | None = None) -> Reply:
    return await _post(client, _json_body(query, variables),
                       {**ADMIN, "content-type": "application/json"})


#: Threads for `_raw` (two per request: one sends, one reads).
RAW_THREADS = ThreadPoolExecutor(max_workers=100, thread_name_prefix="raw")


async def _raw(port: int, head: bytes, body: Iterable[bytes], *, chunked: bool,
               patience: float = 120) -> Reply:
    """One request on a socket of its own: the body is written while the answer is read,
    so an answer that comes before the body ends (413) is seen, and sending stops. Blocking
    sockets in threads: asyncio's streams drop an answer already received when the write
    side fails first (the server closes a connection whose body it will not read)."""
    return await asyncio.get_running_loop().run_in_executor(
        RAW_THREADS, _raw_blocking, port, head, body, chunked, patience)


def _raw_blocking(port: int, head: bytes, body: Iterable[bytes], chunked: bool,
                  patience: float) -> Reply:
    started = time.perf_counter()
    sock = socket.create_connection(("127.0.0.1", port), timeout=patience)
    answered = threading.Event()
    sent = 0

    def send() -> None:
        nonlocal sent
        with contextlib.suppress(OSError):
            sock.sendall(head)
            for chunk in body:
                if answered.is_set():
                    return
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
                sent += len(chunk)
            if chunked:
                sock.sendall(b"0\r\n\r\n")

    sender = RAW_THREADS.submit(send)
    received, problem = bytearray(), ""
    try:
        while _parsed_response(received) is None:
            piece = sock.recv(1 << 16)
            if not piece:
                break
            received += piece
    except OSError as exc:  # a reset after the answer still leaves what was received
        problem = f"{type(exc).__name__} {exc}"[:120]
    seconds = time.perf_counter() - started
    answered.set()
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)  # wakes a sender blocked in sendall
    sender.result()
    sock.close()
    parsed = _parsed_response(received, eof=True)
    if parsed is None:
        return Reply(0, bytes(received), seconds, sent, problem or "closed without an answer")
    return Reply(parsed[0], parsed[1], seconds, sent)


def _parsed_response(data: bytearray, eof: bool = False) -> tuple[int, bytes] | None:
    """(status, body) once `data` holds a whole response (by its length, its chunks, or
    the end of the connection)."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = bytes(data[:end]).decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}
    body = bytes(data[end + 4:])
    if "content-length" in headers:
        length = int(headers["content-length"])
        return (status, body[:length]) if len(body) >= length else None
    if "chunked" not in headers.get("transfer-encoding", ""):
        return (status, body) if eof else None
    out, at = b"", 0
    while (line_end := body.find(b"\r\n", at)) >= 0:
        size = int(body[at:line_end].split(b";")[0], 16)
        if size == 0:
            return status, out
        if len(body) < line_end + 2 + size:
            return None
        out += body[line_end + 2:line_end + 2 + size]
        at = line_end + 4 + size
    return None


def _head(length: int | None, content_type: str, headers: dict[str, str]) -> bytes:
    lines = ["POST /graphql HTTP/1.1", "host: 127.0.0.1", f"content-type: {content_type}",
             *(f"{k}: {v}" for k, v in headers.items()),
             f"content-length: {length}" if length is not None else "transfer-encoding: chunked"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _multipart(files: Iterable[tuple[str, Iterable[bytes]]], count: int, *, dry: bool = True,
               scope: str | None = None, recheck: bool = False) -> Iterator[bytes]:
    """A GraphQL multipart request, a piece at a time (`count` files)."""
    operations = {"query": MUTATION, "variables": {
        "files": [None] * count, "dry": dry, "scope": scope, "recheck": recheck}}
    mapping = {str(i): [f"variables.files.{i}"] for i in range(count)}
    for name, value in (("operations", operations), ("map", mapping)):
        yield (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
               f"{json.dumps(value)}\r\n").encode()
    for i, (filename, chunks) in enumerate(files):
        yield (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{i}"; '
               f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
               ).encode()
        yield from chunks
        yield b"\r\n"
    yield f"--{BOUNDARY}--\r\n".encode()


async def _upload(client: httpx.AsyncClient, files: list[tuple[str, bytes]], *,
                  headers: dict[str, str] = LOADER, **options: Any) -> Reply:
    body = b"".join(_multipart(((n, [d]) for n, d in files), len(files), **options))
    return await _post(client, body, {**headers, **PREFLIGHT, "content-type": MULTIPART})


@dataclass
class Outcome:
    """An attack's own answer and what to note about it."""

    answer: str
    seconds: str
    notes: list[str] = field(default_factory=list)
    elapsed: float = 0.0  # the longest answer, for the findings
    replies: list[Reply] = field(default_factory=list)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def _answers(replies: list[Reply]) -> str:
    seen: dict[str, int] = {}
    for reply in replies:
        seen[reply.describe()] = seen.get(reply.describe(), 0) + 1
    if len(replies) == 1:
        return next(iter(seen))
    return "; ".join(f"{n}× {text}" for text, n in seen.items())


def _timing(replies: list[Reply]) -> str:
    times = [r.seconds for r in replies]
    if len(times) == 1:
        return _ms(times[0])
    kinds: dict[str, list[float]] = {}
    for reply in replies:
        kinds.setdefault(reply.describe().split(":")[0], []).append(reply.seconds)
    if 1 < len(kinds) <= 3:  # different answers: each its own time
        return "; ".join(f"{kind}: {', '.join(_ms(t) for t in sorted(ts)[:4])}"
                         for kind, ts in kinds.items())
    return f"median {_ms(statistics.median(times))}, max {_ms(max(times))} (n={len(times)})"


async def _repeated(name: str, make: Callable[[], Awaitable[Reply]],
                    seconds: float = REPEAT_SECONDS) -> Outcome:
    """The same attack again and again for `seconds`, one at a time."""
    replies: list[Reply] = []
    deadline = time.perf_counter() + seconds
    while not replies or time.perf_counter() < deadline:
        replies.append(await make())
    _flag(name, replies)
    return Outcome(_answers(replies), _timing(replies), [], max(r.seconds for r in replies),
                   replies)


async def _together(name: str, makes: list[Awaitable[Reply]]) -> Outcome:
    return await _rounds(name, lambda: makes, 0)


async def _rounds(name: str, make: Callable[[], list[Awaitable[Reply]]],
                  seconds: float) -> Outcome:
    """Requests sent together, in rounds again and again for `seconds` (at least one)."""
    replies: list[Reply] = []
    deadline = time.perf_counter() + seconds
    while not replies or time.perf_counter() < deadline:
        replies += await asyncio.gather(*make())
    _flag(name, replies)
    return Outcome(_answers(replies), _timing(replies), [], max(r.seconds for r in replies),
                   replies)


# -- the attacks --------------------------------------------------------------------------------

@dataclass
class Bench:
    api: Api
    client: httpx.AsyncClient
    work: Path
    rosters: Path
    person: str
    community: str

    @property
    def port(self) -> int:
        return self.api.port


@dataclass
class Attack:
    """`prepare` builds what the attack sends (in a thread, before the probes start);
    `run` sends it while they run."""

    number: str
    name: str
    run: Callable[[Bench, Any], Awaitable[Outcome]]
    prepare: Callable[[Bench], Any] | None = None


def _nested(first: int) -> str:
    inner = "code"
    for _ in range(4):
        inner = f"partyOrg {{ members(first: {first}) {{ nodes {{ {inner} }} }} }}"
    return f"query($c: String!) {{ person(code: $c) {{ {inner} }} }}"


def _wide(buildings: int) -> str:
    return ("{ compounds(first: 500) { totalCount nodes { code name grid { code name } "
            f"coveringPartyOrgs {{ code name }} buildings(first: {buildings}) {{ nodes {{ "
            "code name buildingChiefs { code name phone } memberHouseholds { code name } "
            "} } } } }")


def _costliest(make: Callable[[int], str], variables: dict[str, Any]) -> tuple[str, int, int]:
    """The query of the largest argument (1…500) estimated at most MAX_COST."""
    schema = build_schema()._schema
    best = (make(1), 1, estimate(schema, parse(make(1)), None, variables))
    for n in range(2, 501):
        cost = estimate(schema, parse(make(n)), None, variables)
        if cost > MAX_COST:
            break
        best = (make(n), n, cost)
    return best


async def search_80k(b: Bench, text: str) -> Outcome:
    out = await _repeated("1", lambda: _graphql(b.client, SEARCH, {"t": text}))
    out.notes.append(f"body {len(_json_body(SEARCH, {'t': text})) / 1000:,.0f} KB")
    return out


async def nested_members(b: Bench, _: Any) -> Outcome:
    query = _nested(30)
    out = await _repeated("2a", lambda: _graphql(b.client, query, {"c": b.person}))
    answer = (await _graphql(b.client, query, {"c": b.person})).json() or {}
    extensions = (answer.get("errors") or [{}])[0].get("extensions", {})
    out.notes.append(f"person {b.person}; estimate {extensions.get('cost', 0):,}, "
                     f"limit {extensions.get('limit', MAX_COST):,}")
    return out


def _under_limit(make: Callable[[int], str], variables: dict[str, Any],
                 what: str, label: str) -> Callable[[Bench, Any], Awaitable[Outcome]]:
    async def run(b: Bench, prepared: tuple[str, int, int]) -> Outcome:
        query, n, cost = prepared
        out = await _rounds(label, lambda: [_graphql(b.client, query, variables)
                                            for _ in range(4)], COSTLY_SECONDS)
        sizes = sorted(len(r.body) for r in out.replies)
        start = f" from person {variables['c']}" if variables else ""
        out.notes.append(f"4 at once, in rounds for {COSTLY_SECONDS:g} s; "
                         f"{what.format(n=n)}{start}, estimate {cost:,} ≤ {MAX_COST:,}; "
                         f"answer {sizes[-1] / 1000:,.0f} KB")
        return out
    return run


def _bombs() -> dict[str, tuple[Callable[[], bytes], str]]:
    sheet, strings = "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"
    return {
        "a ≈70 KB workbook whose sheet XML inflates to 64 MiB (declared; ratio ≈1,000)":
            (lambda: _workbook_with(sheet, _deflated_zeros(64 * MB, MB), 64 * MB),
             "deflate tops out at ≈1,030:1, so a 75 KB part inflates to ≈75 MB at most; "
             "3b–3d are the GiB ones"),
        "a sheet declaring 1,000 bytes, inflating to 2 GiB":
            (lambda: _workbook_with(sheet, _deflated_zeros(2 * GIB), 1000), "a forged size"),
        "a sheet of 2 GiB (declared)":
            (lambda: _workbook_with(sheet, _deflated_zeros(2 * GIB), 2 * GIB), ""),
        "a shared-strings table of 256 MiB":
            (lambda: _workbook_with(strings, _deflated_zeros(256 * MB), 256 * MB), ""),
    }


def _built(build: Callable[[], bytes]) -> Callable[[Bench], bytes]:
    return lambda _: build()


def _bomb(note: str) -> Callable[[Bench, Any], Awaitable[Outcome]]:
    async def run(b: Bench, data: bytes) -> Outcome:
        out = await _repeated("3", lambda: _upload(b.client, [("名册.xlsx", data)]))
        out.notes.append(f"file {len(data) / 1000:,.0f} KB" + (f"; {note}" if note else ""))
        return out
    return run


def _district_files(b: Bench) -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted(b.rosters.glob("*.csv"))]


async def district_dry_run(b: Bench, files: list[tuple[str, bytes]]) -> Outcome:
    out = await _together("4a", [_upload(b.client, files, recheck=True)])
    out.notes.append(f"{len(files)} files, {sum(len(d) for _, d in files) / MB:,.0f} MB, "
                     "recheck: true; the server's PII key is not the one the store was "
                     "loaded with, so people with an ID number diff as updated")
    return out


#: Excel's last row is 1,048,576, the header's included.
EXCEL_ROWS = 1_048_575
GRID_HEADER = ("网格编码", "网格名称", "所属社区编码")


def _big_workbook(b: Bench) -> tuple[bytes, float, int]:
    """A 网格 workbook of EXCEL_ROWS new grids in one community: openpyxl writes the
    skeleton, the sheet is streamed in by hand (inline strings, no cell references — both
    as the format allows). (bytes, seconds to build, bytes inflated)"""
    from openpyxl import Workbook

    started = time.perf_counter()
    skeleton, path = b.work / "skeleton.xlsx", b.work / "网格.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "网格"
    sheet.append(list(GRID_HEADER))
    workbook.save(skeleton)

    def cell(text: str) -> str:
        return f'<c t="inlineStr"><is><t>{text}</t></is></c>'

    community = b.community
    with zipfile.ZipFile(skeleton) as source, zipfile.ZipFile(
            path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        for info in source.infolist():
            if not info.filename.startswith("xl/worksheets/sheet"):
                out.writestr(info, source.read(info.filename))
                continue
            with out.open(info.filename, "w", force_zip64=True) as fh:
                fh.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                         b'<worksheet xmlns="http://schemas.openxmlformats.org/'
                         b'spreadsheetml/2006/main"><sheetData>')
                fh.write(("<row>" + "".join(map(cell, GRID_HEADER)) + "</row>").encode())
                for start in range(1, EXCEL_ROWS + 1, 10_000):
                    fh.write("".join(
                        f"<row>{cell(f'{community}X{i:07d}')}{cell(f'大网格{i}')}"
                        f"{cell(community)}</row>"
                        for i in range(start, min(start + 10_000, EXCEL_ROWS + 1))).encode())
                fh.write(b"</sheetData></worksheet>")
    with zipfile.ZipFile(path) as archive:
        inflated = sum(i.file_size for i in archive.infolist())
    data = path.read_bytes()
    skeleton.unlink()
    path.unlink()
    return data, time.perf_counter() - started, inflated


async def million_rows(b: Bench, prepared: tuple[bytes, float, int]) -> Outcome:
    data, built, inflated = prepared
    out = await _together("4b", [_upload(b.client, [("网格.xlsx", data)])])
    out.notes.append(f"{EXCEL_ROWS:,} grid rows, xlsx {len(data) / MB:,.1f} MB "
                     f"({inflated / MB:,.0f} MB inflated), built in {built:.0f} s")
    return out


FILE_COUNT, FILE_SIZE = 1000, 1_100_000
GRID_LINE = b"371327999G01,x,371327001001\n"


def _grid_file(size: int) -> bytes:
    header = (",".join(GRID_HEADER) + "\n").encode()
    return header + GRID_LINE * ((size - len(header)) // len(GRID_LINE))


def _many_files(data: bytes) -> Iterator[bytes]:
    return _multipart(((f"grids{i}.csv", [data]) for i in range(FILE_COUNT)), FILE_COUNT)


async def many_files_chunked(b: Bench, _: Any) -> Outcome:
    data = _grid_file(FILE_SIZE)
    head = _head(None, MULTIPART, {**LOADER, **PREFLIGHT})
    reply = await _raw(b.port, head, _many_files(data), chunked=True)
    _flag("5a", [reply])
    return Outcome(reply.describe(), _ms(reply.seconds), [
        f"{FILE_COUNT:,} files × {len(data) / 1e6:.1f} MB, chunked (no length): answered after "
        f"{reply.sent / MB:,.0f} of {FILE_COUNT * len(data) / MB:,.0f} MB"], reply.seconds)


async def many_files_declared(b: Bench, _: Any) -> Outcome:
    data = _grid_file(FILE_SIZE)
    length = sum(len(piece) for piece in _many_files(data))
    head = _head(length, MULTIPART, {**LOADER, **PREFLIGHT})
    out = await _repeated("5b", lambda: _raw(b.port, head, _many_files(data), chunked=False))
    out.notes.append(f"Content-Length {length / MB:,.0f} MB declared; at most "
                     f"{max(r.sent for r in out.replies) / MB:,.1f} MB sent before the answer")
    return out


async def many_small_files(b: Bench, _: Any) -> Outcome:
    data = _grid_file(1000)
    files = [(f"grids{i}.csv", data) for i in range(FILE_COUNT)]
    out = await _repeated("5c", lambda: _upload(b.client, files))
    out.notes.append(f"{FILE_COUNT:,} files × {len(data):,} bytes")
    return out


async def replace_scope(b: Bench, _: Any) -> Outcome:
    lines = (b.rosters / "人员.csv").read_bytes().splitlines(keepends=True)
    roster = [("人员.csv", lines[0] + lines[1])]
    out = await _together("6", [_upload(b.client, roster, headers=ADMIN, scope=DISTRICT_CODE)
                                for _ in range(2)])
    out.notes.append(f"both at once: replaceScope {DISTRICT_CODE} (the district), admin token")
    return out


def _query_with_string(i: int, size: int) -> bytes:
    """A distinct query whose text carries a string literal of `size` bytes."""
    query = f'query Q{i} {{ search(text: "{i:04d}{"x" * size}", first: 1) {{ totalCount }} }}'
    return json.dumps({"query": query}).encode()


async def five_mb_queries(b: Bench, bodies: list[bytes]) -> Outcome:
    async def one(body: bytes) -> Reply:
        head = _head(len(body), "application/json", ADMIN)
        return await _raw(b.port, head, [body[j:j + MB] for j in range(0, len(body), MB)],
                          chunked=False)
    out = await _together("7a", [one(body) for body in bodies])
    out.notes.append("40 distinct queries × 5 MB, all at once, Content-Length declared")
    return out


async def just_under_queries(b: Bench, bodies: list[bytes]) -> Outcome:
    headers = {**ADMIN, "content-type": "application/json"}
    out = await _together("7b", [_post(b.client, body, headers) for body in bodies])
    out.notes.append(f"40 distinct queries × {len(bodies[0]):,} bytes (the body limit is "
                     f"{1 << 20:,}), all at once: each parsed, none cached")
    return out


def _huge_body(chunked: bool) -> Callable[[Bench, Any], Awaitable[Outcome]]:
    async def run(b: Bench, _: Any) -> Outcome:
        piece = b"x" * MB
        body = [b'{"query": "', *([piece] * 100), b'"}']
        head = _head(None if chunked else sum(map(len, body)), "application/json", ADMIN)
        out = await _repeated("7", lambda: _raw(b.port, head, body, chunked=chunked))
        how = "chunked, no length" if chunked else "Content-Length declared"
        out.notes.append(f"{how}; at most {max(r.sent for r in out.replies) / MB:,.1f} MB "
                         "sent before the answer")
        return out
    return run


def _bad_references(_: Bench) -> bytes:
    rows, size, i = [",".join(GRID_HEADER)], 0, 0
    while size < 15 * MB:
        i += 1
        rows.append(f"{DISTRICT_CODE}998{i:07d}G01,坏网格{i},{DISTRICT_CODE}998{i:07d}")
        size += len(rows[-1].encode()) + 1
    return ("\n".join(rows) + "\n").encode()


async def error_report(b: Bench, data: bytes) -> Outcome:
    out = await _together("8", [_upload(b.client, [("网格.csv", data)])])
    reply = out.replies[0]
    answer = ((reply.json() or {}).get("data") or {}).get("loadRosters") or {}
    rows = data.count(b"\n") - 1
    out.notes.append(f"{rows:,} rows, {len(data) / MB:.1f} MB; answer "
                     f"{len(reply.body) / 1000:,.0f} KB listing "
                     f"{len(answer.get('errors') or []):,} of "
                     f"{answer.get('errorsTotal', 0):,} errors")
    return out


async def slow_headers(b: Bench, _: Any) -> Outcome:
    request = b"GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: " + b"a" * 200
    seconds, connections, every = 30.0, 50, 2.0

    async def slow() -> float | None:
        reader, writer = await asyncio.open_connection("127.0.0.1", b.port)
        started = time.perf_counter()
        try:
            for k in range(int(seconds / every)):
                writer.write(request[k:k + 1])
                await writer.drain()
                try:
                    async with asyncio.timeout(every):
                        if await reader.read(1) == b"":
                            return time.perf_counter() - started
                except TimeoutError:
                    continue
            return None
        except OSError:
            return time.perf_counter() - started
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    closed = await asyncio.gather(*(slow() for _ in range(connections)))
    cut = sorted(c for c in closed if c is not None)
    answer = f"{len(cut)}/{connections} connections closed by the server"
    timing = (f"closed after {cut[0]:.1f}–{cut[-1]:.1f} s (median "
              f"{statistics.median(cut):.1f} s)" if cut else f"none closed in {seconds:.0f} s")
    return Outcome(answer, timing, [f"1 byte every {every:.0f} s for up to {seconds:.0f} s; "
                                    f"header timeout {HEADER_TIMEOUT:.0f} s"],
                   0.0)  # the attacker's own pace, not an answer


def _attacks(b: Bench) -> list[Attack]:
    text = "".join(chr(0x4E00 + (i * 7919) % 20_000) for i in range(80_000))
    person = {"c": b.person}
    attacks = [
        Attack("1", "1. `search` with 80,000 Chinese characters",
               search_80k, lambda _: text),
        Attack("2", "2a. person → partyOrg → members(first: 30), four levels",
               nested_members),
        Attack("2", "2b. the same nesting at the largest `first` under the cost limit",
               _under_limit(_nested, person, "members(first: {n}) ×4 levels", "2b"),
               lambda _: _costliest(_nested, person)),
        Attack("2", "2c. compounds(first: 500) with nested buildings, chiefs, households",
               _under_limit(_wide, {}, "buildings(first: {n}) per compound", "2c"),
               lambda _: _costliest(_wide, {})),
    ]
    for i, (name, (build, note)) in enumerate(_bombs().items()):
        attacks.append(Attack("3", f"3{'abcd'[i]}. xlsx bomb: {name}", _bomb(note),
                              _built(build)))
    attacks += [
        Attack("4", "4a. the district's rosters as one upload, dry run", district_dry_run,
               _district_files),
        Attack("4", f"4b. a {EXCEL_ROWS:,}-row xlsx, dry run", million_rows, _big_workbook),
        Attack("5", f"5a. {FILE_COUNT:,} files × 1.1 MB in one upload, streamed",
               many_files_chunked),
        Attack("5", f"5b. {FILE_COUNT:,} files × 1.1 MB, Content-Length declared",
               many_files_declared),
        Attack("5", f"5c. {FILE_COUNT:,} files × 1 KB in one upload", many_small_files),
        Attack("6", "6. two replaceScope dry runs of a 1-row people roster over the district",
               replace_scope),
        Attack("7", "7a. 40 distinct queries each carrying a 5 MB string", five_mb_queries,
               lambda _: [_query_with_string(i, 5 * MB) for i in range(40)]),
        Attack("7", "7b. 40 distinct queries of just under 1 MB (the most the limit allows)",
               just_under_queries,
               lambda _: [_query_with_string(i, (1 << 20) - 200) for i in range(40)]),
        Attack("7", "7c. one 100 MB body, Content-Length declared", _huge_body(False)),
        Attack("7", "7d. one 100 MB body, chunked", _huge_body(True)),
        Attack("8", "8. error report of a 15 MB CSV of bad references", error_report,
               _bad_references),
        Attack("9", "9. 50 slow clients, one header byte every 2 s", slow_headers),
    ]
    return attacks


# -- the run --------------------------------------------------------------------------------------

@dataclass
class Row:
    attack: str
    outcome: Outcome
    window: Window


def _member_of_largest_party_org(rosters: Path) -> str:
    """A person of the party org with the most members (the nested query's start)."""
    members: dict[str, list[str]] = {}
    with (rosters / "人员.csv").open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["所在党组织编码"]:
                members.setdefault(row["所在党组织编码"], []).append(row["人员编号"])
    return max(members.values(), key=len)[0]


async def _wait_ready(client: httpx.AsyncClient, api: Api) -> None:
    for _ in range(600):
        if api.process.poll() is not None:
            raise SystemExit(f"bench.abuse: orgcover serve exited; see {api.log_path}")
        with contextlib.suppress(httpx.HTTPError):
            if (await client.get("/readyz")).status_code == 200:
                return
        await asyncio.sleep(0.1)
    raise SystemExit(f"bench.abuse: orgcover serve not ready in 60 s; see {api.log_path}")


async def _warm_up(b: Bench) -> None:
    """What a process does once (imports, thread pools, plan caches) is not measured."""
    await _graphql(b.client, BASELINE, {"c": "none"})
    await _upload(b.client, [("网格.csv", _grid_file(200))])


async def main(scale: str, port: int, only: set[str] | None) -> None:
    data = OUT / f"{scale}-http"
    started = time.perf_counter()
    server, samples, note = await _prepare(data, scale, None)
    rows: list[Row] = []
    work = Path(tempfile.mkdtemp(prefix="orgcover-abuse-"))
    api: Api | None = None
    prober: Prober | None = None
    try:
        rosters = OUT / f"{scale}-rosters"
        if not (rosters / "人员.csv").exists():
            await asyncio.to_thread(write_csv, generate(SCALES[scale]), rosters)
        api = Api(server, data, port)
        base = f"http://127.0.0.1:{port}"
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
        async with httpx.AsyncClient(base_url=base, timeout=300, limits=limits) as client:
            await _wait_ready(client, api)
            person = await asyncio.to_thread(_member_of_largest_party_org, rosters)
            bench = Bench(api, client, work, rosters, person, samples.communities[0])
            await _warm_up(bench)
            prober = Prober(base, samples.compounds[0]["code"])

            async def idle() -> Outcome:
                await asyncio.sleep(REPEAT_SECONDS)
                return Outcome("—", "—")
            _, window = await prober.window(api, idle())
            rows.append(Row("0. baseline: no attack", Outcome("—", "—"), window))
            for attack in _attacks(bench):
                if only is not None and attack.number not in only \
                        and attack.name.split(".", 1)[0] not in only:
                    continue
                print(f"… {attack.name}", file=sys.stderr, flush=True)
                prepared = (await asyncio.to_thread(attack.prepare, bench)
                            if attack.prepare else None)
                try:
                    outcome, window = await prober.window(api, attack.run(bench, prepared))
                except Exception as exc:  # a bench error is a row too
                    outcome = Outcome(f"bench error: {type(exc).__name__}: {exc}"[:200], "—")
                    window = Window({"healthz": [], "query": []}, [], 0, 0, 0, (0, 0), (0, 0),
                                    0, 0)
                del prepared
                rows.append(Row(attack.name, outcome, window))
                _print_row(rows[-1], file=sys.stderr)
        logged = api.logged()
    finally:
        if prober is not None:
            prober.quit()
        if api is not None:
            api.stop()
        await server.stop()
        shutil.rmtree(work, ignore_errors=True)
    _report(rows, scale, note, logged, time.perf_counter() - started, api)


HEADER = ("| attack | answer | time to answer | /healthz p50/p99/max ms | "
          "one-field p50/p99/max ms | notes (RSS, sizes) |")


def _print_row(row: Row, file: Any = None) -> None:
    w = row.window
    notes = [*row.outcome.notes]
    if w.rss_before:
        notes.append(w.memory())
        if w.temp_peak[0] or w.temp_after[0]:
            notes.append(w.temp())
    if w.failures:
        notes.append(f"{len(w.failures)} probe(s) failed: {w.failures[0]}")
    cells = [row.attack, row.outcome.answer, row.outcome.seconds, w.stats("healthz"),
             w.stats("query"), "; ".join(notes)]
    print("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |", file=file)


def _report(rows: list[Row], scale: str, note: str, logged: list[str], seconds: float,
            api: Api | None) -> None:
    print(f"\n{scale}: {note}; {platform.node()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M')}; whole run "
          f"{seconds:.0f} s")
    print("`orgcover serve` (one process, uvicorn with app/serving.py's options) on the "
          "embedded FalkorDB; probes every 50 ms from a process of their own: /healthz, and "
          "`compound(code:) { code name }` with the district admin's token. Attacks with "
          "uploads use a loader token (replaceScope: admin).\n")
    print(HEADER)
    print("|---|---|---|---:|---:|---|")
    for row in rows:
        _print_row(row)
    findings = []
    for row in rows:
        for kind, label in (("healthz", "/healthz"), ("query", "one-field query")):
            values = row.window.probes[kind]
            if values and _pct(values, 99) > SLOW_PROBE_MS:
                findings.append(f"{row.attack}: {label} p99 {_pct(values, 99):.0f} ms "
                                f"(max {max(values):.0f} ms, {len(values)} probes)")
        if row.outcome.elapsed > SLOW_ATTACK_S:
            findings.append(f"{row.attack}: answered after {row.outcome.elapsed:.1f} s")
        if row.window.failures:
            findings.append(f"{row.attack}: {len(row.window.failures)} probe(s) failed, "
                            f"first: {row.window.failures[0]}")
    findings += [f"{attack}: INTERNAL / HTTP 5xx: {text}" for attack, text in INTERNAL]
    findings += [f"the server logged {line}" for line in logged
                 if " ERROR " in line or " CRITICAL " in line or "(not JSON)" in line]
    print("\nFindings:" if findings else "\nFindings: none (no probe p99 over "
          f"{SLOW_PROBE_MS:.0f} ms, no attack answered after {SLOW_ATTACK_S:.0f} s, no "
          "INTERNAL or 5xx, no error in the server's log).")
    for finding in findings:
        print(f"- {finding}")
    where = api.log_path if api else "its log"
    print(f"\nThe server's log ({where}), WARNING and above:"
          + ("" if logged else " nothing."))
    for line in logged:
        print(f"- {line}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="district", choices=sorted(SCALES))
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--only", default=None,
                        help="comma-separated attacks to run: numbers (1-9) or labels "
                             "(2b, 4b), e.g. 2b,2c,4b,8")
    args = parser.parse_args()
    asyncio.run(main(args.scale, args.port,
                     set(args.only.split(",")) if args.only else None))
