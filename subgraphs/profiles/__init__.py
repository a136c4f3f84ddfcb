"""Profiles: the customer golden record, source records and the projection of identifiers (PostgreSQL), resolved in
the Neo4j identity graph through the outbox."""

from subgraphs.kit.part import SubgraphPart
from subgraphs.profiles.mutations import ProfilesMutation
from subgraphs.profiles.queries import ProfilesQuery
from subgraphs.profiles.types import ProfileCustomerFields

PART = SubgraphPart(
    "profiles", ProfileCustomerFields, ProfilesQuery, mutation=ProfilesMutation, owns_profiles=True
)
