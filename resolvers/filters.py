"""Customer filters that the tickets subgraph answers for the profiles subgraph."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from core.visibility import EVERYTHING, Visible
from subgraphs.kit.owners import Owner
from subgraphs.kit.sources import DataSources
from subgraphs.profiles import repository as profiles
from subgraphs.tickets import repository as tickets


@dataclass(frozen=True)
class OpenTickets:
    """Customers with (``wanted``) or without an open ticket, under any of their ids.

    In one database this is an ``EXISTS`` clause of the customers statement; with separate databases the profiles
    repository asks :meth:`matching` for each keyset step of customers it examines.
    """

    sources: DataSources
    wanted: bool
    rows: Visible = EVERYTHING
    """Only tickets of the business units the caller may see count."""

    def sql(self, customer_id: str, param: Callable[[object], str]) -> str | None:
        if not self.sources.settings.shares_database("profiles", "tickets"):
            return None
        clause = tickets.open_ticket_exists(customer_id, param, self.rows)
        return clause if self.wanted else f"NOT {clause}"

    async def matching(self, customer_ids: Sequence[str]) -> set[str]:
        """One statement in each database: the ids merged into these customers, then their open tickets under
        any of their ids."""
        merged = await profiles.merged_ids(self.sources.postgres.db("profiles"), customer_ids)
        owners = [Owner(c, (c, *merged.get(c, []))) for c in customer_ids]
        found = await tickets.with_open_tickets(self.sources.postgres.db("tickets"), owners, self.rows)
        return found if self.wanted else set(customer_ids) - found
