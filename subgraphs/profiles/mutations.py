"""Mutations of the profiles subgraph: ingesting source records into the identity graph and golden records."""

from __future__ import annotations

from typing import Annotated

import strawberry

from core.ids import parse_uuid
from graph_store.identifiers import normalize
from graph_store.resolution.plan import Outcome
from graph_store.resolution.rules import rules_at
from graph_store.resolution.split import split
from subgraphs.kit.context import Info
from subgraphs.profiles import golden
from subgraphs.profiles.ingest_types import (
    IngestSourceRecordsPayload,
    SourceRecordInput,
    SourceRecordResult,
    UnmergeCustomerInput,
    UnmergeCustomerPayload,
)
from subgraphs.profiles.ingestion import MAX_BATCH, ingest


@strawberry.type(name="ProfilesMutation")
class ProfilesMutation:
    @strawberry.mutation(
        description=(
            "Ingest up to 1,000 source records: identifiers are normalised, records sharing one resolve to the same "
            "customer (merging customers when a record links them), and golden records are recomputed. An invalid "
            "record is rejected with an error per field and kept for review; the rest of the batch is still ingested. "
            "Re-ingesting a record with the same content changes nothing."
        )
    )
    async def ingest_source_records(
        self,
        info: Info,
        records: Annotated[
            list[SourceRecordInput],
            strawberry.argument(
                description=(
                    f"The records, at most {MAX_BATCH:,} per call (a longer list is refused whole); "
                    "results come back in the same order."
                )
            ),
        ],
    ) -> IngestSourceRecordsPayload:
        context = info.context
        result = await ingest(
            context.sources, [r.to_record() for r in records], rules_at(context.settings.identity_rules)
        )
        context.audit.changed(
            info.path,
            (c for r in result.results if isinstance(r, Outcome) for c in (r.customer_id, *r.merged)),
        )
        return IngestSourceRecordsPayload(results=[SourceRecordResult.of(r) for r in result.results])

    @strawberry.mutation(
        description=(
            "Split a customer: the named source records (and those claiming the named identifiers) leave it, the rest "
            "regroup by the identifiers they claimed, and customers merged earlier come back with their own ids. "
            "The parts are never merged again by later records."
        )
    )
    async def unmerge_customer(
        self,
        info: Info,
        input: Annotated[
            UnmergeCustomerInput,
            strawberry.argument(
                description="The customer to split, and the records or identifiers to take out."
            ),
        ],
    ) -> UnmergeCustomerPayload:
        context = info.context
        rules = rules_at(context.settings.identity_rules)
        region = context.settings.default_phone_region
        identifier_keys = [
            normalize(i.type, i.value, region=region, app_id=i.app_id).key for i in input.identifiers
        ]
        result = await split(
            context.sources.graph,
            parse_uuid(input.customer_id),
            [f"{r.system}:{r.external_id}" for r in input.source_records],
            rules,
            identifier_keys,
            await context.scope.visible(),
        )
        context.scope.forget()
        await golden.apply(context.sources.postgres.db("profiles"), result, rules)
        context.audit.changed(info.path, {parse_uuid(input.customer_id), *result.evidence})
        return UnmergeCustomerPayload(customer_ids=list(result.evidence))
