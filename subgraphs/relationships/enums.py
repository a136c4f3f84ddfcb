"""GraphQL enums of the relationships subgraph, registered before any type or input uses them."""

from __future__ import annotations

import strawberry

from graph_store.relationships.common import HouseholdRole, RelationKind

strawberry.enum(
    RelationKind, name="RelationKind", description="Kinds of relationship that connect customers."
)
strawberry.enum(HouseholdRole, name="HouseholdRole", description="A member's role in a household.")

__all__ = ["HouseholdRole", "RelationKind"]
