"""The FastAPI application: the unified GraphQL API, each subgraph's federation endpoint, health and metrics."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import orjson
import strawberry
from cross_web import HTTPException
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from graphql import GraphQLError, OperationType, get_operation_ast, parse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage
from strawberry.types.unset import UNSET

from core import collector, logs, outbox, registry, retention
from core.auth import TokenVerifier
from core.clock import Clock, system_clock
from core.errors import SourceUnavailable, Unauthenticated
from core.listener import Notices
from core.metrics import OUTBOX_BACKLOG, OUTBOX_FAILED, OUTBOX_OLDEST
from core.outbox import Outcomes
from core.policy import Policy
from core.postgres import Postgres
from core.settings import Settings
from graph_store.constraints import ensure_constraints, ensure_when_reachable
from graph_store.driver import GraphStore
from jobs import erasure
from resolvers.edges import UNIFIED, Edges
from schema import PARTS, subgraph_schema, unified_schema
from schema.audit import audited
from schema.execution.prepared import remembering
from schema.extensions import error_masker
from schema.factory import refuses_introspection
from subgraphs.kit.context import CrossSource, RequestContext
from subgraphs.kit.sources import DataSources
from subgraphs.profiles.relay import identity_relay
from web import console, ide
from web.guards import GATEWAY_HEADER, TokenGuard
from web.lean import LeanQueries, replaying, unauthenticated
from web.protection import Protection, ShedFirst
from web.ratelimit import RateLimit
from web.request_ids import RequestIds
from web.requests import BadRequest, check_size, decode_request, error_response

log = logging.getLogger("c360.app")
METHODS = ["GET", "POST"]


class TextFrames(ASGIWebSocketAdapter):
    """graphql-transport-ws messages are text frames; the app's JSON encoder gives bytes, which would go as binary
    frames (a browser's WebSocket would hand the page a Blob)."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class SubscriptionsOnly(BaseGraphQLTransportWSHandler[RequestContext, None]):
    """Queries and mutations go over HTTP, where the request deadline, the in-flight limit and the rate limit apply;
    a WebSocket carries subscriptions only."""

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        try:
            document = parse(message["payload"]["query"])
        except (GraphQLError, KeyError, TypeError):
            await super().handle_subscribe(message)  # strawberry answers a bad message its own way
            return
        operation = get_operation_ast(document, message["payload"].get("operationName"))
        if (
            self.connection_acknowledged
            and operation is not None
            and operation.operation is not OperationType.SUBSCRIPTION
        ):
            await self.send_message(
                {
                    "id": message["id"],
                    "type": "error",
                    "payload": [
                        {
                            "message": "Only subscriptions go over the WebSocket; send queries and mutations over HTTP",
                            "extensions": {"code": "BAD_REQUEST"},
                        }
                    ],
                }
            )
            return
        await super().handle_subscribe(message)


class GraphQLApp(GraphQL[RequestContext, None]):
    """Strawberry's ASGI app mounted directly (cheaper per request than a FastAPI router), with orjson."""

    graphql_transport_ws_handler_class = SubscriptionsOnly
    websocket_adapter_class = TextFrames

    def __init__(
        self,
        schema: strawberry.Schema,
        holder: dict[str, DataSources],
        cross: CrossSource,
        graphiql: bool,
        verifier: TokenVerifier,
        policy: Policy | None = None,
        rate_limit: RateLimit | None = None,
        lean: bool = False,
    ):
        holder_settings = verifier.settings
        # Subscriptions over graphql-transport-ws only, authenticated on connection_init (`on_ws_connect`).
        super().__init__(
            schema,
            graphql_ide="graphiql" if graphiql else None,
            allow_queries_via_get=False,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            max_subscriptions_per_connection=holder_settings.max_subscriptions_per_connection,
        )
        self._holder = holder
        self._cross = cross
        self._examples = ide.examples_for(schema) if graphiql else ()
        self._verifier = verifier
        self._policy = policy
        settings = holder_settings
        self._lean = (
            LeanQueries(
                schema,
                verifier.principal,
                self._context,
                partial(refuses_introspection, settings),
                self.decode_json,  # type: ignore[arg-type]
                rate_limit,
                error_masker() if settings.mask_errors else None,
            )
            if lean
            else None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Ordinary POSTed queries take the lean path (``web/lean.py``); everything else, strawberry's view."""
        if self._lean is not None and scope["type"] == "http" and self._lean.applies(scope):
            body = await self._lean.serve(scope, receive, send)
            if body is None:
                return
            receive = replaying(body, receive)
        await super().__call__(scope, receive, send)

    def _context(self, request: Any, principal: Any) -> RequestContext:
        return RequestContext(
            self._holder["sources"], self._cross, request, principal=principal, policy=self._policy
        )

    async def get_context(self, request: Any, response: Any) -> RequestContext:
        return self._context(request, getattr(request.state, "principal", None))

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        settings = self._holder["sources"].settings
        request = decode_request(
            data, max_depth=settings.max_input_depth, max_string=settings.max_string_length
        )
        check_size(data, request, settings.max_body_bytes)
        return request

    async def on_ws_connect(self, context: RequestContext) -> dict[str, object] | None:
        """A WebSocket authenticates once, on ``connection_init``, with the bearer token an HTTP request would send
        (``{"Authorization": "Bearer …"}`` as its payload); a connection without a valid one is closed (4403)."""
        params = context.connection_params or {}
        authorization = params.get("Authorization", params.get("authorization"))
        try:
            context.principal = self._verifier.principal(
                authorization if isinstance(authorization, str) else None
            )
        except Unauthenticated as exc:
            raise ConnectionRejectionError({"message": str(exc), "code": exc.code}) from None
        return None

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        """Every operation needs a verified bearer token (only the GraphiQL page does not); every refusal before
        execution answers a GraphQL error body, not strawberry's plain text. A WebSocket authenticates on
        ``connection_init`` instead."""
        if self.is_websocket_request(request):
            return await super().run(request, context, root_value)
        if not self.should_render_graphql_ide(self.request_adapter_class(request)):
            try:
                request.state.principal = self._verifier.principal(request.headers.get("authorization"))
            except Unauthenticated as exc:
                return unauthenticated(exc)
        try:
            return await super().run(request, context, root_value)
        except BadRequest as exc:
            return error_response(exc.message, exc.status, exc.code)
        except HTTPException as exc:
            status = 415 if exc.reason == "Unsupported content type" else exc.status_code
            return error_response(exc.reason, status)

    async def render_graphql_ide(self, request: Request) -> Response:
        """Our GraphiQL page: strawberry's loads its scripts from unpkg.com, which a private deployment cannot reach."""
        return ide.page(request, self._examples)


class TraceOnRequest:
    """A subgraph endpoint that runs its traced schema only when the gateway asks for a federated trace (ftv1).

    The tracing extension wraps every field resolver in an async hook, which costs on every request; so two
    schemas are built and the header picks one. The unified ``/graphql`` never traces.
    """

    HEADER = b"apollo-federation-include-trace"

    def __init__(self, plain: ASGIApp, traced: ASGIApp) -> None:
        self.plain = plain
        self.traced = traced

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        wants = scope["type"] == "http" and dict(scope["headers"]).get(self.HEADER, b"").lower() == b"ftv1"
        await (self.traced if wants else self.plain)(scope, receive, send)


class BodyLimit:
    """Refuse request bodies above a size before anything parses them (413 with a GraphQL-shaped error), and
    bodies that do not arrive in full within ``timeout`` seconds (408), so a slow client holds no request open."""

    def __init__(self, app: ASGIApp, max_bytes: int, timeout: float = 0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(scope, receive, send)
            return
        seen = 0
        complete = False
        until = asyncio.get_running_loop().time() + self.timeout if self.timeout > 0 else None

        async def limited_receive() -> Any:
            nonlocal seen, complete
            if complete or until is None:
                message = await receive()
            else:
                try:
                    async with asyncio.timeout_at(until):
                        message = await receive()
                except TimeoutError:
                    raise BodyTimedOut from None
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                complete = not message.get("more_body", False)
                if seen > self.max_bytes:
                    raise RequestTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except RequestTooLarge:
            await self._reject(scope, receive, send)
        except BodyTimedOut:
            response = error_response(
                f"Request body did not arrive within {self.timeout:g} s", 408, "REQUEST_TIMEOUT"
            )
            response.headers["Connection"] = "close"
            await response(scope, receive, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(f"Request body exceeds {self.max_bytes} bytes", 413, "REQUEST_TOO_LARGE")
        await response(scope, receive, send)


class RequestTooLarge(Exception):
    pass


class BodyTimedOut(Exception):
    pass


def create_app(
    settings: Settings | None = None, subgraph: str | None = None, *, clock: Clock = system_clock
) -> FastAPI:
    """The whole API (unified schema and every subgraph endpoint), or one subgraph alone for a federated deployment.

    ``clock`` is the time writes record and SLA readings compare with (tests fix it)."""
    settings = settings or Settings()
    logs.install_scrubbing()
    if subgraph is not None:
        registry.get(subgraph)  # an unknown name fails here, before anything starts
    holder: dict[str, DataSources] = {}
    verifier = TokenVerifier(settings)
    policy = Policy.load(settings.policy_file)
    guard = Protection(settings)

    def served(schema: strawberry.Schema) -> strawberry.Schema:
        """Every schema this app serves writes each request's audit record and meets the protection's limits, and
        keeps the query documents that pass validation for the lean path."""
        schema = guard.schema(audited(schema))
        schema.extensions = (*schema.extensions, remembering(schema))
        return schema

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        postgres = Postgres(settings, statement_timeout=settings.pg_statement_timeout)
        await postgres.start()
        graph = GraphStore(settings, transaction_timeout=settings.neo4j_transaction_timeout)
        try:
            await ensure_constraints(graph)
            healing = None
        except SourceUnavailable as exc:
            log.warning("Neo4j unavailable at start; identity fields report it until it answers: %s", exc)
            healing = asyncio.create_task(ensure_when_reachable(graph))
        outcomes = Outcomes(settings.dsn_for("profiles"))
        await outcomes.start()
        notices = Notices(settings.dsn_for(name) for name in registry.POSTGRES)
        notices.start()
        holder["sources"] = DataSources(settings, postgres, graph, outcomes, clock, notices)
        keys = asyncio.create_task(verifier.keep_fresh()) if settings.auth_jwks_url else None
        relay, relay_graph, relaying = None, None, None
        if settings.relay_in_process and (subgraph is None or registry.get(subgraph).name == "profiles"):
            relay, relay_graph = identity_relay(settings, outcomes)
            relaying = asyncio.create_task(relay.run())
        workers = contextlib.AsyncExitStack()
        if settings.relay_in_process and subgraph is None:
            await workers.enter_async_context(retention.running(settings))
        if settings.erasure_in_process and (subgraph is None or subgraph == "profiles"):
            await workers.enter_async_context(erasure.running(settings))
        collector.tune(settings.gc_gen0_threshold)
        try:
            yield
        finally:
            await workers.aclose()
            for task in (healing, keys, relaying):
                if task is not None:
                    task.cancel()
            if relaying is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await relaying
            for closing in (relay, relay_graph, outcomes, notices):
                if closing is not None:
                    await closing.close()
            await postgres.close()
            await graph.close()

    app = ShedFirst(
        title="Customer 360",
        description="One trusted view of each customer.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.holder = holder  # the running stores, for operations and tests (``holder["sources"]``)
    if subgraph is None:
        unified = GraphQLApp(
            served(unified_schema(settings)),
            holder,
            UNIFIED,
            settings.graphiql_enabled,
            verifier,
            policy,
            guard.rate_limit,
            lean=settings.lean_http,
        )
        app.router.routes.append(Route("/graphql", unified, methods=METHODS))
        app.router.routes.append(WebSocketRoute("/graphql", unified))
    if settings.graphiql_enabled:
        app.router.routes.append(ide.ASSETS_ROUTE)
    if settings.console_enabled and subgraph is None:
        app.router.routes.extend(console.ROUTES)
    for name, part in PARTS.items():
        if subgraph is not None and name != subgraph:
            continue
        edges = Edges(load_profiles=part.owns_profiles)
        endpoint = TraceOnRequest(
            GraphQLApp(
                served(subgraph_schema(name, settings)),
                holder,
                edges,
                settings.graphiql_enabled,
                verifier,
                policy,
                guard.rate_limit,
                lean=settings.lean_http,
            ),
            GraphQLApp(
                served(subgraph_schema(name, settings, traced=True)),
                holder,
                edges,
                False,
                verifier,
                policy,
            ),
        )
        app.router.routes.append(Route(f"/subgraphs/{name}/graphql", endpoint, methods=METHODS))
        # A gateway carries subscriptions to a subgraph over a WebSocket of its own (Hive Gateway: kind 'ws').
        app.router.routes.append(WebSocketRoute(f"/subgraphs/{name}/graphql", endpoint))

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    async def backlogs(sources: DataSources) -> dict[str, outbox.Backlog | None]:
        """Each PostgreSQL subgraph's outbox backlog (``None``: its database is unavailable), one statement each."""
        found: dict[str, outbox.Backlog | None] = {}
        for name in registry.POSTGRES:
            try:
                found[name] = await outbox.backlog(sources.postgres.db(name), name)
            except SourceUnavailable:
                found[name] = None
        return found

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> Response:
        """Ready while every PostgreSQL database answers: writes are durable there and hot reads answer from it.

        Neo4j down or a backlog older than ``outbox_degraded_after`` makes it ``degraded`` (still 200, with the
        figures): writes keep being acknowledged and the relay catches up, so taking the process out of service
        would only refuse writes that can succeed.
        """
        sources = holder["sources"]
        checks: dict[str, str] = {}
        queued = await backlogs(sources)
        for name, found in queued.items():
            checks[f"postgres:{name}"] = "ok" if found is not None else "unavailable"
        try:
            await sources.graph.read("RETURN 1")
            checks["neo4j"] = "ok"
        except SourceUnavailable:
            checks["neo4j"] = "unavailable"
        figures = {
            name: {
                "backlog": b.pending,
                "oldestPendingSeconds": round(b.oldest_seconds, 3),
                "failed": b.failed,
            }
            for name, b in queued.items()
            if b is not None
        }
        ready = all(v == "ok" for k, v in checks.items() if k.startswith("postgres:"))
        late = any(
            b.oldest_seconds > settings.outbox_degraded_after or b.failed
            for b in queued.values()
            if b is not None
        )
        status = "unavailable" if not ready else "degraded" if late or checks["neo4j"] != "ok" else "ok"
        return JSONResponse(
            {"ready": ready, "status": status, "checks": checks, "outbox": figures},
            status_code=200 if ready else 503,
        )

    @app.get("/metrics", include_in_schema=False)
    async def metrics(_: Request) -> Response:
        for name, found in (await backlogs(holder["sources"])).items():
            if found is not None:
                OUTBOX_BACKLOG.labels(name).set(found.pending)
                OUTBOX_OLDEST.labels(name).set(found.oldest_seconds)
                OUTBOX_FAILED.labels(name).set(found.failed)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    # The HTTP layer lets bodies up to the bulk limit through; GraphQLApp.decode_json refuses those over the general
    # limit unless every root field is a bulk write.
    app.add_middleware(
        BodyLimit,
        max_bytes=max(settings.max_body_bytes, settings.max_bulk_body_bytes),
        timeout=settings.body_timeout,
    )
    if not settings.development:
        guarded = [
            ("/subgraphs/", GATEWAY_HEADER, settings.gateway_token),
            ("/readyz", b"authorization", settings.ops_token),
            ("/metrics", b"authorization", settings.ops_token),
        ]
        app.add_middleware(TokenGuard, guarded=guarded)
    # Preflights are answered for the allowed origins (none by default) and refused for the others.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=METHODS,
        allow_headers=["authorization", "content-type", "x-request-id"],
        expose_headers=["x-request-id", "retry-after"],
        max_age=600,
    )
    guard.install(app)
    app.add_middleware(RequestIds)
    return app


__all__ = ["create_app"]
