"""Tickets: service-desk tickets, their comment threads and SLA state."""

from core.subgraph import SubgraphPart
from subgraphs.tickets.queries import TicketsQuery
from subgraphs.tickets.types import TicketCustomerFields

PART = SubgraphPart("tickets", TicketCustomerFields, TicketsQuery)
