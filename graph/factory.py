"""Open the store named by one URI: unset → embedded FalkorDB, falkordb:// or Neo4j."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from graph.backends.embedded import EmbeddedFalkorServer, password_beside
from graph.backends.falkordb import FalkorStore
from graph.errors import ConfigError
from graph.repo.search import backfill_search_text
from graph.store import GraphStore

NEO4J_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")
FALKOR_SCHEMES = ("falkordb", "redis")
#: A FalkorDB server on a Unix socket, e.g. the one `orgcover store` runs for several
#: API workers: falkordb+unix:///abs/path/falkordb.sock (optionally ?graph=NAME). The
#: password is the URI's (falkordb+unix://:PASSWORD@/abs/path/falkordb.sock) or else the
#: one an embedded server keeps beside its socket (falkordb.password, in a directory
#: private to this user).
FALKOR_UNIX_SCHEMES = ("falkordb+unix", "redis+unix", "unix")


@dataclass(frozen=True, slots=True)
class StoreConfig:
    """What the graph layer needs from settings (kept free of pydantic on purpose)."""

    uri: str | None = None
    data_dir: Path = Path("data")
    graph_name: str = "orgcover"
    neo4j_user: str = "neo4j"
    neo4j_password: str | None = None
    neo4j_database: str = "neo4j"
    startup_timeout: float = 30.0
    #: Embedded FalkorDB only: query threads (None: one per core). One by default: see
    #: EmbeddedFalkorServer.
    falkordb_threads: int | None = 1


class EmbeddedStore(FalkorStore):
    """A FalkorStore that owns its server: closing the store stops the child process."""

    def __init__(self, server: EmbeddedFalkorServer, graph_name: str) -> None:
        super().__init__(graph_name=graph_name, unix_socket=server.socket_path,
                         password=server.password,
                         description=f"embedded FalkorDB in {server.data_dir}")
        self.server = server

    def bulk(self) -> contextlib.AbstractAsyncContextManager[None]:
        return self.deferred_log_rewrites()

    async def close(self) -> None:
        try:
            # Let a log rewrite (the one after a load) finish: stopping the server kills it,
            # and the next start would replay every query of the load (a city load: 519 MB,
            # longer than the startup timeout) instead of reading the compact snapshot.
            await self.settle()
            await super().close()
        finally:
            await self.server.stop()


async def open_store(config: StoreConfig) -> GraphStore:
    """Start or connect to the configured backend, wait for it and create the schema."""
    store = await _connect(config)
    try:
        await store.ensure_schema()
        await backfill_search_text(store)
    except BaseException:
        await store.close()
        raise
    return store


async def _connect(config: StoreConfig) -> GraphStore:
    uri = (config.uri or "").strip()
    if not uri:
        server = EmbeddedFalkorServer(config.data_dir, startup_timeout=config.startup_timeout,
                                      query_threads=config.falkordb_threads)
        await server.start()
        return EmbeddedStore(server, config.graph_name)
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if scheme in FALKOR_UNIX_SCHEMES:
        if not parts.path:
            raise ConfigError(f"{uri!r} names no socket path", setting="ORGCOVER_GRAPH_URI")
        graph = dict(parse_qsl(parts.query)).get("graph") or config.graph_name
        socket = unquote(parts.path)
        password = unquote(parts.password) if parts.password else password_beside(socket)
        unix = FalkorStore(graph_name=graph, unix_socket=socket, password=password,
                           description=f"FalkorDB on {socket}")
        await unix.ping()
        return unix
    if scheme in FALKOR_SCHEMES:
        if not parts.hostname:
            raise ConfigError(f"{uri!r} names no host", setting="ORGCOVER_GRAPH_URI")
        falkor = FalkorStore(
            graph_name=(parts.path.strip("/") or config.graph_name),
            host=parts.hostname,
            port=parts.port or 6379,
            password=unquote(parts.password) if parts.password else None,
        )
        await falkor.ping()
        return falkor
    if scheme in NEO4J_SCHEMES:
        from graph.backends.neo4j import Neo4jStore

        if not config.neo4j_password:
            raise ConfigError(
                "a Neo4j URI needs a password", setting="ORGCOVER_NEO4J_PASSWORD"
            )
        neo = Neo4jStore(uri=uri, user=config.neo4j_user, password=config.neo4j_password,
                         database=config.neo4j_database)
        try:
            await neo.connect()
        except BaseException:
            await neo.close()
            raise
        return neo
    raise ConfigError(
        f"unknown URI scheme {scheme or '(none)'!r} in {uri!r}; use falkordb://host:port, "
        "falkordb+unix:///path/to/socket, "
        "bolt://, neo4j:// or neo4j+s://, or leave it unset for the embedded store",
        setting="ORGCOVER_GRAPH_URI",
    )
