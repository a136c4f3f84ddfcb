"""One history of a customer across subgraphs: orders, ticket events, interactions and identity events, newest first.

The timeline belongs to the interactions subgraph (``Customer.timeline``) but its entries come from four sources;
``resolvers/`` gathers them (``CrossSource.timeline``), so no subgraph reads another's tables. A page asks each
source for at most ``first + 1`` entries older than the cursor, all four at once and batched over every customer of
the request (three statements and one Cypher call, whatever the page size), and interleaves them.

Entries are ordered by (time, kind, id), newest first; the cursor is that key, so each source can be asked only
for what lies beyond it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

ORDER = "order"
TICKET_EVENT = "ticket_event"
INTERACTION = "interaction"
IDENTITY_EVENT = "identity_event"
RANK = {ORDER: 1, TICKET_EVENT: 2, INTERACTION: 3, IDENTITY_EVENT: 4}
"""Between entries at the same instant, the higher rank comes first."""
KINDS = tuple(RANK)
BEYOND = 2**63 - 1


@dataclass(frozen=True, slots=True)
class TimelineItem:
    kind: str
    at: datetime
    source_id: int
    """The order's, ticket event's or interaction's id; an identity event's position in the customer's history."""
    title: str
    summary: str | None = None
    status: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    channel: str | None = None
    actor: str | None = None
    order_id: int | None = None
    ticket_id: int | None = None
    ticket_event_id: int | None = None
    interaction_id: int | None = None

    @property
    def key(self) -> tuple[datetime, int, int]:
        return self.at, RANK[self.kind], self.source_id


@dataclass(frozen=True, slots=True)
class TimelinePage:
    limit: int
    """Entries to fetch: the page's ``first`` plus one, which says whether more follow."""
    after: tuple[datetime, int, int] | None = None
    """The key of the last entry of the previous page."""
    kinds: frozenset[str] = frozenset(KINDS)
    since: datetime | None = None

    def before(self, kind: str) -> tuple[datetime, int] | None:
        """What a source of ``kind`` must stay below, as (time, id): entries of a lower rank at the cursor's instant
        still come after it, those of a higher rank no longer do."""
        if self.after is None:
            return None
        at, rank, source_id = self.after
        mine = RANK[kind]
        return at, source_id if mine == rank else BEYOND if mine < rank else 0

    def keeps(self, item: TimelineItem) -> bool:
        return (self.after is None or item.key < self.after) and (self.since is None or item.at >= self.since)


def interleave(page: TimelinePage, *sources: list[TimelineItem]) -> list[TimelineItem]:
    """The page's entries from every source, newest first, at most ``page.limit``."""
    merged = sorted((item for found in sources for item in found if page.keeps(item)), key=lambda i: i.key)
    return merged[::-1][: page.limit]
