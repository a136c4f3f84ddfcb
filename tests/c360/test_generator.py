"""The demo generator is deterministic and its identifiers normalise."""

from __future__ import annotations

from c360.seed.catalogue import BUSINESS_UNITS
from c360.seed.generator import Generator


def _flatten(seed: int) -> list[object]:
    rows: list[object] = []
    for chunk in Generator(seed).chunks(150, chunk_size=40):
        rows += [*chunk.customers, *chunk.orders, *chunk.order_items, *chunk.tickets, *chunk.interactions]
        rows += chunk.links
    return rows


def test_same_seed_same_data() -> None:
    assert _flatten(11) == _flatten(11)
    assert _flatten(11) != _flatten(12)


def test_chunks_cover_exactly_the_requested_customers() -> None:
    chunks = list(Generator(3).chunks(150, chunk_size=40))
    assert [len(c.customers) for c in chunks] == [40, 40, 40, 30]


def test_phones_are_messy_but_unique_after_normalisation() -> None:
    links = [link for chunk in Generator(5).chunks(300) for link in chunk.links if link["type"] == "phone"]
    assert len({link["raw"] for link in links}) == len(links)
    assert len({link["value"] for link in links}) == len(links)
    assert any(" " in link["raw"] for link in links)
    assert any("-" in link["raw"] for link in links)
    assert all(link["value"].startswith("+86") and len(link["value"]) == 14 for link in links)


def test_orders_tickets_and_interactions_spread_over_business_units() -> None:
    chunks = list(Generator(5).chunks(200))
    for rows in ("orders", "tickets", "interactions"):
        units = {row[-1] for chunk in chunks for row in getattr(chunk, rows)}
        assert units == set(BUSINESS_UNITS), rows
