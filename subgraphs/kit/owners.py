"""A customer's records under every id they have had: orders, tickets and interactions stay under the id they were
recorded with, and a customer's lists and summaries read them under the customer's own id and every id merged into
it. A split gives the ids back (``profiles.customer_aliases`` loses them), and with them their records.

The ids merged into a customer come with its golden record (``profile["merged_ids"]``, read in the same statement);
a customer known only by its key (a federation entity, an account's roll-up) asks ``CrossSource.merged_ids``, one
batched statement per request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

if TYPE_CHECKING:
    from subgraphs.kit.context import RequestContext


class Owner(NamedTuple):
    """A customer (``id``, the surviving id) and every id its records may be under (``ids``, its own first).

    A tuple: loaders key their batches by owner, and a tuple hashes and compares in C."""

    id: str
    ids: tuple[str, ...]

    @classmethod
    def alone(cls, customer_id: str) -> Owner:
        return cls(customer_id, (customer_id,))


async def owner_of(context: RequestContext, customer: Any) -> Owner:
    """The owner behind a ``Customer`` value (a ``CustomerRef``, with or without its golden record)."""
    customer_id = str(customer.id)
    profile = customer.__dict__.get("profile")
    if profile is not None and "merged_ids" in profile:
        return Owner(customer_id, (customer_id, *profile["merged_ids"]))
    return Owner(customer_id, (customer_id, *await context.cross.merged_ids(context, customer_id)))


async def owners_of(context: RequestContext, customer_ids: Collection[str]) -> list[Owner]:
    """Owners of customers known by id only, in order (one batched look-up)."""
    merged = await asyncio.gather(*(context.cross.merged_ids(context, c) for c in customer_ids))
    return [Owner(c, (c, *m)) for c, m in zip(customer_ids, merged, strict=True)]


OWNER = "_c360_owner"
"""Where a ``Customer`` value keeps its owner once known (each of its batch fields asks for it)."""


async def owners_of_customers(context: RequestContext, customers: Sequence[Any]) -> list[Owner]:
    """:func:`owner_of` for many ``Customer`` values at once, in order: those loaded without their merged ids ask
    for them in one batch. Each value keeps its owner, so the customer's other fields find it."""
    owners: list[Owner | None] = []
    missing: list[str] = []
    for customer in customers:
        state = customer.__dict__
        owner = state.get(OWNER)
        if owner is None:
            customer_id = str(customer.id)
            profile = state.get("profile")
            if profile is not None and "merged_ids" in profile:
                owner = state[OWNER] = Owner(customer_id, (customer_id, *profile["merged_ids"]))
            else:
                missing.append(customer_id)
        owners.append(owner)
    if missing:
        merged = iter(await asyncio.gather(*(context.cross.merged_ids(context, c) for c in missing)))
        ids = iter(missing)
        for index, owner in enumerate(owners):
            if owner is None:
                customer_id = next(ids)
                owners[index] = Owner(customer_id, (customer_id, *next(merged)))
    return [owner for owner in owners if owner is not None]


def pairs_table(owners: Sequence[Owner], param: Callable[[object], str]) -> str:
    """A FROM item ``p(owner, id)``: one row per id of each owner. Records join on ``x.customer_id = p.id``, an
    equality that walks the ``(customer_id, time, id)`` index of each id in order (``= ANY(ids)`` could not, and the
    planner would scan a time index of the whole table instead)."""
    pairs = [(owner.id, one) for owner in owners for one in owner.ids]
    return f"unnest({param([o for o, _ in pairs])}::uuid[], {param([i for _, i in pairs])}::uuid[]) AS p(owner, id)"


V = TypeVar("V")


def by_owner(owners: Sequence[Owner], found: Mapping[str, V]) -> dict[Owner, V]:
    """Results keyed by owner id, keyed by the owners asked (loaders look them up by the key they were given)."""
    return {owner: found[owner.id] for owner in owners if owner.id in found}


OWNER_IDS = "c360_ids"
"""The column a customer row read by a compiled statement carries its ids in (:func:`owner_ids_sql`, computed once
per row by the forms that read customers, and read by the forms of its orders, tickets and figures)."""


def owner_ids_sql(customer: str) -> str:
    """A ``uuid[]`` SQL expression: the customer in column ``customer`` and every id merged into it (its own
    first; ``profiles.customer_aliases``, in the same database). Records join on ``x.customer_id = p.id`` over
    ``unnest`` of it, one index walk per id, as :func:`pairs_table` does for many customers."""
    return (
        f"(ARRAY[{customer}] || ARRAY(SELECT m.alias_id FROM profiles.customer_aliases m"
        f" WHERE m.customer_id = {customer} ORDER BY m.merged_at, m.alias_id))"
    )


def newest_under_ids(parent: str, table: str, at: str, conditions: list[str], limit: str) -> str:
    """A FROM item of the newest rows of ``table`` (by ``at``, then id; alias ``y`` in ``conditions``) under every id
    of the customer row ``parent`` (its :data:`OWNER_IDS`): one index walk per id, then the newest of them, as
    :func:`pairs_table`'s statements do for many customers."""
    where = "".join(f" AND {c}" for c in conditions)
    return (
        f"(SELECT x.* FROM unnest({parent}.{OWNER_IDS}) AS p(id) CROSS JOIN LATERAL"
        f" (SELECT * FROM {table} y WHERE y.customer_id = p.id{where}"
        f" ORDER BY y.{at} DESC, y.id DESC LIMIT {limit}) x"
        f" ORDER BY x.{at} DESC, x.id DESC LIMIT {limit})"
    )
