"""Prometheus series of the overload protection, on the API's ``/metrics`` with the rest."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

REFUSED = Counter(
    "c360_refused_requests",
    "GraphQL requests answered with an error instead of a result, by reason",
    ["reason"],
)
OVERLOADED = REFUSED.labels("overloaded")
RATE_LIMITED = REFUSED.labels("rate_limited")
DEADLINE_EXCEEDED = REFUSED.labels("deadline_exceeded")
IN_FLIGHT = Gauge("c360_in_flight_requests", "GraphQL requests running in this process")
IN_FLIGHT_LIMIT = Gauge(
    "c360_in_flight_limit", "The in-flight bound now (C360_MAX_IN_FLIGHT, less while the event loop lags)"
)
LEAN_ANSWERS = Counter(
    "c360_lean_answers", "POSTed queries answered by the lean path (web/lean.py), without strawberry's view"
)
