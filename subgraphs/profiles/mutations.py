"""Mutations of the profiles subgraph: ingesting source records, splitting customers (both through the outbox)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from core.erasure import keyring_or_none
from core.ids import parse_int_id, parse_uuid
from graph_store.identifiers import normalize
from graph_store.resolution.plan import Outcome
from subgraphs.kit.context import Info
from subgraphs.profiles import erasure_jobs, review
from subgraphs.profiles.consent import set_consent
from subgraphs.profiles.consent_types import SetConsentInput, SetConsentPayload
from subgraphs.profiles.erasure_types import EraseCustomerInput, EraseCustomerPayload, ErasureJob
from subgraphs.profiles.ingest_types import (
    IngestSourceRecordsPayload,
    SourceRecordInput,
    SourceRecordResult,
    UnmergeCustomerInput,
    UnmergeCustomerPayload,
)
from subgraphs.profiles.ingestion import MAX_BATCH, ingest, unmerge
from subgraphs.profiles.review_types import IdentityDecisionPayload, MatchDecision, MergeCustomersInput


@strawberry.type(name="ProfilesMutation")
class ProfilesMutation:
    @strawberry.mutation(
        description=(
            "Ingest up to 1,000 source records: identifiers are normalised, records sharing one resolve to the same "
            "customer (merging customers when a record links them), and golden records are recomputed. An invalid "
            "record is rejected with an error per field and kept for review; the rest of the batch is still ingested. "
            "Re-ingesting a record with the same content changes nothing. Every record answered is stored durably "
            "before the answer; a record whose identity resolution has not finished within a short wait (the "
            "identity graph busy or down) answers `ACCEPTED`, and `ingestOutcomes` gives its outcome later."
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
        decisions = [r.to_decisions() for r in records]
        result = await ingest(
            context.sources,
            [r.to_record() for r in records],
            consents=decisions if any(decisions) else None,
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
            "The parts are never merged again by later records. The split applies in order with ingestion; if the "
            "identity graph has not applied it within a short wait, `applied` is false and it applies later."
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
        region = context.settings.default_phone_region
        identifier_keys = [
            normalize(i.type, i.value, region=region, app_id=i.app_id).key for i in input.identifiers
        ]
        outcome = await unmerge(
            context.sources,
            parse_uuid(input.customer_id),
            [f"{r.system}:{r.external_id}" for r in input.source_records],
            identifier_keys,
            await context.scope.visible(),
        )
        context.scope.forget()
        context.audit.changed(info.path, {parse_uuid(input.customer_id), *outcome.customer_ids})
        return UnmergeCustomerPayload(customer_ids=outcome.customer_ids, applied=outcome.applied)

    @strawberry.mutation(
        description=(
            "Decide a review candidate as a steward: `MERGE` joins the two customers (reversible with "
            "`unmergeCustomer`, like any merge), `KEEP_APART` makes sure no later record merges them. The decision is "
            "kept at once and never asked again (deciding twice answers `ALREADY_DECIDED`); the identity graph applies "
            "it in order with ingestion, and both are identity events."
        )
    )
    async def resolve_match_candidate(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The candidate (`matchCandidates`).")],
        decision: Annotated[MatchDecision, strawberry.argument(description="One person, or two.")],
    ) -> IdentityDecisionPayload:
        context = info.context
        outcome = await review.resolve(
            context.sources,
            parse_int_id(str(id), "id"),
            decision is MatchDecision.MERGE,
            context.principal.subject if context.principal else "unknown",
            await context.scope.visible(),
        )
        context.scope.forget()
        context.audit.changed(info.path, outcome.customer_ids)
        return IdentityDecisionPayload(customer_ids=outcome.customer_ids, applied=outcome.applied)

    @strawberry.mutation(
        description=(
            "Merge two customers a steward knows to be one person: the older keeps its id, the other becomes its "
            "alias, and the golden record is recomputed from both customers' source records. Applied in order with "
            "ingestion, recorded as an identity event, and reversible with `unmergeCustomer` (name the source "
            "records of the customer merged in)."
        )
    )
    async def merge_customers(
        self,
        info: Info,
        input: Annotated[MergeCustomersInput, strawberry.argument(description="The two customers.")],
    ) -> IdentityDecisionPayload:
        context = info.context
        outcome = await review.merge_by_hand(
            context.sources,
            parse_uuid(input.customer_id),
            parse_uuid(input.other_customer_id),
            context.principal.subject if context.principal else "unknown",
            await context.scope.visible(),
        )
        context.scope.forget()
        context.audit.changed(info.path, {parse_uuid(input.customer_id), parse_uuid(input.other_customer_id)})
        return IdentityDecisionPayload(customer_ids=outcome.customer_ids, applied=outcome.applied)

    @strawberry.mutation(
        description=(
            "Record a consent decision for a customer: the latest decision per purpose and channel, by `decidedAt`, "
            "is in force (`Customer.consents`); every decision is kept, and announced as a `consent.changed` event."
        )
    )
    async def set_consent(
        self,
        info: Info,
        input: Annotated[SetConsentInput, strawberry.argument(description="The customer and the decision.")],
    ) -> SetConsentPayload:
        context = info.context
        decision = input.consent.to_decision()
        customer, event_id = await set_consent(
            context.sources, parse_uuid(input.customer_id), decision, await context.scope.visible()
        )
        context.audit.changed(info.path, [customer])
        return SetConsentPayload(customer_id=strawberry.ID(customer), event_id=strawberry.ID(str(event_id)))

    @strawberry.mutation(
        description=(
            "Erase a data subject: start a job that removes or pseudonymises their personal data in every store "
            "(golden record, source and rejected records, identifiers, aliases, consents, relationships, the "
            "identity graph, outboxes, audit records, tickets' text, interactions); orders and tickets kept for "
            "accounting stay under a pseudonym, restricted. Later records carrying the erased identifiers start a "
            "new customer (see `erasureJob` for its progress). Refused with `NOT_FOUND` for an unknown id and "
            "`ALREADY_ERASED` for an erased one."
        )
    )
    async def erase_customer(
        self,
        info: Info,
        input: Annotated[EraseCustomerInput, strawberry.argument(description="Whom to erase.")],
    ) -> EraseCustomerPayload:
        context = info.context
        db = context.sources.postgres.db("profiles")
        requested = await erasure_jobs.request(
            db,
            keyring_or_none(context.settings),
            context.actor,
            parse_uuid(input.customer_id),
            input.idempotency_key,
            await context.scope.visible(),
        )
        # The audit names the job's pseudonym: a record naming the customer would be one more trace to erase.
        context.audit.changed(info.path, [requested.pseudonym])
        views = await erasure_jobs.views(db, [requested.job])
        return EraseCustomerPayload(job=ErasureJob.of(views[requested.job]), started=requested.started)
