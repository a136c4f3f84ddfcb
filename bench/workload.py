"""The five customer-360 queries, as each system spells them, and the canonical form their answers are compared in.

PostGraphile answers from PostgreSQL alone: identifiers live in the Neo4j identity graph, so its Q1 leaves them
out (and is compared without them) and it has no Q5. Its relation names carry schema prefixes because several
schemas hold an ``alembic_version`` table; aliases give its answers the API's field names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson

API, POSTGRAPHILE, FLOOR, FLOOR_JSON = "api", "postgraphile", "floor", "floor-json"
FLOORS = (FLOOR, FLOOR_JSON)
"""The bare systems: plain JSON parameters in, the answer's ``data`` out."""
PAGES = 10
"""Pages of Q3 and Q4 walked at the gate; the load cycles through them."""

PROFILE = "givenName familyName fullName gender birthDate city region countryCode loyaltyTier loyaltyPoints status createdAt updatedAt"
ORDER = "channel status total placedAt"
ITEM = "sku name quantity unitPrice"
TICKET = "subject status priority createdAt slaDueAt"
INTERACTION = "kind channel occurredAt summary"
SUMMARY = "fullName loyaltyTier lifetimeValue orderCount lastOrderAt openTicketCount"

API_TEXT = {
    "q1": f"""query Q1($id: ID!) {{ customer(id: $id) {{ id {PROFILE}
  identifiers {{ type value source observedAt }}
  orders(first: 20) {{ nodes {{ id {ORDER} items {{ id {ITEM} }} }} }}
  tickets(status: [OPEN, PENDING]) {{ id {TICKET} }}
  interactions(first: 50) {{ nodes {{ id {INTERACTION} }} }} }} }}""",
    "q2": f"query Q2($id: ID!) {{ customer(id: $id) {{ id {PROFILE} }} }}",
    "q3": """query Q3($after: String) { customers(first: 50, after: $after) {
  nodes { id fullName loyaltyTier
    orders(first: 5) { nodes { id status total placedAt } }
    tickets(first: 5) { id subject status createdAt } }
  pageInfo { endCursor } } }""",
    "q4": f"""query Q4($after: String) {{ customers(first: 200, after: $after) {{
  nodes {{ id {SUMMARY} }} pageInfo {{ endCursor }} }} }}""",
    "q5": """query Q5($phone: String!) { customerByIdentifier(type: PHONE, value: $phone) {
  id fullName givenName familyName loyaltyTier status city } }""",
}

_PG_ORDERS = "orderBy: [PLACED_AT_DESC, ROW_ID_DESC]"
_PG_TICKETS = "orderBy: [CREATED_AT_DESC, ROW_ID_DESC]"
POSTGRAPHILE_TEXT = {
    "q1": f"""query Q1($id: UUID!) {{ customer: customerByRowId(rowId: $id) {{ rowId {PROFILE}
  orders: ordersOrdersByCustomerId(first: 20, {_PG_ORDERS}) {{ nodes {{ rowId {ORDER}
    items: ordersOrderItemsByOrderId(orderBy: ROW_ID_ASC) {{ nodes {{ rowId {ITEM} }} }} }} }}
  openTickets: ticketsTicketsByCustomerId(condition: {{status: "open"}}, {_PG_TICKETS}) {{ nodes {{ rowId {TICKET} }} }}
  pendingTickets: ticketsTicketsByCustomerId(condition: {{status: "pending"}}, {_PG_TICKETS}) {{ nodes {{ rowId {TICKET} }} }}
  interactions: interactionsInteractionsByCustomerId(first: 50, orderBy: [OCCURRED_AT_DESC, ROW_ID_DESC]) {{
    nodes {{ rowId {INTERACTION} }} }} }} }}""",
    "q2": f"query Q2($id: UUID!) {{ customer: customerByRowId(rowId: $id) {{ rowId {PROFILE} }} }}",
    "q3": f"""query Q3($after: Cursor) {{ customers: allCustomers(first: 50, after: $after, orderBy: ROW_ID_ASC) {{
  nodes {{ rowId fullName loyaltyTier
    orders: ordersOrdersByCustomerId(first: 5, {_PG_ORDERS}) {{ nodes {{ rowId status total placedAt }} }}
    tickets: ticketsTicketsByCustomerId(first: 5, {_PG_TICKETS}) {{ nodes {{ rowId subject status createdAt }} }} }}
  pageInfo {{ endCursor }} }} }}""",
    "q4": f"""query Q4($after: Cursor) {{ customers: allCustomers(first: 200, after: $after, orderBy: ROW_ID_ASC) {{
  nodes {{ rowId {SUMMARY} }} pageInfo {{ endCursor }} }} }}""",
}


