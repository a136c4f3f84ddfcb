"""Round-trip counters for every data source, exported to Prometheus and read by tests."""

from __future__ import annotations

from prometheus_client import Counter

SQL_STATEMENTS = Counter("c360_sql_statements", "SQL statements sent to PostgreSQL", ["subgraph"])
CYPHER_CALLS = Counter("c360_cypher_calls", "Cypher calls sent to Neo4j", ["kind"])
SOURCE_ERRORS = Counter(
    "c360_source_errors", "Data-source calls that failed to reach their store", ["source"]
)


class RoundTrips:
    """Process-wide totals; a test takes the difference around one request."""

    def __init__(self) -> None:
        self.sql = 0
        self.cypher = 0

    def snapshot(self) -> tuple[int, int]:
        return self.sql, self.cypher


ROUND_TRIPS = RoundTrips()
