"""Tickets: service-desk tickets, their comment threads and SLA state."""

from subgraphs.kit.part import SubgraphPart
from subgraphs.tickets.mutations import TicketsMutation
from subgraphs.tickets.queries import TicketsQuery
from subgraphs.tickets.subscriptions import TicketsSubscription
from subgraphs.tickets.types import TicketAccountFederatedFields, TicketAccountFields, TicketCustomerFields

PART = SubgraphPart(
    "tickets",
    TicketCustomerFields,
    TicketsQuery,
    mutation=TicketsMutation,
    subscription=TicketsSubscription,
    account_fields=(TicketAccountFields,),
    federated_account_fields=(TicketAccountFederatedFields,),
)