@dataclass(frozen=True)
class Query:
    name: str
    title: str
    paged: bool = False
    page_size: int = 0
    uses_graph: bool = False


QUERIES = {
    "q1": Query("q1", "customer-360 console view", uses_graph=True),
    "q2": Query("q2", "profile by id"),
    "q3": Query("q3", "customers(first: 50) with orders and tickets", paged=True, page_size=50),
    "q4": Query("q4", "customers(first: 200) with summary fields", paged=True, page_size=200),
    "q5": Query("q5", "lookup by phone", uses_graph=True),
}


def supports(system: str, query: str) -> bool:
    return not (system == POSTGRAPHILE and query == "q5")


def request(system: str, query: str, variables: dict[str, Any]) -> tuple[str, bytes]:
    """The path and body of one request: GraphQL for the two GraphQL servers, plain JSON for the floor."""
    if system in FLOORS:
        return f"/{query}", orjson.dumps(variables)
    text = API_TEXT[query] if system == API or system.startswith(API + "-") else POSTGRAPHILE_TEXT[query]
    return "/graphql", orjson.dumps({"query": text, "variables": variables})


def next_cursor(system: str, query: str, answer: dict[str, Any]) -> str | None:
    """Where the next page starts, in the system's own terms (the floor pages by the last id)."""
    if system in FLOORS:
        nodes = answer["customers"]
        return nodes[-1]["id"] if nodes else None
    cursor: str | None = answer["customers"]["pageInfo"]["endCursor"]
    return cursor


# --- the canonical form ------------------------------------------------------------------------------------

ENUM_KEYS = {"gender", "loyaltyTier", "status", "channel", "kind", "priority", "type"}
RENAMED = {"rowId": "id", "customerByIdentifier": "customer"}
DROPPED = {"pageInfo"}
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def canonical(value: Any, key: str | None = None) -> Any:
    """One spelling for every system: ids and numbers as plain decimals, instants in UTC, enums lower-case,
    connections as lists."""
    if isinstance(value, dict):
        if set(value) - DROPPED == {"nodes"}:
            return canonical(value["nodes"], key)
        return {RENAMED.get(k, k): canonical(v, k) for k, v in value.items() if k not in DROPPED}
    if isinstance(value, list):
        return [canonical(v, key) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | Decimal):
        return _decimal(str(value))
    if isinstance(value, str):
        if key in ENUM_KEYS:
            return value.lower()
        if _NUMBER.match(value):
            return _decimal(value)
        if _MOMENT.match(value):
            return datetime.fromisoformat(value.replace(" ", "T")).astimezone(UTC).isoformat()
    return value


def _decimal(text: str) -> str:
    number = Decimal(text).normalize()
    return format(number, "f")


def _newest_first(tickets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(tickets, key=lambda t: (t["createdAt"], int(t["id"])), reverse=True)[:50]


def _q1(answer: dict[str, Any], system: str) -> dict[str, Any]:
    customer = answer.get("customer")
    if customer is None:
        return answer
    if "openTickets" in customer:
        customer["tickets"] = customer.pop("openTickets") + customer.pop("pendingTickets")
    customer["tickets"] = _newest_first(customer["tickets"])
    if "identifiers" in customer:
        customer["identifiers"] = sorted(customer["identifiers"], key=lambda i: (i["type"], i["value"]))
    return answer


SHAPES: dict[str, Callable[[dict[str, Any], str], dict[str, Any]]] = {"q1": _q1}


def comparable(query: str, system: str, data: dict[str, Any]) -> dict[str, Any]:
    shaped = canonical(data)
    fix = SHAPES.get(query)
    return fix(shaped, system) if fix else shaped


def without_graph(data: dict[str, Any]) -> dict[str, Any]:
    """The PostgreSQL part of a canonical answer, to compare with PostGraphile."""
    customer = data.get("customer")
    if isinstance(customer, dict):
        return {**data, "customer": {k: v for k, v in customer.items() if k != "identifiers"}}
    return data
