"""The service console's writes are audited like every change of customer data: one record of kind ``mutation``
naming the customer of what was written; a replay under an idempotency key changed nothing and writes none."""

from __future__ import annotations

import uuid

import asyncpg

from tests import auth
from tests.conftest import NewCustomers
from tests.tickets.conftest import COMMENT, CREATE, Api, key

LOG = "mutation($i: LogInteractionInput!) { logInteraction(input: $i) { replayed } }"
ORDERS = "mutation($o: [IngestOrderInput!]!) { ingestOrders(orders: $o) { results { outcome } } }"


async def test_each_write_names_its_customer_in_one_record(
    api: Api, pg: asyncpg.Connection, customers: NewCustomers
) -> None:
    (customer,) = await customers.take(1)
    subject = f"agent.audit.{uuid.uuid4().hex[:8]}"
    who = auth.headers(("agent", "integration"), subject=subject)
    opened = {"customer": {"id": customer}, "channel": "PHONE", "subject": "Audited", "idempotencyKey": key()}
    ticket = (await api.data(CREATE, who, i=opened))["createTicket"]["ticket"]["id"]
    await api.data(CREATE, who, i=opened)  # the replay: nothing written, nothing audited
    await api.data(COMMENT, who, i={"ticketId": ticket, "body": "Checked."})
    await api.data(LOG, who, i={"customer": {"id": customer}, "kind": "CALL", "summary": "Audited call"})
    line = {"sku": "A", "name": "Audit", "quantity": 1, "unitPrice": "1.00"}
    order = {"system": "audit", "externalId": f"audit-{customer}", "customer": {"id": customer}, "channel": "ONLINE",
             "placedAt": "2026-11-01T00:00:00Z", "items": [line]}  # fmt: skip
    await api.data(ORDERS, who, o=[order])
    await api.data(ORDERS, who, o=[order])  # unchanged: nothing written, nothing audited
    records = await pg.fetch(
        "SELECT kind, fields, customer_ids FROM profiles.audit_records WHERE subject = $1 ORDER BY id",
        subject,
    )
    assert [(r["kind"], list(r["fields"]), [str(c) for c in r["customer_ids"]]) for r in records] == [
        ("mutation", ["createTicket"], [customer]),
        ("mutation", ["addTicketComment"], [customer]),
        ("mutation", ["logInteraction"], [customer]),
        ("mutation", ["ingestOrders"], [customer]),
    ]
