"""GraphQL types of the audit of personal data (``core/audit.py``), as the privacy officer reads it."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from subgraphs.kit.classes import classified, classify


@strawberry.enum(description="What an audited request did.")
class AuditKind(Enum):
    _value_: str

    READ = strawberry.enum_value("read", description="A query that showed unmasked personal data.")
    MUTATION = strawberry.enum_value(
        "mutation", description="A mutation that changed customer data (and what its answer showed)."
    )


@classified("internal")
@strawberry.type(
    description=(
        "One request that showed unmasked personal data or changed customer data: who, which operation, whose "
        "data, which classes, when. Never the values, nor the document's text or arguments."
    )
)
class AuditRecord:
    id: strawberry.ID = strawberry.field(
        metadata=classify("public"), description="Id of the record; newer records have greater ids."
    )
    at: datetime = strawberry.field(
        metadata=classify("public"), description="When the record was written, after the request ran."
    )
    request_id: str | None = strawberry.field(
        description="The request's id (`X-Request-ID`), as its log lines carry it."
    )
    principal: str = strawberry.field(description="The caller: the subject of its token.")
    roles: list[str] = strawberry.field(description="The caller's roles.")
    operation: str | None = strawberry.field(
        description="The operation's name as the document gives it; null for an anonymous operation."
    )
    root_fields: list[str] = strawberry.field(
        description="Root fields the operation selected (names, not aliases)."
    )
    kind: AuditKind = strawberry.field(metadata=classify("public"), description="A read or a mutation.")
    customer_ids: list[strawberry.ID] = strawberry.field(
        description="Customers whose personal data the answer showed or the mutation changed."
    )
    data_classes: list[str] = strawberry.field(
        description="Data classes of the personal data shown unmasked (empty for a mutation that showed none)."
    )
    endpoint: str | None = strawberry.field(
        description="The path the request came to: `/graphql` or a subgraph's `/subgraphs/<name>/graphql`."
    )

    @staticmethod
    def of(row: Any) -> AuditRecord:
        return AuditRecord(
            id=strawberry.ID(str(row["id"])),
            at=row["at"],
            request_id=row["request_id"],
            principal=row["subject"],
            roles=list(row["roles"]),
            operation=row["operation"],
            root_fields=list(row["fields"]),
            kind=AuditKind(row["kind"]),
            customer_ids=[strawberry.ID(c) for c in row["customer_ids"]],
            data_classes=list(row["data_classes"]),
            endpoint=row["endpoint"],
        )
