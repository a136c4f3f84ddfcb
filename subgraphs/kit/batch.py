"""Batch resolvers: the one implementation of every field that loads data.

A batch resolver takes every parent object of a field at once and answers one value per parent, in order:
``resolve(parents, context, columns, **arguments) -> values``. A value may be an exception, which is that parent's
error; a resolver that raises fails the field of every parent. ``columns`` names the fields the document selects
below (their Python names), or is ``None`` when every field may be read.

Two executors reach the same functions:

- the planned executor (``schema/execution``) calls each batch resolver once per level of the response, with
  every parent of that level;
- graphql-core calls the field's strawberry resolver once per parent; the resolver hands its parent to
  :func:`load`, a per-request DataLoader that gathers the parents of one tick and calls the batch resolver once
  per distinct set of arguments.

Parents are objects, not keys, and may repeat: a batch resolver reads its keys from them and asks its store once
per distinct key.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from aiodataloader import DataLoader

from subgraphs.kit.loaders import Loader

if TYPE_CHECKING:
    from subgraphs.kit.context import Info, RequestContext

BATCH_KEY = "c360-batch"
"""Where a strawberry field's metadata names its batch resolver (:func:`batched`)."""

Columns = frozenset[str] | None
V = TypeVar("V")


class BatchResolver(Generic[V]):
    """A batch function with a name (for errors and metrics); called as the function itself."""

    __slots__ = ("function", "name")

    def __init__(self, function: Callable[..., Awaitable[Sequence[V | Exception]]], name: str) -> None:
        self.function = function
        self.name = name

    def __call__(
        self, parents: Sequence[Any], context: RequestContext, columns: Columns = None, **arguments: Any
    ) -> Awaitable[Sequence[V | Exception]]:
        return self.function(parents, context, columns, **arguments)

    def __repr__(self) -> str:
        return f"<batch {self.name}>"


def batch(function: Callable[..., Awaitable[Sequence[V]]]) -> BatchResolver[V]:
    """Declare ``function(parents, context, columns, **arguments)`` a batch resolver."""
    return BatchResolver(function, f"{function.__module__}.{function.__qualname__}")


def batched(resolver: BatchResolver[Any], **metadata: Any) -> dict[str, Any]:
    """Field metadata naming the field's batch resolver (with the rest of its metadata, e.g. its data class)."""
    return {**metadata, BATCH_KEY: resolver}


K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


def customer_id(parent: Any) -> str:
    """The key of a field loaded per customer: the parent customer's id."""
    return str(parent.id)


def keyed(
    name: str,
    loader: Callable[[RequestContext], Loader[Any, Any]],
    key: Callable[[Any], Any],
    build: Callable[[Any, Any], T],
) -> BatchResolver[T]:
    """A batch resolver over a per-request loader: each parent's key (``key(parent)``) loaded in one batch, and the
    field's value built from what was found (``build(found, parent)``)."""

    async def resolve(parents: Sequence[Any], context: RequestContext, columns: Columns) -> list[T]:
        found = await loader(context).load_many([key(parent) for parent in parents])
        return [build(value, parent) for value, parent in zip(found, parents, strict=True)]

    return BatchResolver(resolve, name)


def each(name: str, resolve_one: Callable[[Any, RequestContext], Awaitable[T]]) -> BatchResolver[T]:
    """A batch resolver for a field whose store cannot answer several parents in one call (a count under each
    parent's own filter): every parent's call runs at once."""

    async def resolve(parents: Sequence[Any], context: RequestContext, columns: Columns) -> list[T]:
        return list(await asyncio.gather(*(resolve_one(parent, context) for parent in parents)))

    return BatchResolver(resolve, name)


def customer_edge(name: str, attribute: str) -> BatchResolver[Any]:
    """The customer each parent names in ``attribute`` (an edge into another subgraph: ``CrossSource.customer``),
    loaded together."""

    async def resolve(parents: Sequence[Any], context: RequestContext, columns: Columns) -> list[Any]:
        return list(await asyncio.gather(*(context.customer(getattr(p, attribute)) for p in parents)))

    return BatchResolver(resolve, name)


def _frozen(value: Any) -> Hashable:
    """Arguments as a hashable key: lists, input objects and mappings become tuples."""
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, Mapping):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value), tuple(_frozen(getattr(value, f.name)) for f in dataclasses.fields(value)))
    if isinstance(value, Enum | str | int | float | bool) or value is None:
        return value
    return (type(value), repr(value))


def load(info: Info, resolver: BatchResolver[V], parent: Any, **arguments: Any) -> Awaitable[V]:
    """The value of ``resolver``'s field for ``parent``, through a DataLoader of this request (graphql-core's path).

    Call it without awaiting anything before: every parent of a list asks in the same tick, so they share a batch.
    """
    context = info.context
    key = (resolver, _frozen(arguments))
    loaders = context.batch_loaders
    loader = loaders.get(key)
    if loader is None:

        async def call(parents: list[Any]) -> list[Any]:
            return list(await resolver(parents, context, None, **arguments))

        # Parents are not hashable (strawberry types are dataclasses): no cache, every load is a place in the batch.
        loader = loaders[key] = DataLoader(call, cache=False)
    found: Awaitable[V] = loader.load(parent)
    return found


def aligned(keys: Sequence[Hashable], found: Mapping[Any, V], default: V) -> list[V]:
    """Values for ``keys`` in order from a mapping keyed by them (``default`` where it has none)."""
    return [found.get(key, default) for key in keys]
