"""The audit of personal data: one append-only record per request that showed unmasked personal data or changed
customer data. A record says who (subject and roles), which operation (its name and root fields, never its text
or arguments), which customers, which data classes, when, the request id and the endpoint; never a value.

The records live in the profiles subgraph's database (``profiles.audit_records``, created by its migrations), the
subgraph that owns customers; every process writes there, whichever subgraph it serves, through the profiles
subgraph's DSN. The API's role may only insert and read them (``core.migrations.app_grants``), and a trigger
refuses ``UPDATE``, ``DELETE`` and ``TRUNCATE`` to every role, the owner included.

Erasure hook: a job that must pseudonymise a customer's id in past records runs as the schemas' owner and sets
``SET LOCAL c360.audit_rewrite = 'pseudonymise'`` in its transaction; the trigger then lets its ``UPDATE``
through (and nothing else).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from core.errors import AuditUnavailable
from core.postgres import Database

log = logging.getLogger("c360.audit")

STORE = "profiles"
"""The subgraph whose database keeps the records."""
TABLE = "profiles.audit_records"
APPEND_ONLY = (TABLE,)
"""Tables the API's role may insert into and read, never change (the grants and the seed's reset skip them)."""
REWRITE_SETTING = "c360.audit_rewrite"
"""The owner's erasure hook: ``SET LOCAL c360.audit_rewrite = 'pseudonymise'`` lets an ``UPDATE`` through."""

Kind = Literal["read", "mutation"]


@dataclass(frozen=True, slots=True)
class AuditRecord:
    request_id: str | None
    subject: str
    roles: tuple[str, ...]
    operation: str | None
    """The operation's name as the document gives it; ``None`` for an anonymous operation."""
    fields: tuple[str, ...]
    """Root fields the operation selected (names, not aliases; no arguments)."""
    kind: Kind
    customer_ids: tuple[str, ...]
    data_classes: tuple[str, ...]
    endpoint: str | None
    """The HTTP path the request came to (``/graphql``, ``/subgraphs/<name>/graphql``)."""


INSERT = (
    f"INSERT INTO {TABLE} (request_id, subject, roles, operation, fields, kind, customer_ids, data_classes,"
    " endpoint) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
)


async def write(db: Database, record: AuditRecord) -> None:
    """Write ``record`` in one statement.

    Any failure (the table refuses the role, is missing, the database is down or the statement times out)
    raises :class:`AuditUnavailable`, so the caller withholds what the record was for."""
    try:
        await db.fetch(
            INSERT,
            record.request_id,
            record.subject,
            list(record.roles),
            record.operation,
            list(record.fields),
            record.kind,
            list(record.customer_ids),
            list(record.data_classes),
            record.endpoint,
        )
    except Exception as exc:
        log.error("the audit record of request %s could not be written", record.request_id, exc_info=exc)
        raise AuditUnavailable(
            "Withheld: the audit record this personal data needs could not be written; try again later"
        ) from exc
