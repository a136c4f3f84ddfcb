"""Interactions: the customer's timeline across calls, messages, visits, events and campaigns."""

from core.subgraph import SubgraphPart
from subgraphs.interactions.queries import InteractionsQuery
from subgraphs.interactions.types import InteractionCustomerFields

PART = SubgraphPart("interactions", InteractionCustomerFields, InteractionsQuery)
