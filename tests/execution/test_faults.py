"""Faults answer the same in both executors: a data source down (partial data with ``DATA_SOURCE_UNAVAILABLE``), and
batch resolvers that misbehave (null for a non-null field, an error for some parents, raising for all, the wrong
number of values), through non-null propagation and error masking."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import pytest

from bench.workload import API_TEXT
from core.errors import BadUserInput
from core.settings import Settings
from schema import unified_schema
from subgraphs.kit.batch import BatchResolver
from subgraphs.orders import types as orders
from subgraphs.tickets import types as tickets
from tests import fixtures
from tests.execution.differential import pair
from tests.execution.generated import Generator
from tests.servers import free_port

CONSOLE = API_TEXT["q1"]
LIST = """query($first: Int!) { customers(first: $first) { nodes { id fullName lifetimeValue openTicketCount
  orders(first: 3) { nodes { id total items { sku quantity } } } tickets(first: 2) { id subject } } } }"""


async def test_a_source_down_answers_the_same(settings: Settings) -> None:
    port = free_port()  # nothing listens there
    down = {
        "subgraph_dsns": {"orders": f"postgresql://postgres@127.0.0.1:{port}/nowhere"},
        "neo4j_uri": f"bolt://127.0.0.1:{port}",
    }
    generator = Generator(unified_schema(settings)._schema, seed=77)
    async with pair(settings, **down) as both:
        await both.query(CONSOLE, {"id": fixtures.LI_LEI})
        await both.query(LIST, {"first": 3})
        for _ in range(30):
            document = generator.document()
            await both.query(document.text, document.variables)
        outcome = both.outcome
    assert outcome.differences == [], "\n".join(outcome.differences[:3])
    assert outcome.with_errors >= 10, outcome
    assert outcome.planned >= 30, outcome


def _faulty(
    resolver: BatchResolver[Any], fault: Callable[[Sequence[Any], list[Any]], list[Any]]
) -> Callable[..., Awaitable[Any]]:
    original = resolver.function

    async def faulty(parents: Sequence[Any], *args: Any, **kwargs: Any) -> list[Any]:
        return fault(parents, list(await original(parents, *args, **kwargs)))

    return faulty


def _raise(parents: Sequence[Any], values: list[Any]) -> list[Any]:
    raise BadUserInput("The batch failed for every parent")


def _some(parents: Sequence[Any], values: list[Any], fault: Callable[[Any], Any], every: int) -> list[Any]:
    """``fault(parent)`` instead of the value for the parents whose id is a multiple of ``every`` (by the parent, not
    its place in the batch: the two executors gather parents in different orders)."""
    return [fault(p) if int(p.id) % every == 0 else v for p, v in zip(parents, values, strict=True)]


def _lines(parents: Sequence[Any], values: list[Any], **changes: Any) -> list[Any]:
    """Every line of the orders whose id is even, with ``changes``: objects the plan completes in one generated call
    (``schema/execution/inline.py``) until a value needs the field-by-field path."""
    return [
        [dataclasses.replace(line, **changes) for line in v]
        if int(p.id) % 2 == 0 and isinstance(v, list)
        else v
        for p, v in zip(parents, values, strict=True)
    ]


def _counts(parents: Sequence[Any], values: list[Any]) -> list[Any]:
    """Order counts completed in one loop (``Run.batch_leaves``): some an error, some a value ``Int`` refuses, by
    the customer's id (a UUID)."""
    faults = {0: BadUserInput("no count"), 1: "many", 2: None}
    return [faults.get(int(str(p.id)[-1], 16) % 4, v) for p, v in zip(parents, values, strict=True)]


FAULTS: dict[str, tuple[BatchResolver[Any], Callable[[Sequence[Any], list[Any]], list[Any]]]] = {
    # Order.items is a non-null list: null propagates to the nearest nullable place (the customer's orders).
    "null for a non-null field": (orders.ITEMS, lambda p, v: _some(p, v, lambda _: None, 2)),
    "an error for some parents": (
        orders.ITEMS,
        lambda p, v: _some(p, v, lambda order: BadUserInput(f"order {order.id} failed"), 3),
    ),
    "raising for every parent": (tickets.CUSTOMER, _raise),
    "raising in a nullable summary": (orders._lifetime_value, _raise),
    "the wrong number of values": (orders._order_count, lambda _, v: v[:-1]),
    "null in a non-null list item": (tickets.COMMENTS, lambda _, v: [[None, *x] if x else x for x in v]),
    "null in a generated object's non-null leaf": (orders.ITEMS, lambda p, v: _lines(p, v, sku=None)),
    "a value a generated object's leaf refuses": (orders.ITEMS, lambda p, v: _lines(p, v, quantity="many")),
    "errors and refused values among a batch's leaves": (orders._order_count, lambda p, v: _counts(p, v)),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
async def test_faulty_batch_resolvers_answer_the_same(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    resolver, change = FAULTS[fault]
    monkeypatch.setattr(resolver, "function", _faulty(resolver, change))
    # The batch resolvers are what misbehaves: no query here may run as one statement instead of calling them.
    async with pair(settings, compiled_sql=False) as both:
        await both.query(LIST, {"first": 5})
        await both.query(CONSOLE, {"id": fixtures.LI_LEI})
        await both.query(
            """{ tickets(first: 5) { nodes { id customer { fullName orderCount lifetimeValue
                 orders(first: 2) { nodes { items { sku } } } } comments { body } } } }"""
        )
        await both.query(
            """query($id: ID!) { customer(id: $id) { orderCount lifetimeValue
                 tickets { id comments { body } customer { id } } } }""",
            {"id": fixtures.LI_LEI},
        )
        outcome = both.outcome
    assert outcome.differences == [], "\n".join(outcome.differences[:3])
    assert outcome.with_errors >= 1, outcome  # the fault showed
    assert outcome.planned == outcome.compared, outcome
