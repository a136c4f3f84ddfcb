"""The Neo4j driver's lifecycle, with bounded timeouts and every call counted.

Driver defaults wait about a minute for a server that is down; an API answers in seconds instead, with a coded
error for the fields that needed the graph.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, LiteralString, TypeVar

import neo4j
from neo4j import (
    AsyncGraphDatabase,
    AsyncManagedTransaction,
    NotificationDisabledClassification,
    RoutingControl,
)
from neo4j.exceptions import DriverError, ServiceUnavailable, SessionExpired, TransientError

from core.errors import SourceUnavailable
from core.metrics import CYPHER_CALLS, ROUND_TRIPS, SOURCE_ERRORS, RoundTrips
from core.settings import Settings

T = TypeVar("T")
UNAVAILABLE = (ServiceUnavailable, SessionExpired, TransientError, DriverError, OSError, TimeoutError)


class GraphStore:
    """``transaction_timeout`` (seconds) bounds every read, write and transaction on the server, so none outlives
    the request that asked for it: the API passes a value below its request deadline; batch jobs pass none.
    ``count_round_trips`` off keeps a background job's calls out of :data:`ROUND_TRIPS` (Prometheus still counts
    them)."""

    def __init__(
        self, settings: Settings, transaction_timeout: float | None = None, count_round_trips: bool = True
    ) -> None:
        if settings.neo4j_uri is None:
            raise RuntimeError("No Neo4j URI: set C360_NEO4J_URI or run `c360 services up`.")
        self.database = settings.neo4j_database
        self.timeout = transaction_timeout
        self._round_trips = ROUND_TRIPS if count_round_trips else RoundTrips()
        self.driver = AsyncGraphDatabase.driver(
            settings.neo4j_uri,
            auth=(settings.neo4j_user, settings.neo4j_password or ""),
            connection_acquisition_timeout=settings.neo4j_acquisition_timeout,
            connection_timeout=settings.neo4j_acquisition_timeout,
            max_transaction_retry_time=settings.neo4j_max_retry_time,
            max_connection_pool_size=50,
            # A label, type or property no node has yet is what a fresh or partly filled graph looks like, not a
            # fault: without this every query on it logs a warning (performance and deprecation warnings stay).
            notifications_disabled_classifications=[NotificationDisabledClassification.UNRECOGNIZED],
        )

    async def read(self, query: LiteralString, **params: Any) -> list[neo4j.Record]:
        """An auto-commit read: RUN and PULL go out together, with no BEGIN and COMMIT around them.

        That costs about a third less client CPU and wall time than a managed transaction (measured on the
        identifiers batch, see docs/benchmark.md). Sessions share ``execute_query``'s bookmark manager, so reads
        still see earlier writes on a cluster; a transient failure is tried once more.
        """
        CYPHER_CALLS.labels("read").inc()
        self._round_trips.cypher += 1
        try:
            try:
                return await self._read_once(query, params)
            except (SessionExpired, TransientError):
                return await self._read_once(query, params)
        except UNAVAILABLE as exc:
            SOURCE_ERRORS.labels("neo4j").inc()
            raise SourceUnavailable("neo4j", exc) from exc

    async def _read_once(self, query: LiteralString, params: dict[str, Any]) -> list[neo4j.Record]:
        async with self.driver.session(
            database=self.database,
            default_access_mode=neo4j.READ_ACCESS,
            bookmark_manager=self.driver.execute_query_bookmark_manager,
        ) as session:
            result = await session.run(self._query(query), params)
            return [record async for record in result]

    async def write(self, query: LiteralString, **params: Any) -> list[neo4j.Record]:
        CYPHER_CALLS.labels("write").inc()
        self._round_trips.cypher += 1
        try:
            result = await self.driver.execute_query(
                self._query(query), params, database_=self.database, routing_=RoutingControl.WRITE
            )
        except UNAVAILABLE as exc:
            SOURCE_ERRORS.labels("neo4j").inc()
            raise SourceUnavailable("neo4j", exc) from exc
        return list(result.records)

    async def transaction(self, work: Callable[[AsyncManagedTransaction], Awaitable[T]]) -> T:
        """Run ``work`` in one write transaction, retried on transient errors (counted as one call).

        A :class:`~core.errors.ClientError` raised by ``work`` rolls the transaction back and reaches the client.
        """
        CYPHER_CALLS.labels("write").inc()
        self._round_trips.cypher += 1
        try:
            async with self.driver.session(database=self.database) as session:
                if self.timeout is not None:
                    work = neo4j.unit_of_work(timeout=self.timeout)(work)
                return await session.execute_write(work)
        except UNAVAILABLE as exc:
            SOURCE_ERRORS.labels("neo4j").inc()
            raise SourceUnavailable("neo4j", exc) from exc

    async def autocommit(self, query: LiteralString, **params: Any) -> None:
        """Run a statement outside a managed transaction: ``CALL {...} IN TRANSACTIONS`` needs one."""
        CYPHER_CALLS.labels("write").inc()
        self._round_trips.cypher += 1
        try:
            async with self.driver.session(database=self.database) as session:
                result = await session.run(query, params)
                await result.consume()
        except UNAVAILABLE as exc:
            SOURCE_ERRORS.labels("neo4j").inc()
            raise SourceUnavailable("neo4j", exc) from exc

    def _query(self, text: LiteralString) -> LiteralString | neo4j.Query:
        return text if self.timeout is None else neo4j.Query(text, timeout=self.timeout)

    async def close(self) -> None:
        await self.driver.close()
