"""Relationships: households, accounts and their hierarchy, contacts, referrals and shared identifiers (Neo4j)."""

from subgraphs.kit.part import SubgraphPart
from subgraphs.relationships.loaders import account
from subgraphs.relationships.mutations import RelationshipsMutation
from subgraphs.relationships.queries import RelationshipsQuery
from subgraphs.relationships.types import (
    RelationshipAccountFields,
    RelationshipAccountKeyFields,
    RelationshipCustomerFields,
)

PART = SubgraphPart(
    "relationships",
    RelationshipCustomerFields,
    RelationshipsQuery,
    mutation=RelationshipsMutation,
    account_fields=(RelationshipAccountFields,),
    federated_account_fields=(RelationshipAccountKeyFields, RelationshipAccountFields),
    load_account=account,
)
