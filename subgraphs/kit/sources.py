"""The stores a request or a job reads and writes, handed to loader groups and to jobs that are not GraphQL."""

from __future__ import annotations

from dataclasses import dataclass

from core.clock import Clock, system_clock
from core.listener import Notices
from core.outbox import Outcomes
from core.postgres import Postgres
from core.settings import Settings
from graph_store.driver import GraphStore


@dataclass
class DataSources:
    settings: Settings
    postgres: Postgres
    graph: GraphStore
    outcomes: Outcomes | None = None
    """Where writers wait for the relay's outcome of their outbox events (a poll alone when ``None``)."""
    clock: Clock = system_clock
    """The time writes record and SLA readings compare with (tests pass a fixed one)."""
    notices: Notices | None = None
    """Change notices of every database, for subscriptions (``None`` in jobs, which subscribe to nothing)."""
