"""Mutations of the profiles subgraph: ingesting source records into the identity graph and golden records."""

from __future__ import annotations

import strawberry

from core.context import Info
from graph_store.resolution.rules import rules_at
from subgraphs.profiles.ingest_types import IngestSourceRecordsPayload, SourceRecordInput, SourceRecordResult
from subgraphs.profiles.ingestion import ingest


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
        self, info: Info, records: list[SourceRecordInput]
    ) -> IngestSourceRecordsPayload:
        context = info.context
        result = await ingest(
            context.sources, [r.to_record() for r in records], rules_at(context.settings.identity_rules)
        )
        return IngestSourceRecordsPayload(results=[SourceRecordResult.of(r) for r in result.results])
