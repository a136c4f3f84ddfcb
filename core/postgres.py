"""asyncpg pools for the subgraphs: one pool per distinct DSN, every statement counted, outages mapped to errors."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import asyncpg
import orjson

from core import registry
from core.errors import SourceUnavailable
from core.metrics import ROUND_TRIPS, SOURCE_ERRORS, SQL_STATEMENTS
from core.settings import Settings

log = logging.getLogger(__name__)

UNAVAILABLE = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.QueryCanceledError,  # statement_timeout: the server gave up on a statement nobody waits for
)


def _encode_jsonb(value: Any) -> bytes:
    return b"\x01" + orjson.dumps(value)


def _decode_jsonb(data: bytes) -> Any:
    return orjson.loads(data[1:])


async def _init_connection(conn: asyncpg.Connection) -> None:
    # Binary format (version byte + JSON text) so COPY can load jsonb too.
    await conn.set_type_codec(
        "jsonb", encoder=_encode_jsonb, decoder=_decode_jsonb, schema="pg_catalog", format="binary"
    )


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Release without asyncpg's default reset statement.

    That reset (unlock advisory locks, close cursors, unlisten, RESET ALL) is one more round trip after every
    statement. Nothing here leaves session state behind (no LISTEN, advisory locks, session SET or open
    cursors), and asyncpg still rolls back a transaction left open before this runs.
    """


async def job_pool(dsn: str, max_size: int = 2) -> asyncpg.Pool:
    """A small pool for a background job (the relay, the reconciler): the JSON codec of the API's pools, no
    statement timeout, and not counted in :data:`ROUND_TRIPS`, which tests read around one request."""
    pool: asyncpg.Pool = await asyncpg.create_pool(
        dsn, min_size=0, max_size=max_size, init=_init_connection, reset=_keep_session
    )
    return pool


class Database:
    """Statements of one subgraph against its own database."""

    def __init__(self, subgraph: str, pool: asyncpg.Pool) -> None:
        self.subgraph = subgraph
        self.pool = pool
        self._counter = SQL_STATEMENTS.labels(subgraph)

    @contextmanager
    def _round_trip(self) -> Iterator[None]:
        """One round trip, counted; an outage raised as :class:`SourceUnavailable`."""
        self._counter.inc()
        ROUND_TRIPS.sql += 1
        try:
            yield
        except UNAVAILABLE as exc:
            SOURCE_ERRORS.labels(f"postgres:{self.subgraph}").inc()
            raise SourceUnavailable(f"postgres:{self.subgraph}", exc) from exc

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        with self._round_trip():
            rows: list[asyncpg.Record] = await self.pool.fetch(sql, *args)
        return rows

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """``sql`` once per row, in one round trip and one transaction."""
        with self._round_trip():
            await self.pool.executemany(sql, rows)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        rows = await self.fetch(sql, *args)
        return rows[0][0] if rows else None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[asyncpg.Connection]:
        """One connection in one transaction, for writes that land together (counted as one round trip)."""
        with self._round_trip():
            async with self.pool.acquire() as conn, conn.transaction():
                yield conn


class Postgres:
    """The pools of all subgraphs; subgraphs that share a DSN share a pool.

    ``statement_timeout`` (seconds) is set on every connection of the pools, so the server itself stops a
    statement nobody waits for any more: the API passes a value below its request deadline; batch jobs (seeding,
    ingest) pass none and keep PostgreSQL's default.
    """

    def __init__(self, settings: Settings, statement_timeout: float | None = None) -> None:
        self._settings = settings
        # No JIT: the API's statements are short, and a compiled subtree's estimated cost (one statement for a
        # page with its lists and figures) passes ``jit_above_cost`` while it runs in milliseconds; compiling it
        # took 65 ms of a 120 ms statement (``EXPLAIN ANALYZE`` of the benchmark's Q4).
        self._server_settings = {"jit": "off"}
        if statement_timeout:
            self._server_settings["statement_timeout"] = str(int(statement_timeout * 1000))
        self._pools: dict[str, asyncpg.Pool] = {}
        self._databases: dict[str, Database] = {}

    async def start(self, subgraphs: Sequence[str] = registry.POSTGRES) -> None:
        s = self._settings
        for subgraph in subgraphs:
            dsn = s.dsn_for(subgraph)
            if dsn not in self._pools:
                # min_size=0: the process starts (and reports the outage per field) while a database is down.
                pool = asyncpg.create_pool(
                    dsn,
                    min_size=0,
                    max_size=s.pg_pool_max,
                    command_timeout=s.pg_command_timeout,
                    timeout=s.pg_connect_timeout,
                    init=_init_connection,
                    reset=_keep_session,
                    server_settings=self._server_settings,
                )
                self._pools[dsn] = await pool
            self._databases[subgraph] = Database(subgraph, self._pools[dsn])
        await self.warm_up()

    async def warm_up(self) -> None:
        """Open the configured minimum of connections where a database answers; log the ones that do not."""
        for dsn, pool in self._pools.items():
            try:
                conns = [await pool.acquire() for _ in range(self._settings.pg_pool_min)]
                for conn in conns:
                    await pool.release(conn)
            except UNAVAILABLE as exc:
                log.warning("PostgreSQL at %s is unavailable at start: %s", dsn.rsplit("@", 1)[-1], exc)

    def db(self, subgraph: str) -> Database:
        return self._databases[subgraph]

    async def close(self) -> None:
        for pool in self._pools.values():
            await pool.close()
        self._pools.clear()
        self._databases.clear()
