"""Interactions: the customer's timeline across calls, messages, visits, events and campaigns."""

from subgraphs.interactions.mutations import InteractionsMutation
from subgraphs.interactions.queries import InteractionsQuery
from subgraphs.interactions.subscriptions import InteractionsSubscription
from subgraphs.interactions.types import InteractionCustomerFields
from subgraphs.kit.part import SubgraphPart

PART = SubgraphPart(
    "interactions",
    InteractionCustomerFields,
    InteractionsQuery,
    mutation=InteractionsMutation,
    subscription=InteractionsSubscription,
)
