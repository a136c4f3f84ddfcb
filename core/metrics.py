"""Round-trip counters for every data source, exported to Prometheus and read by tests."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

SQL_STATEMENTS = Counter("c360_sql_statements", "SQL statements sent to PostgreSQL", ["subgraph"])
CYPHER_CALLS = Counter("c360_cypher_calls", "Cypher calls sent to Neo4j", ["kind"])
SOURCE_ERRORS = Counter(
    "c360_source_errors", "Data-source calls that failed to reach their store", ["source"]
)

RELAY_EVENTS = Counter(
    "c360_relay_events", "Outbox events the relay handled, by outcome (applied, retried, failed)", ["outcome"]
)
RELAY_RECORDS = Counter(
    "c360_relay_records", "Units of work (source records) in the events the relay applied"
)
OUTBOX_BACKLOG = Gauge("c360_outbox_backlog_events", "Outbox events not applied yet", ["subgraph"])
OUTBOX_OLDEST = Gauge(
    "c360_outbox_oldest_pending_seconds", "Age of the oldest outbox event not applied yet", ["subgraph"]
)
OUTBOX_FAILED = Gauge(
    "c360_outbox_failed_events",
    "Outbox events set aside after repeated failures that were not outages",
    ["subgraph"],
)


class RoundTrips:
    """Process-wide totals; a test takes the difference around one request."""

    def __init__(self) -> None:
        self.sql = 0
        self.cypher = 0

    def snapshot(self) -> tuple[int, int]:
        return self.sql, self.cypher


ROUND_TRIPS = RoundTrips()

QUERY_EXECUTIONS = Counter(
    "c360_query_executions",
    "Queries by executor: their plan, or graphql-core with the reason the plan could not run them",
    ["executor", "reason"],
)
AUDIT_GROUPS = Histogram(
    "c360_audit_group_records",
    "Audit records written per round trip (records of concurrent requests are written together)",
    buckets=(1, 2, 4, 8, 16, 32, 64),
)
COMPILED_STATEMENTS = Counter(
    "c360_compiled_statements",
    "Compiled queries by how their statement's text was had: built, or reused from an earlier request of the plan",
    ["how"],
)
