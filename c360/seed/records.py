"""The demo's customers as source records, ingested through the identity stream like any system's records.

A bulk seed loads golden records and identifier links directly (fast, and their ids are what orders, tickets and
relationships point to); then each customer's source systems send their records through ``ingestSourceRecords``'s
path: one record per system that holds an identifier of the customer, carrying those identifiers and what that
system knows of the person. The relay links each to its seeded customer, so every customer has source records,
per-field provenance and an identity history, as a real deployment's would.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from c360.seed.generator import CUSTOMER_COLUMNS
from core.postgres import Postgres
from core.settings import Settings
from graph_store.driver import GraphStore
from graph_store.identifiers import IdentifierType
from graph_store.resolution.records import RawIdentifier, SourceRecord
from subgraphs.kit.sources import DataSources
from subgraphs.profiles.ingestion import MAX_BATCH, ingest
from subgraphs.profiles.relay import identity_relay

PROFILE_SYSTEM = "crm"
"""The system that holds the whole profile; the others know names and the city."""
BRIEF = ("given_name", "family_name", "city")


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def source_records(
    customers: Sequence[tuple[Any, ...]], links: Iterable[dict[str, Any]]
) -> list[SourceRecord]:
    """One record per (customer, system holding one of its identifiers), keyed ``<system>:<customer id>``."""
    profiles = {str(row[0]): dict(zip(CUSTOMER_COLUMNS, row, strict=True)) for row in customers}
    links = list(links)
    holders: dict[str, set[str]] = defaultdict(set)
    for link in links:
        holders[link["key"]].add(link["customer"])
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for link in links:
        # Identifiers the generator shares between people (a family's phone, a shop's tablet) stay relationship
        # data: a record carrying one would ask to merge two people the data set keeps apart.
        if len(holders[link["key"]]) == 1:
            grouped[(link["customer"], link["source"])].append(link)
    records = []
    for (customer, system), held in sorted(grouped.items()):
        profile = profiles.get(customer)
        if profile is None:
            continue
        names = (
            (
                "given_name",
                "family_name",
                "gender",
                "birth_date",
                "city",
                "region",
                "loyalty_tier",
                "loyalty_points",
            )
            if system == PROFILE_SYSTEM
            else BRIEF
        )
        attributes = {name: profile[name] for name in names if profile.get(name) not in (None, "")}
        identifiers = tuple(
            RawIdentifier(
                IdentifierType(link["type"]),
                link["raw"],
                link["value"].split("/", 1)[0]
                if link["type"] == IdentifierType.WECHAT_OPENID.value
                else None,
            )
            for link in held
        )
        observed = max(_aware(link["observedAt"]) for link in held)
        records.append(SourceRecord(system, customer, observed, attributes, identifiers))
    return records


async def ingest_all(settings: Settings, records: Sequence[SourceRecord]) -> None:
    """Commit the records in batches (no wait), then let a relay apply them all."""
    postgres = Postgres(settings.as_owner())
    await postgres.start()
    graph = GraphStore(settings)
    try:
        sources = DataSources(settings, postgres, graph)
        for start in range(0, len(records), MAX_BATCH):
            await ingest(sources, records[start : start + MAX_BATCH], wait=0.0)
    finally:
        await postgres.close()
        await graph.close()
    relay, relay_graph = identity_relay(settings)
    try:
        await relay.drain()
    finally:
        await relay.close()
        await relay_graph.close()
