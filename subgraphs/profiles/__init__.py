"""Profiles: the customer golden record (PostgreSQL) and its identifiers (Neo4j identity graph)."""

from subgraphs.kit.part import SubgraphPart
from subgraphs.profiles.mutations import ProfilesMutation
from subgraphs.profiles.queries import ProfilesQuery
from subgraphs.profiles.types import ProfileCustomerFields

PART = SubgraphPart(
    "profiles", ProfileCustomerFields, ProfilesQuery, mutation=ProfilesMutation, owns_profiles=True
)
