"""Root fields of the profiles subgraph: one customer, a filtered page of customers, lookup by identifier,
rejected records, identity figures, and the audit of personal data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import strawberry

from core import audit
from core.errors import BadUserInput
from core.ids import parse_int_id, parse_uuid
from graph_store.identifiers import normalize
from graph_store.resolution import history
from subgraphs.kit.classes import identifier_class
from subgraphs.kit.compiled import sql_form
from subgraphs.kit.context import Info
from subgraphs.kit.entities import CustomerRef
from subgraphs.kit.enums import IdentifierType
from subgraphs.kit.pagination import (
    AFTER_DESCRIPTION,
    Connection,
    build_connection,
    check_first,
    decode_cursor,
    encode_cursor,
    first_description,
    page_of,
)
from subgraphs.profiles import compiled, erasure_jobs, loaders, repository, review
from subgraphs.profiles.audit_types import AuditRecord
from subgraphs.profiles.erasure_types import ErasureJob
from subgraphs.profiles.ingest_types import (
    IdentityQuality,
    RecordError,
    RejectedRecord,
    SourceRecordRef,
    SourceRecordResult,
)
from subgraphs.profiles.ingestion import MAX_BATCH, outcomes_of
from subgraphs.profiles.loaders import ProfilesLoaders
from subgraphs.profiles.review_types import MatchCandidate
from subgraphs.profiles.types import CustomerConnection, CustomerFilter


@strawberry.type(name="ProfilesQuery")
class ProfilesQuery:
    @strawberry.field(
        description="One customer by id; null when no customer has that id.",
        metadata=sql_form(compiled.one_customer),
    )
    async def customer(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Customer id (a UUID).")],
    ) -> CustomerRef | None:
        return await loaders.customer(info.context, parse_uuid(id))

    @strawberry.field(
        description="Customers in id order, as a Relay connection, optionally filtered.",
        metadata=sql_form(compiled.customer_page),
    )
    async def customers(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description=first_description("customers", 20))] = 20,
        after: Annotated[str | None, strawberry.argument(description=AFTER_DESCRIPTION)] = None,
        filter: Annotated[
            CustomerFilter | None,
            strawberry.argument(
                description="Conditions a customer must all meet; every customer when omitted."
            ),
        ] = None,
    ) -> CustomerConnection:
        check_first(first, info.context.settings.max_page_size)
        after_id = parse_uuid(decode_cursor(after, 1)[0]) if after else None
        criteria = compiled.criteria_of(info.context, filter, await info.context.scope.visible())
        db = info.context.sources.postgres.db("profiles")
        rows = await repository.search(db, criteria, first + 1, after_id)
        profiles = info.context.loaders(ProfilesLoaders).profile_by_id
        for row in rows:
            profiles.prime(row["id"], row)
            # Orders and tickets of a merged-in customer still name its old id: the survivor answers it.
            for alias in row["merged_ids"] or ():
                profiles.prime(alias, row)
        edges, page_info = page_of(
            rows,
            first,
            after is not None,
            lambda row: CustomerRef(id=row["id"], profile=row),
            lambda row: encode_cursor(row["id"]),
        )
        return CustomerConnection(edges=edges, page_info=page_info, criteria=criteria)

    @strawberry.field(
        description=(
            "The customer an identifier belongs to. The value is normalised first, so `+86 138 0013 8000`, "
            "`138-0013-8000` and `13800138000` find the same customer; `appId` is required for WeChat openids."
        ),
        metadata=sql_form(compiled.customer_by_identifier),
    )
    async def customer_by_identifier(
        self,
        info: Info,
        type: Annotated[IdentifierType, strawberry.argument(description="Kind of identifier.")],
        value: Annotated[
            str,
            strawberry.argument(
                description=(
                    "The identifier as any system writes it; it is normalised as on ingestion (see `IdentifierType`) "
                    "before the lookup, and an invalid value is an error."
                )
            ),
        ],
        app_id: Annotated[
            str | None,
            strawberry.argument(
                description="App the openid belongs to: required for `WECHAT_OPENID`, ignored for other types."
            ),
        ] = None,
    ) -> CustomerRef | None:
        info.context.require_visible(identifier_class(type.value)[0], f"{type.value.replace('_', ' ')}")
        identifier = normalize(type, value, region=info.context.settings.default_phone_region, app_id=app_id)
        customer_id = await info.context.loaders(ProfilesLoaders).customer_by_identifier_key.load(
            identifier.key
        )
        return await loaders.customer(info.context, customer_id) if customer_id else None

    @strawberry.field(
        description="Source records rejected on ingestion, newest first, optionally of one system."
    )
    async def rejected_records(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description=first_description("records", 20))] = 20,
        after: Annotated[str | None, strawberry.argument(description=AFTER_DESCRIPTION)] = None,
        system: Annotated[
            str | None,
            strawberry.argument(
                description="Only records of this source system (its exact name, e.g. `crm`); every system when omitted."
            ),
        ] = None,
    ) -> Connection[RejectedRecord]:
        check_first(first, info.context.settings.max_page_size)
        after_id = parse_int_id(str(decode_cursor(after, 1)[0]), "cursor") if after else None
        rows = await repository.rejected(
            info.context.sources.postgres.db("profiles"), system, first + 1, after_id
        )
        return build_connection(
            rows,
            first,
            after is not None,
            lambda r: RejectedRecord(
                id=strawberry.ID(str(r["id"])),
                system=r["system"],
                external_id=r["external_id"],
                received_at=r["received_at"],
                errors=[RecordError(**e) for e in r["errors"]],
                payload=r["payload"],
            ),
            lambda r: encode_cursor(r["id"]),
        )

    @strawberry.field(
        description=(
            "The outcome of the latest version of each record, in the order asked (null: never received): what "
            "`ingestSourceRecords` answers, for records it answered `ACCEPTED`."
        )
    )
    async def ingest_outcomes(
        self,
        info: Info,
        records: Annotated[
            list[SourceRecordRef],
            strawberry.argument(description=f"The records, at most {MAX_BATCH:,} (e.g. one ingest batch)."),
        ],
    ) -> list[SourceRecordResult | None]:
        if len(records) > MAX_BATCH:
            raise BadUserInput(f"At most {MAX_BATCH} records per call, got {len(records)}")
        found = await outcomes_of(
            info.context.sources.postgres.db("profiles"), [(r.system, r.external_id) for r in records]
        )
        return [SourceRecordResult.of(f.result) if f is not None else None for f in found]

    @strawberry.field(
        description=(
            "The stewards' review queue: open pairs of customers the evidence does not settle (a shared identifier "
            "whose records' attributes clearly disagree; pairs a probabilistic matcher scores between its "
            "thresholds), oldest first, each with the comparisons that explain it. A decided pair leaves the queue "
            "for good."
        )
    )
    async def match_candidates(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description=first_description("candidates", 20))] = 20,
        after: Annotated[str | None, strawberry.argument(description=AFTER_DESCRIPTION)] = None,
        min_score: Annotated[
            float | None,
            strawberry.argument(
                description=(
                    "Only candidates a model scored at least this (total match weight); every candidate, scored or "
                    "not, when omitted."
                )
            ),
        ] = None,
    ) -> Connection[MatchCandidate]:
        check_first(first, info.context.settings.max_page_size)
        after_id = parse_int_id(str(decode_cursor(after, 1)[0]), "cursor") if after else None
        rows = await review.page(info.context.sources.postgres.db("profiles"), first + 1, after_id, min_score)
        return build_connection(
            rows, first, after is not None, MatchCandidate.of, lambda r: encode_cursor(r["id"])
        )

    @strawberry.field(
        description="Consolidation figures of identity resolution: customers, records, merges, conflicts."
    )
    async def identity_quality(self, info: Info) -> IdentityQuality:
        sources = info.context.sources
        graph = await history.quality(sources.graph)
        db = sources.postgres.db("profiles")
        rejected = await db.fetchval("SELECT count(*) FROM profiles.rejected_records")
        probabilistic = await db.fetchval(
            "SELECT coalesce(avg((outcome->>'method' = 'probabilistic')::int), 0)::float8"
            " FROM profiles.source_records WHERE status IS NOT NULL"
        )
        return IdentityQuality(
            customers=graph.customers,
            source_records=graph.source_records,
            merges=graph.merges,
            splits=graph.splits,
            conflicts=graph.conflicts,
            rejected_records=rejected,
            largest_cluster_size=graph.largest_cluster,
            review_queue=await review.open_count(db),
            probabilistic_share=probabilistic,
        )

    @strawberry.field(
        description=(
            "The audit of personal data, newest first: one record per request that showed unmasked personal data "
            "or changed customer data. Filters combine; reading the audit is itself audited."
        )
    )
    async def audit_records(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description=first_description("records", 20))] = 20,
        after: Annotated[str | None, strawberry.argument(description=AFTER_DESCRIPTION)] = None,
        customer_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only requests that showed or changed this customer's data."),
        ] = None,
        principal: Annotated[
            str | None,
            strawberry.argument(description="Only requests of this caller (the subject of its token)."),
        ] = None,
        since: Annotated[
            datetime | None,
            strawberry.argument(
                description="Only records written at or after this time (UTC when no offset)."
            ),
        ] = None,
        until: Annotated[
            datetime | None,
            strawberry.argument(description="Only records written before this time (UTC when no offset)."),
        ] = None,
    ) -> Connection[AuditRecord]:
        check_first(first, info.context.settings.max_page_size)
        after_id = parse_int_id(str(decode_cursor(after, 1)[0]), "cursor") if after else None
        since, until = _aware(since), _aware(until)
        if since is not None and until is not None and since >= until:
            raise BadUserInput("`since` must be before `until`")
        customer = parse_uuid(customer_id) if customer_id else None
        search = repository.AuditSearch(customer, principal, since, until)
        rows = await repository.audit_records(
            info.context.sources.postgres.db(audit.STORE), search, first + 1, after_id
        )
        # Reading the audit tells who looked at whose data: it is recorded like a read of internal data, naming
        # the customers this page shows (and the one asked about), and withheld if that record cannot be written.
        shown = {c for row in rows[:first] for c in row["customer_ids"]} | ({customer} if customer else set())
        info.context.audit.read("internal", sorted(shown), info.path)
        return build_connection(
            rows, first, after is not None, AuditRecord.of, lambda r: encode_cursor(r["id"])
        )

    @strawberry.field(
        description=(
            "An erasure job (`eraseCustomer`): its state, each step with what it changed in which store, its times "
            "and error codes; null when there is no such job."
        )
    )
    async def erasure_job(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The job's id (a UUID).")],
    ) -> ErasureJob | None:
        job_id = parse_uuid(id, "job id")
        found = await erasure_jobs.views(info.context.sources.postgres.db("profiles"), [job_id])
        return ErasureJob.of(found[job_id]) if job_id in found else None


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment
