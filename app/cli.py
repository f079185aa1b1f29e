"""`orgcover` command line: serve, demo, load, audit, token, access-log, schema.

Expected failures print one line naming the problem and the setting to change, and exit
non-zero (1: invalid roster, 2: usage, configuration or system error). `--debug` or
ORGCOVER_DEBUG=1 adds the traceback.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from app import access_log_cli, cli_audit, cli_history, logs
from app.access_log_cli import access_log_app
from app.cli_common import (
    EXIT_ERROR,
    EXIT_INVALID,
    TokenOption,
    caller_of,
    fail,
    load_settings,
    require,
    run,
)
from app.settings import Settings
from graph.errors import OrgcoverError
from graph.factory import open_store
from graph.repo.load import count_graph
from graph.store import GraphStore
from loaders.limits import LoadLimits
from loaders.pii import IdProtector
from loaders.pipeline import load_rosters
from loaders.report import LoadReport, RosterInvalid, format_text, to_json, write_problems
from loaders.synthetic import DISTRICT_CODE, SCALES, generate, write_csv
from resolvers.access import ROLES, Right
from resolvers.rosters import conceal_people_counts

cli = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="orgcover: organizational-coverage knowledge graph over GraphQL.")
access_log_cli.default_directory = lambda: load_settings().access_log_path()
cli.add_typer(access_log_app, name="access-log",
              help="The access log: verify its hash chain, show who saw what.")
log = logging.getLogger("orgcover.cli")

@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (ORGCOVER_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (ORGCOVER_PORT).")] = None,
    demo: Annotated[bool, typer.Option(
        "--demo", help="Demo mode: load the synthetic demo district when the store is empty "
        "and use a demo-only PII secret.")] = False,
    scale: Annotated[str, typer.Option(help="Demo district scale for --demo.")] = "demo",
) -> None:
    """Serve GraphQL (GraphiQL at /graphql) on the configured store."""
    import uvicorn

    from app.main import create_app
    from app.serving import bind_listener, uvicorn_options

    settings = load_settings(host=host, port=port, demo=demo or None).with_demo_secrets()
    settings.require_auth()
    settings.require_oidc_redirect()
    logs.configure(settings.log_level, settings.log_format)

    async def main() -> None:
        listener = bind_listener(settings.host, settings.port)  # a busy port: fail first
        try:
            store = await open_store(settings.store_config())
        except BaseException:
            listener.close()
            raise
        try:
            if settings.demo:
                await _load_demo_if_empty(store, settings, scale)
            if settings.neo4j_plan_ahead:
                store.plan_ahead()  # Neo4j: first page views after a start plan nothing
            app = create_app(settings, store=store)
            config = uvicorn.Config(app, host=settings.host, port=settings.port,
                                    log_config=None, lifespan="on",
                                    **uvicorn_options(settings))
            server = _Server(config)
            url = f"http://{settings.host}:{settings.port}/graphql"
            if settings.demo:
                await _print_demo_tokens(store, settings, url)
                await _print_login_url(app, store, settings)
            where = f"GraphiQL at {url}" if settings.graphiql else f"GraphQL at {url}"
            typer.echo(f"orgcover: serving {store.description} — {where}", err=True)
            await server.serve(listener)
        finally:
            listener.close()
            await store.close()

    run(main)


#: Lifetime of the tokens `serve --demo` prints.
DEMO_TOKEN_TTL = 12 * 3600


async def _print_demo_tokens(store: GraphStore, settings: Settings, url: str) -> None:
    """Two ready tokens: the district's admin and one street's auditor (demo secret)."""
    from app.auth.tokens import mint
    from graph.domain import Label
    from graph.repo.nodes import list_nodes

    secret = settings.auth_secret_value
    if secret is None:  # demo with an identity provider configured: it issues tokens
        return
    districts = await list_nodes(store, label=Label.REGION, kind="district", scope=None,
                                 after=None, first=1)
    if not districts.items:
        return
    district = districts.items[0]
    streets = await list_nodes(store, label=Label.REGION, kind="street", scope=district.code,
                               after=None, first=1)
    people = [("demo-admin", f"{district.name}管理员", "admin", district)]
    if streets.items:
        street = streets.items[0]
        people.append(("demo-auditor", f"{street.name}审计员", "auditor", street))
    lines = ["orgcover: demo tokens (valid 12 h; make more with `orgcover token --demo`):"]
    for sub, name, role, place in people:
        token = mint(secret, sub=sub, name=name, roles=[role], jurisdiction=place.code,
                     ttl_seconds=DEMO_TOKEN_TTL, issuer=settings.auth_issuer,
                     audience=settings.auth_audience)
        lines += [f"  {role} of {place.name} ({place.code}):", f"    {token}"]
    lines += [f"  In GraphiQL ({url}) open Headers and paste:",
              '    {"Authorization": "Bearer <token>"}',
              "  or: curl -H 'Authorization: Bearer <token>' -H 'content-type: application/json'"
              f" -d '{{\"query\": \"{{ overview {{ metric rate }} }}\"}}' {url}"]
    typer.echo("\n".join(lines), err=True)


async def _print_login_url(app: Any, store: GraphStore, settings: Settings) -> None:
    """A one-time link (as Jupyter prints) signing the demo district's admin in to the
    dashboard: good once, for sessions.TICKET_TTL seconds; then sign in at /login."""
    from app.auth.sessions import TICKET_TTL
    from graph.domain import Label
    from graph.repo.nodes import list_nodes
    from resolvers.access import Caller

    districts = await list_nodes(store, label=Label.REGION, kind="district", scope=None,
                                 after=None, first=1)
    if not districts.items:
        return
    district = districts.items[0]
    caller = Caller.of_roles(sub="demo-admin", name=f"{district.name}管理员", roles=("admin",),
                             jurisdiction=district.code)
    ticket = app.state.sessions.ticket(caller)
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "[::]") else settings.host
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    typer.echo(f"orgcover: dashboard — open this link once within {TICKET_TTL // 60} minutes "
               f"to sign in as {caller.name}:\n    http://{host}:{settings.port}/login?token="
               f"{ticket}", err=True)


class _Server:
    """uvicorn's server without its signal capture: uvicorn re-raises a captured Ctrl-C
    after shutdown, which would cancel the store's clean stop. Here SIGINT/SIGTERM only
    ask the server to exit; the caller then closes the store (and its FalkorDB child)."""

    def __init__(self, config: Any) -> None:
        import uvicorn

        self._server = uvicorn.Server(config)

    async def serve(self, listener: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._exit)
        try:
            await self._server._serve(sockets=[listener])
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)

    def _exit(self) -> None:
        if self._server.should_exit:
            self._server.force_exit = True
        self._server.should_exit = True


async def _load_demo_if_empty(store: GraphStore, settings: Settings, scale: str) -> None:
    """An empty store gets the demo district with its past: each month's rosters loaded in
    order and snapshotted on its day, and a notice issued three months ago (loaders/
    history_demo.py), so the first start shows trends, rankings and overdue items."""
    from graph.queries.audits import AUDITS
    from graph.repo import snapshots
    from loaders.history_demo import write_history
    from resolvers import history

    nodes, _ = await count_graph(store)
    if nodes:
        log.info("store holds %d nodes; demo district not loaded again", nodes)
        return
    if scale not in SCALES:
        raise OrgcoverError(f"unknown scale {scale!r}; use one of {', '.join(SCALES)}")
    out = settings.data_dir / "demo-rosters"
    started = time.perf_counter()
    months = write_history(SCALES[scale], out, months=settings.demo_months,
                           last=dt.date.today())
    typer.echo(f"orgcover: store is empty; loading the {scale} district's last "
               f"{len(months)} months from {out} …", err=True)
    protector = IdProtector(settings.pii_secret_value)
    for i, (day, folder) in enumerate(months):
        await load_rosters(store, [folder], protector=protector, who="demo",
                           replace_scope=None if i == 0 else DISTRICT_CODE)
        last = i == len(months) - 1
        await snapshots.record(store, taken_by="demo", as_of=None if last else day)
        if i == max(0, len(months) - 4):
            await history.issue_notice(
                store, audit=AUDITS["building-chief"], scope=None,
                deadline=day + dt.timedelta(days=45), note="请各街道于45日内配齐楼长",
                who="demo", today=day)
    nodes, rels = await count_graph(store)
    typer.echo(f"orgcover: demo district loaded: {nodes} nodes, {rels} relationships, "
               f"{len(months)} snapshots in {time.perf_counter() - started:.1f} s", err=True)


@cli.command("demo")
def demo_command(
    scale: Annotated[str, typer.Option(help=f"One of {', '.join(SCALES)}.")] = "demo",
    out: Annotated[Path, typer.Option(help="Directory for the nine CSV rosters.")] = Path(
        "demo-rosters"),
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same district).")] = 7,
    months: Annotated[int, typer.Option(
        "--history", help="Write this many monthly versions (OUT/YYYY-MM-DD/, the last "
                          "today's): load them in order with --replace-scope, taking a "
                          "snapshot after each.")] = 0,
) -> None:
    """Write a synthetic district as the nine roster templates (CSV, Chinese headers)."""
    if scale not in SCALES:
        raise fail(f"unknown scale {scale!r}; use one of {', '.join(SCALES)}")
    if months:
        from loaders.history_demo import write_history

        if not 1 <= months <= 60:
            raise fail("--history takes 1 to 60 months")
        for day, folder in write_history(SCALES[scale], out, months=months,
                                         last=dt.date.today(), seed=seed):
            typer.echo(f"{day.isoformat()}\t{folder}")
        return
    tables = generate(SCALES[scale], seed)
    paths = write_csv(tables, out)
    for path in paths:
        typer.echo(f"{path}\t{sum(1 for _ in path.open(encoding='utf-8-sig')) - 1} rows")


@cli.command()
def load(
    paths: Annotated[list[Path], typer.Argument(help="CSV/XLSX files or directories.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and report only.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable report.")] = False,
    errors_out: Annotated[Path | None, typer.Option(
        "--errors-out", help="Write every problem to FILE.csv or FILE.xlsx.")] = None,
    lang: Annotated[str, typer.Option(help="Report language: zh or en.")] = "zh",
    replace_scope: Annotated[str | None, typer.Option(
        "--replace-scope", help="Place code: the rosters are the whole truth inside it; what "
        "they no longer name there is removed (listed first; see it with --dry-run).")] = None,
    recheck: Annotated[bool, typer.Option(
        "--recheck", help="Check and diff every row even when the files are those of the "
        "last committed load and nothing was loaded since.")] = False,
    token: TokenOption = None,
) -> None:
    """Validate rosters and load them; nothing is written when any row is wrong.

    Without --token the command acts as the operator (every right, no jurisdiction);
    with one it is bound like the API: right `load`, rows inside the jurisdiction,
    --replace-scope needs `load:replace` and must lie at or below the jurisdiction."""
    if lang not in ("zh", "en"):
        raise fail(f"--lang must be zh or en, not {lang!r}")
    if errors_out is not None and errors_out.suffix.lower() not in (".csv", ".xlsx"):
        raise fail("--errors-out must end in .csv or .xlsx")
    settings = load_settings()
    logs.configure("WARNING", "text")
    progress = _Progress() if sys.stderr.isatty() and not os.environ.get("CI") else None

    async def main() -> LoadReport:
        store = await open_store(settings.store_config())
        try:
            caller = await caller_of(settings, store, token)
            require(caller, Right.LOAD)
            if replace_scope:
                require(caller, Right.LOAD_REPLACE, "--replace-scope")
            return conceal_people_counts(await load_rosters(
                store, paths, dry_run=dry_run, progress=progress,
                protector=IdProtector(settings.pii_secret_value),
                replace_scope=replace_scope, recheck=recheck,
                who=caller.sub if token else "cli", jurisdiction=caller.jurisdiction,
                limits=LoadLimits.from_settings(settings, listed=False),
                snapshot=settings.snapshot_after_load), caller)
        except RosterInvalid as exc:
            return exc.report
        finally:
            if progress:
                progress.done()
            await store.close()

    report = run(main)
    if errors_out is not None:
        write_problems(report, errors_out, lang)
    if as_json:
        typer.echo(json.dumps(to_json(report, lang), ensure_ascii=False, indent=2))
    else:
        for line in format_text(report, lang):
            typer.echo(line)
    if report.error_count:
        raise typer.Exit(EXIT_INVALID)


class _Progress:
    """One self-rewriting line on a terminal: stage and rows so far."""

    def __init__(self) -> None:
        self._last = 0.0

    def __call__(self, stage: str, done: int, total: int | None = None) -> None:
        now = time.monotonic()
        if now - self._last < 0.1:
            return
        self._last = now
        of = f"/{total:,}" if total else ""
        sys.stderr.write(f"\r\x1b[K{stage}: {done:,}{of}")
        sys.stderr.flush()

    def done(self) -> None:
        sys.stderr.write("\r\x1b[K")
        sys.stderr.flush()


cli.command("audit")(cli_audit.audit)
cli.add_typer(cli_history.notice_app, name="notice")


@cli.command()
def templates(
    out: Annotated[Path, typer.Option(help="Directory for the blank workbook.")] = Path("."),
) -> None:
    """Write 名册模板.xlsx: the nine roster sheets with Chinese headers and a notes row."""
    from loaders.workbook import write_template_workbook

    typer.echo(write_template_workbook(out / "名册模板.xlsx"))


@cli.command("store")
def store_command() -> None:
    """Run the embedded FalkorDB in the foreground for several API workers to share.

    Prints the URI to give the workers (ORGCOVER_GRAPH_URI); stops on Ctrl-C / SIGTERM.
    """
    settings = load_settings()

    async def main() -> None:
        from graph.backends.embedded import EmbeddedFalkorServer

        server = EmbeddedFalkorServer(settings.data_dir, startup_timeout=settings.startup_timeout,
                                      query_threads=settings.falkordb_threads)
        await server.start()
        try:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            typer.echo(f"falkordb+unix://{server.socket_path}", err=False)
            sys.stdout.flush()
            await stop.wait()
        finally:
            await server.stop()

    run(main)


@cli.command("token")
def token_command(
    sub: Annotated[str, typer.Option(help="Subject: the person's stable id.")],
    role: Annotated[list[str], typer.Option(help=f"Role, repeatable: {', '.join(ROLES)}.")],
    jurisdiction: Annotated[str, typer.Option(help="Place code bounding what they see.")],
    name: Annotated[str | None, typer.Option(help="Display name (default: the subject).")]
    = None,
    ttl: Annotated[str, typer.Option(help="Lifetime, e.g. 8h, 30m, 7d.")] = "8h",
    demo: Annotated[bool, typer.Option(
        "--demo", help="Use the demo secret of the data directory.")] = False,
) -> None:
    """Mint an HS256 token with ORGCOVER_AUTH_SECRET (refuses without one)."""
    from app.auth.tokens import mint, parse_ttl

    settings = load_settings(demo=demo or None).with_demo_secrets()
    secret = settings.auth_secret_value
    if secret is None:
        raise fail("no ORGCOVER_AUTH_SECRET to sign with (tokens of an identity provider "
                    "come from the provider; for the demo add --demo)")
    try:
        seconds = parse_ttl(ttl)
        if seconds > settings.auth_max_lifetime_days * 86400:
            raise ValueError(f"--ttl {ttl} is longer than the {settings.auth_max_lifetime_days}"
                             " days the service accepts (ORGCOVER_AUTH_MAX_LIFETIME_DAYS)")
        token = mint(secret, sub=sub, name=name or sub, roles=role,
                     jurisdiction=jurisdiction.strip(), ttl_seconds=seconds,
                     issuer=settings.auth_issuer, audience=settings.auth_audience)
    except ValueError as exc:
        raise fail(str(exc)) from None
    typer.echo(token)


@cli.command()
def schema() -> None:
    """Print the GraphQL schema (SDL)."""
    from app.graphql import build_schema

    typer.echo(build_schema().as_str())


def main() -> None:
    try:
        cli()
    except OrgcoverError as exc:  # pragma: no cover - _run handles the usual paths
        typer.echo(f"orgcover: error: {exc}", err=True)
        sys.exit(EXIT_ERROR)


if __name__ == "__main__":
    main()
