"""API variants for the report's speed steps: each is the production app with exactly one step undone.

``uvicorn bench.variants:router_app --factory`` and so on; the harness starts them with ``--steps``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from starlette.routing import Route
from starlette.types import ASGIApp
from strawberry.asgi import GraphQL
from strawberry.extensions import MaskErrors, MaxTokensLimiter, ParserCache, ValidationCache
from strawberry.fastapi import BaseContext, GraphQLRouter

from app import METHODS, GraphQLApp, create_app
from core.settings import Settings
from resolvers.edges import UNIFIED
from schema import unified_schema
from schema.extensions import FirstValidationRules
from schema.limits import Limits, limits_rule
from subgraphs.kit.context import RequestContext


def _swap(
    make: Callable[[GraphQLApp], ASGIApp | None], router: GraphQLRouter[Any, None] | None = None
) -> FastAPI:
    app = create_app(Settings())
    for i, route in enumerate(app.router.routes):
        if isinstance(route, Route) and route.path == "/graphql":
            production: GraphQLApp = route.app  # type: ignore[assignment]
            replacement = make(production)
            if replacement is None:
                del app.router.routes[i]
            else:
                app.router.routes[i] = Route("/graphql", replacement, methods=METHODS)
            break
    if router is not None:
        app.include_router(router, prefix="/graphql")
    return app


class RouterContext(RequestContext, BaseContext):
    def __init__(self, production: GraphQLApp, request: Request) -> None:
        # The router has no `GraphQLApp.run`: the token is verified here, as the production app does there.
        principal = production._verifier.principal(request.headers.get("authorization"))
        RequestContext.__init__(
            self,
            production._holder["sources"],
            UNIFIED,
            request,
            principal=principal,
            policy=production._policy,
        )
        BaseContext.__init__(self)


def router_app() -> FastAPI:
    """Step undone: strawberry's FastAPI ``GraphQLRouter`` instead of the ASGI app mounted directly."""
    found: dict[str, GraphQLApp] = {}

    def take(production: GraphQLApp) -> None:
        found["app"] = production

    async def context(request: Request) -> RouterContext:
        return RouterContext(found["app"], request)

    router: GraphQLRouter[Any, None] = GraphQLRouter(
        unified_schema(Settings()), context_getter=context, graphql_ide=None
    )
    return _swap(take, router)


def uncached_app() -> FastAPI:
    """Step undone: no parser and validation caches, so every request parses and validates its document."""

    def make(production: GraphQLApp) -> ASGIApp:
        schema = unified_schema(Settings())
        schema.extensions = tuple(e for e in schema.extensions if not _is_cache(e))
        return GraphQLApp(schema, production._holder, UNIFIED, False, production._verifier)

    return _swap(make)


def _is_cache(factory: Any) -> bool:
    made = factory() if callable(factory) else factory
    return isinstance(made, ParserCache | ValidationCache)


class StdJSONApp(GraphQLApp):
    def encode_json(self, data: object) -> bytes:
        encoded = GraphQL.encode_json(self, data)
        return encoded.encode() if isinstance(encoded, str) else encoded


def stdjson_app() -> FastAPI:
    """Step undone: the standard library's JSON encoder instead of orjson."""

    def make(production: GraphQLApp) -> ASGIApp:
        return StdJSONApp(
            unified_schema(Settings()), production._holder, UNIFIED, False, production._verifier
        )

    return _swap(make)


def rules_per_request_app() -> FastAPI:
    """Step undone: the limits' rule class made per request, which makes every request miss the validation cache
    (how the schema was built, with strawberry's depth and alias limiters, before the cache was found to miss)."""
    settings = Settings()

    def make(production: GraphQLApp) -> ASGIApp:
        schema = unified_schema(settings)
        schema.extensions = (
            lambda: MaxTokensLimiter(max_token_count=settings.max_query_tokens),
            lambda: ParserCache(maxsize=512),
            lambda: FirstValidationRules([limits_rule(Limits.from_settings(settings))]),
            lambda: ValidationCache(maxsize=512),
            *(e for e in schema.extensions if isinstance(e(), MaskErrors)),
        )
        return GraphQLApp(schema, production._holder, UNIFIED, False, production._verifier)

    return _swap(make)


def pool_reset_app() -> FastAPI:
    """Step undone: asyncpg's default reset on every release, one more round trip per statement."""
    import asyncpg

    original = asyncpg.create_pool

    def with_default_reset(*args: Any, **kwargs: Any) -> Any:
        kwargs.pop("reset", None)
        return original(*args, **kwargs)

    asyncpg.create_pool = with_default_reset
    return create_app(Settings())


def default_gc_app() -> FastAPI:
    """Step undone: Python's default garbage-collector thresholds, nothing frozen."""
    return create_app(Settings(gc_gen0_threshold=0))


def graphql_core_app() -> FastAPI:
    """Steps undone: the planned executor and the lean HTTP path; graphql-core runs every operation behind
    strawberry's view (the executor the planned one is measured against)."""
    return create_app(Settings(planned_execution=False, lean_http=False))


def no_lean_app() -> FastAPI:
    """Step undone: the lean HTTP path; every request goes through strawberry's view (queries still planned)."""
    return create_app(Settings(lean_http=False))


def no_compiled_app() -> FastAPI:
    """Step undone: compiled subtrees; every planned query runs its batch resolvers level by level, none as one
    statement that builds its JSON in PostgreSQL."""
    return create_app(Settings(compiled_sql=False))


def no_policies_app() -> FastAPI:
    """Step undone: the access policies (roles on root fields, data classes on fields) are not applied to the
    schema; the bearer token is still verified, so the difference is what the policies cost per request."""
    from schema import factory

    def make(production: GraphQLApp) -> ASGIApp:
        applied = factory._apply
        factory._apply = lambda schema, settings: None
        try:
            schema = unified_schema(Settings())
        finally:
            factory._apply = applied
        return GraphQLApp(
            schema, production._holder, UNIFIED, False, production._verifier, production._policy
        )

    return _swap(make)
